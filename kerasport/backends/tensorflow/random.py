"""TensorFlow random numbers: seeds, per-layer generators, ``random_*`` draws and dropout.
A seeded generator of stateless ops draws the same numbers for the same seed, inside a ``tf.function`` too."""

import random as _pyrandom

import numpy as np
import tensorflow as tf

from kerasport.backends.tensorflow.core import to_dtype


RANDOM_SEED_DTYPE = "int64"  # the dtype of TensorFlow's stateless seeds, as Keras on TensorFlow


# ----------------------------------------------------------------------------- random
def seed(value):
    tf.random.set_seed(value)


def make_generator(seed_value):
    return None if seed_value is None else tf.random.Generator.from_seed(int(seed_value))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", generator=None):
    if generator is not None:
        return generator.uniform(shape, minval, maxval, dtype=to_dtype(dtype))
    return tf.random.uniform(shape, minval, maxval, dtype=to_dtype(dtype))


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", generator=None):
    if generator is not None:
        return generator.normal(shape, mean, stddev, dtype=to_dtype(dtype))
    return tf.random.normal(shape, mean, stddev, dtype=to_dtype(dtype))


def random_permutation(n, generator=None):
    if generator is not None:
        return tf.argsort(generator.uniform([n]))
    return tf.random.shuffle(tf.range(n))


def dropout(x, rate, noise_shape=None, generator=None):
    if noise_shape is not None:
        dyn = tf.shape(x)
        noise_shape = tf.stack([dyn[i] if d is None else d for i, d in enumerate(noise_shape)])
    if generator is None:
        return tf.nn.dropout(x, rate, noise_shape=noise_shape)
    keep = generator.uniform(tf.shape(x) if noise_shape is None else noise_shape, dtype=x.dtype) >= rate
    return x * tf.cast(keep, x.dtype) / (1.0 - rate)


def set_seed_all(seed_value):
    _pyrandom.seed(seed_value)
    np.random.seed(seed_value)
    tf.random.set_seed(seed_value)


# --- random (kerasport/random.py)
class _StatelessGenerator:
    """The ``tf.random.Generator`` methods the random ops use, on stateless ops: holds no variable, so it
    may be made inside a ``tf.function``; its n-th draw depends only on (seed, n)."""

    def __init__(self, seed_value):
        self.seed, self.draws = seed_value, 0

    def _next(self):
        self.draws += 1
        return [self.seed, self.draws]

    def uniform(self, shape, minval=0, maxval=None, dtype=tf.float32):
        return tf.random.stateless_uniform(shape, self._next(), minval, maxval, dtype=dtype)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=tf.float32):
        return tf.random.stateless_normal(shape, self._next(), mean, stddev, dtype=dtype)


def seeded_generator(seed_value):
    return _StatelessGenerator(int(seed_value))


def random_randint(shape, minval, maxval, dtype="int32", generator=None):
    draw = (generator or tf.random).uniform(shape, minval, maxval, dtype=tf.int64)
    return tf.cast(draw, to_dtype(dtype))
