"""Reshaping layers: Keras 3 as the oracle, configs equal to Keras's, the shared layer checks, bad input."""
import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, keras_oracle, run_layer_test

CASES = [
    ("Permute", dict(dims=(2, 1)), (2, 3, 4)),
    ("Permute", dict(dims=(3, 1, 2)), (2, 3, 4, 5)),
    ("RepeatVector", dict(n=3), (2, 4)),
    ("UpSampling1D", dict(size=3), (2, 4, 3)),
    ("UpSampling2D", dict(size=(2, 3)), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=2, data_format="channels_first"), (2, 2, 3, 4)),
    ("UpSampling2D", dict(size=(2, 3), interpolation="bilinear"), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=(3, 2), interpolation="bilinear", data_format="channels_first"), (1, 2, 4, 3)),
    ("UpSampling3D", dict(size=(1, 2, 3)), (1, 2, 3, 2, 2)),
    ("UpSampling3D", dict(size=2, data_format="channels_first"), (1, 2, 2, 3, 2)),
    ("ZeroPadding1D", dict(padding=(1, 2)), (2, 4, 3)),
    ("ZeroPadding1D", dict(padding=2, data_format="channels_first"), (2, 3, 4)),
    ("ZeroPadding2D", dict(padding=((1, 0), (2, 3))), (2, 3, 4, 2)),
    ("ZeroPadding2D", dict(padding=(1, 2), data_format="channels_first"), (2, 2, 3, 4)),
    ("ZeroPadding3D", dict(padding=1), (1, 2, 3, 2, 2)),
    ("ZeroPadding3D", dict(padding=((0, 1), (2, 0), (1, 1)), data_format="channels_first"), (1, 2, 2, 3, 2)),
    ("Cropping1D", dict(cropping=(1, 2)), (2, 6, 3)),
    ("Cropping2D", dict(cropping=((1, 0), (2, 1))), (2, 4, 5, 2)),
    ("Cropping2D", dict(cropping=1, data_format="channels_first"), (2, 2, 4, 5)),
    ("Cropping3D", dict(cropping=((1, 0), (0, 1), (1, 1))), (1, 3, 3, 4, 2)),
    ("Cropping3D", dict(cropping=(1, 0, 1), data_format="channels_first"), (1, 2, 3, 3, 4)),
]


@pytest.mark.parametrize("name, kwargs, shape", CASES,
                         ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw, _ in CASES])
def test_matches_keras(name, kwargs, shape):
    keras = keras_module()
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    layer, keras_layer = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    keras_oracle(layer, keras_layer, x)
    ours, theirs = layer.get_config(), keras_layer.get_config()
    assert set(ours) == set(theirs)
    for key in theirs.keys() - {"name", "dtype", "trainable"}:
        assert tuple(np.ravel(ours[key])) == tuple(np.ravel(theirs[key])), key


@pytest.mark.parametrize("name, kwargs, shape, expected", [
    ("Permute", dict(dims=(2, 1)), (2, 3, 4), (2, 4, 3)),
    ("RepeatVector", dict(n=2), (2, 3), (2, 2, 3)),
    ("UpSampling1D", dict(size=2), (2, 3, 4), (2, 6, 4)),
    ("UpSampling2D", dict(interpolation="bilinear"), (2, 3, 3, 2), (2, 6, 6, 2)),
    ("UpSampling3D", dict(), (1, 2, 2, 2, 2), (1, 4, 4, 4, 2)),
    ("ZeroPadding1D", dict(), (2, 3, 4), (2, 5, 4)),
    ("ZeroPadding2D", dict(padding=(1, 2)), (2, 3, 3, 2), (2, 5, 7, 2)),
    ("ZeroPadding3D", dict(data_format="channels_first"), (1, 2, 2, 2, 2), (1, 2, 4, 4, 4)),
    ("Cropping1D", dict(), (2, 5, 4), (2, 3, 4)),
    ("Cropping2D", dict(cropping=(1, 0)), (2, 4, 4, 2), (2, 2, 4, 2)),
    ("Cropping3D", dict(), (1, 3, 4, 5, 2), (1, 1, 2, 3, 2)),
])
def test_layer_checks(name, kwargs, shape, expected):
    run_layer_test(getattr(layers, name), kwargs, shape, expected_output_shape=expected)


def test_permute_drops_masks_as_keras():
    x = B.zeros((2, 3, 4))
    x._keras_mask = B.convert_to_tensor(np.array([[1, 1, 0], [1, 0, 0]], bool))
    keras_layer = keras_module().layers.Permute((2, 1))
    assert not keras_layer.supports_masking
    with pytest.warns(UserWarning, match="does not support masking"):
        y = layers.Permute((2, 1))(x)
    assert getattr(y, "_keras_mask", None) is None


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Permute((0, 1)), "dims"),
    (lambda: layers.Permute((1, 3)), "dims"),
    (lambda: layers.RepeatVector(0), "`n`"),
    (lambda: layers.UpSampling1D(size=-2), "size"),
    (lambda: layers.UpSampling2D(interpolation="bicubic"), "interpolation"),
    (lambda: layers.ZeroPadding2D(padding=(1, 2, 3)), "padding"),
    (lambda: layers.ZeroPadding1D(padding=-1), "padding"),
    (lambda: layers.Cropping2D(cropping=((1, 2, 3), (0, 0))), "cropping"),
    (lambda: layers.Cropping3D(data_format="NDHWC"), "data_format"),
])
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"'rv'.*ndim=2.*\(2, 3, 4\)"):
        layers.RepeatVector(2, name="rv")(B.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"'pm'.*ndim=4.*\(2, 3\)"):
        layers.Permute((2, 1, 3), name="pm")(B.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"'cr'.*leaves nothing.*\(2, 4, 5, 3\)"):
        layers.Cropping2D(((2, 2), (0, 0)), name="cr")(B.zeros((2, 4, 5, 3)))
    with pytest.raises(ValueError, match=r"'up'.*ndim=4"):
        layers.UpSampling2D(name="up").compute_output_shape((None, 4, 4))
