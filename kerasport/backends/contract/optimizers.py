"""The backend contract, ``optimizers``: multi-tensor primitives (in the manner of ``torch._foreach_*``) over which
every optimizer's update rule (and the gradient clipping) is written once (``kerasport/optimizers/``), plus copying.

Each primitive works on a list ``xs`` of same-dtype tensors. A name ending in ``_`` updates ``xs`` in place where its
entries are variables and returns the updated list; entries that are plain tensors are not changed (TensorFlow
tensors are immutable) and the list returned holds their new values, so a rule written once always goes on with the
returned list. Names without ``_`` return new tensors. ``other`` is a list (one per entry of ``xs``) or a scalar: a
Python number (torch, where one primitive is one fused ``torch._foreach_*`` launch) or a scalar tensor (TensorFlow,
cast to each entry's dtype). Backends implement these in ``backends/<name>/optimizers.py``; signatures and
docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def foreach_abs(xs: list[Tensor]) -> list[Tensor]:
    """``|x|`` for each tensor."""


def foreach_add(xs: list[Tensor], other, alpha=1) -> list[Tensor]:
    """``x + alpha*y`` for each pair (``other`` a list), or ``x + alpha*other`` (a scalar)."""


def foreach_add_(xs: list[Tensor], other, alpha=1) -> list[Tensor]:
    """``x += alpha*y`` for each pair (``other`` a list), or ``x += alpha*other`` (a scalar)."""


def foreach_addcdiv_(xs: list[Tensor], a: list[Tensor], b: list[Tensor], value=1) -> list[Tensor]:
    """``x += value * a / b`` for each triple."""


def foreach_addcmul(xs: list[Tensor], a: list[Tensor], b: list[Tensor], value=1) -> list[Tensor]:
    """``x + value * a * b`` for each triple."""


def foreach_addcmul_(xs: list[Tensor], a: list[Tensor], b: list[Tensor], value=1) -> list[Tensor]:
    """``x += value * a * b`` for each triple."""


def foreach_clamp_max(xs: list[Tensor], other) -> list[Tensor]:
    """``minimum(x, other)`` for each tensor (``other`` a scalar)."""


def foreach_clamp_min(xs: list[Tensor], other) -> list[Tensor]:
    """``maximum(x, other)`` for each tensor (``other`` a scalar)."""


def foreach_div(xs: list[Tensor], other) -> list[Tensor]:
    """``x / y`` for each pair (``other`` a list), or ``x / other`` (a scalar)."""


def foreach_div_(xs: list[Tensor], other) -> list[Tensor]:
    """``x /= y`` for each pair (``other`` a list), or ``x /= other`` (a scalar)."""


def foreach_lerp(xs: list[Tensor], ys: list[Tensor], weight) -> list[Tensor]:
    """``x + weight * (y - x)`` for each pair (``weight`` a scalar)."""


def foreach_lerp_(xs: list[Tensor], ys: list[Tensor], weight) -> list[Tensor]:
    """``x += weight * (y - x)`` for each pair (``weight`` a scalar): a moving average of ``ys``."""


def foreach_maximum_(xs: list[Tensor], ys: list[Tensor]) -> list[Tensor]:
    """``x = maximum(x, y)`` for each pair."""


def foreach_mean(xs: list[Tensor], axis: Axis = None, keepdims: bool = False) -> list[Tensor]:
    """The mean of each tensor over ``axis`` (all of it by default): new tensors, one per entry."""


def foreach_mul(xs: list[Tensor], other) -> list[Tensor]:
    """``x * y`` for each pair (``other`` a list), or ``x * other`` (a scalar)."""


def foreach_mul_(xs: list[Tensor], other) -> list[Tensor]:
    """``x *= y`` for each pair (``other`` a list), or ``x *= other`` (a scalar)."""


def foreach_norm(xs: list[Tensor]) -> list[Tensor]:
    """The L2 norm of each tensor (all its entries): a scalar tensor per entry."""


def foreach_pow(xs: list[Tensor], exponent) -> list[Tensor]:
    """``x ** exponent`` for each tensor (``exponent`` a scalar)."""


def foreach_sign_(xs: list[Tensor]) -> list[Tensor]:
    """``x = sign(x)`` for each tensor."""


def foreach_sqrt(xs: list[Tensor]) -> list[Tensor]:
    """``sqrt(x)`` for each tensor."""


def foreach_sqrt_(xs: list[Tensor]) -> list[Tensor]:
    """``x = sqrt(x)`` for each tensor."""


def foreach_zero_(xs: list[Tensor]) -> list[Tensor]:
    """``x = 0`` for each tensor."""


def fused_adam_(variables: list[Variable], grads: list[Tensor], momentums: list[Variable],
                velocities: list[Variable], velocity_hats: list[Variable] | None, lr, beta_1, beta_2, epsilon,
                step) -> bool:
    """Keras's Adam update in one fused kernel, where the backend has one for these variables: ``m`` and ``v`` (and,
    with ``velocity_hats``, AMSGrad's running maximum of ``v``) move towards ``g`` and ``g^2``, then
    ``w -= lr * sqrt(1 - beta_2^step) / (1 - beta_1^step) * m / (sqrt(v) + epsilon)``, all in place.

    Returns True when it ran; False, changing nothing, where the backend has no such kernel for these tensors (the
    caller then writes the update with the ``foreach_*`` primitives)."""


def copy_into(targets: list[Tensor], sources: list[Tensor]) -> None:
    """``t = s`` for each pair, in place."""



def host_variable(value: ArrayLike, dtype: DType | None, name) -> Any:
    """A scalar variable kept on the host (step counts, learning rates)."""


def increment(counter) -> Any:
    """Add 1 to ``counter``; returns the new count as a Python int."""


def read(var) -> Any:
    """A host scalar variable's value as a Python number."""
