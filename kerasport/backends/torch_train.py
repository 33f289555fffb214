"""PyTorch training: eager step builders and fused multi-tensor optimizer kernels.

A train step is: forward, ``torch.autograd.grad``, one ``torch._foreach_*``
update over all variables, constraints, metric updates without autograd.
Step counters and learning rates live in CPU tensors, so reading them never
syncs a GPU.
"""
import math

import torch

from kerasport.backends import torch_backend as B
from kerasport.utils import tree


# ----------------------------------------------------------------------------- optimizer state
def host_variable(value, dtype, name):
    """A scalar variable kept on the host (step counts, learning rates)."""
    return B.Variable(torch.tensor(value, dtype=B.to_dtype(dtype)), trainable=False, name=name)


def read(var):
    """A host scalar variable's value as a Python number."""
    return var.item()


def increment(counter):
    """Add 1 to ``counter``; returns the new count as a Python int."""
    counter.data.add_(1)
    return int(counter.item())


# ----------------------------------------------------------------------------- fused update kernels
def weight_decay(variables, lr, decay):
    """``w -= lr * decay * w`` for each variable."""
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
    sq = torch._foreach_mul(grads, grads)
    torch._foreach_lerp_(vs, sq, 1 - beta_2)
    if vhats is not None:
        torch._foreach_maximum_(vhats, vs)
        vs = vhats
    denom = torch._foreach_sqrt(vs)
    torch._foreach_add_(denom, epsilon)
    torch._foreach_addcdiv_(variables, ms, denom, value=-alpha)


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


def clip_each_by_norm(grads, clipnorm):
    norms = torch._foreach_norm(grads)
    return [g * (clipnorm / torch.clamp(n, min=clipnorm)) for g, n in zip(grads, norms)]


def clip_by_global_norm(grads, clipnorm):
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    scale = clipnorm / torch.clamp(total, min=clipnorm)
    return torch._foreach_mul(grads, scale)


# ----------------------------------------------------------------------------- step builders
def _batch_size(x):
    return tree.flatten(x)[0].shape[0]


def _constraints(model):
    return [(v, c) for layer in model._flatten_layers() for v, c in layer._constraints]


def make_train_function(model):
    """The callable ``step((x, y, sample_weight))`` that trains ``model`` on one batch."""
    from kerasport.models.model import Model
    if type(model).train_step is not Model.train_step:
        return model.train_step
    params = model.trainable_weights
    optimizer = model.optimizer
    optimizer.build(params)
    constrained = _constraints(model)
    forward = torch.compile(model.__call__) if model._jit_compile else model.__call__

    def step(batch):
        x, y, sw = batch
        y_pred = forward(x, training=True)
        loss = model.compute_loss(x, y, y_pred, sw)
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        with torch.no_grad():
            optimizer.apply(grads, params)
            for var, constraint in constrained:
                var.copy_(constraint(var))
            model.update_metrics(loss.detach(), y, tree.map_structure(torch.Tensor.detach, y_pred), sw,
                                 _batch_size(x))

    return step


def make_test_function(model):
    """The callable ``step((x, y, sample_weight))`` that updates the metrics on one batch."""
    from kerasport.models.model import Model
    if type(model).test_step is not Model.test_step:
        return model.test_step

    @torch.no_grad()
    def step(batch):
        x, y, sw = batch
        y_pred = model(x, training=False)
        loss = model.compute_loss(x, y, y_pred, sw)
        model.update_metrics(loss, y, y_pred, sw, _batch_size(x))

    return step


def make_predict_function(model):
    """The callable ``step((x, None, None))`` returning the model's outputs."""
    from kerasport.models.model import Model
    if type(model).predict_step is not Model.predict_step:
        return model.predict_step

    @torch.no_grad()
    def step(batch):
        return model(batch[0], training=False)

    return step
