"""PyTorch backend, optimizer kernels: fused multi-tensor (``torch._foreach_*``) updates, one per
Keras optimizer, plus clipping, accumulation and averaging, and the optimizer's host scalars (step counts,
learning rates: CPU tensors, so reading them never syncs a GPU). ``lr`` and ``step`` are Python numbers.
"""
import math

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


# ----------------------------------------------------------------------------- fused update kernels
# Each kernel updates a whole list of variables with a few ``torch._foreach_*``
# launches. ``lr`` and ``step`` (the 1-based update count) are Python numbers.
def weight_decay(variables, lr, decay):
    if variables:
        torch._foreach_mul_(variables, 1.0 - lr * decay)


def sgd(variables, grads, moms, lr, momentum, nesterov):
    if moms is None:
        torch._foreach_add_(variables, grads, alpha=-lr)
        return
    torch._foreach_mul_(moms, momentum)
    torch._foreach_add_(moms, grads, alpha=-lr)
    if nesterov:
        torch._foreach_add_(variables, moms, alpha=momentum)
        torch._foreach_add_(variables, grads, alpha=-lr)
    else:
        torch._foreach_add_(variables, moms)


def adam(variables, grads, ms, vs, vhats, lr, beta_1, beta_2, epsilon, step):
    alpha = lr * math.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
    torch._foreach_lerp_(ms, grads, 1 - beta_1)
    torch._foreach_lerp_(vs, torch._foreach_mul(grads, grads), 1 - beta_2)
    if vhats is not None:
        torch._foreach_maximum_(vhats, vs)
        vs = vhats
    denom = torch._foreach_sqrt(vs)
    torch._foreach_add_(denom, epsilon)
    torch._foreach_addcdiv_(variables, ms, denom, value=-alpha)


def adamax(variables, grads, ms, us, lr, beta_1, beta_2, epsilon, step):
    torch._foreach_lerp_(ms, grads, 1 - beta_1)
    torch._foreach_mul_(us, beta_2)
    torch._foreach_maximum_(us, torch._foreach_abs(grads))
    denom = torch._foreach_add(us, epsilon)
    torch._foreach_addcdiv_(variables, ms, denom, value=-lr / (1 - beta_1 ** step))


def nadam(variables, grads, ms, vs, u_product, lr, beta_1, beta_2, epsilon, step):
    """Nadam; ``u_product`` (a host scalar) is the running product of the momentum schedule."""
    u_t = beta_1 * (1.0 - 0.5 * 0.96 ** step)
    u_t_1 = beta_1 * (1.0 - 0.5 * 0.96 ** (step + 1))
    product = u_product.item() * u_t
    u_product.data.fill_(product)
    torch._foreach_lerp_(ms, grads, 1 - beta_1)
    torch._foreach_lerp_(vs, torch._foreach_mul(grads, grads), 1 - beta_2)
    m_hat = torch._foreach_mul(ms, u_t_1 / (1 - product * u_t_1))
    torch._foreach_add_(m_hat, grads, alpha=(1 - u_t) / (1 - product))
    denom = torch._foreach_div(vs, 1 - beta_2 ** step)
    torch._foreach_sqrt_(denom)
    torch._foreach_add_(denom, epsilon)
    torch._foreach_addcdiv_(variables, m_hat, denom, value=-lr)


def rmsprop(variables, grads, velocities, moms, avgs, lr, rho, momentum, epsilon):
    torch._foreach_mul_(velocities, rho)
    torch._foreach_addcmul_(velocities, grads, grads, value=1 - rho)
    if avgs is not None:
        torch._foreach_mul_(avgs, rho)
        torch._foreach_add_(avgs, grads, alpha=1 - rho)
        denom = torch._foreach_addcmul(velocities, avgs, avgs, value=-1)
        torch._foreach_add_(denom, epsilon)
    else:
        denom = torch._foreach_add(velocities, epsilon)
    torch._foreach_sqrt_(denom)
    if moms is not None:
        torch._foreach_mul_(moms, momentum)
        torch._foreach_addcdiv_(moms, grads, denom, value=lr)
        torch._foreach_sub_(variables, moms)
    else:
        torch._foreach_addcdiv_(variables, grads, denom, value=-lr)


def adagrad(variables, grads, accumulators, lr, epsilon):
    torch._foreach_addcmul_(accumulators, grads, grads)
    denom = torch._foreach_add(accumulators, epsilon)
    torch._foreach_sqrt_(denom)
    torch._foreach_addcdiv_(variables, grads, denom, value=-lr)


def adadelta(variables, grads, acc_grads, acc_deltas, lr, rho, epsilon):
    torch._foreach_mul_(acc_grads, rho)
    torch._foreach_addcmul_(acc_grads, grads, grads, value=1 - rho)
    delta = torch._foreach_add(acc_deltas, epsilon)
    torch._foreach_sqrt_(delta)
    denom = torch._foreach_add(acc_grads, epsilon)
    torch._foreach_sqrt_(denom)
    torch._foreach_mul_(delta, grads)
    torch._foreach_div_(delta, denom)
    torch._foreach_mul_(acc_deltas, rho)
    torch._foreach_addcmul_(acc_deltas, delta, delta, value=1 - rho)
    torch._foreach_add_(variables, delta, alpha=-lr)


def lion(variables, grads, ms, lr, beta_1, beta_2):
    """``w -= lr * sign(lerp(m, g, 1-b1)); m = lerp(m, g, 1-b2)``."""
    direction = torch._foreach_lerp(ms, grads, 1 - beta_1)
    torch._foreach_sign_(direction)
    torch._foreach_add_(variables, direction, alpha=-lr)
    torch._foreach_lerp_(ms, grads, 1 - beta_2)


def ftrl(variables, grads, accumulators, linears, lr, lr_power, l1, l2, l2_shrinkage, beta):
    new_acc = torch._foreach_addcmul(accumulators, grads, grads)
    new_pow = torch._foreach_pow(new_acc, -lr_power)
    sigma = torch._foreach_sub(new_pow, torch._foreach_pow(accumulators, -lr_power))
    torch._foreach_div_(sigma, lr)
    torch._foreach_add_(linears, torch._foreach_add(grads, variables, alpha=2 * l2_shrinkage) if l2_shrinkage
                        else grads)
    torch._foreach_sub_(linears, torch._foreach_mul(sigma, variables))
    quadratic = torch._foreach_div(new_pow, lr)
    torch._foreach_add_(quadratic, 2 * (l2 + beta / (2.0 * lr)))
    new_w = torch._foreach_clamp_min(torch._foreach_clamp_max(linears, l1), -l1)
    torch._foreach_sub_(new_w, linears)
    torch._foreach_div_(new_w, quadratic)
    torch._foreach_copy_(variables, new_w)
    torch._foreach_copy_(accumulators, new_acc)


def clip_each_by_norm(grads, clipnorm):
    norms = torch._foreach_norm(grads)
    return [g * (clipnorm / torch.clamp(n, min=clipnorm)) for g, n in zip(grads, norms)]


def clip_by_global_norm(grads, clipnorm):
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    scale = clipnorm / torch.clamp(total, min=clipnorm)
    return torch._foreach_mul(grads, scale)


def accumulate(accumulators, grads):
    torch._foreach_add_(accumulators, grads)


def zero(variables):
    torch._foreach_zero_(variables)


def ema(averages, variables, momentum, count):
    torch._foreach_lerp_(averages, variables, 1.0 - (momentum if count else 0.0))


@torch.no_grad()
def copy_into(targets, sources):
    """``t = s`` for each pair, in place."""
    torch._foreach_copy_(targets, sources)
