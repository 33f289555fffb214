"""ReduceLROnPlateau and LearningRateScheduler on a tiny model."""
import numpy as np
import pytest

import kerasport
from kerasport import callbacks
from tests.callbacks.test_callback import X, Y, _model, _scripted


def test_reduce_lr_on_plateau_and_learning_rate_scheduler():
    model = _model(kerasport.optimizers.SGD(0.01))
    reduce = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, cooldown=2, min_lr=0.002)
    history = model.fit(X, Y, epochs=6, verbose=0,
                        callbacks=[_scripted("val_loss", [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), reduce])
    np.testing.assert_allclose(history.history["learning_rate"], [0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025],
                               rtol=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.002)
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.1)
    history = model.fit(X, Y, epochs=4, verbose=0, callbacks=[scheduler])
    np.testing.assert_allclose(history.history["learning_rate"], [0.002, 0.002, 0.0002, 0.00002], rtol=1e-5)
