"""Merging layers: combine a list of tensors elementwise (Add, Subtract, Multiply, Average, Maximum,
Minimum), by concatenation (Concatenate) or by a batched dot product (Dot), plus their functional forms."""
import math

from kerasport.backends import B
from kerasport.layers.layer import Layer


def _input_masks(inputs):
    return [getattr(x, "_keras_mask", None) for x in inputs]


class Merge(Layer):
    """Base class of the elementwise merge layers, called on a list of tensors.

    Shapes (batch dim excluded) must be equal or broadcastable through size-1 dims; inputs of
    lower rank get size-1 dims inserted after the batch dim. When every input carries a mask,
    the output mask is their logical OR.
    """

    _num_inputs = None
    _masks_from_input_masks = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _fail(self, shapes, why):
        raise ValueError(f"{type(self).__name__} {self.name!r}: {why}. Received input shapes "
                         f"{[tuple(s) if isinstance(s, (list, tuple)) else s for s in shapes]}.")

    def _check_list(self, shapes):
        if not isinstance(shapes, (list, tuple)) or not shapes or not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"{type(self).__name__} {self.name!r} must be called on a list of tensors, "
                             f"received input of shape {shapes}.")
        if self._num_inputs is not None and len(shapes) != self._num_inputs:
            self._fail(shapes, f"expects exactly {self._num_inputs} inputs, received {len(shapes)}")
        if len({s[0] for s in shapes} - {None}) > 1:
            self._fail(shapes, "cannot merge tensors with different batch sizes")

    def _check_input_spec(self, shapes):
        self.compute_output_shape(shapes)

    def _merged_shape(self, shapes):
        out = ()
        for shape in shapes:
            shape = tuple(shape[1:])
            if len(shape) > len(out):
                out, shape = shape, out
            dims = list(out[:len(out) - len(shape)])
            for i, j in zip(out[len(out) - len(shape):], shape):
                if i is not None and j is not None and i != j and 1 not in (i, j):
                    self._fail(shapes, "inputs must have the same shape, or shapes that broadcast")
                dims.append(None if i is None or j is None else (j if i == 1 else i))
            out = tuple(dims)
        batch = {s[0] for s in shapes} - {None}
        return (batch.pop() if batch else None,) + out

    def call(self, inputs):
        top = max(len(x.shape) for x in inputs)
        self._input_masks = _input_masks(inputs)
        expanded = []
        for x in inputs:
            for _ in range(top - len(x.shape)):
                x = B.expand_dims(x, 1)
            expanded.append(x)
        try:
            return self._merge(expanded)
        finally:
            self._input_masks = []

    def _merge(self, inputs):
        raise NotImplementedError

    def _feature_masks(self, inputs):
        """Each input's mask broadcast over its feature axis (``None`` where it has none)."""
        return [None if m is None else B.broadcast_to(B.expand_dims(m, -1), B.shape(x))
                for x, m in zip(inputs, self._input_masks)]

    def _merge_skipping_masked(self, op, inputs):
        """Keras's rule for ``Maximum``/``Minimum``: a masked value is replaced by the running result
        (or replaces it), so masked steps never win; the mask is the OR of all masks."""
        out, out_mask = None, None
        for x, mask in zip(inputs, self._feature_masks(inputs)):
            if out is None:
                out, out_mask = x, mask
                continue
            if mask is not None:
                x = B.where(mask, x, out)
            if out_mask is not None:
                out = B.where(out_mask, out, x)
            out_mask = B.logical_or(out_mask, mask) if mask is not None and out_mask is not None else None
            out = op(out, x)
        return out

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        return self._merged_shape(input_shape)

    def compute_mask(self, inputs, mask=None):
        masks = _input_masks(inputs)
        if any(m is None for m in masks):
            return None
        out = masks[0]
        for m in masks[1:]:
            out = B.logical_or(out, m)
        return out


class Add(Merge):
    """Sums a list of tensors: ``Add()([x1, x2])``."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = B.add(out, x)
        return out


class Subtract(Merge):
    """Subtracts the second of two tensors from the first: ``Subtract()([x1, x2])`` is ``x1 - x2``."""

    _num_inputs = 2

    def _merge(self, inputs):
        return B.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """Multiplies a list of tensors elementwise."""

    def _merge(self, inputs):
        masks = self._feature_masks(inputs)
        out, any_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:  # masked values count as 1, as in Keras
                x = B.where(mask, x, B.ones_like(x))
                any_mask = mask if any_mask is None else B.logical_or(any_mask, mask)
            out = x if out is None else B.multiply(out, x)
        if all(m is not None for m in masks):  # then positions masked everywhere are 0
            out = B.where(any_mask, out, B.zeros_like(out))
        return out


class Average(Merge):
    """The elementwise mean of a list of tensors."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = B.add(out, x)
        return out / len(inputs)


class Maximum(Merge):
    """The elementwise maximum of a list of tensors."""

    def _merge(self, inputs):
        return self._merge_skipping_masked(B.maximum, inputs)


class Minimum(Merge):
    """The elementwise minimum of a list of tensors."""

    def _merge(self, inputs):
        return self._merge_skipping_masked(B.minimum, inputs)


class Concatenate(Merge):
    """Concatenates a list of tensors along ``axis``; all other dims must match.

    Args:
        axis: the concatenation axis (-1 by default).

    Masks: when any input has one, inputs without a mask count as unmasked, each mask is
    broadcast to its input, concatenated, and reduced with ``any`` over the last axis, as in Keras.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        rank = len(input_shape[0])
        if any(len(s) != rank for s in input_shape):
            self._fail(input_shape, "inputs must have equal ranks")
        if not -rank <= self.axis < rank:
            self._fail(input_shape, f"`axis` {self.axis} is out of range for inputs of rank {rank}")
        axis = self.axis % rank
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            for i, d in enumerate(shape):
                if i == axis:
                    out[i] = None if out[i] is None or d is None else out[i] + d
                elif out[i] is not None and d is not None and out[i] != d:
                    self._fail(input_shape, f"shapes must match except on the concatenation axis ({self.axis})")
                elif out[i] is None:
                    out[i] = d
        return tuple(out)

    def call(self, inputs):
        return B.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        masks = _input_masks(inputs)
        if all(m is None for m in masks):
            return None
        full = []
        for x, m in zip(inputs, masks):
            if m is None:
                m = B.ones_like(x, dtype="bool")
            elif len(m.shape) < len(x.shape):
                m = B.broadcast_to(B.expand_dims(m, -1), tuple(x.shape))
            full.append(m)
        return B.any(B.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(Merge):
    """Dot product of two tensors along an axis of each, per sample (a batched ``tensordot``).

    ``x1 (batch, ..., k)`` and ``x2 (batch, k, ...)`` give ``(batch, x1's other dims, x2's other dims)``;
    a result of shape ``(batch,)`` becomes ``(batch, 1)``.

    Args:
        axes: int (the same axis of both inputs) or a pair ``(axis_of_x1, axis_of_x2)``; never 0 (batch).
        normalize: L2-normalise both inputs along their axes first, giving cosine similarities.
    """

    _num_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int) and not (isinstance(axes, (list, tuple)) and len(axes) == 2
                                              and all(isinstance(a, int) for a in axes)):
            raise ValueError(f"Dot {self.name!r}: `axes` must be an int or a pair of ints, received {axes!r}.")
        self.axes = axes
        self.normalize = normalize

    def _resolve_axes(self, shapes):
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        out = tuple(a % len(s) for a, s in zip(axes, shapes))
        if 0 in out:
            self._fail(shapes, f"`axes` {self.axes} cannot include the batch axis 0")
        return out

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        a1, a2 = self._resolve_axes(input_shape)
        s1, s2 = input_shape
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            self._fail(input_shape, f"the dot axes must have equal sizes, found {s1[a1]} (axis {a1} of input 0) "
                                    f"and {s2[a2]} (axis {a2} of input 1)")
        out = tuple(d for i, d in enumerate(s1) if i != a1) + tuple(d for i, d in enumerate(s2[1:], 1) if i != a2)
        return out if len(out) > 1 else out + (1,)

    def call(self, inputs):
        x1, x2 = inputs
        a1, a2 = self._resolve_axes([x1.shape, x2.shape])
        if self.normalize:
            x1, x2 = B.normalize(x1, axis=a1), B.normalize(x2, axis=a2)
        x1, x2 = B.moveaxis(x1, a1, -1), B.moveaxis(x2, a2, 1)
        rest1, rest2 = tuple(x1.shape[1:-1]), tuple(x2.shape[2:])
        out = B.matmul(B.reshape(x1, (-1, math.prod(rest1), x1.shape[-1])),
                       B.reshape(x2, (-1, x2.shape[1], math.prod(rest2))))
        return B.reshape(out, (-1,) + (rest1 + rest2 or (1,)))

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs, **kwargs):
    """Functional form of ``Add``: ``add([x1, x2])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of ``Subtract``: ``subtract([x1, x2])`` is ``x1 - x2``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of ``Multiply``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of ``Average``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of ``Maximum``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of ``Minimum``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of ``Concatenate``: ``concatenate([x1, x2], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Functional form of ``Dot``: ``dot([x1, x2], axes=1, normalize=True)`` gives cosine similarities."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
