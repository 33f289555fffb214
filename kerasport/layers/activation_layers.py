"""Activation layers with arguments or weights: ReLU, LeakyReLU, PReLU, ELU, Softmax.

(``Activation("name")`` lives in ``core.py``.) Each passes masks through.
"""
from kerasport import activations, constraints, initializers, regularizers
from kerasport.backends import B
from kerasport.core.serialization import serialized
from kerasport.layers.layer import Layer, may_overwrite_input, returns_fresh_outputs


class _Elementwise(Layer):
    """An activation that keeps the input's shape and mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_Elementwise):
    """Rectified linear unit with an optional cap, slope and threshold.

    ``f(x) = min(x, max_value)`` for ``x > threshold``, ``negative_slope * (x - threshold)``
    otherwise.

    Args:
        max_value: non-negative cap on the output (``None``: none).
        negative_slope: non-negative slope below the threshold (``0``).
        threshold: non-negative value below which the slope applies (``0``).
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for arg, value, optional in (("max_value", max_value, True), ("negative_slope", negative_slope, False),
                                     ("threshold", threshold, False)):
            if (value is None and not optional) or (value is not None and value < 0):
                raise ValueError(f"ReLU {self.name!r}: `{arg}` must be a non-negative number, "
                                 f"received {arg}={value!r}.")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    @returns_fresh_outputs
    @may_overwrite_input
    def call(self, inputs):
        if self._input_is_scratch and self.negative_slope == 0.0 and self.threshold == 0.0:
            return B.relu_overwriting(inputs, self.max_value)
        return activations.relu(inputs, self.negative_slope, self.max_value, self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """Leaky ReLU: ``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: non-negative slope for negative inputs (``0.3``); ``alpha`` is its legacy name.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        negative_slope = kwargs.pop("alpha", negative_slope)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"LeakyReLU {self.name!r}: `negative_slope` must be a non-negative number, "
                             f"received negative_slope={negative_slope!r}.")
        self.negative_slope = negative_slope

    def call(self, inputs):
        return B.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(_Elementwise):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, with a learned ``alpha``.

    Args:
        alpha_initializer: initializer of ``alpha`` (``"Zeros"``).
        alpha_regularizer, alpha_constraint: for ``alpha``.
        shared_axes: axes (counting the batch as 0) along which ``alpha`` is shared, e.g.
            ``[1, 2]`` for one ``alpha`` per channel of ``(batch, height, width, channels)`` images.

    Weights: ``alpha`` of the input's shape without the batch (1 on ``shared_axes``).
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]

    def _check_input_spec(self, shape):
        for axis in self.shared_axes or ():
            if not 1 <= axis < len(shape):
                raise ValueError(f"PReLU {self.name!r}: shared axis {axis} must be in [1, {len(shape) - 1}] for "
                                 f"input shape {tuple(shape)}.")
        for i, d in enumerate(shape[1:], start=1):
            if d is None and i not in (self.shared_axes or ()):
                raise ValueError(f"PReLU {self.name!r}: axis {i} of the input must have a known size (or be in "
                                 f"shared_axes), received input shape {tuple(shape)}.")

    def build(self, input_shape):
        shape = [1 if i in (self.shared_axes or ()) else d for i, d in enumerate(input_shape) if i > 0]
        self.alpha = self.add_weight(shape, self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs):
        return B.relu(inputs) - self.alpha * B.relu(-inputs)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": serialized(self.alpha_initializer),
                "alpha_regularizer": serialized(self.alpha_regularizer),
                "alpha_constraint": serialized(self.alpha_constraint),
                "shared_axes": self.shared_axes}


class ELU(_Elementwise):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: scale of the negative part (``1.0``).
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return B.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


def _large_negative(dtype):
    """The value masked positions take before the softmax (Keras's choice per dtype)."""
    return -3e4 if dtype == "float16" else -1e9


class Softmax(_Elementwise):
    """Softmax over ``axis``, with optional masking.

    Args:
        axis: the axis or axes the probabilities sum to one over (``-1``).

    Call arguments:
        inputs: the logits.
        mask: boolean (or 0/1) tensor broadcastable to ``inputs``; masked (``False``)
            positions get probability 0 and do not count in the normalization.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = self._check_mask(inputs, mask)
            inputs = B.where(mask, inputs, _large_negative(B.dtype(inputs)))
        if isinstance(self.axis, (list, tuple)) and len(self.axis) > 1:
            outputs = B.exp(inputs - B.logsumexp(inputs, axis=list(self.axis), keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, (list, tuple)) else self.axis
            outputs = B.softmax(inputs, axis=axis)
        return outputs if mask is None else B.where(mask, outputs, 0.0)

    def _check_mask(self, inputs, mask):
        in_shape, m_shape = tuple(inputs.shape), tuple(mask.shape)
        if len(m_shape) > len(in_shape) or any(
                m is not None and i is not None and m not in (1, i) for m, i in zip(m_shape[::-1], in_shape[::-1])):
            raise ValueError(f"Softmax {self.name!r}: the mask must be broadcastable to the inputs, received "
                             f"mask shape {m_shape} for inputs of shape {in_shape}.")
        return mask if B.dtype(mask) == "bool" else B.greater(mask, 0.5)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
