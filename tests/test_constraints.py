"""``kerasport.constraints`` against Keras 3: each constraint's projection, on tensors and on NumPy data."""
import numpy as np
import pytest

from kerasport import constraints
from kerasport.backends import B
from tests.helpers import keras_module

W = np.random.RandomState(0).uniform(-2, 2, (4, 3)).astype("float32")


@pytest.mark.parametrize("name,kwargs", [("NonNeg", {}), ("UnitNorm", {"axis": 0}), ("UnitNorm", {"axis": 1}),
                                         ("MaxNorm", {"max_value": 1.5}), ("MinMaxNorm", {"min_value": 0.5,
                                                                                          "max_value": 1.2,
                                                                                          "rate": 0.7})])
@pytest.mark.parametrize("as_tensor", [False, True], ids=["numpy", "tensor"])
def test_constraint_matches_keras(name, kwargs, as_tensor):
    keras = keras_module()
    ours, theirs = getattr(constraints, name)(**kwargs), getattr(keras.constraints, name)(**kwargs)
    got = ours(B.convert_to_tensor(W) if as_tensor else W)
    np.testing.assert_allclose(B.convert_to_numpy(got), keras.ops.convert_to_numpy(theirs(W)), rtol=1e-6, atol=1e-7)
    assert ours.get_config() == theirs.get_config()
