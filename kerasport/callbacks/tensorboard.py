"""``TensorBoard``: epoch (and optionally batch) scalars, the learning rate and weight histograms as event files.

Events are written with the active backend's own writer (``torch.utils.tensorboard``
or ``tf.summary``), imported only when the callback is created.
"""
import importlib
import os
import time

from kerasport.backends import NAME, B
from kerasport.callbacks.callback import Callback


def _writer_module():
    return importlib.import_module(f"kerasport.backends.{NAME}.summary")


class TensorBoard(Callback):
    """Write logs for TensorBoard: ``tensorboard --logdir=log_dir``.

    Training scalars go to ``log_dir/train`` and validation scalars to
    ``log_dir/validation``, named ``epoch_<metric>`` (``epoch_loss``,
    ``epoch_learning_rate``, ...) and, with ``update_freq`` in batches,
    ``batch_<metric>`` against the global step.

    Args:
        log_dir: directory of the event files.
        histogram_freq: write a histogram of every weight every this many epochs (0: never).
        write_steps_per_second: also log the training speed (``epoch_steps_per_second``).
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or an int (every that many
            batches). Batch logging reads the metrics from the device at each batch.

    On torch it needs the ``tensorboard`` package (``pip install tensorboard``).
    """

    _chief_worker_only = True

    def __init__(self, log_dir="logs", histogram_freq=0, write_steps_per_second=False, update_freq="epoch"):
        super().__init__()
        if update_freq != "epoch" and update_freq != "batch" and not isinstance(update_freq, int):
            raise ValueError(f"Unrecognized update_freq: {update_freq!r}. Expected 'epoch', 'batch' or an int.")
        self._summary = _writer_module()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        if self.update_freq != "epoch":
            self.on_train_batch_end = self._write_batch_logs
        self._writers = {}

    def _writer(self, kind):
        if kind not in self._writers:
            self._writers[kind] = self._summary.SummaryWriter(os.path.join(self.log_dir, kind))
        return self._writers[kind]

    def on_train_begin(self, logs=None):
        self._global_step = int(B.convert_to_numpy(self.model.optimizer.iterations)) \
            if self.model.optimizer is not None and self.model.optimizer.built else 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start, self._epoch_steps = time.monotonic(), 0

    def _write_batch_logs(self, batch, logs=None):
        self._global_step += 1
        self._epoch_steps += 1
        if self._global_step % self.update_freq == 0:
            writer = self._writer("train")
            for name, value in (logs or {}).items():
                writer.scalar(f"batch_{name}", value, self._global_step)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if "learning_rate" not in logs and self.model.optimizer is not None:
            logs["learning_rate"] = float(B.convert_to_numpy(self.model.optimizer.learning_rate))
        if self.write_steps_per_second:
            steps = self._epoch_steps or self.params.get("steps") or 0
            logs["steps_per_second"] = steps / max(time.monotonic() - self._epoch_start, 1e-9)
        train, val = self._writer("train"), None
        for name, value in logs.items():
            if name.startswith("val_"):
                val = val or self._writer("validation")
                val.scalar(f"epoch_{name[4:]}", value, epoch)
            else:
                train.scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for weight in self.model.weights:
                train.histogram(f"{(weight.path or weight.name).replace(':', '_')}/histogram",
                                B.convert_to_numpy(weight), epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
