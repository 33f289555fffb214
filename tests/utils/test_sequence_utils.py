"""``pad_sequences`` gives Keras's results."""
import numpy as np
import pytest

import kerasport
from tests.helpers import keras_module

SEQUENCES = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]]


@pytest.mark.parametrize("kwargs", [{}, {"maxlen": 3}, {"maxlen": 3, "padding": "post", "truncating": "post"},
                                    {"maxlen": 7, "padding": "post"}, {"value": -1.5, "dtype": "float32"}])
def test_pad_sequences_matches_keras(kwargs):
    want = keras_module().utils.pad_sequences(SEQUENCES, **kwargs)
    got = kerasport.utils.pad_sequences(SEQUENCES, **kwargs)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
