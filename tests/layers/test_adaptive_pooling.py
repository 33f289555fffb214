"""Adaptive pooling (average and max, 1D to 3D) against Keras 3: outputs, channels_first, checks, errors."""
import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, keras_oracle, run_layer_test, to_numpy


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
