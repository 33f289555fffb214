"""Discretization against real Keras 3: given boundaries and adapted on arrays and batches."""
import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module
from tests.layers.test_index_lookup import _same


@pytest.mark.parametrize("kwargs", [{"bin_boundaries": [0.0, 1.0, 2.5]},
                                    {"bin_boundaries": [-1.0], "output_mode": "one_hot"},
                                    {"num_bins": 4}, {"num_bins": 5, "output_mode": "count"},
                                    {"num_bins": 3, "epsilon": 0.1, "output_mode": "multi_hot"}])
def test_discretization_matches_keras(kwargs):
    keras = keras_module()
    data = np.random.RandomState(0).randn(300, 3).astype("float32")
    k, ours = keras.layers.Discretization(**kwargs), layers.Discretization(**kwargs)
    if "num_bins" in kwargs:
        k.adapt(data)
        ours.adapt(data)
        np.testing.assert_allclose(ours.bin_boundaries, k.bin_boundaries, rtol=1e-6)
    x = data[:20, :1] if kwargs.get("output_mode") == "one_hot" else data[:20]
    out = ours(B.convert_to_tensor(x))
    assert B.dtype(out) == ("int32" if ours.output_mode == "int" else "float32")
    _same(out, k(x))
    clone = layers.Discretization.from_config(k.get_config())
    assert clone.bin_boundaries == ours.bin_boundaries


def test_discretization_adapt_on_batches_matches_keras():
    keras = keras_module()
    data = np.random.RandomState(1).rand(500).astype("float32") * 10
    batches = [data[i:i + 128] for i in range(0, 500, 128)]
    k, ours = keras.layers.Discretization(num_bins=6), layers.Discretization(num_bins=6)
    k.adapt(batches)
    ours.adapt(batches)
    np.testing.assert_allclose(ours.bin_boundaries, k.bin_boundaries, rtol=1e-6)
