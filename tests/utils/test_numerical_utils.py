"""``normalize`` gives Keras's results."""
import numpy as np

import kerasport
from tests.helpers import keras_module


def test_normalize_matches_keras():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    for axis, order in [(-1, 2), (1, 1)]:
        np.testing.assert_allclose(kerasport.utils.normalize(x, axis, order),
                                   keras_module().utils.normalize(x, axis, order))


def test_to_categorical_matches_keras():
    keras = keras_module()
    for labels, num_classes in [([0, 2, 1], None), (np.array([[1], [3]]), 4), (np.array([[0, 1], [2, 0]]), 0)]:
        got, want = kerasport.utils.to_categorical(labels, num_classes), keras.utils.to_categorical(labels, num_classes)
        assert got.dtype == want.dtype == np.float64
        np.testing.assert_array_equal(got, want)
    tensor = kerasport.ops.convert_to_tensor(np.array([[2], [0]]))
    got = kerasport.utils.to_categorical(tensor, 3)
    assert kerasport.backend.is_tensor(got) and kerasport.backend.standardize_dtype(got.dtype) == "float32"
    np.testing.assert_array_equal(kerasport.ops.convert_to_numpy(got), [[0, 0, 1], [1, 0, 0]])
