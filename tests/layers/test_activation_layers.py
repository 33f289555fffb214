"""Activation layers: shared checks, Keras as the oracle (outputs and gradients), masking, errors."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, keras_oracle, run_layer_test, to_numpy


def _x(shape, seed=0):
    return np.random.RandomState(seed).randn(*shape).astype("float32") * 3


@pytest.mark.parametrize("layer_cls,kwargs,shape", [
    (layers.ReLU, {"max_value": 2.0, "negative_slope": 0.1, "threshold": 0.5}, (2, 5)),
    (layers.LeakyReLU, {"negative_slope": 0.2}, (2, 5)),
    (layers.PReLU, {"alpha_initializer": "ones"}, (2, 3, 4)),
    (layers.PReLU, {"shared_axes": [1]}, (2, 3, 4)),
    (layers.ELU, {"alpha": 0.5}, (2, 5)),
    (layers.Softmax, {"axis": [1, 2]}, (2, 3, 4)),
])
def test_shared_checks(layer_cls, kwargs, shape):
    run_layer_test(layer_cls, kwargs, shape)


@pytest.mark.parametrize("name,kwargs,shape", [
    ("ReLU", {}, (3, 7)),
    ("ReLU", {"max_value": 6.0}, (3, 7)),
    ("ReLU", {"max_value": 2.5, "negative_slope": 0.1, "threshold": 0.5}, (3, 7)),
    ("ReLU", {"negative_slope": 0.3}, (3, 7)),
    ("LeakyReLU", {}, (3, 7)),
    ("LeakyReLU", {"negative_slope": 0.05}, (2, 3, 4)),
    ("ELU", {"alpha": 0.7}, (3, 7)),
    ("Softmax", {}, (3, 7)),
    ("Softmax", {"axis": 1}, (2, 3, 4)),
    ("Softmax", {"axis": [1, 2]}, (2, 3, 4)),
    ("PReLU", {"alpha_initializer": "random_normal"}, (2, 3, 4)),
    ("PReLU", {"alpha_initializer": "random_normal", "shared_axes": [1, 2]}, (2, 3, 3, 4)),
])
def test_matches_keras(name, kwargs, shape):
    keras = keras_module()
    keras_oracle(getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs), _x(shape))


@pytest.mark.parametrize("mask_shape", [(2, 3, 4), (2, 1, 4), (4,)])
def test_softmax_mask_matches_keras(mask_shape):
    keras = keras_module()
    x = _x((2, 3, 4))
    mask = np.random.RandomState(1).rand(*mask_shape) > 0.3
    mask[..., 0] = True
    want = keras.layers.Softmax()(x, mask=mask).numpy()
    got = to_numpy(layers.Softmax()(B.convert_to_tensor(x), mask=B.convert_to_tensor(mask)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert (got[np.broadcast_to(~mask, got.shape)] == 0).all()
    float_mask = to_numpy(layers.Softmax()(B.convert_to_tensor(x), mask=B.convert_to_tensor(mask.astype("float32"))))
    np.testing.assert_allclose(float_mask, want, rtol=1e-5, atol=1e-6)


def test_keras_configs_load():
    keras = keras_module()
    for name, kwargs in [("ReLU", {"max_value": 1.0, "threshold": 0.2}), ("LeakyReLU", {"negative_slope": 0.1}),
                         ("PReLU", {"shared_axes": [1, 2], "alpha_regularizer": "l2"}), ("Softmax", {"axis": [1]})]:
        config = getattr(keras.layers, name)(**kwargs).get_config()
        assert getattr(layers, name).from_config(config).get_config() == config
    assert layers.ELU.from_config(layers.ELU(alpha=0.3).get_config()).alpha == 0.3
    assert layers.LeakyReLU(alpha=0.1).negative_slope == 0.1


def test_prelu_alpha_shape():
    layer = layers.PReLU(shared_axes=[1, 2])
    layer.build((None, 5, 6, 3))
    assert tuple(layer.alpha.shape) == (1, 1, 3)


def test_masks_pass_through():
    masked = layers.Masking()(B.convert_to_tensor(np.array([[[0, 0], [1, -2]]], "float32")))
    for layer in (layers.ReLU(), layers.LeakyReLU(), layers.PReLU(), layers.ELU(), layers.Softmax()):
        np.testing.assert_array_equal(to_numpy(layer(masked)._keras_mask), [[False, True]])


def test_bad_inputs():
    with pytest.raises(ValueError, match="max_value"):
        layers.ReLU(max_value=-1.0)
    with pytest.raises(ValueError, match="negative_slope"):
        layers.ReLU(negative_slope=None)
    with pytest.raises(ValueError, match="threshold"):
        layers.ReLU(threshold=-0.5)
    with pytest.raises(ValueError, match="negative_slope"):
        layers.LeakyReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="shared axis 3"):
        layers.PReLU(shared_axes=[3])(B.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="known size"):
        layers.PReLU()(kerasport.Input((None, 4)))
    with pytest.raises(ValueError, match=r"broadcastable.*\(2, 3\).*\(2, 4\)"):
        layers.Softmax()(B.ones((2, 4)), mask=B.ones((2, 3)))
