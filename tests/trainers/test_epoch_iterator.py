"""``compile(steps_per_execution=N)``: N steps per execution of fit / evaluate / predict, Keras's batch indices,
same numbers as N=1."""
import io

import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from tests.helpers import keras_module


def _program(module, n, seen, weights=None):
    class Record(module.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_train_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs["loss"]))

        def on_test_batch_end(self, batch, logs=None):
            seen.append(("test_end", batch))

    module.utils.set_random_seed(0)
    model = module.Sequential([module.Input((3,)), module.layers.Dense(4, activation="relu"),
                               module.layers.Dense(1)])
    if weights is not None:
        model.set_weights(weights)
    model.compile("adam", "mse", metrics=["mae"], steps_per_execution=n)
    rng = np.random.RandomState(0)
    x, y = rng.rand(38, 3).astype("float32"), rng.rand(38, 1).astype("float32")
    return model, model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[Record()], shuffle=False,
                            validation_data=(x[:20], y[:20])).history


def test_results_equal_one_step_per_execution():
    seen_1, seen_4 = [], []
    model_1, history_1 = _program(kerasport, 1, seen_1)
    model_4, history_4 = _program(kerasport, 4, seen_4)
    for a, b in zip(model_1.get_weights(), model_4.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for key in history_1:
        np.testing.assert_allclose(history_4[key], history_1[key], rtol=1e-6)
    assert int(B.convert_to_numpy(model_4.optimizer.iterations)) == 20
    assert [s[1] for s in seen_1 if s[0] == "end"] == list(range(10)) * 2


def test_batch_callbacks_fire_at_keras_indices():
    keras = keras_module()
    want, got = [], []
    keras.utils.set_random_seed(0)
    initial = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                                keras.layers.Dense(1)]).get_weights()
    _, want_history = _program(keras, 4, want, initial)
    _, got_history = _program(kerasport, 4, got, initial)
    assert [s[:2] for s in got] == [s[:2] for s in want]
    assert [s[1] for s in got if s[0] == "end"] == [3, 7, 11, 3, 7, 11]
    np.testing.assert_allclose([s[2] for s in got if s[0] == "end"], [s[2] for s in want if s[0] == "end"],
                               rtol=1e-4)
    np.testing.assert_allclose(got_history["val_loss"], want_history["val_loss"], rtol=1e-4)


def test_tensorflow_loops_inside_one_tf_function():
    if kerasport.backend.backend() != "tensorflow":
        pytest.skip("the in-graph loop is TensorFlow's; torch runs the steps back to back")
    model, _ = _program(kerasport, 4, [])
    loop = model._step("train").loop
    assert loop.compiled.experimental_get_tracing_count() >= 1


def test_progbar_advances_by_steps_per_execution():
    bar = kerasport.callbacks.ProgbarLogger(file=io.StringIO())
    bar.set_params({"steps": 10, "epochs": 1, "verbose": 2})
    bar.on_epoch_begin(0)
    bar.on_train_batch_end(3)
    assert bar._seen == 4
    bar.on_train_batch_end(7)
    assert bar._seen == 8
    bar.on_train_batch_end(11)
    assert bar._seen == 10


@pytest.mark.parametrize("bad", [0, -2, 1.5, "4"])
def test_bad_steps_per_execution(bad):
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(1)])
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.compile("sgd", "mse", steps_per_execution=bad)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_saved_with_the_compile_config(tmp_path, ext):
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(1)])
    model.compile("sgd", "mse", steps_per_execution=3)
    path = str(tmp_path / f"m.{ext}")
    model.save(path)
    assert kerasport.models.load_model(path).steps_per_execution == 3


def _predict_program(module, n, seen, weights=None, jit_compile=False):
    class Record(module.callbacks.Callback):
        def on_predict_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_predict_batch_end(self, batch, logs=None):
            outputs = logs["outputs"]  # NumPy, as Keras 3's CallbackList makes the logs (pythonify_logs)
            seen.append(("end", batch, isinstance(outputs, np.ndarray), outputs.shape))

    module.utils.set_random_seed(0)
    model = module.Sequential([module.Input((3,)), module.layers.Dense(4, activation="relu"),
                               module.layers.Dense(2)])
    if weights is not None:
        model.set_weights(weights)
    model.compile("adam", "mse", steps_per_execution=n, jit_compile=jit_compile)
    x = np.random.RandomState(0).rand(38, 3).astype("float32")
    return model, model.predict(x, batch_size=4, verbose=0, callbacks=[Record()])


def test_predict_batch_callbacks_and_outputs_as_keras():
    keras = keras_module()
    keras.utils.set_random_seed(0)
    initial = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                                keras.layers.Dense(2)]).get_weights()
    want, got = [], []
    _, want_out = _predict_program(keras, 4, want, initial)
    _, got_out = _predict_program(kerasport, 4, got, initial)
    assert got == want
    assert got == [("begin", 0), ("end", 3, True, (16, 2)), ("begin", 4), ("end", 7, True, (16, 2)), ("begin", 8),
                   ("end", 11, True, (6, 2))]
    np.testing.assert_allclose(got_out, want_out, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_predict_equals_one_step_per_execution(n):
    _, one = _predict_program(kerasport, 1, [])
    model, many = _predict_program(kerasport, n, [])
    again = model.predict(np.random.RandomState(0).rand(38, 3).astype("float32"), batch_size=4, verbose=0)
    np.testing.assert_allclose(many, one, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(again, one, rtol=1e-6, atol=1e-7)
    if kerasport.backend.backend() == "tensorflow":
        assert model._step("predict").loop.compiled.experimental_get_tracing_count() >= 1


def test_predict_compiled_with_jit_equals_eager():
    _, one = _predict_program(kerasport, 1, [])
    model, many = _predict_program(kerasport, 3, [], jit_compile=True)
    x = np.random.RandomState(0).rand(38, 3).astype("float32")
    np.testing.assert_allclose(many, one, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), one, rtol=1e-5, atol=1e-6)


def test_predict_several_outputs_and_an_overridden_predict_step():
    class Doubled(kerasport.Model):
        def predict_step(self, data):
            x = data[0] if isinstance(data, tuple) else data
            outputs = self(x, training=False)
            return {"sum": outputs["a"] + outputs["b"], "a": 2 * outputs["a"]}

    inputs = kerasport.Input((3,))
    hidden = kerasport.layers.Dense(4, activation="tanh")(inputs)
    outputs = {"a": kerasport.layers.Dense(2)(hidden), "b": kerasport.layers.Dense(1)(hidden)}
    x = np.random.RandomState(1).rand(23, 3).astype("float32")
    plain = kerasport.Model(inputs, outputs)
    custom = Doubled(inputs, outputs)
    results = {}
    for n in (1, 4):
        for name, model in (("plain", plain), ("custom", custom)):
            model.compile("sgd", "mse", steps_per_execution=n)
            results[name, n] = [model.predict(x, batch_size=5, verbose=0) for _ in range(2)]
    for name in ("plain", "custom"):
        for got in results[name, 4]:
            assert sorted(got) == sorted(results[name, 1][0])
            for key in got:
                np.testing.assert_allclose(got[key], results[name, 1][0][key], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(results["custom", 4][0]["a"], 2 * results["plain", 1][0]["a"], rtol=1e-6)
    np.testing.assert_allclose(results["custom", 4][0]["sum"],
                               results["plain", 1][0]["a"] + results["plain", 1][0]["b"], rtol=1e-6)
