"""``kerasport.random``: Keras's random ops and ``SeedGenerator`` on the active backend.

Every op takes ``seed``: ``None`` draws from the framework's global stream (seeded by
``kerasport.utils.set_random_seed``); an int gives the same values on every call; a
``SeedGenerator`` gives new values on every call, reproducibly from its seed. Values
follow the framework's own RNG, so they differ from Keras's for the same seed.
"""
import math
import random as _pyrandom

import numpy as np

from kerasport.backend import Variable, floatx
from kerasport.backends import B

_TRUNCATION = 0.5 * math.erfc(2.0 / math.sqrt(2.0))  # P(N(0, 1) < -2)
_GAMMA_PROPOSALS = 8  # Marsaglia-Tsang accepts >= 95% of proposals: all 8 fail with p < 1e-10


class SeedGenerator:
    """A stream of random states: each op given it as ``seed`` draws new values.

    Create it once (in a layer's ``__init__``) and pass it to ops in ``call``; its state
    lives in a framework generator object, so it advances under ``fit`` on PyTorch and
    inside the compiled ``tf.function`` step on TensorFlow.

    Args:
        seed: int that starts the stream; ``None`` draws one from Python's ``random``
            (so it repeats after ``kerasport.utils.set_random_seed``).
        name: optional name.

    Example:

    >>> class NoisyDense(kerasport.layers.Dense):
    ...     def __init__(self, units, **kwargs):
    ...         super().__init__(units, **kwargs)
    ...         self.seed_generator = kerasport.random.SeedGenerator(1337)
    ...     def call(self, x, training=False):
    ...         if training:
    ...             x = x + kerasport.random.normal(ops.shape(x), stddev=0.1, seed=self.seed_generator)
    ...         return super().call(x)
    """

    def __init__(self, seed=None, name=None):
        if seed is None:
            seed = _pyrandom.randint(1, int(1e9))
        if not isinstance(seed, (int, np.integer)):
            raise ValueError(f"SeedGenerator expects an integer seed, received {seed!r}.")
        self.seed, self.name = int(seed), name or "seed_generator"
        self.generator = B.make_generator(self.seed)
        self._state = None

    @property
    def state(self):
        """Keras's seed state, a non-trainable variable ``[seed, counter]`` that ``next`` advances (made on first
        use). kerasport's random ops draw from ``generator`` instead; the state serves ``next``."""
        if self._state is None:
            self._state = Variable(np.array([self.seed, 0]), dtype=B.RANDOM_SEED_DTYPE, trainable=False,
                                   name="seed_generator_state")
        return self._state

    def next(self, ordered=True):
        """The current seed state (a ``(2,)`` integer tensor), advancing it, as Keras's ``next``: a seed for the
        framework's stateless random ops (``tf.random.stateless_normal(shape, seed=generator.next())``)."""
        state = self.state
        value = state * 1  # a copy
        if ordered:
            state.assign(value + B.convert_to_tensor(np.array([0, 1]), B.RANDOM_SEED_DTYPE))
        else:  # a sequence of near-unique numbers between 0 and 1M, as Keras
            state.assign((value + 1) * 5387 % 933199)
        return value

    def get_config(self):
        return {"seed": self.seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _generator(seed):
    if seed is None:
        return None
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return B.seeded_generator(int(seed))
    raise ValueError(f"`seed` must be None, an int or a SeedGenerator, received {seed!r}.")


def _float_dtype(dtype, fn):
    dtype = B.standardize_dtype(dtype or floatx())
    if "float" not in dtype:
        raise ValueError(f"`kerasport.random.{fn}` requires a floating point `dtype`. Received: dtype={dtype}")
    return dtype


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution ``N(mean, stddev**2)``.

    Args:
        shape: shape of the output.
        mean, stddev: floats, the distribution's mean and standard deviation.
        dtype: floating point dtype; ``kerasport.config.floatx()`` by default.
        seed: ``None``, an int (same values on each call) or a ``SeedGenerator``.
    """
    return B.random_normal(shape, mean, stddev, _float_dtype(dtype, "normal"), _generator(seed))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples uniform in ``[minval, maxval)``; ``dtype`` must be floating point (``randint`` draws ints)."""
    return B.random_uniform(shape, minval, maxval, _float_dtype(dtype, "uniform"), _generator(seed))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in ``[minval, maxval)``; ``dtype`` must be an integer type."""
    if "int" not in B.standardize_dtype(dtype):
        raise ValueError(f"`kerasport.random.randint` requires an integer `dtype`. Received: dtype={dtype}")
    return B.random_randint(shape, minval, maxval, dtype, _generator(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples restricted to ``mean ± 2 * stddev`` (exact, by inverting the CDF on that range)."""
    dtype = _float_dtype(dtype, "truncated_normal")
    u = B.random_uniform(shape, _TRUNCATION, 1.0 - _TRUNCATION, "float32", _generator(seed))
    return B.cast(mean + stddev * math.sqrt(2.0) * B.erfinv(2.0 * u - 1.0), dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Class indices drawn from each row of ``logits`` (batch, classes) -> (batch, num_samples).

    Each row holds unnormalized log-probabilities (``-inf`` for impossible classes);
    sampling takes the argmax of the logits plus Gumbel noise.
    """
    logits = B.cast(B.convert_to_tensor(logits), "float32")
    if B.ndim(logits) != 2:
        raise ValueError(f"`logits` should be a 2-D tensor (batch_size, num_classes). Received shape "
                         f"{B.shape(logits)}")
    batch, classes = B.shape(logits)
    u = B.random_uniform((batch, num_samples, classes), 1e-20, 1.0, "float32", _generator(seed))
    return B.cast(B.argmax(B.expand_dims(logits, 1) - B.log(-B.log(u)), axis=-1), dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeros entries of ``inputs`` with probability ``rate`` and scales the rest by ``1 / (1 - rate)``.

    ``noise_shape`` (broadcastable to ``inputs``; ``None`` entries take the input's
    size) shares one keep/drop decision along its size-1 axes.
    """
    return B.dropout(B.convert_to_tensor(inputs), rate, noise_shape, _generator(seed))


def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in a uniformly random order."""
    x = B.convert_to_tensor(x)
    return B.take(x, B.random_permutation(B.shape(x)[axis], _generator(seed)), axis=axis)


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from the Gamma distribution of shape ``alpha`` (scale 1), by Marsaglia and Tsang's method.

    Args:
        shape: shape of the output.
        alpha: float (or tensor broadcastable to ``shape``) > 0, the shape parameter.
        dtype: floating point dtype; ``kerasport.config.floatx()`` by default.
        seed: ``None``, an int (same values on each call) or a ``SeedGenerator``.
    """
    return B.cast(_gamma(tuple(shape), alpha, _generator(seed)), _float_dtype(dtype, "gamma"))


def _gamma(shape, alpha, gen):
    alpha = B.broadcast_to(B.cast(B.convert_to_tensor(alpha), "float32"), shape)
    boosted = alpha < 1.0  # draw Gamma(alpha + 1) and multiply by U ** (1 / alpha)
    d = B.where(boosted, alpha + 1.0, alpha) - 1.0 / 3.0
    c = 1.0 / B.sqrt(9.0 * d)
    z = B.random_normal((_GAMMA_PROPOSALS,) + shape, 0.0, 1.0, "float32", gen)
    u = B.random_uniform((_GAMMA_PROPOSALS,) + shape, 0.0, 1.0, "float32", gen)
    v = (1.0 + c * z) ** 3
    log_v = B.log(B.maximum(v, 1e-30))
    accepted = B.cast((v > 0) & (B.log(u) < 0.5 * z * z + d - d * v + d * log_v), "int32")
    first = B.expand_dims(B.argmax(accepted, axis=0), 0)
    sample = d * B.squeeze(B.take_along_axis(v, first, axis=0), 0)
    boost = B.random_uniform(shape, 0.0, 1.0, "float32", gen) ** (1.0 / alpha)
    return B.where(boosted, sample * boost, sample)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from the Beta(``alpha``, ``beta``) distribution, as ``X / (X + Y)`` of two Gamma draws."""
    dtype, gen = _float_dtype(dtype, "beta"), _generator(seed)
    x, y = (_gamma(tuple(shape), a, gen) for a in (alpha, beta))
    return B.cast(x / (x + y), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Number of successes in ``counts`` trials of success probability ``probabilities``.

    ``counts`` and ``probabilities`` are floats or tensors broadcastable to ``shape``;
    ``counts`` must be concrete (not a tensor traced inside a compiled step), as the
    draw sums ``max(counts)`` Bernoulli trials.
    """
    dtype, trials = _float_dtype(dtype, "binomial"), int(np.max(B.convert_to_numpy(counts)))
    u = B.random_uniform((trials,) + tuple(shape), 0.0, 1.0, "float32", _generator(seed))
    index = B.reshape(B.arange(trials, dtype="float32"), (trials,) + (1,) * len(shape))
    hits = (u < B.cast(B.convert_to_tensor(probabilities), "float32")) & \
        (index < B.cast(B.convert_to_tensor(counts), "float32"))
    return B.cast(B.sum(B.cast(hits, "float32"), axis=0), dtype)
