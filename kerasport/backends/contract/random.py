"""The backend contract, ``random``: seeds, generators, random draws and dropout.

Each backend implements these in ``backends/<name>/random.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def dropout(x: ArrayLike, rate, noise_shape=None, generator: Generator | None = None) -> Tensor:
    """Inverted dropout: zero with probability ``rate``, scale the rest by 1/(1-rate)."""


def make_generator(seed_value) -> Any:
    """A random-state object for one layer or initializer (``None``: the global state)."""


def random_normal(
        shape: Shape,
        mean: float = 0.0,
        stddev: float = 1.0,
        dtype: DType | None = 'float32',
        generator: Generator | None = None,
) -> Tensor:
    """Keras's ``keras.ops.random_normal``: the same arguments and results."""


def random_permutation(n, generator: Generator | None = None) -> Tensor:
    """Keras's ``keras.ops.random_permutation``: the same arguments and results."""


def random_randint(
        shape: Shape, minval, maxval, dtype: DType | None = 'int32', generator: Generator | None = None,
) -> Tensor:
    """Integers uniform in ``[minval, maxval)``."""


def random_uniform(
        shape: Shape,
        minval: float = 0.0,
        maxval: float = 1.0,
        dtype: DType | None = 'float32',
        generator: Generator | None = None,
) -> Tensor:
    """Keras's ``keras.ops.random_uniform``: the same arguments and results."""


def seed(value: ArrayLike) -> None:
    """Seed the framework's global random state."""


def seeded_generator(seed_value) -> Any:
    """Random state started from ``seed_value`` afresh on each call (same seed, same draws)."""


def set_seed_all(seed_value) -> None:
    """Keras's ``keras.ops.set_seed_all``: the same arguments and results."""
