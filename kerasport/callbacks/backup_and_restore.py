"""``BackupAndRestore``: resume an interrupted ``fit`` where it stopped, with the same weights and optimizer state."""
import os
import shutil

import numpy as np

from kerasport.backends import B
from kerasport.callbacks.callback import Callback
from kerasport.distribution.training_hooks import is_chief


class BackupAndRestore(Callback):
    """Back up the training state so that rerunning the same ``fit`` after a crash resumes it.

    At the end of every epoch (or every ``save_freq`` batches) the model's weights,
    the optimizer's variables (step count, moments, ...) and the epoch are written
    (by process 0 only, under a distribution) to ``backup_dir/latest.h5``, atomically
    (a temporary file, then ``os.replace``), so that a crash while saving leaves the previous backup intact. When ``fit``
    starts and a backup exists, it is loaded and training resumes at the start of
    the interrupted epoch. Without shuffling, the resumed run ends with the same
    weights as an uninterrupted one.

    Args:
        backup_dir: directory of the backup (created if needed).
        save_freq: ``"epoch"``, or back up every this many batches as well (resuming
            restarts the interrupted epoch from the last backup's weights).
        delete_checkpoint: delete ``backup_dir`` once training has finished.

    Example::

        backup = kerasport.callbacks.BackupAndRestore(backup_dir="/tmp/backup")
        model.fit(x, y, epochs=10, callbacks=[backup])   # interrupted at epoch 4
        model.fit(x, y, epochs=10, callbacks=[backup])   # resumes at epoch 4
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. Expected "
                             "either 'epoch' or an integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._path = os.path.join(self.backup_dir, "latest.h5")
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0

    def on_train_begin(self, logs=None):
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        if os.path.exists(self._path):
            self._restore()

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen_since_last_saving += 1
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save(self._current_epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save(epoch + 1)

    def on_train_end(self, logs=None):
        finished = self.model.stop_training or self._current_epoch >= self.params.get("epochs", 0)
        if finished and self.delete_checkpoint and is_chief() and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)

    def _optimizer_variables(self):
        optimizer = self.model.optimizer
        if optimizer is None:
            return []
        if not optimizer.built:
            optimizer.build(self.model.trainable_weights)
        return optimizer.variables

    def _save(self, epoch):
        if not is_chief():
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        tmp = self._path + ".tmp"
        import h5py  # on first use: importing kerasport does not need it
        with h5py.File(tmp, "w") as f:
            f.attrs["epoch"] = epoch
            for group, values in (("weights", self.model.get_weights()),
                                  ("optimizer", [B.convert_to_numpy(v) for v in self._optimizer_variables()])):
                g = f.create_group(group)
                for i, value in enumerate(values):
                    g.create_dataset(str(i), data=value)
        os.replace(tmp, self._path)

    def _restore(self):
        import h5py  # on first use: importing kerasport does not need it
        with h5py.File(self._path, "r") as f:
            weights = [np.asarray(f["weights"][str(i)]) for i in range(len(f["weights"]))]
            optimizer = [np.asarray(f["optimizer"][str(i)]) for i in range(len(f["optimizer"]))]
            epoch = int(f.attrs["epoch"])
        variables = self._optimizer_variables()
        if len(optimizer) != len(variables):
            raise ValueError(f"The backup in {self.backup_dir!r} has {len(optimizer)} optimizer variables, but the "
                             f"model's optimizer has {len(variables)}: was it written by a different model or "
                             "optimizer?")
        self.model.set_weights(weights)
        for var, value in zip(variables, optimizer):
            B.assign(var, value)
        self.model._initial_epoch = epoch
