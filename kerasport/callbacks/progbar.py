"""The tqdm progress bar of ``fit``/``evaluate``/``predict``.

``verbose=1``: a bar per epoch with ETA, rate and the current metrics, refreshed
at most every ``interval`` seconds (metrics are read from the device only then).
``verbose=2``, or stdout not a terminal: one plain line per epoch.
"""
import sys
import time

from tqdm.auto import tqdm

from kerasport.callbacks.callback import Callback


def format_logs(logs):
    return " - ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in logs.items())


class ProgbarLogger(Callback):
    """Progress output for ``fit`` (``mode="train"``), ``evaluate`` (``"test"``) and ``predict``."""

    def __init__(self, mode="train", interval=0.1, file=None):
        super().__init__()
        self.mode = mode
        self.interval = interval
        self.file = file
        self._bar = None

    @property
    def _out(self):
        return self.file or sys.stdout

    def _interactive(self):
        isatty = getattr(self._out, "isatty", None)
        return self.params.get("verbose", 1) == 1 and bool(isatty and isatty())

    def _start(self, desc):
        self._seen = 0
        self._start_time = time.monotonic()
        self._last = self._start_time
        self._bar = None
        if self._interactive():
            self._bar = tqdm(total=self.params.get("steps"), desc=desc, unit="step", file=self._out,
                             leave=True, dynamic_ncols=True, mininterval=self.interval)

    def _step(self, batch):
        self._seen = batch + 1
        if self._bar is None:
            return
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._bar.n = self._seen
            if self.mode != "predict":
                self._bar.set_postfix_str(format_logs(self.model.get_metrics_result()), refresh=False)
            self._bar.refresh()

    def _finish(self, logs, prefix=""):
        elapsed = time.monotonic() - self._start_time
        if self._bar is not None:
            self._bar.n = self._seen
            self._bar.set_postfix_str(format_logs(logs or {}), refresh=False)
            self._bar.close()
            self._bar = None
            return
        steps = self._seen
        per_step = 1000 * elapsed / max(steps, 1)
        parts = [f"{steps}/{self.params.get('steps') or steps}", f"{elapsed:.0f}s", f"{per_step:.0f}ms/step"]
        line = " - ".join(parts + ([format_logs(logs)] if logs else []))
        print(prefix + line, file=self._out, flush=True)

    # fit
    def on_epoch_begin(self, epoch, logs=None):
        if self.mode == "train":
            self._epoch_desc = f"Epoch {epoch + 1}/{self.params.get('epochs')}"
            self._start(self._epoch_desc)

    def on_train_batch_end(self, batch, logs=None):
        self._step(batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.mode == "train":
            self._finish(logs, "" if self._bar is not None else self._epoch_desc + "\n")

    # evaluate / predict
    def on_test_begin(self, logs=None):
        if self.mode == "test":
            self._start("Evaluate")

    def on_test_batch_end(self, batch, logs=None):
        if self.mode == "test":
            self._step(batch)

    def on_test_end(self, logs=None):
        if self.mode == "test":
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._start("Predict")

    def on_predict_batch_end(self, batch, logs=None):
        self._step(batch)

    def on_predict_end(self, logs=None):
        self._finish(None)
