"""The backend contract, ``step``: the hooks of the train / test / predict steps that ``kerasport.trainers.step``
writes once: gradients, compilation, the in-graph loop of ``steps_per_execution``, and the data-parallel hooks.

Each backend implements these in ``backends/<name>/step.py``; signatures and docstrings live here, once."""
from typing import Any, Callable

from kerasport.backends.contract.types import Tensor, Variable


def batch_size(x: Any) -> Any:
    """The number of samples in the batch ``x`` (a tensor or a structure of tensors): a Python int where the
    backend runs eagerly (torch), a float32 tensor inside a compiled step (TensorFlow)."""


def gradient_function(variables: list[Variable]) -> Callable[[Callable[[], tuple[Tensor, Any]], Any], tuple]:
    """``gradients(fn, count)``, built once per compile for ``variables``: it returns ``(aux, grads)`` where
    ``fn()`` returns ``(value, aux)`` and ``grads`` are the gradients of the scalar ``value`` with respect to
    ``variables`` (``None`` where unused). Under a distribution they are the global batch's: each process's
    gradients weighted by its batch's sample ``count`` (``batch_size``), summed over the processes and divided
    by the total count; a process whose share of a small last batch is empty adds zeros (torch: through
    ``DistributedDataParallel``; TensorFlow: a tape and one all-reduce)."""


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


def replicated(step: Callable, variables: Any = ()) -> Callable:
    """``step`` run in the replica context of the enclosing distribution strategy (itself where there is none);
    ``variables`` (the step's) tell a backend whose strategies own variables which strategy made them."""


def when_samples(count: Any, update: Callable[[], Any]) -> None:
    """Run ``update()`` when the batch holds samples (a process's share of a small last batch may not)."""


def distributed_user_step(step: Callable, model: Any, kind: str) -> Callable:
    """A user's overridden ``train_step`` / ``test_step`` / ``predict_step`` (``kind``: ``"train"``, ``"test"`` or
    ``"predict"``) of ``model`` as the active distribution runs it: on torch the model's top-level call goes through
    ``DistributedDataParallel``, so the user's ``loss.backward()`` all-reduces; on TensorFlow it runs once per
    replica (``strategy.run``), each local replica on its share of the batch, the logs it returns averaged over
    the local replicas; ``step`` itself without a distribution."""


def replicas_in_sync() -> int:
    """The number of replicas whose losses are summed: inside an overridden step's replica under a TensorFlow
    distribution, ``num_replicas_in_sync`` (a loss averaged over the batch is divided by it, as Keras does); else 1."""


def all_reduce_replica_gradients(grads: list[Tensor]) -> list[Tensor]:
    """``grads`` summed over the replicas inside an overridden step's replica (``optimizer.apply`` calls it, as
    Keras's TensorFlow optimizer does); ``grads`` as they are elsewhere."""
