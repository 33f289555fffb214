"""The Callback base on a tiny model: the History that fit returns, and the test hooks that validation calls,
as Keras calls them; the tiny model and data every callback's tests train."""
import numpy as np

import kerasport
from kerasport import callbacks

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
