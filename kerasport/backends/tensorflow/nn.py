"""TensorFlow layer kernels and ``keras.ops.nn``: dense, embedding, conv, pooling, normalization, activations, losses.
Convolutions run channels_last, in the native kernel where ``kernels.supports`` says this machine has it."""

import builtins as _bi
import contextvars
import math
import warnings

import tensorflow as tf

from kerasport.backends import ops_common as _common
from kerasport.backends.tensorflow import kernels as _kernels
from kerasport.core import settings
from kerasport.backends.tensorflow.core import (
    as_tensor as _t, convert_to_tensor, ndim, promote_float_pair as _float_pair, result_dtype as _result_dtype,
    shape, to_dtype, to_float as _f)
from kerasport.backends.tensorflow.math import log10


# Set while ``step.compile_function`` traces a function for XLA (``jit_compile=True``).
XLA_TRACING = contextvars.ContextVar("xla_tracing", default=False)


# ----------------------------------------------------------------------------- encoding
def one_hot(x, num_classes, axis=-1, dtype="float32"):
    return tf.one_hot(tf.cast(_t(x), tf.int32), num_classes, axis=axis, dtype=to_dtype(dtype))


# ----------------------------------------------------------------------------- activations
relu = tf.nn.relu
relu6 = tf.nn.relu6


def can_overwrite():
    """Never: TensorFlow's tensors are immutable."""
    return False


def relu_overwriting(x, max_value=None):
    """TensorFlow's tensors are immutable: a new tensor, as ``relu`` / ``relu6``."""
    if max_value is None:
        return tf.nn.relu(x)
    return tf.nn.relu6(x) if max_value == 6.0 else tf.minimum(tf.nn.relu(x), max_value)


def _with_logits(output, logits):
    """``output`` with ``logits`` kept on it, as Keras on TensorFlow keeps them on a sigmoid's or a softmax's
    output: a crossentropy given that output computes from the logits (``_get_logits``)."""
    output._keras_logits = logits
    return output


def sigmoid(x):
    x = tf.convert_to_tensor(x)
    return _with_logits(tf.sigmoid(x), x)


tanh = tf.tanh
softplus = tf.math.softplus
softsign = tf.math.softsign
silu = tf.nn.silu
swish = tf.nn.silu
selu = tf.nn.selu
log_sigmoid = tf.math.log_sigmoid


def elu(x, alpha=1.0):
    out = tf.nn.elu(x)
    return out if alpha == 1.0 else tf.where(x > 0, x, alpha * out)


def gelu(x, approximate=True):
    return tf.nn.gelu(x, approximate=approximate)


def leaky_relu(x, negative_slope=0.2):
    return tf.nn.leaky_relu(x, alpha=negative_slope)


def hard_sigmoid(x):
    return tf.nn.relu6(x + 3.0) / 6.0


def hard_silu(x):
    return x * hard_sigmoid(x)


def softmax(x, axis=-1):
    x = tf.convert_to_tensor(x)
    if isinstance(axis, int):
        return _with_logits(tf.nn.softmax(x, axis=axis), x)
    return _with_logits(tf.exp(x - tf.reduce_logsumexp(x, axis=list(axis), keepdims=True)), x)


def log_softmax(x, axis=-1):
    if isinstance(axis, int):
        return tf.nn.log_softmax(x, axis=axis)
    return x - tf.reduce_logsumexp(x, axis=list(axis), keepdims=True)


# ----------------------------------------------------------------------------- convolution and pooling
def _tuple(v, n):
    return list(v) if isinstance(v, (list, tuple)) else [v] * n


def _fmt(n, data_format):
    cl = {1: "NWC", 2: "NHWC", 3: "NDHWC"}[n]
    cf = {1: "NCW", 2: "NCHW", 3: "NCDHW"}[n]
    return cf if data_format == "channels_first" else cl


def _to_cl(x, data_format):
    if data_format != "channels_first":
        return x
    r = x.shape.rank
    return tf.transpose(x, [0] + list(range(2, r)) + [1])


def _from_cl(x, data_format):
    if data_format != "channels_first":
        return x
    r = x.shape.rank
    return tf.transpose(x, [0, r - 1] + list(range(1, r - 1)))


def _same_pad(x, kernel, strides, dilation):
    """Zero-pads a channels_last ``x`` as TensorFlow's 'same' does (extra on the right)."""
    pads = [[0, 0]]
    for i, (k, s, d) in enumerate(zip(kernel, strides, dilation)):
        size = x.shape[1 + i]
        total = _bi.max(0, (-(-size // s) - 1) * s + (k - 1) * d + 1 - size)
        pads.append([total // 2, total - total // 2])
    return tf.pad(x, pads + [[0, 0]])


def _strided_by_slicing(x, kernel_size, strides, padding, dilation, fn):
    """``fn(x)`` at stride 1 (padding done here), then every ``strides``-th output: for the stride and
    dilation combinations that a kernel refuses."""
    if padding == "same":
        x = _same_pad(x, kernel_size, strides, dilation)
    out = fn(x)
    return out[(_bi.slice(None),) + tuple(_bi.slice(None, None, s) for s in strides)]


def _conv_cl(x, kernel, strides, padding, dilation):
    """Convolution of channels_last ``x`` in a form that this machine's kernels run forward and backward."""
    n = kernel.shape.rank - 2
    in_per_group = kernel.shape[-2]
    groups = x.shape[-1] // in_per_group
    # Grouped: native on oneDNN and GPUs in 1D/2D; Eigen has no gradient for it and no CPU kernel has a
    # grouped Conv3D. There, one input channel per group is a depthwise convolution, else one conv per group.
    if groups > 1 and (n == 3 or not _kernels.supports("grouped_conv")):
        if in_per_group == 1 and n < 3:
            ks = kernel.shape
            return _depthwise_cl(x, tf.reshape(kernel, list(ks[:n]) + [groups, ks[-1] // groups]),
                                 strides, padding, dilation)
        return tf.concat([_conv_cl(xg, kg, strides, padding, dilation)
                          for xg, kg in zip(tf.split(x, groups, -1), tf.split(kernel, groups, -1))], -1)
    fmt = _fmt(n, "channels_last")
    if _bi.max(strides) > 1 and _bi.max(dilation) > 1:
        # tf.nn.convolution refuses strides and dilation together.
        return _strided_by_slicing(x, kernel.shape[:n], strides, padding, dilation,
                                   lambda xp: tf.nn.convolution(xp, kernel, 1, "VALID", fmt, dilation))
    return tf.nn.convolution(x, kernel, strides, padding.upper(), fmt, dilation)


def _depthwise_cl(x, kernel, strides, padding, dilation):
    """Depthwise convolution of channels_last ``x`` (1D or 2D); kernel (*k, in, multiplier)."""
    if kernel.shape.rank == 3:
        # 1D as 2D over a height of one; the stride is repeated so that the two strides are equal.
        out = _depthwise_cl(x[:, None], kernel[None], [strides[0]] * 2, padding, [1, dilation[0]])
        return out[:, 0]
    equal = strides[0] == strides[1] or _kernels.supports("unequal_strides_depthwise")
    if equal and (_bi.max(strides) == 1 or _bi.max(dilation) == 1):
        return tf.nn.depthwise_conv2d(x, kernel, [1, *strides, 1], padding.upper(), dilations=dilation)
    return _strided_by_slicing(x, kernel.shape[:2], strides, padding, dilation,
                               lambda xp: tf.nn.depthwise_conv2d(xp, kernel, [1, 1, 1, 1], "VALID",
                                                                 dilations=dilation))


def _finish(out, bias, data_format):
    """Adds ``bias`` to the channels_last ``out`` and transposes it back to ``data_format``."""
    if bias is not None:
        out = tf.nn.bias_add(out, bias)
    return _from_cl(out, data_format)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, bias=None):
    """N-d convolution. inputs (batch, *spatial, in) channels_last; kernel (*k, in/groups, out)."""
    n = kernel.shape.rank - 2
    # CPU kernels only support channels_last; transpose around them when asked for channels_first.
    out = _conv_cl(_to_cl(inputs, data_format), kernel, _tuple(strides, n), padding, _tuple(dilation_rate, n))
    return _finish(out, bias, data_format)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, bias=None):
    n = kernel.shape.rank - 2
    s, d = _tuple(strides, n), _tuple(dilation_rate, n)
    if n == 3:
        ks = kernel.shape
        return conv(inputs, tf.reshape(kernel, list(ks[:n]) + [1, ks[-2] * ks[-1]]), s, padding, data_format, d,
                    bias=bias)
    return _finish(_depthwise_cl(_to_cl(inputs, data_format), kernel, s, padding, d), bias, data_format)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1, bias=None):
    x = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(x, pointwise_kernel, 1, "valid", data_format, bias=bias)


def _dilate_kernel(kernel, dilation):
    """``kernel`` (*k, ...) with ``d - 1`` zeros between its taps along each spatial axis."""
    for axis, d in enumerate(dilation):
        if d == 1:
            continue
        k = kernel.shape[axis]
        pads = [[0, 0]] * (kernel.shape.rank + 1)
        pads[axis + 1] = [0, d - 1]
        spread = tf.pad(tf.expand_dims(kernel, axis + 1), pads)
        shape_ = list(kernel.shape)
        shape_[axis] = k * d
        kernel = tf.reshape(spread, shape_)[(_bi.slice(None),) * axis + (_bi.slice(0, (k - 1) * d + 1),)]
    return kernel


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1, bias=None):
    """Transposed conv. kernel (*k, out, in); output sizes follow Keras."""
    n = kernel.shape.rank - 2
    x = _to_cl(inputs, data_format)
    strides_, dil = _tuple(strides, n), _tuple(dilation_rate, n)
    if _bi.max(dil) > 1 and not _kernels.supports("dilated_conv_transpose"):
        # Eigen has no dilated transposed convolution: the same sum with the zeros written into the kernel.
        kernel, dil = _dilate_kernel(kernel, dil), [1] * n
    ops_ = [None] * n if output_padding is None else _tuple(output_padding, n)
    in_shape = shape(x)
    out_spatial = []
    for i in range(n):
        k = (kernel.shape[i] - 1) * dil[i] + 1
        s, op, size = strides_[i], ops_[i], in_shape[1 + i]
        if padding == "valid":
            out_spatial.append((size - 1) * s + k + (_bi.max(k, s) - k if op is None else op))
        else:
            out_spatial.append(size * s if op is None else (size - 1) * s + k - 2 * (k // 2) + op)
    out_shape = [in_shape[0]] + out_spatial + [kernel.shape[-2]]
    fn = {1: tf.nn.conv1d_transpose, 2: tf.nn.conv2d_transpose, 3: tf.nn.conv3d_transpose}[n]
    return _finish(fn(x, kernel, tf.stack(out_shape), strides_, padding.upper(), dilations=dil), bias, data_format)


def _pool(x, pool_size, strides, padding, data_format, kind):
    n = x.shape.rank - 2
    pool_size = _tuple(pool_size, n)
    strides = _tuple(strides if strides is not None else pool_size, n)
    x = _to_cl(x, data_format)
    fn = tf.nn.max_pool if kind == "max" else tf.nn.avg_pool
    out = fn(x, pool_size, strides, padding.upper(), _fmt(n, "channels_last"))
    return _from_cl(out, data_format)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool(inputs, pool_size, strides, padding, data_format, "max")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool(inputs, pool_size, strides, padding, data_format, "avg")


# ----------------------------------------------------------------------------- normalisation helpers
def moments(x, axes, keepdims=False, synchronized=False):
    """Keras's ``keras.ops.moments``. With ``synchronized`` in a replica context of several replicas (a
    step under ``tf.distribute``), the statistics are those of the global batch: the sums of ``x``, of its
    squares and the counts are all-reduced over the replicas, as in Keras."""
    x, axes = _t(x), list(axes)
    context = tf.distribute.get_replica_context() if synchronized else None
    if context is None or context.num_replicas_in_sync == 1:
        return tf.nn.moments(x, axes=axes, keepdims=keepdims)
    count = tf.reduce_sum(tf.ones_like(x), axis=axes, keepdims=True)
    total, squares, count = context.all_reduce("sum", [tf.reduce_sum(x, axis=axes, keepdims=True),
                                                       tf.reduce_sum(tf.square(x), axis=axes, keepdims=True), count])
    mean = tf.math.divide_no_nan(total, count)
    variance = tf.maximum(tf.math.divide_no_nan(squares, count) - tf.square(mean), 0.0)
    if not keepdims:
        mean, variance = tf.squeeze(mean, axes), tf.squeeze(variance, axes)
    return mean, variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    r = x.shape.rank
    axis = axis % r
    if axis != r - 1:
        shape_ = [1] * r
        shape_[axis] = -1
        mean, variance = tf.reshape(mean, shape_), tf.reshape(variance, shape_)
        offset = None if offset is None else tf.reshape(offset, shape_)
        scale = None if scale is None else tf.reshape(scale, shape_)
    return tf.nn.batch_normalization(x, mean, variance, offset, scale, epsilon)


def _fused_batch_norm(x, axis, offset, scale, epsilon, **kwargs):
    """``FusedBatchNormV3`` (``tf.compat.v1.nn.fused_batch_norm(x, ...)``), as Keras 2 ran the layer on
    TensorFlow, for 4D channels-last float32 ``x``; else ``None``."""
    channels = x.shape[3] if x.shape.rank == 4 else None
    if channels is None or axis % 4 != 3 or x.dtype != tf.float32:
        return None
    scale = tf.ones([channels]) if scale is None else scale
    offset = tf.zeros([channels]) if offset is None else offset
    return tf.compat.v1.nn.fused_batch_norm(x, scale, offset, epsilon=epsilon, **kwargs)


def batch_normalization_inference(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3, overwrite=False):
    """``_fused_batch_norm`` where it applies, which Grappler folds into a preceding convolution;
    ``overwrite`` changes nothing (TensorFlow's tensors are immutable)."""
    fused = None if mean.dtype != tf.float32 else _fused_batch_norm(
        x, axis, offset, scale, epsilon, mean=mean, variance=variance, is_training=False)
    return batch_normalization(x, mean, variance, axis, offset, scale, epsilon) if fused is None else fused[0]


def batch_normalization_training(x, axis, offset=None, scale=None, epsilon=1e-3):
    """One ``_fused_batch_norm`` (and its fused gradient) where it applies; its variance carries Bessel's
    correction, which is taken out again. Otherwise, and under XLA (which compiles the plain ops into a faster
    step than ``FusedBatchNormV3``'s expansion, as Keras writes them), ``moments`` and ``batch_normalization``."""
    x = _t(x)
    axis = axis % x.shape.rank
    fused = None if XLA_TRACING.get() else _fused_batch_norm(x, axis, offset, scale, epsilon, is_training=True)
    if fused is not None:
        outputs, mean, variance = fused[:3]
        n = tf.cast(tf.size(x) // x.shape[3], tf.float32)
        return outputs, tf.stop_gradient(mean), tf.stop_gradient(variance * ((n - 1.0) / n))
    mean, variance = moments(x, [i for i in range(x.shape.rank) if i != axis])
    return batch_normalization(x, mean, variance, axis, offset, scale, epsilon), mean, variance


def normalize(x, axis=-1, order=2, epsilon=None):
    """As Keras: ``x * min(rsqrt(sum(x**2)), 1 / epsilon)`` for ``order=2``, else ``x / max(norm, epsilon)``;
    ``epsilon`` defaults to ``keras.config.epsilon()``."""
    _common.check_normalize_order(order)
    x = tf.convert_to_tensor(x)
    x = tf.cast(x, "float32") if not (x.dtype.is_floating or x.dtype.is_complex) else x
    x = tf.reshape(x, (1,)) if x.shape.rank == 0 else x
    epsilon = settings.epsilon() if epsilon is None else epsilon
    if order == 2:
        inv_norm = tf.math.rsqrt(tf.reduce_sum(tf.square(x), axis=axis, keepdims=True))
        return x * tf.minimum(inv_norm, tf.cast(1.0 / epsilon, x.dtype))
    return x / tf.maximum(tf.norm(x, ord=order, axis=axis, keepdims=True), tf.cast(epsilon, x.dtype))


# ----------------------------------------------------------------------------- losses
def _get_logits(output, from_logits, op_type):
    """``(output, from_logits)`` as Keras on TensorFlow reads a crossentropy's ``output``: the logits kept on a
    sigmoid's / softmax's output, or in a traced graph the input of an ``op_type`` op, are taken instead, with
    ``from_logits=True`` (a ``from_logits=True`` given such an output warns, as in Keras)."""
    logits = getattr(output, "_keras_logits", None)
    if logits is None and not isinstance(output, (tf.__internal__.EagerTensor, tf.Variable)) and \
            getattr(getattr(output, "op", None), "type", None) == op_type and len(output.op.inputs) == 1:
        logits = output.op.inputs[0]
    if logits is None:
        return output, from_logits
    if from_logits:
        warnings.warn(f"A crossentropy received `from_logits=True`, but the `output` argument was produced by a "
                      f"{op_type} activation and thus does not represent logits. Was this intended?", stacklevel=3)
    return logits, True


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _t(target), _t(output)
    _common.check_crossentropy_shapes(target.shape, output.shape)
    output, from_logits = _get_logits(output, from_logits, "Softmax")
    target = tf.cast(target, output.dtype)
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = output / tf.reduce_sum(output, axis, keepdims=True)
    output = tf.clip_by_value(output, 1e-7, 1 - 1e-7)
    return -tf.reduce_sum(target * tf.math.log(output), axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _t(target), _t(output)
    if target.shape.rank == output.shape.rank and target.shape[axis] == 1:
        target = tf.squeeze(target, axis)
    _common.check_crossentropy_shapes(target.shape, output.shape, sparse_axis=axis)
    output, from_logits = _get_logits(output, from_logits, "Softmax")
    target = tf.cast(target, tf.int32)
    if axis != -1 and axis != output.shape.rank - 1:
        output = tf.experimental.numpy.moveaxis(output, axis, -1)
    if not from_logits:  # as Keras on TensorFlow: clipped, then normalized by the softmax of its log
        output = tf.math.log(tf.clip_by_value(output, 1e-7, 1 - 1e-7))
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)


def binary_crossentropy(target, output, from_logits=False):
    target, output = _t(target), _t(output)
    _common.check_crossentropy_shapes(target.shape, output.shape)
    output, from_logits = _get_logits(output, from_logits, "Sigmoid")
    target = tf.cast(target, output.dtype)
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    output = tf.clip_by_value(output, 1e-7, 1 - 1e-7)
    return -(target * tf.math.log(output) + (1 - target) * tf.math.log(1 - output))


# ----------------------------------------------------------------------------- layer kernels (kerasport extensions)
def dense(x, kernel, bias=None):
    """``x @ kernel + bias`` on the last axis."""
    out = tf.matmul(x, kernel) if x.shape.rank == 2 else tf.tensordot(x, kernel, 1)
    return out if bias is None else tf.nn.bias_add(out, bias)


def embedding(indices, table):
    if indices.dtype not in (tf.int32, tf.int64):
        indices = tf.cast(indices, tf.int32)
    return tf.nn.embedding_lookup(table, indices)


# --- normalization helpers (layers/normalization.py)
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    """Normalize each sample over ``axis`` (int or list), then ``* gamma + beta``.

    ``gamma`` and ``beta`` have the shape of the normalized dims. ``rms_scaling`` (Keras's
    deprecated flag) divides by the standard deviation without centering and ignores ``beta``.
    """
    epsilon = 1e-7 if epsilon is None else epsilon
    rank = x.shape.rank
    axes = sorted(a % rank for a in ([axis] if isinstance(axis, int) else axis))
    bshape = [x.shape[i] if i in axes else 1 for i in range(rank)]
    mean_, variance = tf.nn.moments(x, axes, keepdims=True)
    inv = tf.math.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * tf.reshape(tf.cast(gamma, x.dtype), bshape)
    if rms_scaling:
        return x * inv
    shift = -mean_ * inv
    if beta is not None:
        shift = shift + tf.reshape(tf.cast(beta, x.dtype), bshape)
    return x * inv + shift


# ----------------------------------------------------------------------------- more activations (keras.ops.nn)
def celu(x, alpha=1.0):
    x = _f(x)
    return tf.maximum(x, 0.0) + alpha * tf.math.expm1(tf.minimum(x, 0.0) / alpha)


def glu(x, axis=-1):
    x = _f(x)
    if x.shape[axis] % 2:
        raise ValueError(f"glu: axis {axis} must have an even size; received shape {tuple(x.shape)}.")
    a, b = tf.split(x, 2, axis=axis)
    return a * tf.sigmoid(b)


def hard_shrink(x, threshold=0.5):
    x = _f(x)
    return tf.where(tf.abs(x) > threshold, x, tf.zeros_like(x))


def hard_tanh(x):
    return tf.clip_by_value(_f(x), -1.0, 1.0)


def soft_shrink(x, threshold=0.5):
    x = _f(x)
    return tf.where(x > threshold, x - threshold, tf.where(x < -threshold, x + threshold, tf.zeros_like(x)))


def sparsemax(x, axis=-1):
    x = _f(x)
    srt = tf.sort(x, direction="DESCENDING", axis=axis)
    cum = tf.cumsum(srt, axis=axis)
    shape = [1] * x.shape.rank
    shape[axis] = -1
    r = tf.reshape(tf.range(1, tf.shape(x)[axis] + 1, dtype=x.dtype), shape)
    support = srt - (cum - 1) / r > 0
    k = tf.reduce_sum(tf.cast(support, x.dtype), axis=axis, keepdims=True)
    tau = (tf.reduce_sum(tf.where(support, cum, tf.zeros_like(cum)), axis=axis, keepdims=True) - 1) / k
    return tf.maximum(x - tau, 0.0)


def tanh_shrink(x):
    x = _f(x)
    return x - tf.tanh(x)


def threshold(x, threshold, default_value):
    x = _f(x)
    return tf.where(x > threshold, x, tf.cast(default_value, x.dtype))


# ----------------------------------------------------------------------------- attention, rms norm, ctc and the rest
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    x = _t(x)
    orig = x.dtype
    x = tf.cast(x, tf.float32) if not x.dtype.is_floating or x.dtype.size < 4 else x
    eps = 1e-7 if epsilon is None else epsilon
    out = x * tf.math.rsqrt(tf.reduce_mean(x * x, axis=list(_common.axes_of(axis, x.shape.rank)), keepdims=True) + eps)
    if scale is not None:
        out = out * convert_to_tensor(scale, x.dtype)
    return tf.cast(out, orig) if orig.is_floating else out


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention on ``(B, T, N, H)`` query and ``(B, S, K, H)`` key/value.

    Args:
        bias: added to the logits, broadcastable to ``(B, N, T, S)``.
        mask: bool, broadcastable to ``(B, N, T, S)``; False positions get no attention.
        scale: logits multiplier, default ``1 / sqrt(H)``.
        is_causal: mask out keys after each query position.
        attn_logits_soft_cap: when set, logits become ``cap * tanh(logits / cap)``.
    Returns ``(B, T, N, H)``.
    """
    q, k, v = _t(query), _t(key), _t(value)
    _common.check_attention_inputs(q, k, v, bias, mask, flash_attention, ndim)
    d = _result_dtype(_result_dtype(q.dtype, k.dtype), v.dtype)
    q, k, v = (tf.cast(t, d) for t in (q, k, v))
    if q.shape[2] > k.shape[2]:
        k, v = (tf.repeat(t, q.shape[2] // t.shape[2], axis=2) for t in (k, v))
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    logits = tf.einsum("btnh,bsnh->bnts", q, k) * tf.cast(scale, d)
    if attn_logits_soft_cap is not None:
        logits = attn_logits_soft_cap * tf.tanh(logits / attn_logits_soft_cap)
    if bias is not None:
        logits = logits + convert_to_tensor(bias, d)
    if mask is not None or is_causal:
        lengths = tf.stack([tf.shape(q)[1], tf.shape(k)[1]])  # unknown in a trace over several lengths
        allowed = tf.ones(lengths, tf.bool)
        if is_causal:
            allowed = tf.cast(tf.linalg.band_part(tf.ones(lengths), -1, 0), tf.bool)
        if mask is not None:
            allowed = tf.logical_and(allowed, tf.cast(_t(mask), tf.bool))
        neg = -0.7 * (65500.0 if d == tf.float16 else 3.38953e38)
        logits = tf.where(allowed, logits, tf.cast(neg, d))
    probs = tf.cast(tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1), d)
    return tf.einsum("bnts,bsnh->btnh", probs, v)


def psnr(x1, x2, max_val):
    x1, x2 = _t(x1), _t(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: shapes must match; received {x1.shape} and {x2.shape}.")
    mse = tf.reduce_mean(tf.square(x1 - x2))
    return 20 * log10(tf.cast(max_val, x2.dtype)) - 10 * log10(mse)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into ``block_size x block_size`` spatial tiles (``tf.nn.depth_to_space``)."""
    return _common.block_rearrange("depth_to_space", _t(x), block_size, data_format, tf.nn.depth_to_space,
                                   tf.transpose)


def space_to_depth(x, block_size, data_format="channels_last"):
    return _common.block_rearrange("space_to_depth", _t(x), block_size, data_format, tf.nn.space_to_depth,
                                   tf.transpose)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    return tf.nn.ctc_loss(labels=tf.cast(_t(target), tf.int32), logits=_f(output),
                          label_length=tf.cast(_t(target_length), tf.int32),
                          logit_length=tf.cast(_t(output_length), tf.int32), logits_time_major=False,
                          blank_index=mask_index)


def polar(abs_, angle):
    abs_, angle = _float_pair(abs_, angle)
    return tf.complex(abs_ * tf.cos(angle), abs_ * tf.sin(angle))


# ----------------------------------------------------------------------------- adaptive pooling, fold and unfold
def _adaptive_pool(name, inputs, output_size, data_format, average):
    """Adaptive pooling one spatial axis at a time (a box's mean or max is that of its rows' means or maxes):
    each axis gathers its windows (``ops_common.adaptive_windows``) and reduces them."""
    x = _t(inputs)
    sizes = _common.adaptive_pool_sizes(name, x.shape, output_size)
    first = 1 if _common.check_data_format(data_format or "channels_last") == "channels_last" else 2
    for axis, size in enumerate(sizes, first):
        index, weight = _common.adaptive_windows(x.shape[axis], size)
        windows = tf.gather(x, index, axis=axis)
        if average:
            weight = tf.constant(weight.reshape(weight.shape + (1,) * (x.shape.rank - axis - 1)), x.dtype)
            x = tf.reduce_sum(windows * weight, axis + 1)
        else:
            x = tf.reduce_max(windows, axis + 1)
    return x


def adaptive_average_pool(inputs, output_size, data_format=None):
    return _adaptive_pool("adaptive_average_pool", inputs, output_size, data_format, average=True)


def adaptive_max_pool(inputs, output_size, data_format=None):
    return _adaptive_pool("adaptive_max_pool", inputs, output_size, data_format, average=False)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    x = _t(x)
    _common.check_patches_input("unfold", x.shape, 4)
    index, (hp, wp) = _common.patch_indices(x.shape[1], x.shape[2:], kernel_size, dilation, padding, stride)
    pad_h, pad_w = (hp - x.shape[2]) // 2, (wp - x.shape[3]) // 2
    x = tf.pad(x, [[0, 0], [0, 0], [pad_h, pad_h], [pad_w, pad_w]])
    return tf.gather(tf.reshape(x, [-1, x.shape[1] * hp * wp]), index, axis=1)


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The blocks summed into place: ``unfold``'s indices as the segments of one ``unsorted_segment_sum``."""
    x = _t(x)
    _common.check_patches_input("fold", x.shape, 3)
    height, width = _tuple(output_size, 2)
    kh, kw = _tuple(kernel_size, 2)
    channels = x.shape[1] // (kh * kw)
    index, (hp, wp) = _common.patch_indices(channels, (height, width), kernel_size, dilation, padding, stride)
    if index.shape[1] != x.shape[2]:
        raise ValueError(f"fold: {x.shape[2]} blocks given, but output_size={output_size!r} with these "
                         f"kernel_size, dilation, padding and stride has {index.shape[1]}.")
    summed = tf.math.unsorted_segment_sum(tf.transpose(tf.reshape(x, [-1, x.shape[1] * x.shape[2]])),
                                          index.reshape(-1), channels * hp * wp)
    out = tf.reshape(tf.transpose(summed), [-1, channels, hp, wp])
    pad_h, pad_w = (hp - height) // 2, (wp - width) // 2
    return out[:, :, pad_h:pad_h + height, pad_w:pad_w + width]


# ----------------------------------------------------------------------------- CTC decoding
def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True,
               mask_index=0):
    x = _f(inputs)
    blank = _common.ctc_decode_blank("ctc_decode", strategy, x.shape, mask_index)
    steps = tf.shape(x)[1]
    lengths = tf.cast(_t(sequence_lengths), tf.int32)
    time_major = tf.transpose(x, (1, 0, 2))
    if strategy == "greedy":
        decoded, scores = tf.nn.ctc_greedy_decoder(time_major, lengths, merge_repeated, blank_index=blank)
    else:  # TensorFlow's beam search takes the last class as the blank: move it there, and the labels back
        classes = x.shape[-1]
        order = [c for c in range(classes) if c != blank] + [blank]
        decoded, scores = tf.nn.ctc_beam_search_decoder(tf.gather(time_major, order, axis=2), lengths, beam_width,
                                                        top_paths)
        decoded = [tf.SparseTensor(d.indices, tf.where(d.values >= blank, d.values + 1, d.values), d.dense_shape)
                   for d in decoded]
    size = tf.cast(tf.stack([tf.shape(x)[0], steps]), tf.int64)
    dense = [tf.sparse.to_dense(tf.SparseTensor(d.indices, d.values, size), default_value=-1) for d in decoded]
    return tf.cast(tf.stack(dense), tf.int32), scores
