"""The Wrapper base class of layers that wrap a layer."""
import numpy as np

from kerasport import layers
from kerasport.backends import B
from tests.helpers import to_numpy


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
