"""The backend contract, ``step``: the step builders and host counters.

Each backend implements these in ``backends/<name>/step.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def compile_step(fn, model) -> Callable:
    """A user's overridden step runs eagerly on torch."""


def host_variable(value: ArrayLike, dtype: DType | None, name) -> Any:
    """A scalar variable kept on the host (step counts, learning rates)."""


def increment(counter) -> Any:
    """Add 1 to ``counter``; returns the new count as a Python int."""


def make_predict_function(model) -> Callable:
    """The callable ``step((x, None, None))`` returning the model's outputs."""


def make_test_function(model) -> Callable:
    """The callable ``step((x, y, sample_weight))`` that updates the metrics on one batch."""


def make_train_function(model) -> Callable:
    """The callable ``step((x, y, sample_weight))`` that trains ``model`` on one batch."""


def read(var) -> Any:
    """A host scalar variable's value as a Python number."""
