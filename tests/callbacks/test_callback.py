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


def test_logs_reach_callbacks_sorted_flat_and_as_python_floats_as_keras():
    model = _model()
    model.compile("sgd", "mse", metrics=["mae", "cosine_similarity"])
    seen = []
    recorder = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(dict(logs)))
    history = model.fit(X, Y, validation_split=0.25, epochs=1, verbose=0, callbacks=[recorder])
    names = ["cosine_similarity", "loss", "mae"]
    assert list(seen[0]) == list(history.history) == names + ["val_" + n for n in names]
    assert all(type(v) is float for v in seen[0].values())
    assert list(model.evaluate(X, Y, verbose=0, return_dict=True)) == names
    assert list(model.train_on_batch(X, Y, return_dict=True)) == names
    listed = callbacks.CallbackList([recorder])
    listed.on_epoch_end(0, {"z": kerasport.ops.convert_to_tensor(2.0), "nested": {"b": np.float32(1.5)}})
    assert seen[-1] == {"b": 1.5, "z": 2.0} and [type(v) for v in seen[-1].values()] == [float, float]


def test_callback_list_takes_keras_arguments():
    model = _model()
    recorder = callbacks.LambdaCallback()
    listed = callbacks.CallbackList([recorder], True, False, model, epochs=3)  # Keras's positional order
    assert isinstance(listed, callbacks.Callback) and isinstance(listed.callbacks[-1], callbacks.History)
    assert model.history is listed.callbacks[-1] and recorder.model is model and recorder.params == {"epochs": 3}
    alone = callbacks.CallbackList(add_history=True)  # no model yet: nothing to attach the history to
    alone.append(recorder)
    assert [type(cb) for cb in alone.callbacks] == [callbacks.History, callbacks.LambdaCallback]


def test_fit_evaluate_and_predict_take_a_callback_list_as_keras():
    model = _model()
    epochs, outputs = [], []
    recorder = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epochs.append(epoch),
                                        on_predict_batch_end=lambda batch, logs: outputs.append(logs["outputs"]))
    listed = callbacks.CallbackList([recorder], add_history=True, model=model)
    assert model.fit(X, Y, epochs=2, verbose=0, callbacks=listed) is listed.callbacks[-1] and epochs == [0, 1]
    model.evaluate(X, Y, verbose=0, callbacks=listed)
    predicted = model.predict(X, batch_size=16, verbose=0, callbacks=listed)
    assert len(outputs) == 2 and all(isinstance(o, np.ndarray) for o in outputs)  # as Keras: NumPy outputs
    np.testing.assert_allclose(np.concatenate(outputs), predicted, rtol=1e-6)
