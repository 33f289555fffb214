"""Keras 3's quantization primitives: abs-max int8 / int4 quantizers, fake quantization, float8 scaling and the
int4 nibble packing, on the backend's tensors."""
import math

import numpy as np

from kerasport.backends import B
from kerasport.core.settings import epsilon as _epsilon

# The largest finite value of each float8 type (``ml_dtypes.finfo(dtype).max``).
FLOAT8_MAX = {"float8_e4m3fn": 448.0, "float8_e5m2": 57344.0}


class Quantizer:
    """Base class of quantizers: ``quantizer(x)`` returns the quantized ``x`` (``x`` itself here).

    Args:
        output_dtype: the dtype of the quantized values (``"int8"``).
    """

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        """Compute a quantized output from an input tensor."""
        return x

    @classmethod
    def from_config(cls, config):
        """A quantizer built from ``get_config()``'s dict."""
        return cls(**config)

    def get_config(self):
        """The quantizer's constructor arguments; subclasses implement it."""
        raise NotImplementedError(f"{self} does not implement get_config()")


def _axis_tuple(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=_epsilon(), to_numpy=False):
    """Quantize ``inputs`` with the absolute-maximum scheme, as Keras does.

    ``scale = value_range[1] / (max(|inputs|, axis, keepdims) + epsilon)``; the quantized values are
    ``clip(round(inputs * scale), *value_range)`` in ``dtype``.

    Args:
        inputs: the tensor to quantize.
        axis: the axis (or axes) the maximum is taken over.
        value_range: ``(min, max)`` of the quantized values.
        dtype: the quantized values' dtype.
        epsilon: added to the maximum, against division by zero.
        to_numpy: compute on the host with NumPy (saves device memory).

    Returns:
        ``(quantized, scale)``; ``scale`` keeps the reduced axes (size 1) and ``inputs``'s dtype.
    """
    axis = _axis_tuple(axis)
    if to_numpy:
        original_dtype = B.standardize_dtype(inputs.dtype)
        x = np.asarray(B.convert_to_numpy(inputs))
        scale = np.divide(value_range[1], np.add(np.max(np.abs(x), axis=axis, keepdims=True), epsilon))
        outputs = np.clip(np.round(np.multiply(x, scale)), value_range[0], value_range[1]).astype(dtype)
        return B.convert_to_tensor(outputs), B.convert_to_tensor(scale, original_dtype)
    inputs = B.convert_to_tensor(inputs)
    scale = B.divide(value_range[1], B.add(B.max(B.abs(inputs), axis=axis, keepdims=True), epsilon))
    scale = B.cast(scale, B.dtype(inputs))
    outputs = B.clip(B.round(B.multiply(inputs, scale)), value_range[0], value_range[1])
    return B.cast(outputs, dtype), scale


def abs_max_quantize_grouped_with_zero_point(inputs, block_size, value_range=(-8, 7), dtype="int8",
                                             epsilon=_epsilon(), to_numpy=False):
    """Asymmetric quantization of a 2D ``(input_dim, output_dim)`` tensor in groups of ``block_size`` rows.

    Each group gets, per column, ``scale = (max - min + epsilon) / (qmax - qmin)`` and
    ``zero_point = clip(round(-min / scale) + qmin, qmin, qmax)``; the values are
    ``clip(round(inputs / scale) + zero_point, qmin, qmax)``. The last group is zero-padded. It is computed on
    the host with NumPy whatever ``to_numpy`` says (Keras's device path gives the same numbers but where a
    group is constant).

    Returns:
        ``(quantized (input_dim, output_dim), scale (n_groups, output_dim), zero_point (n_groups, output_dim),
        int8)``.
    """
    original_dtype = B.standardize_dtype(inputs.dtype)
    x = np.asarray(B.convert_to_numpy(inputs))
    if x.ndim != 2:
        raise ValueError(f"abs_max_quantize_grouped_with_zero_point expects a 2D tensor (input_dim, output_dim), "
                         f"received shape {x.shape}.")
    input_dim, output_dim = x.shape
    n_groups = math.ceil(input_dim / block_size)
    qmin, qmax = value_range
    padded = np.concatenate([x, np.zeros((n_groups * block_size - input_dim, output_dim), x.dtype)], axis=0)
    grouped = padded.reshape(n_groups, block_size, output_dim)
    low, high = np.min(grouped, axis=1, keepdims=True), np.max(grouped, axis=1, keepdims=True)
    scale = np.divide(np.subtract(high, low) + epsilon, qmax - qmin)
    zero_point = np.clip(np.round(np.divide(-low, scale)) + qmin, qmin, qmax)
    outputs = np.clip(np.round(np.divide(grouped, scale)) + zero_point, qmin, qmax).astype(dtype)
    outputs = outputs.reshape(n_groups * block_size, output_dim)[:input_dim]
    return (B.convert_to_tensor(outputs), B.convert_to_tensor(np.squeeze(scale, axis=1), original_dtype),
            B.convert_to_tensor(np.squeeze(zero_point, axis=1).astype("int8")))


def dequantize_with_sz_map(weights_matrix, scale, zero, g_idx, group_axis=-1):
    """``(weights - zero[g]) * scale[g]``: each row (``group_axis=0``) or column (``-1``) of the quantized
    ``weights_matrix`` dequantized with the scale and zero point of its group ``g_idx``."""
    g_idx = B.cast(g_idx, "int32")
    scale_cols = B.take(scale, g_idx, axis=group_axis)
    zero_cols = B.take(zero, g_idx, axis=group_axis)
    dtype = B.dtype(scale)
    return B.multiply(B.subtract(B.cast(weights_matrix, dtype), B.cast(zero_cols, dtype)), scale_cols)


class AbsMaxQuantizer(Quantizer):
    """The absolute-maximum quantizer (``abs_max_quantize``) with fixed settings.

    Args:
        axis: the default axis of ``__call__`` (deprecated in Keras: pass it to the call); ``-1`` otherwise.
        value_range: ``(min, max)`` of the quantized values; within ``[-128, 127]`` for ``"int8"``.
        epsilon: added to the maximum, against division by zero.
        output_dtype: the quantized values' dtype.
    """

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=_epsilon(), output_dtype="int8"):
        Quantizer.__init__(self, output_dtype=output_dtype)
        self.axis = None if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        self.value_range = value_range
        self.epsilon = epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError("Quantizer with output_dtype='int8' requires value_range to be within the interval "
                             f"[-128, 127]. Received: value_range={value_range}")

    def __call__(self, x, axis=None, to_numpy=False):
        """``(quantized, scale)`` of ``x`` along ``axis`` (the constructor's, else ``-1``)."""
        if axis is None:
            axis = self.axis if self.axis is not None else -1
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon, to_numpy)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon, "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config


def _adjust_and_nudge(min_range, max_range, num_bits, narrow_range):
    """TensorFlow's nudged ``(min, max, scale, 1 / scale)`` of the fake quantization range."""
    min_range, max_range = B.cast(min_range, "float32"), B.cast(max_range, "float32")
    quant_max = (1 << num_bits) - 1
    quant_min = 1 if narrow_range else 0
    diff_range = B.subtract(max_range, min_range)
    scale = B.divide(diff_range, quant_max - quant_min)
    inv_scale = B.divide(quant_max - quant_min, diff_range)
    zero_point = B.clip(B.subtract(quant_min, B.divide(min_range, scale)), quant_min, quant_max)
    nudged_zero_point = B.round(zero_point)
    nudged_min = B.multiply(B.subtract(quant_min, nudged_zero_point), scale)
    nudged_max = B.multiply(B.subtract(quant_max, nudged_zero_point), scale)
    return nudged_min, nudged_max, scale, inv_scale


def fake_quant_with_min_max_vars(inputs, min_vals, max_vals, num_bits=8, narrow_range=False, axis=None):
    """Per-tensor (``axis=None``) or per-channel fake quantization, as TensorFlow's ``FakeQuant*`` ops.

    ``inputs`` are clamped to ``[min_vals, max_vals]`` (nudged so that zero is exact), quantized to
    ``[0, 2**num_bits - 1]`` (``[1, ...]`` with ``narrow_range``) and dequantized. The gradient passes
    ``inputs``'s upstream where it was not clamped; ``min_vals`` / ``max_vals`` receive the upstream of the
    values clamped to them (summed over all axes but ``axis``), so the range can be trained.

    Returns:
        A float tensor of ``inputs``'s shape and dtype.
    """
    inputs = B.convert_to_tensor(inputs)
    min_vals, max_vals = B.convert_to_tensor(min_vals), B.convert_to_tensor(max_vals)
    num_bits = int(num_bits)
    ndim = len(inputs.shape)
    if axis is not None:
        axis = axis + ndim if axis < 0 else axis
        if not 0 <= axis < ndim:
            raise ValueError(f"fake_quant_with_min_max_vars: axis {axis} is out of range for inputs of rank "
                             f"{ndim}.")
    if axis is not None and ndim > 1:  # the per-channel range broadcasts along ``axis``
        shape = [1] * ndim
        shape[axis] = -1
        channel_shape = tuple(shape)
    else:
        channel_shape = None
    reduce_axes = tuple(i for i in range(ndim) if i != axis) if axis is not None else None

    @B.custom_gradient
    def _fake_quant(x, min_val, max_val):
        dtype = B.dtype(x)
        lo, hi = (min_val, max_val) if channel_shape is None else (B.reshape(min_val, channel_shape),
                                                                     B.reshape(max_val, channel_shape))
        nudged_min, nudged_max, scale, inv_scale = _adjust_and_nudge(lo, hi, num_bits, narrow_range)
        quant_zero = B.floor(B.add(B.multiply(B.negative(nudged_min), inv_scale), 0.5))
        x32 = B.cast(x, "float32")
        shifted = B.subtract(B.clip(x32, nudged_min, nudged_max), nudged_min)
        result = B.multiply(B.floor(B.add(B.subtract(B.multiply(shifted, inv_scale), quant_zero), 0.5)), scale)
        result = B.cast(result, dtype)
        inside = B.logical_and(B.greater_equal(x32, nudged_min), B.less_equal(x32, nudged_max))
        below, above = B.less(x32, nudged_min), B.greater(x32, nudged_max)

        def grad(upstream):
            zeros = B.zeros_like(upstream)
            dx = B.where(inside, upstream, zeros)
            grad_min = B.sum(B.where(below, upstream, zeros), axis=reduce_axes)
            grad_max = B.sum(B.where(above, upstream, zeros), axis=reduce_axes)
            return (dx, B.cast(B.reshape(grad_min, B.shape(min_val)), B.dtype(min_val)),
                    B.cast(B.reshape(grad_max, B.shape(max_val)), B.dtype(max_val)))

        return result, grad

    return _fake_quant(inputs, min_vals, max_vals)


def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The new float8 scale from the recent absolute maximum ``amax``: ``amax / dtype_max * 2**margin``, or
    ``scale`` where ``amax`` is not a positive finite number (Transformer Engine's rule)."""
    scale = B.reciprocal(scale)
    sf = B.divide(B.divide(dtype_max, amax), 2**margin)
    sf = B.where(B.greater(amax, 0.0), sf, scale)
    sf = B.where(B.isfinite(amax), sf, scale)
    return B.reciprocal(sf)


def compute_float8_amax_history(x, amax_history):
    """``amax_history`` rolled by one with ``max(|x|)`` written at its start."""
    amax_update = B.cast(B.max(B.abs(x)), B.dtype(amax_history))
    return B.scatter_update(B.roll(amax_history, shift=-1), [[0]], B.reshape(amax_update, [1]))


def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """``inputs / scale`` clipped to ``quantized_dtype``'s range, cast to it, and back times ``scale``, in
    ``compute_dtype``."""
    if quantized_dtype not in FLOAT8_MAX and B.standardize_dtype(quantized_dtype) not in FLOAT8_MAX:
        raise ValueError(f"quantize_and_dequantize: `quantized_dtype` must be one of {sorted(FLOAT8_MAX)}, "
                         f"received {quantized_dtype!r}.")
    quantized_max = B.cast(FLOAT8_MAX[B.standardize_dtype(quantized_dtype)], compute_dtype)
    x = B.divide(inputs, B.cast(scale, compute_dtype))
    x = B.cast(B.clip(x, B.negative(quantized_max), quantized_max), quantized_dtype)
    return B.multiply(B.cast(x, compute_dtype), B.cast(scale, compute_dtype))


def pack_int4(arr, axis=0, dtype="int8"):
    """Pack int4 values (an ``int8`` / ``uint8`` tensor in ``[-8, 7]``) two to a byte along ``axis``.

    Of two consecutive entries, the first goes in the low nibble and the second in the high one; an odd length
    is zero-padded.

    Returns:
        ``(packed, packed_shape, orig_len)``: the packed tensor (``dtype``), its shape, and the unpadded length.
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    if B.standardize_dtype(arr.dtype) != dtype:
        raise TypeError(f"Expected {dtype} tensor for packing, got {B.standardize_dtype(arr.dtype)}.")
    a = np.moveaxis(np.asarray(B.convert_to_numpy(arr)), axis, 0)
    n = a.shape[0]
    if n % 2:
        a = np.concatenate([a, np.zeros((1,) + a.shape[1:], a.dtype)], axis=0)
    mask = np.array(0x0F, dtype=dtype)
    low, high = np.bitwise_and(a[::2].astype(dtype), mask), np.bitwise_and(a[1::2].astype(dtype), mask)
    packed = np.moveaxis(np.bitwise_or(low, np.left_shift(high, np.array(4, dtype=dtype))).astype(dtype), 0, axis)
    return B.convert_to_tensor(packed), tuple(packed.shape), n


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """The int4 values ``pack_int4`` packed along ``axis``, as ``dtype`` (``int8``: signed, in ``[-8, 7]``),
    without the padding (``orig_len`` entries along ``axis``)."""
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    if B.standardize_dtype(packed.dtype) not in ("int8", "uint8"):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got {B.standardize_dtype(packed.dtype)}")
    packed = B.convert_to_tensor(packed)
    rank = len(packed.shape)
    axis = axis + rank if axis < 0 else axis
    perm = [axis] + [i for i in range(rank) if i != axis]
    moved = B.transpose(packed, perm) if axis else packed
    source = B.dtype(moved)
    mask = B.convert_to_tensor(np.array(0x0F, dtype=source))
    low = B.bitwise_and(moved, mask)
    high = B.bitwise_and(B.right_shift(moved, B.convert_to_tensor(np.array(4, dtype=source))), mask)
    if dtype == "int8":  # nibbles 0..15 as signed int4: (x ^ 8) - 8
        eight = B.convert_to_tensor(np.array(8, dtype=source))
        low, high = (B.subtract(B.bitwise_xor(v, eight), eight) for v in (low, high))
    stacked = B.stack([B.cast(low, dtype), B.cast(high, dtype)], axis=1)
    unpacked = B.reshape(stacked, (-1,) + tuple(moved.shape[1:]))[:orig_len]
    return B.transpose(unpacked, [perm.index(i) for i in range(rank)]) if axis else unpacked
