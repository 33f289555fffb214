"""The progress output of ``fit``/``evaluate``/``predict``.

``verbose=1`` on a terminal (or in a notebook): a tqdm bar per epoch with
steps done, ETA, rate and the current metrics, refreshed at most every
``interval`` seconds, the only moments metrics are read from the device.
``verbose=2``, or output that is not a terminal (a log file, CI): one plain
line per epoch.
"""
import sys
import time

import tqdm.std

from kerasport.callbacks.callback import Callback
from kerasport.utils import io_utils


def format_logs(logs):
    """``{"loss": 0.25}`` -> ``"loss: 0.2500"``, Keras's way."""
    return " - ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in sorted(logs.items()))


def format_time_per_step(seconds):
    """Keras's step time: ``"850us/step"``, ``"12ms/step"`` or ``"2s/step"``."""
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class ProgbarLogger(Callback):
    """Progress output for ``fit`` (``mode="train"``), ``evaluate`` (``"test"``) and ``predict``.

    ``fit`` adds one when ``verbose`` is not 0; pass your own to change where
    it writes or how often it refreshes.

    Args:
        mode: ``"train"``, ``"test"`` or ``"predict"``: which hooks draw a bar.
        interval: least seconds between two refreshes of the bar.
        file: stream to write to (``sys.stdout`` by default). A bar is drawn
            when it is a terminal (``file.isatty()``) or in a Jupyter notebook
            with ipywidgets; otherwise one line is printed per epoch.
    """

    _chief_worker_only = True

    def __init__(self, mode="train", interval=0.1, file=None):
        super().__init__()
        self.mode = mode
        self.interval = interval
        self.file = file
        self._bar = None
        self._seen = 0

    @property
    def _out(self):
        return self.file or sys.stdout

    def _bar_class(self):
        """The tqdm class to draw with, or ``None`` to print plain lines."""
        if self.params.get("verbose", 1) != 1 or not io_utils.is_interactive_logging_enabled():
            return None
        import tqdm.autonotebook  # imported on first use: it probes for Jupyter
        if self.file is None and tqdm.autonotebook.tqdm is not tqdm.std.tqdm:
            return tqdm.autonotebook.tqdm  # a Jupyter widget
        isatty = getattr(self._out, "isatty", None)
        return tqdm.std.tqdm if isatty and isatty() else None

    def _start(self, desc):
        self._close()
        self._seen = 0
        self._start_time = self._last = time.monotonic()
        self._desc = desc
        bar = self._bar_class()
        if bar is not None:
            self._bar = bar(total=self.params.get("steps"), desc=desc, unit="step", file=self._out, leave=True,
                            dynamic_ncols=True, mininterval=self.interval)

    def _step(self, batch):
        steps = self.params.get("steps")
        self._seen = batch + 1 if not steps else min(batch + 1, steps)  # steps_per_execution may pass the end
        if self._bar is None:
            return
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._bar.n = self._seen
            if self.mode != "predict":
                self._bar.set_postfix_str(format_logs(self.model._logs()), refresh=False)
            self._bar.refresh()

    def _finish(self, logs):
        if self._bar is not None:
            self._bar.n = self._seen
            self._bar.set_postfix_str(format_logs(logs or {}), refresh=False)
            self._close()
            return
        elapsed = time.monotonic() - self._start_time
        steps = self._seen
        parts = [f"{steps}/{self.params.get('steps') or steps}", f"{elapsed:.0f}s",
                 format_time_per_step(elapsed / max(steps, 1))]
        if self._desc:
            parts.insert(0, self._desc)
        if logs:
            parts.append(format_logs(logs))
        if io_utils.is_interactive_logging_enabled():
            print(" - ".join(parts), file=self._out, flush=True)
        else:  # kerasport.config.disable_interactive_logging(): to the "kerasport" logger, as Keras logs
            io_utils.logger.info(" - ".join(parts))

    def _close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    # fit
    def on_epoch_begin(self, epoch, logs=None):
        if self.mode == "train":
            self._start(f"Epoch {epoch + 1}/{self.params.get('epochs')}")

    def on_train_batch_end(self, batch, logs=None):
        self._step(batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.mode == "train":
            self._finish(logs)

    def on_train_end(self, logs=None):
        self._close()

    # evaluate / predict
    def on_test_begin(self, logs=None):
        if self.mode == "test":
            self._start("")

    def on_test_batch_end(self, batch, logs=None):
        if self.mode == "test":
            self._step(batch)

    def on_test_end(self, logs=None):
        if self.mode == "test":
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._start("")

    def on_predict_batch_end(self, batch, logs=None):
        self._step(batch)

    def on_predict_end(self, logs=None):
        self._finish(None)
