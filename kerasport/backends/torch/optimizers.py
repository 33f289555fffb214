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


# ----------------------------------------------------------------------------- fused updates
_FUSED_DTYPES = (torch.float32, torch.float64)
_step_counts = {}  # device -> the float32 step count that ``torch._fused_adam_`` reads there


def fused_adam_(variables, grads, momentums, velocities, velocity_hats, lr, beta_1, beta_2, epsilon, step):
    # torch's Adam divides sqrt(v) by sqrt(1 - beta_2^step) before adding its epsilon, Keras adds epsilon first:
    # torch's epsilon = Keras's / sqrt(1 - beta_2^step) gives Keras's update.
    # The kernel walks each tensor's memory in order: the state must be contiguous, the gradients are made so.
    first = variables[0]
    dtype, device = first.dtype, first.device
    if dtype not in _FUSED_DTYPES or not isinstance(lr, (int, float)) or torch.compiler.is_compiling() or any(
            v.dtype != dtype or v.device != device or g.dtype != dtype or g.is_sparse or not v.is_contiguous()
            for v, g in zip(variables, grads)) or not all(
            t.is_contiguous() for slots in (momentums, velocities, velocity_hats or ()) for t in slots):
        return False
    grads = [g if g.is_contiguous() else g.contiguous() for g in grads]
    count = _step_counts.get(device)
    if count is None:
        count = _step_counts[device] = torch.zeros((), dtype=torch.float32, device=device)
    count.fill_(step)
    torch._fused_adam_(variables, grads, momentums, velocities, velocity_hats or [], [count] * len(variables),
                       lr=lr, beta1=beta_1, beta2=beta_2, weight_decay=0.0,
                       eps=epsilon / (1.0 - beta_2 ** step) ** 0.5, amsgrad=velocity_hats is not None,
                       maximize=False)
    return True


# ----------------------------------------------------------------------------- copying
@torch.no_grad()
def copy_into(targets, sources):
    """``t = s`` for each pair, in place."""
    torch._foreach_copy_(targets, sources)
