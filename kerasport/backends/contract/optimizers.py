"""The backend contract, ``optimizers``: the fused multi-tensor optimizer updates and gradient clipping.

Each backend implements these in ``backends/<name>/optimizers.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def accumulate(accumulators: list[Tensor], grads: list[Tensor]) -> None:
    """``a += g`` (gradient accumulation)."""


def adadelta(
        variables: list[Tensor],
        grads: list[Tensor],
        acc_grads: list[Tensor],
        acc_deltas: list[Tensor],
        lr,
        rho,
        epsilon,
) -> None:
    """``a = rho*a + (1-rho)*g^2; d = sqrt(s+eps)/sqrt(a+eps)*g; s = rho*s + (1-rho)*d^2; w -= lr*d``."""


def adagrad(variables: list[Tensor], grads: list[Tensor], accumulators: list[Tensor], lr, epsilon) -> None:
    """``a += g^2; w -= lr * g / sqrt(a + eps)``."""


def adam(
        variables: list[Tensor],
        grads: list[Tensor],
        ms: list[Tensor],
        vs: list[Tensor],
        vhats: list[Tensor],
        lr,
        beta_1,
        beta_2,
        epsilon,
        step,
) -> None:
    """Adam with Keras's bias correction folded into the step size; AMSGrad when ``vhats`` is given."""


def adamax(
        variables: list[Tensor],
        grads: list[Tensor],
        ms: list[Tensor],
        us: list[Tensor],
        lr,
        beta_1,
        beta_2,
        epsilon,
        step,
) -> None:
    """``m = lerp(m, g, 1-b1); u = max(b2*u, |g|); w -= lr/(1-b1^t) * m/(u+eps)``."""


def clip_by_global_norm(grads: list[Tensor], clipnorm) -> list[Tensor]:
    """All gradients scaled together to a global L2 norm of at most ``clipnorm``."""


def clip_each_by_norm(grads: list[Tensor], clipnorm) -> list[Tensor]:
    """Each gradient scaled to an L2 norm of at most ``clipnorm``."""


def copy_into(targets: list[Tensor], sources: list[Tensor]) -> None:
    """``t = s`` for each pair, in place."""


def ema(averages: list[Tensor], variables: list[Tensor], momentum, count) -> None:
    """``a = momentum*a + (1-momentum)*w``, or ``a = w`` at update count 0."""


def ftrl(
        variables: list[Tensor],
        grads: list[Tensor],
        accumulators: list[Tensor],
        linears,
        lr,
        lr_power,
        l1,
        l2,
        l2_shrinkage,
        beta: ArrayLike,
) -> None:
    """FTRL-Proximal: accumulate ``z`` (``linears``) and ``n`` (``accumulators``), then solve for ``w``."""


def lion(variables: list[Tensor], grads: list[Tensor], ms: list[Tensor], lr, beta_1, beta_2) -> None:
    """``w -= lr * sign(lerp(m, g, 1-b1)); m = lerp(m, g, 1-b2)``."""


def nadam(
        variables: list[Tensor],
        grads: list[Tensor],
        ms: list[Tensor],
        vs: list[Tensor],
        u_product,
        lr,
        beta_1,
        beta_2,
        epsilon,
        step,
) -> None:
    """Nadam; ``u_product`` (a host scalar) is the running product of the momentum schedule."""


def rmsprop(
        variables: list[Tensor],
        grads: list[Tensor],
        velocities,
        moms: list[Tensor],
        avgs,
        lr,
        rho,
        momentum,
        epsilon,
) -> None:
    """RMSprop; centered when ``avgs`` is given, with momentum when ``moms`` is given."""


def sgd(variables: list[Tensor], grads: list[Tensor], moms: list[Tensor], lr, momentum, nesterov) -> None:
    """``m = momentum*m - lr*g; w += m`` (Nesterov: ``w += momentum*m - lr*g``); ``w -= lr*g`` without ``moms``."""


def weight_decay(variables: list[Tensor], lr, decay) -> None:
    """``w -= lr * decay * w`` for each variable."""


def zero(variables: list[Tensor]) -> None:
    """Set every variable to zeros."""


def host_variable(value: ArrayLike, dtype: DType | None, name) -> Any:
    """A scalar variable kept on the host (step counts, learning rates)."""


def increment(counter) -> Any:
    """Add 1 to ``counter``; returns the new count as a Python int."""


def read(var) -> Any:
    """A host scalar variable's value as a Python number."""
