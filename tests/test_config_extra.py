"""``kerasport.config`` / ``kerasport.backend`` additions and the top-level names Keras programs use."""
import numpy as np
import pytest

import kerasport
from kerasport import backend, config
from kerasport.backends import B
from tests.helpers import keras_module


def small_model():
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


DATA = (np.random.RandomState(0).rand(40, 3).astype("float32"), np.random.RandomState(1).rand(40, 1).astype("float32"))


class CountBatches(kerasport.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.train, self.test, self.predict = 0, 0, 0

    def on_train_batch_end(self, batch, logs=None):
        self.train += 1

    def on_test_batch_end(self, batch, logs=None):
        self.test += 1

    def on_predict_batch_end(self, batch, logs=None):
        self.predict += 1


def test_max_epochs_caps_fit():
    assert config.max_epochs() is None
    config.set_max_epochs(2)
    try:
        with pytest.warns(UserWarning, match="Limiting epochs to 2"):
            history = small_model().fit(*DATA, epochs=5, verbose=0)
        assert len(history.history["loss"]) == 2
        assert config.max_epochs() == 2
    finally:
        config.set_max_epochs(None)
    assert len(small_model().fit(*DATA, epochs=3, verbose=0).history["loss"]) == 3


def test_max_steps_per_epoch_caps_fit_evaluate_predict():
    config.set_max_steps_per_epoch(3)
    try:
        counter = CountBatches()
        model = small_model()
        with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
            model.fit(*DATA, batch_size=4, epochs=2, verbose=0, callbacks=[counter])
            model.evaluate(*DATA, batch_size=4, verbose=0, callbacks=[counter])
            out = model.predict(DATA[0], batch_size=4, verbose=0, callbacks=[counter])
        assert (counter.train, counter.test, counter.predict) == (6, 3, 3)
        assert out.shape == (12, 1)
        assert config.max_steps_per_epoch() == 3
    finally:
        config.set_max_steps_per_epoch(None)


def test_interactive_logging_silences_fit(capsys):
    model = small_model()
    config.disable_interactive_logging()
    try:
        assert not config.is_interactive_logging_enabled()
        model.fit(*DATA, epochs=1, verbose=1)
        model.evaluate(*DATA, verbose=2)
        assert capsys.readouterr().out == ""
    finally:
        config.enable_interactive_logging()
    model.fit(*DATA, epochs=1, verbose=2)
    assert "loss" in capsys.readouterr().out


def test_flags_match_keras_defaults():
    keras = keras_module()
    assert config.is_traceback_filtering_enabled() == keras.config.is_traceback_filtering_enabled() is True
    assert config.is_flash_attention_enabled() == keras.config.is_flash_attention_enabled()
    config.disable_traceback_filtering()
    config.disable_flash_attention()
    assert config.is_traceback_filtering_enabled() is False and config.is_flash_attention_enabled() is False
    config.enable_traceback_filtering()
    config.enable_flash_attention()
    assert config.is_traceback_filtering_enabled() is True and config.is_flash_attention_enabled() is None
    assert config.is_nnx_enabled() is False


def test_set_backend():
    config.set_backend(B.NAME)  # the running one: nothing to do
    other = "torch" if B.NAME == "tensorflow" else "tensorflow"
    with pytest.raises(RuntimeError, match="KERASPORT_BACKEND"):
        config.set_backend(other)


def test_dtype_policy():
    assert config.dtype_policy().name == "float32"
    assert config.dtype_policy().compute_dtype == config.dtype_policy().variable_dtype == "float32"
    config.set_dtype_policy("float64")
    try:
        assert config.floatx() == "float64"
        assert kerasport.layers.Dense(2).dtype == "float64"
    finally:
        config.set_dtype_policy("float32")
    config.set_dtype_policy("mixed_float16")
    try:
        assert config.floatx() == "float32"
        assert config.dtype_policy().compute_dtype == "float16"
    finally:
        config.set_dtype_policy("float32")
    with pytest.raises(ValueError, match="policy"):
        config.set_dtype_policy(3)


def test_backend_setters():
    backend.set_floatx("float16")
    backend.set_image_data_format("channels_first")
    try:
        assert config.floatx() == "float16" and config.image_data_format() == "channels_first"
    finally:
        backend.set_floatx("float32")
        backend.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="floatx"):
        backend.set_floatx("int8")


def test_get_uid_shares_layer_name_counters():
    keras = keras_module()
    keras.backend.clear_session()
    kerasport.backend.clear_session()
    for mod in (keras, kerasport):
        assert [mod.backend.get_uid("x"), mod.backend.get_uid("x"), mod.backend.get_uid()] == [1, 2, 1]
        mod.layers.Dense(1)
        assert mod.backend.get_uid("dense") == 2
        assert mod.layers.Dense(1).name == "dense_2"
    keras.backend.clear_session()


RESULT_TYPES = [("int32", "float16"), ("int8", "uint8"), ("bool", "int16"), ("float16", float), ("int32", int),
                ("uint8", int), ("bfloat16", "float16"), ("float32",), (int, float), ("int16", "int32", "uint16"),
                (None, "int8"), ("uint32", "int32"), ("int64", "float32"), ("float64", "float32"), ()]


@pytest.mark.parametrize("dtypes", RESULT_TYPES)
def test_result_type_matches_keras(dtypes):
    want = keras_module().backend.result_type(*dtypes)
    if B.NAME == "torch":  # Keras narrows 64-bit results to 32 bits on every backend but TensorFlow
        want = {"int64": "int32", "float64": "float32"}.get(want, want)
    assert backend.result_type(*dtypes) == want


def test_dtype_predicates():
    assert backend.is_float_dtype("bfloat16") and backend.is_float_dtype(float) and not backend.is_float_dtype("int8")
    assert backend.is_int_dtype("uint16") and not backend.is_int_dtype("bool")
    assert backend.standardize_dtype("float64") == "float64"


def test_variable_factory():
    v = kerasport.Variable(np.array([1, 2]))
    assert isinstance(v, kerasport.Variable) and B.is_variable(v)
    assert backend.standardize_dtype(v.dtype) == "int64" and v.path == "variable"
    w = kerasport.Variable("ones", shape=(2, 3), trainable=False, name="w")
    np.testing.assert_array_equal(B.convert_to_numpy(w), np.ones((2, 3)))
    assert w.name.split(":")[0] == "w" and not w.trainable
    f = kerasport.Variable(np.zeros(2))
    assert backend.standardize_dtype(f.dtype) == "float32" and f.path == "variable_1"
    x = kerasport.Variable(kerasport.initializers.Constant(3.0), shape=(2,), dtype="float64")
    assert backend.standardize_dtype(x.dtype) == "float64"
    assert not isinstance(np.zeros(2), kerasport.Variable)
    with pytest.raises(ValueError, match="shape"):
        kerasport.Variable("zeros")
    with pytest.raises(ValueError, match="does not match"):
        kerasport.Variable(np.zeros(2), shape=(3,))


def test_name_scope_matches_keras():
    keras = keras_module()
    paths = {}
    for mod in (keras, kerasport):
        with mod.name_scope("outer"):
            with mod.name_scope("inner"):
                v = mod.Variable(np.ones(2), name="w")
            layer = mod.layers.Dense(2, name="d")
            layer.build((None, 3))
        paths[mod] = (v.path, layer.kernel.path)
    assert paths[kerasport] == paths[keras] == ("outer/inner/w", "outer/d/kernel")
    with pytest.raises(ValueError, match="name"):
        kerasport.name_scope("")


def test_top_level_names():
    keras = keras_module()
    for name in ("Variable", "Initializer", "Loss", "Metric", "Optimizer", "Regularizer", "KerasTensor",
                 "name_scope", "tree"):
        assert hasattr(kerasport, name) and hasattr(keras, name)
    assert isinstance(kerasport.Input((2,)), kerasport.KerasTensor)
    assert isinstance(kerasport.losses.MeanSquaredError(), kerasport.Loss)
    assert isinstance(kerasport.metrics.Mean(), kerasport.Metric)
    assert isinstance(kerasport.optimizers.Adam(), kerasport.Optimizer)
    assert isinstance(kerasport.regularizers.L2(), kerasport.Regularizer)
    assert isinstance(kerasport.initializers.Zeros(), kerasport.Initializer)
    assert kerasport.models.save_model and kerasport.saving.get_custom_objects
    missing = {m: [n for n in dir(getattr(keras, m))
                   if not n.startswith("_") and not hasattr(getattr(kerasport, m), n)]
               for m in ("datasets", "config", "backend", "models")}
    assert missing == {"datasets": [], "config": [], "backend": [], "models": []}


def test_mixed_precision_and_dtype_policies_modules():
    import kerasport
    policy = kerasport.mixed_precision.Policy("float32")
    assert policy.compute_dtype == policy.variable_dtype == "float32"
    assert kerasport.dtype_policies.get({"module": "keras", "class_name": "DTypePolicy",
                                         "config": {"name": "float32"}}) == policy
    assert kerasport.dtype_policies.serialize(policy)["config"] == {"name": "float32"}
    assert kerasport.mixed_precision.global_policy().name == kerasport.config.floatx()
    with pytest.raises(ValueError, match="mixed_float8"):
        kerasport.mixed_precision.set_global_policy("mixed_float8")
    assert kerasport.mixed_precision.LossScaleOptimizer is kerasport.optimizers.LossScaleOptimizer
    assert kerasport.FloatDTypePolicy is kerasport.DTypePolicy
