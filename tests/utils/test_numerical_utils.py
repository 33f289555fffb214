"""``normalize`` gives Keras's results."""
import numpy as np

import kerasport
from tests.helpers import keras_module


def test_normalize_matches_keras():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    for axis, order in [(-1, 2), (1, 1)]:
        np.testing.assert_allclose(kerasport.utils.normalize(x, axis, order),
                                   keras_module().utils.normalize(x, axis, order))
