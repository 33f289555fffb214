"""``kerasport.regularizers`` against Keras 3: each penalty, on tensors and on NumPy data."""
import numpy as np
import pytest

from kerasport import regularizers
from kerasport.backends import B
from tests.helpers import keras_module

W = np.random.RandomState(1).uniform(-2, 2, (5, 3)).astype("float32")


@pytest.mark.parametrize("name,kwargs", [("L1", {"l1": 0.1}), ("L2", {"l2": 0.2}), ("L1L2", {"l1": 0.1, "l2": 0.3}),
                                         ("OrthogonalRegularizer", {"factor": 0.5, "mode": "rows"}),
                                         ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"})])
@pytest.mark.parametrize("as_tensor", [False, True], ids=["numpy", "tensor"])
def test_regularizer_matches_keras(name, kwargs, as_tensor):
    keras = keras_module()
    ours, theirs = getattr(regularizers, name)(**kwargs), getattr(keras.regularizers, name)(**kwargs)
    got = ours(B.convert_to_tensor(W) if as_tensor else W)
    want = theirs(keras.ops.convert_to_tensor(W))  # Keras's OrthogonalRegularizer fails on NumPy data itself
    np.testing.assert_allclose(B.convert_to_numpy(got), keras.ops.convert_to_numpy(want), rtol=1e-5)
    assert ours.get_config() == pytest.approx(theirs.get_config())
