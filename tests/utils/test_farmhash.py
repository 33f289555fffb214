"""FarmHash and SipHash (the Hashing layer's hashes) equal TensorFlow's on random strings."""
import numpy as np

from kerasport.utils import farmhash
from tests.helpers import keras_module
from tests.layers.test_hashing import _random_strings


def test_farmhash_and_siphash_equal_tensorflow():
    keras_module()
    import tensorflow as tf
    strings = _random_strings(400) + [str(i) for i in range(-20, 20)] + ["", "a" * 64, "b" * 65, "c" * 128]
    np.testing.assert_array_equal(farmhash.hash_bucket_fast(strings, 2 ** 61 + 3),
                                  tf.strings.to_hash_bucket_fast(strings, 2 ** 61 + 3).numpy())
    np.testing.assert_array_equal(farmhash.hash_bucket_strong(strings, 1000003, [7, 2 ** 62 + 5]),
                                  tf.strings.to_hash_bucket_strong(strings, 1000003, key=[7, 2 ** 62 + 5]).numpy())
