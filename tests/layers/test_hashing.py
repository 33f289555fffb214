"""Hashing against real Keras 3: strings, integers, mask values, one-hot outputs."""
import random

import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module
from tests.layers.test_index_lookup import _same


def _random_strings(n, seed=0):
    rng = random.Random(seed)
    return ["".join(chr(rng.choice([rng.randint(32, 126), rng.randint(160, 4000)]))
                    for _ in range(rng.randint(0, 150))) for _ in range(n)]


@pytest.mark.parametrize("kwargs", [{"num_bins": 13}, {"num_bins": 5, "mask_value": "b"},
                                    {"num_bins": 9, "salt": 42},
                                    {"num_bins": 6, "salt": [1, 2], "output_mode": "count"},
                                    {"num_bins": 4, "output_mode": "multi_hot"}])
def test_hashing_strings_match_keras(kwargs):
    keras = keras_module()
    x = np.array(_random_strings(300, seed=1) + ["b"] * 4).reshape(-1, 4)
    _same(layers.Hashing(**kwargs)(x), keras.layers.Hashing(**kwargs)(x))


def test_hashing_ints_and_one_hot_match_keras():
    keras = keras_module()
    x = np.random.RandomState(0).randint(-1000, 1000, size=(50, 1))
    for kwargs in ({"num_bins": 10}, {"num_bins": 10, "mask_value": 0}, {"num_bins": 4, "output_mode": "one_hot"}):
        _same(layers.Hashing(**kwargs)(x), keras.layers.Hashing(**kwargs)(x))
    out = layers.Hashing(7)(B.convert_to_tensor(x))
    assert B.dtype(out) == "int64"
    with pytest.raises(ValueError, match="num_bins"):
        layers.Hashing(0)
