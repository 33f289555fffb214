"""The backend contract, ``step``: the hooks of the train / test / predict steps that ``kerasport.trainers.step``
writes once: gradients, compilation, the in-graph loop of ``steps_per_execution``, and the data-parallel hooks.

Each backend implements these in ``backends/<name>/step.py``; signatures and docstrings live here, once."""
from typing import Any, Callable

from kerasport.backends.contract.types import Tensor, Variable


def batch_size(x: Any) -> Any:
    """The number of samples in the batch ``x`` (a tensor or a structure of tensors): a Python int where the
    backend runs eagerly (torch), a float32 tensor inside a compiled step (TensorFlow)."""


def value_and_grad(fn: Callable[[], tuple[Tensor, Any]], variables: list[Variable], count: Any = None) -> tuple[Any, list]:
    """``(aux, grads)``: ``fn()`` returns ``(value, aux)``; ``grads`` are the gradients of the scalar ``value``
    with respect to ``variables`` (``None`` where unused). ``count`` is the batch's sample count under a
    distribution: an empty share of a last batch smaller than the number of processes gets zero gradients."""


def compile_function(fn: Callable, jit_compile: bool, run_eagerly: bool) -> Callable:
    """``fn`` compiled once for the steps: ``tf.function`` (XLA with ``jit_compile``) on TensorFlow, the whole
    step in one ``torch.compile`` graph with ``jit_compile`` on torch; ``fn`` itself when eager."""


def compile_user_function(fn: Callable, jit_compile: bool, run_eagerly: bool) -> Callable:
    """A user's overridden ``train_step`` / ``test_step`` / ``predict_step``, compiled as the backend runs user code
    (traced into a ``tf.function`` on TensorFlow; eager on torch)."""


def compile_loop(step: Callable, compiled: Callable, jit_compile: bool, run_eagerly: bool) -> Callable | None:
    """``loop(batches)`` running ``step`` once per batch of a ``steps_per_execution`` group inside one compiled
    function (an in-graph loop), or None where the backend has none and the trainer runs the steps back to back.
    ``compiled`` is ``step``'s own compiled function, for the groups that cannot be stacked."""


def compile_predict_loop(step: Callable, compiled: Callable, jit_compile: bool, run_eagerly: bool) -> Callable | None:
    """``loop(batches)`` returning ``step``'s outputs for each batch of a ``steps_per_execution`` group of
    ``predict``, concatenated on the first axis, computed inside one compiled function (an in-graph loop); or
    None where the backend has none and the trainer runs the steps back to back. ``compiled`` is ``step``'s own
    compiled function, for the groups that cannot be stacked."""


def replicated(step: Callable) -> Callable:
    """``step`` run in the replica context of the enclosing distribution strategy (itself where there is none)."""


def gradient_reducer() -> Callable | None:
    """``reduce(grads, variables, count)``: the count-weighted mean of the gradients over the processes of a
    data-parallel run, or None outside one."""


def when_samples(count: Any, update: Callable[[], Any]) -> None:
    """Run ``update()`` when the batch holds samples (a process's share of a small last batch may not)."""
