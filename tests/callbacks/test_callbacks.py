"""The standard callbacks on a tiny model: stopping, checkpoints, learning rates, logs, backups, NaNs."""
import csv
import glob
import os

import numpy as np
import pytest

import kerasport
from kerasport import callbacks
from kerasport.backends import NAME

RNG = np.random.RandomState(0)
X = RNG.randn(32, 3).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


def _model(optimizer="sgd"):
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(4, activation="relu"),
                                  kerasport.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _scripted(monitor, values):
    """A callback that replaces ``logs[monitor]`` at each epoch end by the next scripted value."""
    return callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.__setitem__(monitor, values[epoch]))



def test_a_history_passed_in_callbacks_is_the_one_fit_returns_and_keeps_growing():
    model = _model()
    history = callbacks.History()
    assert model.fit(X, Y, epochs=2, verbose=0, callbacks=[history]) is history
    assert model.history is history and history.epoch == [0, 1]
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[history])
    assert history.epoch == [0] and len(history.history["loss"]) == 3  # as in Keras


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


def test_model_checkpoint_templates_best_only_and_batch_freq(tmp_path):
    model = _model()
    every = callbacks.ModelCheckpoint(str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.weights.h5"),
                                      save_weights_only=True)
    best = callbacks.ModelCheckpoint(str(tmp_path / "best.{epoch:02d}.h5"), monitor="val_loss",
                                     save_best_only=True, initial_value_threshold=0.9)
    steps = callbacks.ModelCheckpoint(str(tmp_path / "steps" / "e{epoch}b{batch}.weights.h5"),
                                      save_weights_only=True, save_freq=3)
    model.fit(X, Y, epochs=4, batch_size=8, verbose=0,
              callbacks=[_scripted("val_loss", [1.0, 0.5, 0.7, 0.25]), every, best, steps])
    names = sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "*.h5")))
    assert names == ["best.02.h5", "best.04.h5", "w.01-1.00.weights.h5", "w.02-0.50.weights.h5",
                     "w.03-0.70.weights.h5", "w.04-0.25.weights.h5"]
    assert sorted(os.listdir(tmp_path / "steps")) == ["e1b3.weights.h5", "e2b2.weights.h5", "e3b1.weights.h5",
                                                      "e3b4.weights.h5", "e4b3.weights.h5"]
    clone = _model()
    clone.load_weights(str(tmp_path / "w.04-0.25.weights.h5"))
    for a, b in zip(clone.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    reloaded = kerasport.saving.load_model(str(tmp_path / "best.04.h5"))
    np.testing.assert_allclose(reloaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_model_checkpoint_rejects_bad_arguments():
    with pytest.raises(ValueError, match="weights.h5"):
        callbacks.ModelCheckpoint("w.keras", save_weights_only=True)
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint("m.h5", save_freq="often")


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


def test_csv_logger_writes_and_appends(tmp_path):
    path = str(tmp_path / "log.csv")
    model = _model()
    model.fit(X, Y, epochs=2, verbose=0, validation_data=(X, Y), callbacks=[callbacks.CSVLogger(path)])
    model.fit(X, Y, epochs=3, initial_epoch=2, verbose=0, validation_data=(X, Y),
              callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines[0] == "epoch,loss,val_loss"
    assert [line.replace(";", ",").split(",")[0] for line in lines[1:]] == ["0", "1", "2"]
    assert ";" in lines[3] and "," not in lines[3]
    with open(path) as f:
        rows = list(csv.reader(f))
    assert all(float(v) > 0 for v in rows[1][1:])


def test_lambda_callback_receives_batch_logs():
    losses, ends = [], []
    cb = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: losses.append(logs["loss"]),
                                  on_train_end=lambda logs: ends.append(logs))
    _model().fit(X, Y, epochs=1, batch_size=8, verbose=0, callbacks=[cb])
    assert len(losses) == 4 and all(np.isfinite(losses)) and len(ends) == 1


def test_terminate_on_nan_stops_with_the_last_good_weights():
    y = Y.copy()
    y[20] = np.nan                                      # in the third batch of 8
    model = _model()
    seen = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(model.get_weights()))
    history = model.fit(X, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[record, callbacks.TerminateOnNaN()])
    assert len(seen) == 3 and history.epoch == [0]
    assert not np.isfinite(seen[2][0]).all()
    for final, good in zip(model.get_weights(), seen[1]):
        np.testing.assert_array_equal(final, good)
    with pytest.raises(RuntimeError, match="NaN or Inf loss"):
        _model().fit(X, y, batch_size=8, shuffle=False, verbose=0,
                     callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


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


def _event_tags(directory):
    tf = pytest.importorskip("tensorflow")
    tags = set()
    for path in glob.glob(os.path.join(directory, "events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            tags |= {value.tag for value in event.summary.value}
    return tags


def test_tensorboard_writes_event_files(tmp_path):
    if NAME == "torch":
        pytest.importorskip("tensorboard")
    log_dir = str(tmp_path / "logs")
    model = _model()
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0, validation_data=(X, Y),
              callbacks=[callbacks.TensorBoard(log_dir, histogram_freq=1, update_freq=2)])
    train = _event_tags(os.path.join(log_dir, "train"))
    assert {"epoch_loss", "epoch_learning_rate", "batch_loss"} <= train
    assert any(tag.endswith("/histogram") for tag in train)
    assert "epoch_loss" in _event_tags(os.path.join(log_dir, "validation"))


def test_validation_in_fit_calls_the_test_hooks_as_keras_does():
    events = []

    class Recorder(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            events.append("epoch_begin")

        def on_test_begin(self, logs=None):
            events.append("test_begin")

        def on_test_batch_end(self, batch, logs=None):
            events.append(f"test_batch_{batch}")

        def on_test_end(self, logs=None):
            events.append(f"test_end:{sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            events.append("epoch_end")

    x = np.random.RandomState(0).rand(8, 3).astype("float32")
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(x, x[:, :1], validation_data=(x, x[:, :1]), batch_size=4, epochs=2, verbose=0,
              callbacks=[Recorder()])
    one_epoch = ["epoch_begin", "test_begin", "test_batch_0", "test_batch_1", "test_end:['loss', 'mae']",
                 "epoch_end"]
    assert events == one_epoch * 2
