"""PyTorch backend, optimizer primitives: each one fused multi-tensor launch (``torch._foreach_*``), in place where
the name ends in ``_``; plus copying, and the optimizer's host scalars (step counts, learning
rates: CPU tensors, so reading them never syncs a GPU). Scalars (``lr``, bias corrections) are Python numbers.
"""
import torch

from kerasport.backends.torch.core import Variable, to_dtype


# ----------------------------------------------------------------------------- optimizer state
def host_variable(value, dtype, name):
    """A scalar variable kept on the host (step counts, learning rates)."""
    return Variable(torch.tensor(value, dtype=to_dtype(dtype)), trainable=False, name=name)


def read(var):
    """A host scalar variable's value as a Python number."""
    return var.item()


def increment(counter):
    """Add 1 to ``counter``; returns the new count as a Python int."""
    counter.data.add_(1)
    return int(counter.item())


# ----------------------------------------------------------------------------- multi-tensor primitives
def foreach_abs(xs):
    return torch._foreach_abs(xs)


def foreach_add(xs, other, alpha=1):
    if isinstance(other, (list, tuple)):
        return torch._foreach_add(xs, other, alpha=alpha)
    return torch._foreach_add(xs, other * alpha)


def foreach_add_(xs, other, alpha=1):
    if isinstance(other, (list, tuple)):
        torch._foreach_add_(xs, other, alpha=alpha)
    else:
        torch._foreach_add_(xs, other * alpha)
    return xs


def foreach_addcdiv_(xs, a, b, value=1):
    torch._foreach_addcdiv_(xs, a, b, value=value)
    return xs


def foreach_addcmul(xs, a, b, value=1):
    return torch._foreach_addcmul(xs, a, b, value=value)


def foreach_addcmul_(xs, a, b, value=1):
    torch._foreach_addcmul_(xs, a, b, value=value)
    return xs


def foreach_clamp_max(xs, other):
    return torch._foreach_clamp_max(xs, other)


def foreach_clamp_min(xs, other):
    return torch._foreach_clamp_min(xs, other)


def foreach_div(xs, other):
    return torch._foreach_div(xs, other)


def foreach_div_(xs, other):
    torch._foreach_div_(xs, other)
    return xs


def foreach_lerp(xs, ys, weight):
    return torch._foreach_lerp(xs, ys, weight)


def foreach_lerp_(xs, ys, weight):
    torch._foreach_lerp_(xs, ys, weight)
    return xs


def foreach_maximum_(xs, ys):
    torch._foreach_maximum_(xs, ys)
    return xs


def foreach_mean(xs, axis=None, keepdims=False):
    return [x.mean() if axis is None else x.mean(dim=axis, keepdim=keepdims) for x in xs]


def foreach_mul(xs, other):
    return torch._foreach_mul(xs, other)


def foreach_mul_(xs, other):
    torch._foreach_mul_(xs, other)
    return xs


def foreach_norm(xs):
    return list(torch._foreach_norm(xs))


def foreach_pow(xs, exponent):
    return torch._foreach_pow(xs, exponent)


def foreach_sign_(xs):
    torch._foreach_sign_(xs)
    return xs


def foreach_sqrt(xs):
    return torch._foreach_sqrt(xs)


def foreach_sqrt_(xs):
    torch._foreach_sqrt_(xs)
    return xs


def foreach_zero_(xs):
    torch._foreach_zero_(xs)
    return xs


# ----------------------------------------------------------------------------- copying
@torch.no_grad()
def copy_into(targets, sources):
    """``t = s`` for each pair, in place."""
    torch._foreach_copy_(targets, sources)
