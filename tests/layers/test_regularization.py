"""Regularization layers: identity in inference, the right noise in training, Keras-compatible configs."""
import math

import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, run_layer_test, to_numpy


@pytest.mark.parametrize("layer_cls,kwargs,shape", [
    (layers.SpatialDropout1D, {"rate": 0.5}, (2, 3, 4)),
    (layers.SpatialDropout2D, {"rate": 0.5, "data_format": "channels_first"}, (2, 3, 4, 4)),
    (layers.SpatialDropout3D, {"rate": 0.3, "seed": 1}, (2, 2, 2, 2, 3)),
    (layers.GaussianNoise, {"stddev": 0.1}, (2, 5)),
    (layers.GaussianDropout, {"rate": 0.2, "seed": 3}, (2, 5)),
    (layers.AlphaDropout, {"rate": 0.2, "noise_shape": (None, 1, 4)}, (2, 3, 4)),
    (layers.ActivityRegularization, {"l1": 0.1, "l2": 0.01}, (2, 5)),
])
def test_shared_checks_and_inference_identity(layer_cls, kwargs, shape):
    layer, out = run_layer_test(layer_cls, kwargs, shape, call_kwargs={"training": False})
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    np.testing.assert_array_equal(to_numpy(layer(B.convert_to_tensor(x))), x)


@pytest.mark.parametrize("layer_cls,shape,kept_axes", [
    (layers.SpatialDropout1D, (64, 5, 8), (0, 2)),
    (layers.SpatialDropout2D, (64, 3, 3, 8), (0, 3)),
    (layers.SpatialDropout3D, (64, 2, 2, 2, 8), (0, 4)),
])
def test_spatial_dropout_drops_whole_feature_maps(layer_cls, shape, kept_axes):
    out = to_numpy(layer_cls(0.5, seed=2)(B.ones(shape), training=True))
    assert set(np.unique(out)) == {0.0, 2.0}
    spatial = tuple(a for a in range(len(shape)) if a not in kept_axes)
    assert (out.min(axis=spatial) == out.max(axis=spatial)).all()  # one decision per (sample, channel)
    assert 0.35 < (out == 0).mean() < 0.65


def test_spatial_dropout_channels_first():
    out = to_numpy(layers.SpatialDropout2D(0.5, data_format="channels_first", seed=0)(B.ones((32, 6, 3, 3)),
                                                                                      training=True))
    assert (out.min(axis=(2, 3)) == out.max(axis=(2, 3))).all()


def test_gaussian_noise_and_dropout_statistics():
    x = B.ones((200, 100))
    noisy = to_numpy(layers.GaussianNoise(0.5, seed=1)(x, training=True)) - 1
    assert abs(noisy.mean()) < 0.02 and abs(noisy.std() - 0.5) < 0.02
    dropped = to_numpy(layers.GaussianDropout(0.2, seed=1)(x, training=True))
    assert abs(dropped.mean() - 1) < 0.02 and abs(dropped.std() - math.sqrt(0.2 / 0.8)) < 0.02


def test_seeded_layers_repeat_their_noise():
    x = B.ones((4, 6))
    for cls, arg in [(layers.GaussianNoise, 0.3), (layers.GaussianDropout, 0.3), (layers.AlphaDropout, 0.3),
                     (layers.SpatialDropout1D, 0.5)]:
        shaped = B.ones((4, 3, 6)) if cls is layers.SpatialDropout1D else x
        a = to_numpy(cls(arg, seed=7)(shaped, training=True))
        b = to_numpy(cls(arg, seed=7)(shaped, training=True))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, to_numpy(shaped))


def test_alpha_dropout_keeps_mean_and_variance():
    x = B.convert_to_tensor(np.random.RandomState(0).randn(400, 250).astype("float32"))
    out = to_numpy(layers.AlphaDropout(0.2, seed=3)(x, training=True))
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02
    saturated = -1.6732632423543772 * 1.0507009873554805
    a = (0.8 * (1 + 0.2 * saturated ** 2)) ** -0.5
    assert np.isclose(out, a * saturated - a * saturated * 0.2, atol=1e-5).mean() > 0.15  # dropped units


def test_alpha_dropout_noise_shape_is_shared():
    out = to_numpy(layers.AlphaDropout(0.5, noise_shape=(None, 1, 4), seed=0)(B.ones((8, 5, 4)), training=True))
    assert (out.min(axis=1) == out.max(axis=1)).all()


def test_activity_regularization_loss_matches_keras():
    keras = keras_module()
    x = np.random.RandomState(0).randn(4, 5).astype("float32")
    k = keras.layers.ActivityRegularization(l1=0.1, l2=0.02)
    k(x)
    ours = layers.ActivityRegularization(l1=0.1, l2=0.02)
    ours(B.convert_to_tensor(x))
    assert len(ours.losses) == 1
    np.testing.assert_allclose(to_numpy(ours.losses[0]), k.losses[0].numpy(), rtol=1e-5)


@pytest.mark.parametrize("name,kwargs", [
    ("SpatialDropout1D", {"rate": 0.2, "seed": 3}), ("SpatialDropout2D", {"rate": 0.2}),
    ("SpatialDropout3D", {"rate": 0.2, "data_format": "channels_first"}), ("GaussianNoise", {"stddev": 0.2}),
    ("GaussianDropout", {"rate": 0.1}), ("AlphaDropout", {"rate": 0.1, "noise_shape": (None, 1, 3)}),
    ("ActivityRegularization", {"l1": 0.1}),
])
def test_configs_are_keras_configs(name, kwargs):
    keras = keras_module()
    keras_config = getattr(keras.layers, name)(name="x", **kwargs).get_config()
    ours = getattr(layers, name)(name="x", **kwargs)
    assert set(ours.get_config()) == set(keras_config)
    assert getattr(layers, name).from_config(keras_config).get_config()["name"] == "x"
    getattr(keras.layers, name).from_config(ours.get_config())


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"rate.*\[0, 1\]"):
        layers.GaussianDropout(1.5)
    with pytest.raises(ValueError, match="stddev"):
        layers.GaussianNoise(-0.1)
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layers.SpatialDropout2D(0.5)(B.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="data_format"):
        layers.SpatialDropout2D(0.5, data_format="channels_middle")
