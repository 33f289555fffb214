"""Mixed precision as in Keras 3: policies, 16-bit compute with float32 variables, float32
statistics in normalization layers, dynamic loss scaling, saving, and Keras's numbers; the
``mixed_precision`` and ``dtype_policies`` modules' names."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy


@pytest.fixture
def policy():
    """Set a global policy for one test; float32 again afterwards."""
    def set_policy(name):
        kerasport.mixed_precision.set_global_policy(name)
    yield set_policy
    kerasport.mixed_precision.set_global_policy("float32")


def _mlp(module, final_dtype="float32"):
    return module.Sequential([module.Input((6,)), module.layers.Dense(16, activation="relu"),
                              module.layers.BatchNormalization(), module.layers.Dense(8, activation="tanh"),
                              module.layers.LayerNormalization(), module.layers.Dense(3),
                              module.layers.Activation("softmax", dtype=final_dtype)])


def _data(n=64):
    rng = np.random.RandomState(0)
    return rng.rand(n, 6).astype("float32"), rng.randint(0, 3, n)


def test_policy_objects():
    policy = kerasport.DTypePolicy("mixed_float16")
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == ("mixed_float16", "float16", "float32")
    policy = kerasport.mixed_precision.Policy("mixed_bfloat16")
    assert (policy.compute_dtype, policy.variable_dtype) == ("bfloat16", "float32")
    assert kerasport.dtype_policies.get("float64").compute_dtype == "float64"
    assert kerasport.dtype_policies.get({"class_name": "Policy", "config": {"name": "mixed_float16"}}) == \
        kerasport.DTypePolicy("mixed_float16")
    assert kerasport.dtype_policies.serialize(policy)["config"] == {"name": "mixed_bfloat16"}
    with pytest.raises(ValueError, match="mixed_float8"):
        kerasport.DTypePolicy("mixed_float8")


def test_policy_from_config_and_convert_input_as_keras():
    policy = kerasport.DTypePolicy("mixed_float16")
    assert kerasport.DTypePolicy.from_config(policy.get_config()) == policy
    as_dtype = kerasport.backend.standardize_dtype
    for x in (np.ones(2, "float32"), kerasport.ops.ones(2), kerasport.Input((2,))):
        assert as_dtype(policy.convert_input(x, True, "float16").dtype) == "float16"
        assert as_dtype(policy.convert_input(x, False, "float16").dtype) == "float32"
    assert as_dtype(policy.convert_input(np.ones(2, "int32"), True, "float16").dtype) == "int32"  # ints stay ints
    assert policy.convert_input(3.0, True, "float16") == 3.0  # neither a tensor nor an array: as it is


def test_a_layer_without_autocast_takes_float64_arrays_as_they_are_as_keras():
    class Identity(layers.Layer):
        def call(self, x, y=None):
            return x, y

    as_dtype = kerasport.backend.standardize_dtype
    kept = Identity(autocast=False)(np.ones(2), y=np.ones(2))
    cast = Identity()(np.ones(2), y=np.ones(2))
    assert [as_dtype(t.dtype) for t in kept + cast] == ["float64", "float64", "float32", "float32"]


def test_a_dtype_object_is_a_policy_as_in_keras():
    """Keras's ``dtype_policies.get`` standardizes a dtype object (``tf.float32`` in keras.io's
    feature_engineering_with_custom_layer's ``keras.Input(dtype=...)``)."""
    framework_dtype = kerasport.ops.convert_to_tensor(np.zeros(2, "float16")).dtype
    assert kerasport.dtype_policies.get(framework_dtype).name == "float16"
    assert kerasport.dtype_policies.get(np.float64).compute_dtype == "float64"
    assert kerasport.Input(shape=(1,), dtype=framework_dtype).dtype == "float16"
    assert kerasport.layers.Dense(2, dtype=np.float64).compute_dtype == "float64"
    with pytest.raises(ValueError, match="Cannot interpret dtype policy identifier: 3"):
        kerasport.dtype_policies.get(3)


def test_global_policy_keeps_floatx(policy):
    policy("mixed_float16")
    assert kerasport.mixed_precision.global_policy().name == "mixed_float16"
    assert kerasport.config.floatx() == "float32"
    dense = layers.Dense(2)
    assert dense.dtype_policy.name == "mixed_float16"
    assert (dense.dtype, dense.variable_dtype, dense.compute_dtype) == ("float32", "float32", "float16")
    assert layers.Dense(2, dtype="float32").compute_dtype == "float32"
    policy("float32")
    assert kerasport.mixed_precision.global_policy().name == "float32"
    assert layers.Dense(2).compute_dtype == "float32"


@pytest.mark.parametrize("name,compute", [("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")])
def test_layer_variables_float32_compute_16_bit(name, compute):
    dense = layers.Dense(4, dtype=kerasport.DTypePolicy(name))
    x = np.random.RandomState(0).rand(3, 5).astype("float32")
    out = dense(x)
    assert B.dtype(out) == compute
    assert B.dtype(dense.kernel) == B.dtype(dense.bias) == "float32"
    assert B.is_variable(dense.kernel)  # the cast copy is only seen inside call
    want = x.astype(compute if compute == "float16" else "float32") @ to_numpy(dense.kernel).astype("float32")
    np.testing.assert_allclose(to_numpy(B.cast(out, "float32")), want + to_numpy(dense.bias), rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("layer_cls", [layers.BatchNormalization, layers.LayerNormalization])
def test_normalization_statistics_in_float32(layer_cls):
    """Inputs whose variance overflows float16 still normalize: the statistics are float32."""
    layer = layer_cls(dtype="mixed_float16")
    x = (np.random.RandomState(0).rand(8, 4).astype("float32") - 0.5) * 2000.0
    out = layer(x, training=True)
    assert B.dtype(out) == "float16"
    assert B.dtype(layer.gamma) == "float32"
    got = to_numpy(B.cast(out, "float32"))
    assert np.isfinite(got).all()
    axis = 0 if layer_cls is layers.BatchNormalization else -1
    want = (x - x.mean(axis, keepdims=True)) / np.sqrt(x.var(axis, keepdims=True) + 1e-3)
    np.testing.assert_allclose(got, want, atol=5e-3)


def test_compile_wraps_optimizer_under_mixed_float16_only(policy):
    policy("mixed_float16")
    model = _mlp(kerasport)
    model.compile("adam", "sparse_categorical_crossentropy")
    assert isinstance(model.optimizer, kerasport.optimizers.LossScaleOptimizer)
    assert isinstance(model.optimizer.inner_optimizer, kerasport.optimizers.Adam)
    model.compile("adam", "sparse_categorical_crossentropy", auto_scale_loss=False)
    assert isinstance(model.optimizer, kerasport.optimizers.Adam)
    policy("mixed_bfloat16")
    model = _mlp(kerasport)
    model.compile("adam", "sparse_categorical_crossentropy")
    assert isinstance(model.optimizer, kerasport.optimizers.Adam)


def test_fit_trains_float32_variables_and_scales_loss(policy):
    policy("mixed_float16")
    model = _mlp(kerasport)
    model.compile(kerasport.optimizers.LossScaleOptimizer(kerasport.optimizers.SGD(0.1), initial_scale=1.0,
                                                                      dynamic_growth_steps=2),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _data()
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert all(B.dtype(v) == "float32" for v in model.weights)
    assert not np.allclose(before[0], model.get_weights()[0])
    assert np.isfinite(history.history["loss"]).all()
    # 4 finite steps with growth every 2: the scale doubled twice.
    assert float(to_numpy(model.optimizer.dynamic_scale)) == 4.0
    assert model.predict(x[:2], verbose=0).dtype == np.float32  # the final layer is float32


def test_inf_gradient_step_changes_no_weight_and_halves_scale(policy):
    policy("mixed_float16")
    model = kerasport.Sequential([kerasport.Input((2,)), layers.Dense(1)])
    model.compile(kerasport.optimizers.SGD(0.01), "mse")
    x = np.array([[60000.0, 60000.0]], "float32")  # float16 overflow: the scaled loss's gradient is inf
    model.layers[0].set_weights([np.ones((2, 1), "float32"), np.zeros(1, "float32")])
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(x, np.zeros((1, 1), "float32"))
    for b, a in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert float(to_numpy(model.optimizer.dynamic_scale)) == 2.0 ** 14
    assert int(to_numpy(model.optimizer.step_counter)) == 0
    assert int(to_numpy(model.optimizer.iterations)) == 0
    model.train_on_batch(np.array([[0.5, 0.25]], "float32"), np.zeros((1, 1), "float32"))
    assert not np.allclose(model.get_weights()[0], before[0])
    assert float(to_numpy(model.optimizer.dynamic_scale)) == 2.0 ** 14
    assert int(to_numpy(model.optimizer.step_counter)) == 1


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_policy_and_loss_scale_state_save_and_load(policy, tmp_path, ext):
    policy("mixed_float16")
    model = _mlp(kerasport)
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    model.train_on_batch(x[:1] * 1e5, y[:1])  # one inf step: scale 2**14, counter 0 ...
    model.train_on_batch(x[:1], y[:1])  # ... then one finite step: counter 1
    path = str(tmp_path / f"m.{ext}")
    model.save(path)
    policy("float32")
    loaded = kerasport.models.load_model(path)
    assert [layer.dtype_policy.name for layer in loaded.layers] == \
        ["mixed_float16"] * 5 + ["float32"]
    assert isinstance(loaded.optimizer, kerasport.optimizers.LossScaleOptimizer)
    assert float(to_numpy(loaded.optimizer.dynamic_scale)) == float(to_numpy(model.optimizer.dynamic_scale))
    assert int(to_numpy(loaded.optimizer.step_counter)) == int(to_numpy(model.optimizer.step_counter))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_layer_config_round_trip():
    dense = layers.Dense(3, dtype="mixed_bfloat16")
    config = dense.get_config()
    assert config["dtype"]["config"] == {"name": "mixed_bfloat16"}
    assert layers.Dense.from_config(config).dtype_policy.name == "mixed_bfloat16"
    model = kerasport.Sequential([kerasport.Input((4,)), dense])
    clone = kerasport.Sequential.from_config(model.get_config())
    assert clone.layers[0].compute_dtype == "bfloat16"


@pytest.mark.parametrize("name,tol", [("mixed_float16", 1e-2), ("mixed_bfloat16", 3e-2)])
def test_losses_match_keras(name, tol):
    keras = keras_module()
    x, y = _data()

    def program(module):
        module.mixed_precision.set_global_policy(name)
        try:
            model = _mlp(module)
            model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
            return model
        finally:
            module.mixed_precision.set_global_policy("float32")

    keras.utils.set_random_seed(0)
    want_model = program(keras)
    got_model = program(kerasport)
    got_model.set_weights(want_model.get_weights())
    assert type(got_model.optimizer).__name__ == type(want_model.optimizer).__name__
    want = want_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    got = got_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(got["loss"], want["loss"], rtol=tol)
    np.testing.assert_allclose(got_model.predict(x[:8], verbose=0), want_model.predict(x[:8], verbose=0),
                               rtol=tol, atol=tol)


def test_quickstart_under_mixed_bfloat16_within_one_percent_of_float32(policy):
    (x_train, y_train), (x_test, y_test) = kerasport.datasets.digits.load_data()
    x_train, x_test = x_train[..., None].astype("float32") / 16.0, x_test[..., None].astype("float32") / 16.0
    accuracies = []
    for name in ("float32", "mixed_bfloat16"):
        policy(name)
        kerasport.utils.set_random_seed(42)
        model = kerasport.Sequential([
            kerasport.Input(shape=(8, 8, 1)), layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(), layers.Conv2D(64, 3, padding="same", activation="relu"), layers.Flatten(),
            layers.Dropout(0.3), layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_train, y_train, batch_size=32, epochs=15, validation_split=0.1, verbose=0)  # the quickstart's
        accuracies.append(model.evaluate(x_test, y_test, verbose=0)[1])
    assert accuracies[0] > 0.9
    assert abs(accuracies[1] - accuracies[0]) <= 0.01


def test_embedding_and_recurrent_layers_train_under_mixed_float16(policy):
    policy("mixed_float16")
    model = kerasport.Sequential([kerasport.Input((10,), dtype="int32"), layers.Embedding(50, 8),
                                  layers.GRU(8, return_sequences=True), layers.LSTM(4),
                                  layers.Dense(2, dtype="float32")])
    model.compile("adam", kerasport.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.RandomState(0)
    before = model.get_weights()
    history = model.fit(rng.randint(0, 50, (32, 10)), rng.randint(0, 2, 32), verbose=0).history
    assert np.isfinite(history["loss"]).all()
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert B.dtype(model.layers[0].embeddings) == "float32"


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
