"""BackupAndRestore: a crashed fit resumes with the same result, per epoch or every N batches."""
import os

import numpy as np
import pytest

import kerasport
from kerasport import callbacks
from tests.callbacks.test_callback import X, Y, _model


class _Crash(callbacks.Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.at = (epoch, batch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt("simulated crash")


@pytest.mark.parametrize("save_freq", ["epoch", 3])
def test_backup_and_restore_resumes_with_the_same_result(tmp_path, save_freq):
    def model():
        kerasport.utils.set_random_seed(7)
        return _model(kerasport.optimizers.Adam(0.01))

    reference = model()
    reference.fit(X, Y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    backup_dir = str(tmp_path / "backup")
    backup = callbacks.BackupAndRestore(backup_dir, save_freq=save_freq)
    crashed = model()
    with pytest.raises(KeyboardInterrupt):
        crashed.fit(X, Y, epochs=4, batch_size=8, shuffle=False, verbose=0, callbacks=[backup, _Crash(2, 1)])
    assert os.path.exists(os.path.join(backup_dir, "latest.h5"))
    resumed = model()
    history = resumed.fit(X, Y, epochs=4, batch_size=8, shuffle=False, verbose=0,
                          callbacks=[callbacks.BackupAndRestore(backup_dir, save_freq=save_freq)])
    assert history.epoch == [2, 3]
    assert not os.path.exists(backup_dir)
    if save_freq == "epoch":   # batch backups restart the interrupted epoch from mid-epoch weights, as in Keras
        for a, b in zip(resumed.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
