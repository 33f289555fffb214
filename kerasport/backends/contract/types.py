"""The types of the backend contract's signatures; the contract never names a framework.

``Tensor`` is the backend's native tensor (``torch.Tensor`` / ``tf.Tensor``), ``Variable`` its native variable."""
from typing import Any, TypeAlias

Tensor: TypeAlias = Any  # torch.Tensor | tf.Tensor
Variable: TypeAlias = Any  # kerasport's torch.nn.Parameter subclass | tf.Variable
ArrayLike: TypeAlias = Any  # a Tensor, a NumPy array, or a Python number or (nested) list
Generator: TypeAlias = Any  # a random state from make_generator / seeded_generator (None: the global stream)
Axis: TypeAlias = int | tuple[int, ...] | None
Shape: TypeAlias = tuple[int | None, ...]
DType: TypeAlias = str  # a Keras dtype name ("float32", "int64", "bool", ...); a framework dtype is accepted too
