"""EarlyStopping on a tiny model: patience, best weights restored, baseline, min_delta and start_from_epoch."""
import numpy as np

from kerasport import callbacks
from tests.callbacks.test_callback import X, Y, _model, _scripted


def test_early_stopping_stops_at_patience_and_restores_best_weights():
    model = _model()
    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(model.get_weights()))
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(X, Y, epochs=10, batch_size=8, verbose=0,
                        callbacks=[_scripted("val_loss", [1.0, 0.5, 0.6, 0.7, 0.1, 0.1]), record, stop])
    assert history.epoch == [0, 1, 2, 3]
    assert stop.stopped_epoch == 3 and stop.best_epoch == 1 and stop.best == 0.5
    for restored, best in zip(model.get_weights(), seen[1]):
        np.testing.assert_array_equal(restored, best)
    assert not np.allclose(seen[1][0], seen[3][0])


def test_early_stopping_baseline_min_delta_and_start_from_epoch():
    stop = callbacks.EarlyStopping(monitor="loss", baseline=0.2, patience=1)
    model = _model()
    history = model.fit(X, Y, epochs=10, verbose=0, callbacks=[_scripted("loss", [0.5, 0.6, 0.1, 0.1]), stop])
    assert len(history.epoch) == 2                                      # 0.5 did not beat the baseline
    stop = callbacks.EarlyStopping(monitor="acc", mode="max", min_delta=0.1, patience=0, start_from_epoch=2)
    history = model.fit(X, Y, epochs=10, verbose=0, callbacks=[_scripted("acc", [0, 0, 0.5, 0.55, 0.9]), stop])
    assert len(history.epoch) == 4                                      # 0.55 is within min_delta of 0.5
