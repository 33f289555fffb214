"""Pooling layers: Keras 3 as the oracle, masks in global pooling, the shared layer checks, bad input."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, keras_oracle, run_layer_test, to_numpy

CASES = [
    ("MaxPooling1D", dict(pool_size=3, strides=2), (2, 8, 3)),
    ("MaxPooling1D", dict(pool_size=2, padding="same", data_format="channels_first"), (2, 3, 5)),
    ("MaxPooling2D", dict(pool_size=(2, 3), strides=(1, 2), padding="same"), (2, 5, 6, 2)),
    ("MaxPooling2D", dict(pool_size=2, data_format="channels_first"), (1, 2, 5, 4)),
    ("MaxPooling3D", dict(pool_size=2, padding="same"), (1, 3, 4, 5, 2)),
    ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 8, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 5, 6, 2)),
    ("AveragePooling2D", dict(pool_size=(2, 3), data_format="channels_first"), (1, 2, 5, 7)),
    ("AveragePooling3D", dict(pool_size=(2, 2, 3), padding="same"), (1, 3, 4, 5, 2)),
    # 'same' with equal padding on both sides: torch pools with its own padding (edge windows count fewer cells)
    ("MaxPooling1D", dict(pool_size=3, strides=1, padding="same"), (2, 6, 3)),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 5, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=1, padding="same"), (2, 5, 6, 2)),
    ("AveragePooling3D", dict(pool_size=3, strides=2, padding="same"), (1, 5, 3, 7, 2)),
    ("GlobalMaxPooling1D", dict(), (2, 5, 3)),
    ("GlobalMaxPooling2D", dict(keepdims=True, data_format="channels_first"), (2, 3, 4, 5)),
    ("GlobalMaxPooling3D", dict(), (1, 2, 3, 4, 2)),
    ("GlobalAveragePooling1D", dict(data_format="channels_first", keepdims=True), (2, 3, 5)),
    ("GlobalAveragePooling2D", dict(), (2, 4, 5, 3)),
    ("GlobalAveragePooling3D", dict(keepdims=True), (1, 2, 3, 4, 2)),
]


@pytest.mark.parametrize("name, kwargs, shape", CASES,
                         ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw, _ in CASES])
def test_matches_keras(name, kwargs, shape):
    keras = keras_module()
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    keras_kwargs, perm = dict(kwargs), None
    if kwargs.get("data_format") == "channels_first" and not name.startswith("Global"):
        keras_kwargs["data_format"] = "channels_last"  # TensorFlow's CPU pooling has no NCHW kernel
        perm = (0,) + tuple(range(2, len(shape))) + (1,)
    layer, keras_layer = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**keras_kwargs)
    keras_oracle(layer, keras_layer, x, perm=perm)
    assert set(layer.get_config()) == set(keras_layer.get_config())


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_pooling_1d_mask_matches_keras(data_format):
    keras = keras_module()
    rng = np.random.RandomState(0)
    x = rng.randn(3, 5, 4).astype("float32")
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]], bool)
    if data_format == "channels_first":
        x = x.transpose(0, 2, 1)
    ours = layers.GlobalAveragePooling1D(data_format=data_format)(B.convert_to_tensor(x),
                                                                  mask=B.convert_to_tensor(mask))
    want = keras.layers.GlobalAveragePooling1D(data_format=data_format)(x, mask=mask)
    np.testing.assert_allclose(to_numpy(ours), np.asarray(want), atol=1e-6)
    # Keras's GlobalMaxPooling1D takes no mask: the max runs over every step.
    ours = layers.GlobalMaxPooling1D(data_format=data_format)(B.convert_to_tensor(x), mask=B.convert_to_tensor(mask))
    np.testing.assert_allclose(to_numpy(ours), np.asarray(keras.layers.GlobalMaxPooling1D(data_format=data_format)(x)))
    steps = 1 if data_format == "channels_last" else 2
    first = np.take(x[0], [0, 1], axis=steps - 1).mean(axis=steps - 1)
    np.testing.assert_allclose(to_numpy(layers.GlobalAveragePooling1D(data_format=data_format)(
        B.convert_to_tensor(x), mask=B.convert_to_tensor(mask)))[0], first, atol=1e-6)


def test_mask_from_embedding_flows_into_global_average():
    ids = np.array([[3, 1, 0, 0], [2, 2, 2, 4]])
    inp = kerasport.Input(shape=(4,), dtype="int32")
    emb = layers.Embedding(6, 3, mask_zero=True)
    model = kerasport.Model(inp, layers.GlobalAveragePooling1D()(emb(inp)))
    table = to_numpy(emb.embeddings)
    np.testing.assert_allclose(to_numpy(model(B.convert_to_tensor(ids)))[0], table[[3, 1]].mean(0), atol=1e-6)


@pytest.mark.parametrize("name, kwargs, shape, expected", [
    ("MaxPooling2D", dict(pool_size=2, padding="same"), (2, 5, 5, 3), (2, 3, 3, 3)),
    ("AveragePooling1D", dict(pool_size=2, data_format="channels_first"), (2, 3, 6), (2, 3, 3)),
    ("GlobalMaxPooling2D", dict(), (2, 4, 4, 3), (2, 3)),
    ("GlobalAveragePooling3D", dict(keepdims=True), (2, 2, 2, 2, 3), (2, 1, 1, 1, 3)),
    ("GlobalAvgPool1D", dict(data_format="channels_first"), (2, 3, 5), (2, 3)),
])
def test_layer_checks(name, kwargs, shape, expected):
    run_layer_test(getattr(layers, name), kwargs, shape, expected_output_shape=expected)


def test_aliases():
    assert layers.GlobalMaxPool2D is layers.GlobalMaxPooling2D
    assert layers.GlobalAvgPool1D is layers.GlobalAveragePooling1D
    assert layers.GlobalAvgPool3D is layers.GlobalAveragePooling3D


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="padding"):
        layers.MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="pool_size"):
        layers.AveragePooling2D(pool_size=0)
    with pytest.raises(ValueError, match="data_format"):
        layers.GlobalMaxPooling2D(data_format="NCHW")
    with pytest.raises(ValueError, match=r"'gp'.*ndim=4.*\(2, 5, 3\)"):
        layers.GlobalAveragePooling2D(name="gp")(B.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"'mp'.*larger than.*\(2, 1, 5, 3\)"):
        layers.MaxPooling2D(name="mp")(B.zeros((2, 1, 5, 3)))
