"""RMSNormalization, SpectralNormalization, Wrapper and adaptive pooling against Keras 3."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, keras_oracle, run_layer_test, to_numpy


# ---------------------------------------------------------------------------------------------- RMSNormalization
@pytest.mark.parametrize("kwargs,shape", [({}, (2, 5)), ({"epsilon": 1e-3}, (2, 3, 4)),
                                          ({"axis": [-2, -1]}, (2, 3, 4))])
def test_rms_normalization_matches_keras(kwargs, shape):
    keras = keras_module()
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs = keras.layers.RMSNormalization(**kwargs)
    theirs.build(shape)
    theirs.set_weights([np.random.RandomState(1).rand(*w.shape).astype("float32") + 0.5
                        for w in theirs.get_weights()])
    ours = layers.RMSNormalization(**kwargs)
    keras_oracle(ours, theirs, x)
    assert [w.path.split("/")[-1] for w in ours.weights] == ["scale"]
    assert ours.get_config()["axis"] == theirs.get_config()["axis"]


def test_rms_normalization_checks_and_errors():
    run_layer_test(layers.RMSNormalization, {"axis": -1}, (2, 3, 4))
    with pytest.raises(ValueError, match="out of bounds"):
        layers.RMSNormalization(axis=3)(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match="axis"):
        layers.RMSNormalization(axis="last")


# ---------------------------------------------------------------------------------------------- SpectralNormalization
@pytest.mark.parametrize("inner,shape,iterations", [("Dense", (3, 5), 1), ("Conv2D", (2, 6, 6, 3), 2),
                                                    ("Embedding", (2, 4), 1)])
def test_spectral_normalization_matches_keras(inner, shape, iterations):
    keras = keras_module()
    rng = np.random.RandomState(0)
    kw = {"Dense": {"units": 4}, "Conv2D": {"filters": 4, "kernel_size": 3}, "Embedding": {"input_dim": 6,
                                                                                           "output_dim": 3}}[inner]
    x = rng.randint(0, 6, shape).astype("int32") if inner == "Embedding" else rng.randn(*shape).astype("float32")
    theirs = keras.layers.SpectralNormalization(getattr(keras.layers, inner)(**kw), power_iterations=iterations)
    ours = layers.SpectralNormalization(getattr(layers, inner)(**kw), power_iterations=iterations)
    theirs.build(shape)
    ours.build(shape)
    start = theirs.get_weights()
    assert [tuple(w.shape) for w in ours.weights] == [w.shape for w in start]
    assert [w.path.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    ours.set_weights(start)
    # Inference: the kernel as it is.
    np.testing.assert_allclose(to_numpy(ours(B.convert_to_tensor(x))), theirs(x).numpy(), atol=1e-5)
    # Training: normalized kernel and new vector_u, written back as Keras does.
    for _ in range(2):
        want = theirs(x, training=True).numpy()
        got = to_numpy(ours(B.convert_to_tensor(x), training=True))
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=1e-5)
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)


def test_spectral_normalization_config_fit_and_errors():
    layer = layers.SpectralNormalization(layers.Dense(3), power_iterations=2)
    config = layer.get_config()
    clone = layers.SpectralNormalization.from_config(config)
    assert clone.power_iterations == 2 and isinstance(clone.layer, layers.Dense) and clone.layer.units == 3
    model = kerasport.Sequential([kerasport.Input((4,)), layers.SpectralNormalization(layers.Dense(2))])
    model.compile("sgd", "mse")
    model.fit(np.random.randn(8, 4).astype("float32"), np.random.randn(8, 2).astype("float32"), verbose=0)
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="nor 'embeddings'"):
        layers.SpectralNormalization(layers.Flatten())(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="supported layer type"):
        layers.Wrapper("dense")


def test_wrapper_base_class():
    class Twice(layers.Wrapper):
        def call(self, inputs):
            return 2 * self.layer(inputs)

    layer = Twice(layers.Dense(3))
    x = np.random.randn(2, 4).astype("float32")
    out = to_numpy(layer(B.convert_to_tensor(x)))
    np.testing.assert_allclose(out, 2 * to_numpy(layer.layer(B.convert_to_tensor(x))), atol=1e-6)
    assert len(layer.weights) == 2 and layer.get_config()["layer"]["class_name"] == "Dense"
    assert layers.Convolution1DTranspose is layers.Conv1DTranspose


# ---------------------------------------------------------------------------------------------- adaptive pooling
@pytest.mark.parametrize("name,size,shape", [
    ("AdaptiveAveragePooling1D", 3, (2, 7, 3)), ("AdaptiveMaxPooling1D", 4, (2, 10, 3)),
    ("AdaptiveAveragePooling1D", 5, (2, 3, 2)), ("AdaptiveMaxPooling1D", 5, (2, 3, 2)),
    ("AdaptiveAveragePooling2D", (3, 2), (2, 7, 5, 3)), ("AdaptiveMaxPooling2D", 3, (2, 8, 5, 2)),
    ("AdaptiveAveragePooling3D", 2, (1, 5, 4, 3, 2)), ("AdaptiveMaxPooling3D", (2, 3, 2), (1, 5, 4, 3, 2)),
])
def test_adaptive_pooling_matches_keras(name, size, shape):
    keras = keras_module()
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    keras_oracle(getattr(layers, name)(size), getattr(keras.layers, name)(size), x)


@pytest.mark.parametrize("name", ["AdaptiveAveragePooling2D", "AdaptiveMaxPooling2D"])
def test_adaptive_pooling_channels_first_and_checks(name):
    keras = keras_module()
    x = np.random.RandomState(1).randn(2, 3, 7, 6).astype("float32")
    keras_oracle(getattr(layers, name)(3, data_format="channels_first"), getattr(keras.layers, name)(3), x,
                 perm=(0, 2, 3, 1))
    layer, _ = run_layer_test(getattr(layers, name), {"output_size": (2, 3)}, (2, 7, 6, 3),
                              expected_output_shape=(2, 2, 3, 3), train=False)
    assert layer.get_config()["output_size"] == (2, 3)


def test_adaptive_pooling_errors():
    with pytest.raises(TypeError, match="output_size"):
        layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="data_format"):
        layers.AdaptiveMaxPooling1D(2, data_format="nchw")
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.AdaptiveMaxPooling2D(2)(np.zeros((2, 3, 4), "float32"))


def test_adaptive_pooling_to_one_is_global_pooling():
    # (Keras's TensorFlow kernel crashes on an output size of 1; the bins say it is the global pool.)
    x = np.random.RandomState(2).randn(2, 5, 4, 3).astype("float32")
    out = to_numpy(layers.AdaptiveMaxPooling2D((1, 2))(B.convert_to_tensor(x)))
    np.testing.assert_allclose(out, np.stack([x[:, :, :2].max((1, 2)), x[:, :, 2:].max((1, 2))], 1)[:, None],
                               atol=1e-6)
    out = to_numpy(layers.AdaptiveAveragePooling1D(1)(B.convert_to_tensor(x[:, :, 0])))
    np.testing.assert_allclose(out[:, 0], x[:, :, 0].mean(1), atol=1e-6)


# ---------------------------------------------------------------------------------------------- GroupQueryAttention
def _gqa_pair(keras, **kwargs):
    rng = np.random.RandomState(0)
    q, v = rng.randn(2, 4, 6).astype("float32"), rng.randn(2, 5, 6).astype("float32")
    theirs = keras.layers.GroupQueryAttention(**kwargs)
    theirs(q, v)
    ours = layers.GroupQueryAttention(**kwargs)
    ours(B.convert_to_tensor(q), B.convert_to_tensor(v))
    ours.set_weights(theirs.get_weights())
    return ours, theirs, q, v


@pytest.mark.parametrize("kwargs,call", [
    ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, {}),
    ({"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1, "use_gate": True, "use_bias": False}, {}),
    ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 4, "sliding_window": 2},
     {"return_attention_scores": True}),
    ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, {"use_causal_mask": True}),
])
def test_group_query_attention_matches_keras(kwargs, call):
    keras = keras_module()
    ours, theirs, q, v = _gqa_pair(keras, **kwargs)
    assert [w.path.split("/")[-2:] for w in ours.weights] == [w.path.split("/")[-2:] for w in theirs.weights]
    want = theirs(q, v, **call)
    got = ours(B.convert_to_tensor(q), B.convert_to_tensor(v), **call)
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    for g, w in zip(got, want):
        np.testing.assert_allclose(to_numpy(g), w.numpy(), atol=1e-5, rtol=1e-4)


def test_group_query_attention_masks_functional_and_config():
    keras = keras_module()
    ours, theirs, q, v = _gqa_pair(keras, head_dim=2, num_query_heads=4, num_key_value_heads=2)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], bool)
    want = theirs(q, v, value_mask=mask).numpy()
    got = to_numpy(ours(B.convert_to_tensor(q), B.convert_to_tensor(v), value_mask=B.convert_to_tensor(mask)))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-4)
    config = ours.get_config()
    assert set(config) == set(theirs.get_config())
    qi, vi = kerasport.Input((4, 6)), kerasport.Input((5, 6))
    model = kerasport.Model([qi, vi], layers.GroupQueryAttention.from_config({**config, "name": "gqa2"})(qi, vi))
    assert model.outputs[0].shape == (None, 4, 6)
    model.compile("sgd", "mse")
    assert np.isfinite(model.train_on_batch([q, v], np.zeros((2, 4, 6), "float32")))
    with pytest.raises(ValueError, match="divisible"):
        layers.GroupQueryAttention(2, 3, 2)
    with pytest.raises(ValueError, match="sliding_window"):
        layers.GroupQueryAttention(2, 2, 1, sliding_window=0)
