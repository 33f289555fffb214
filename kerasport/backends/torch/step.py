"""PyTorch's hooks for the train / test / predict steps that ``kerasport.trainers.step`` writes once.

Gradients come from ``torch.autograd.grad`` (eager autograd), or through ``DistributedDataParallel``
under a distribution; ``jit_compile=True`` puts a whole step in one ``torch.compile`` graph. There
is no in-graph loop: ``steps_per_execution`` steps run back to back. Sample counts are Python ints.
"""
import torch

from kerasport.backends.torch.distribute import (  # noqa: F401  (step hooks)
    all_reduce_replica_gradients, data_parallel, distributed_user_step)
from kerasport.core import nest as tree

COMPILE_BACKEND = "inductor"  # torch.compile's backend for compile(jit_compile=True)


def batch_size(x):
    """The number of samples in the batch ``x`` (a tensor or a structure of tensors), a Python int."""
    return tree.flatten(x)[0].shape[0]


def gradient_function(variables):
    """``gradients(fn, count)``: ``(aux, grads)`` where ``fn()`` returns ``(value, aux)`` and ``grads`` are
    the gradients of the scalar ``value`` with respect to ``variables`` (``None`` where unused), from
    ``torch.autograd.grad``; under a distribution, from a backward through ``DistributedDataParallel``
    (``distribute.DataParallelGradients``), the mean over the processes weighted by their ``count``.
    """
    parallel = data_parallel(variables)
    if parallel is not None:
        return parallel

    def gradients(fn, count):
        value, aux = fn()
        return aux, torch.autograd.grad(value, variables, allow_unused=True) if variables else ()

    return gradients


def compile_function(fn, jit_compile, run_eagerly):
    """``fn`` itself (eager), or with ``jit_compile`` the whole of ``fn`` in one ``torch.compile`` graph.

    Dynamo traces ``torch.autograd.grad`` (``trace_autograd_ops``), the host step counters
    (``capture_scalar_outputs``) and ops whose output size depends on data
    (``capture_dynamic_output_shape_ops``: the fused CPU LSTM's workspace), so forward, loss,
    backward, optimizer update and metric updates are one graph. The first call runs eagerly
    (layers finish their first-call set-up); a batch of a new size then recompiles once, with a
    dynamic batch dimension. ``run_eagerly`` changes nothing on torch, which is always eager
    without ``jit_compile``.
    """
    if not jit_compile:
        return fn
    compiled = torch.compile(fn, backend=COMPILE_BACKEND)
    # made once: a patch object is reusable (its prior values live in a ContextVar), and making one costs
    # as much again as entering it (about 12 us)
    dynamo_config = torch._dynamo.config.patch(trace_autograd_ops=True, capture_scalar_outputs=True,
                                               capture_dynamic_output_shape_ops=True)
    warm = []

    def run(*args):
        if not warm:
            warm.append(True)
            return fn(*args)
        with dynamo_config:
            return compiled(*args)

    return run


def compile_user_function(fn, jit_compile, run_eagerly):
    """A user's overridden step (or other code of theirs) runs eagerly on torch."""
    return fn


def compile_loop(step, compiled, jit_compile, run_eagerly):
    """No in-graph loop on torch: ``None``, and the trainer runs the steps back to back."""
    return None


def compile_predict_loop(step, compiled, jit_compile, run_eagerly):
    """No in-graph loop on torch: ``None``, and the trainer runs the predict steps back to back."""
    return None


def replicated(step, variables=()):
    """``step`` itself: each torch process runs its own step (``torchrun``); ``variables`` are not needed."""
    return step


def when_samples(count, update):
    """Run ``update()`` when the batch holds samples (a process's share of a small last batch may not)."""
    if count:
        update()


def replicas_in_sync():
    """1: a torch process holds one replica, and losses are not scaled."""
    return 1

