"""PyTorch backend, step builders: eager train/test/predict steps (autograd, one fused update),
``torch.compile`` on request, and host scalar counters (step counts, learning rates).

A train step is: forward, ``torch.autograd.grad``, one ``torch._foreach_*``
update over all variables, constraints, metric updates without autograd.
Step counters and learning rates live in CPU tensors, so reading them never
syncs a GPU.
"""
import torch

from kerasport.backends.torch.core import Variable, to_dtype
from kerasport.backends.torch.distribute import gradient_reducer


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


# ----------------------------------------------------------------------------- step builders
def _batch_size(x):
    from kerasport.utils import tree  # imported here: importing kerasport.utils imports this backend

    return tree.flatten(x)[0].shape[0]


def _constraints(model):
    """(variable, constraint) for each trainable variable with a constraint, as Keras's optimizer applies them."""
    return [(v, v.constraint) for v in model.trainable_variables if getattr(v, "constraint", None) is not None]


def compile_step(fn, model):
    """A user's overridden step runs eagerly on torch."""
    return fn


COMPILE_BACKEND = "inductor"  # torch.compile's backend for compile(jit_compile=True)


def _jit(step, model):
    """``step`` itself, or with ``jit_compile=True`` the whole step in one ``torch.compile`` graph.

    Dynamo traces ``torch.autograd.grad`` (``trace_autograd_ops``) and the host step
    counters (``capture_scalar_outputs``), so forward, loss, backward, optimizer update and
    metric updates are one graph. The first step runs eagerly (layers finish their first-call
    set-up); a batch of a new size then recompiles once, with a dynamic batch dimension.
    """
    if not model.jit_compile:
        return step
    compiled = torch.compile(step, backend=COMPILE_BACKEND)
    warm = []

    def run(batch):
        if not warm:
            warm.append(True)
            return step(batch)
        with torch._dynamo.config.patch(trace_autograd_ops=True, capture_scalar_outputs=True):
            return compiled(batch)

    return run


def make_train_function(model):
    params = model.trainable_weights
    optimizer = model.optimizer
    optimizer.build(params)
    constrained = _constraints(model)
    all_reduce = gradient_reducer()
    from kerasport.utils import tree  # (see _batch_size)

    def step(batch):
        x, y, sw = batch
        y_pred = model(x, training=True)
        loss = model.compute_loss(x, y, y_pred, sw)
        n = _batch_size(x)
        if n or all_reduce is None:
            grads = torch.autograd.grad(optimizer.scale_loss(loss), params, allow_unused=True) if params else ()
        else:  # an empty share of a last batch smaller than the number of processes adds zeros
            grads = [torch.zeros_like(p) for p in params]
        if all_reduce is not None:
            grads = all_reduce(grads, params, n)
        with torch.no_grad():
            optimizer.apply(grads, params)
            for var, constraint in constrained:
                var.copy_(constraint(var))
            if n:
                model.update_metrics(loss.detach(), y, tree.map_structure(_detached, y_pred), sw, n)

    return _jit(step, model)


def _detached(t):
    """``t.detach()`` with the Keras mask a layer attached to ``t``: the metrics leave masked steps out."""
    out = t.detach()
    mask = getattr(t, "_keras_mask", None)
    if mask is not None:
        out._keras_mask = mask
    return out


def make_test_function(model):
    """The callable ``step((x, y, sample_weight))`` that updates the metrics on one batch."""

    def step(batch):
        x, y, sw = batch
        with torch.no_grad():
            y_pred = model(x, training=False)
            n = _batch_size(x)
            if n:  # a process's share of a batch smaller than the number of processes may be empty
                model.update_metrics(model.compute_loss(x, y, y_pred, sw), y, y_pred, sw, n)

    return _jit(step, model)


def make_predict_function(model):
    """The callable ``step((x, None, None))`` returning the model's outputs."""

    def step(batch):
        with torch.no_grad():
            return model(batch[0], training=False)

    return _jit(step, model)
