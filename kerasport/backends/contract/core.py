"""The backend contract, ``core``: tensors, variables, dtypes, conversion, device and keras.ops.core's control flow.

Each backend implements these in ``backends/<name>/core.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def assign(var, value: ArrayLike) -> None:
    """Keras's ``keras.ops.assign``: the same arguments and results."""


def associative_scan(f, elems: ArrayLike, reverse: bool = False, axis: Axis = 0) -> Tensor:
    """Inclusive scan of the associative ``f`` along ``axis`` in O(log n) vectorized steps.

    ``elems`` may be a tensor or a nest of tensors of equal length along ``axis``; ``f(a, b)`` combines two
    such nests elementwise.
    """


def cast(x: ArrayLike, dtype: DType | None) -> Tensor:
    """Keras's ``keras.ops.cast``: the same arguments and results."""


def cond(pred, true_fn, false_fn) -> Tensor:
    """Keras's ``keras.ops.cond``: the same arguments and results."""


def convert_to_numpy(x: ArrayLike) -> np.ndarray:
    """Keras's ``keras.ops.convert_to_numpy``: the same arguments and results."""


def convert_to_tensor(x: ArrayLike, dtype: DType | None = None) -> Tensor:
    """A tensor on the backend's device, as Keras converts: NumPy arrays keep their dtype (float64 stays float64),
    Python floats become float32 (floatx), Python ints int32."""


def custom_gradient(f) -> Tensor:
    """Decorator: ``f(*args)`` returns ``(output, grad_fn)``; ``grad_fn(upstream)`` gives the input gradients."""


def device_name() -> Any:
    """Keras's ``keras.ops.device_name``: the same arguments and results."""


def device_scope(device_name: str) -> Any:
    """Keras's ``keras.device``: a context manager in which new tensors and variables are placed on
    ``device_name`` (``"cpu"``, ``"cpu:0"``, ``"gpu:0"``; torch also ``"cuda:0"``). A bad name raises ValueError."""


def dtype(x: ArrayLike) -> str:
    """Keras's ``keras.ops.dtype``: the same arguments and results."""


def fori_loop(lower, upper, body_fun, init_val) -> Tensor:
    """``init_val`` updated by ``body_fun(i, val)`` for ``i`` in ``range(lower, upper)``."""


def is_tensor(x: ArrayLike) -> bool:
    """Keras's ``keras.ops.is_tensor``: the same arguments and results."""


def is_variable(x: ArrayLike) -> bool:
    """Keras's ``keras.ops.is_variable``: the same arguments and results."""


def is_module(x: Any) -> bool:
    """Whether ``x`` is a module of the framework that ``layers.TorchModuleWrapper`` wraps: a ``torch.nn.Module``
    on torch; nothing is one on TensorFlow."""


def item(x: ArrayLike) -> Any:
    """Keras's ``keras.ops.item``: the same arguments and results."""


def map(f, xs: ArrayLike) -> Tensor:
    """``f`` applied to each slice of ``xs`` along the leading axis; results stacked."""


def module_from_text(text: str) -> Any:
    """The module that ``module_to_text`` wrote (``torch.load``, which runs pickled code: only for trusted
    files, ``safe_mode=False``)."""


def probe_scope(elements: int) -> Any:
    """A context in which ops work out shapes and dtypes without computing values, for shape inference on inputs
    of ``elements`` values in all: TensorFlow builds a scratch ``FuncGraph`` (as Keras on TensorFlow infers every
    shape), torch runs on the ``meta`` device (as Keras on torch first tries); None where running on real zeros
    costs less (torch's first ``meta`` call imports its decompositions, seconds). Its ``placeholder(shape, dtype)``
    is an input of ``shape``; ``unknown_dims`` says whether a None dim may stay unknown there (a graph) or must be
    given a size (``meta``)."""


def init_scope() -> Any:
    """A context in which variables, their initial values and whatever a layer's ``build`` makes are real, even
    inside a ``probe_scope`` or while a graph is being built (``tf.init_scope``)."""


def module_to_text(module: Any) -> str:
    """``module`` pickled by ``torch.save``, as base64 text (the ``module`` of Keras's ``TorchModuleWrapper``
    config); raises on a backend without modules."""


def ndim(x: ArrayLike) -> int:
    """Keras's ``keras.ops.ndim``: the same arguments and results."""


def no_grad() -> Any:
    """TensorFlow records gradients only under a tape: nothing to switch off."""


def remat(f) -> Any:
    """Keras's ``keras.remat``: ``f`` wrapped so that its intermediate results are recomputed in the backward
    pass instead of stored (gradient checkpointing); same values and gradients."""


def saturate_cast(x: ArrayLike, dtype: DType | None) -> Tensor:
    """Cast that clips values to the range of ``dtype`` first."""


def scan(f, init, xs: ArrayLike | None = None, length=None, reverse: bool = False, unroll: int = 1) -> Tensor:
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns ``(carry, stacked ys)``."""


def scatter(indices: ArrayLike, values: ArrayLike, shape: Shape) -> Tensor:
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (N, k)."""


def scatter_update(inputs: ArrayLike, indices: ArrayLike, updates: ArrayLike, reduction=None) -> Tensor:
    """``inputs`` with ``updates`` written (or reduced: "add", "max", "min", "mul") at ``indices`` (N, k)."""


def shape(x: ArrayLike) -> Shape:
    """Static shape as a tuple; unknown dimensions (in a traced graph) are scalar tensors."""


def size(x: ArrayLike) -> int:
    """Keras's ``keras.ops.size``: the same arguments and results."""


def slice_update(inputs: ArrayLike, start_indices: ArrayLike, updates: ArrayLike) -> Tensor:
    """``inputs`` with the block starting at ``start_indices`` replaced by ``updates``."""


def standardize_dtype(dtype: DType | None) -> str:
    """Keras dtype name (``"float32"``) of a torch/numpy dtype or name."""


def stop_gradient(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.stop_gradient``: the same arguments and results."""


def switch(index, branches, *operands) -> Tensor:
    """``branches[index](*operands)``; ``index`` is clamped into range."""


def to_dtype(dtype: DType | None) -> Any:
    """Framework dtype for a Keras dtype name (or a framework dtype)."""


def variable(
        value: ArrayLike, dtype: DType | None = None, trainable: bool = True, name=None, constraint=None,
) -> Variable:
    """Create a native variable (``torch.nn.Parameter``) holding ``value``; ``.constraint`` is applied
    by the optimizer step.
    """


def vectorized_map(function, elements: ArrayLike) -> Tensor:
    """``function`` over the leading axis of ``elements``, vectorized with ``torch.vmap``."""


def while_loop(cond, body, loop_vars, maximum_iterations=None) -> Tensor:
    """``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``; a bare value is treated as a 1-tuple."""


def zero_grad(variables: list[Tensor]) -> None:
    """Drop the ``.grad`` that ``loss.backward()`` left on ``variables``."""
