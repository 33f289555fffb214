"""TensorFlow kernels for the rest of ``keras.ops``: NumPy-style math, linear algebra, FFT, control flow.

Star-imported at the end of ``tf_backend`` (names in ``__all__``, listed in ``contract.EXTRA``).
Complex results follow Keras: a ``(real, imag)`` pair of float tensors.
"""
import builtins as _bi
import math

import numpy as np
import tensorflow as tf

from kerasport.backends import ops_common as _common
from kerasport.backends import tf_backend as _tb

tnp = tf.experimental.numpy


def _t(x):
    return _tb._t(x)


def _f(x):
    """``x`` as a float tensor (ints and bools become float32, as in Keras)."""
    x = _t(x)
    return x if x.dtype.is_floating or x.dtype.is_complex else tf.cast(x, tf.float32)


def _two(x1, x2):
    return _tb._same(x1, x2)


def _two_f(x1, x2):
    return _tb._float_pair(x1, x2)


def _ax(x, axis):
    return list(range(x.shape.rank)) if axis is None else list(axis) if isinstance(axis, (list, tuple)) else [axis]


def _c(value, like):
    return tf.constant(value, like.dtype)


# amax, ptp, allclose, the nan-reductions, percentile, hsplit, get_item, multi_hot, hard_swish, ...: written
# with backend functions only, once, in ops_common.
globals().update(_common.shared_ops(_tb, to_float=_f, is_float=lambda x: x.dtype.is_floating))


# ----------------------------------------------------------------------------- activations
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``."""
    x = _f(x)
    return tf.maximum(x, 0.0) + alpha * tf.math.expm1(tf.minimum(x, 0.0) / alpha)


def glu(x, axis=-1):
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second half."""
    x = _f(x)
    if x.shape[axis] % 2:
        raise ValueError(f"glu: axis {axis} must have an even size; received shape {tuple(x.shape)}.")
    a, b = tf.split(x, 2, axis=axis)
    return a * tf.sigmoid(b)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    x = _f(x)
    return tf.where(tf.abs(x) > threshold, x, tf.zeros_like(x))


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return tf.clip_by_value(_f(x), -1.0, 1.0)


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    x = _f(x)
    return tf.where(x > threshold, x - threshold, tf.where(x < -threshold, x + threshold, tf.zeros_like(x)))


def sparsemax(x, axis=-1):
    """Sparsemax along ``axis``, computed exactly as Keras 3 does so the numbers match.

    Keras's threshold sums the cumulative sums over the whole support (not just the last one), so where
    the support has more than one element the result is not the textbook simplex projection.
    """
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
    """``x - tanh(x)``."""
    x = _f(x)
    return x - tf.tanh(x)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = _f(x)
    return tf.where(x > threshold, x, tf.cast(default_value, x.dtype))


# ----------------------------------------------------------------------------- nn
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x * rsqrt(mean(x**2, axis) + epsilon) * scale`` (computed in at least float32)."""
    x = _t(x)
    orig = x.dtype
    x = tf.cast(x, tf.float32) if not x.dtype.is_floating or x.dtype.size < 4 else x
    eps = 1e-7 if epsilon is None else epsilon
    out = x * tf.math.rsqrt(tf.reduce_mean(x * x, axis=_ax(x, axis), keepdims=True) + eps)
    if scale is not None:
        out = out * _tb.convert_to_tensor(scale, x.dtype)
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
    _common.check_attention_inputs(q, k, v, bias, mask, flash_attention, _tb.ndim)
    d = _tb._result_dtype(_tb._result_dtype(q.dtype, k.dtype), v.dtype)
    q, k, v = (tf.cast(t, d) for t in (q, k, v))
    if q.shape[2] > k.shape[2]:
        k, v = (tf.repeat(t, q.shape[2] // t.shape[2], axis=2) for t in (k, v))
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    logits = tf.einsum("btnh,bsnh->bnts", q, k) * tf.cast(scale, d)
    if attn_logits_soft_cap is not None:
        logits = attn_logits_soft_cap * tf.tanh(logits / attn_logits_soft_cap)
    if bias is not None:
        logits = logits + _tb.convert_to_tensor(bias, d)
    if mask is not None or is_causal:
        allowed = tf.ones((q.shape[1], k.shape[1]), tf.bool)
        if is_causal:
            allowed = tf.cast(tf.linalg.band_part(tf.ones((q.shape[1], k.shape[1])), -1, 0), tf.bool)
        if mask is not None:
            allowed = tf.logical_and(allowed, tf.cast(_t(mask), tf.bool))
        neg = -0.7 * (65500.0 if d == tf.float16 else 3.38953e38)
        logits = tf.where(allowed, logits, tf.cast(neg, d))
    probs = tf.cast(tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1), d)
    return tf.einsum("bnts,bsnh->btnh", probs, v)


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``."""
    x1, x2 = _t(x1), _t(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: shapes must match; received {x1.shape} and {x2.shape}.")
    mse = tf.reduce_mean(tf.square(x1 - x2))
    return 20 * _tb.log10(tf.cast(max_val, x2.dtype)) - 10 * _tb.log10(mse)


def in_top_k(targets, predictions, k):
    """Whether each ``targets[i]`` is among the ``k`` largest ``predictions[i]`` (ties count as in)."""
    predictions = _t(predictions)
    target_val = tf.gather(predictions, tf.cast(_t(targets), tf.int32), axis=1, batch_dims=1)
    kth = tf.math.top_k(predictions, k).values[:, -1]
    return target_val >= kth


def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into ``block_size x block_size`` spatial tiles (``tf.nn.depth_to_space``)."""
    return _common.block_rearrange("depth_to_space", _t(x), block_size, data_format, tf.nn.depth_to_space,
                                   tf.transpose)


def space_to_depth(x, block_size, data_format="channels_last"):
    """Inverse of ``depth_to_space``: ``block_size x block_size`` tiles become channels."""
    return _common.block_rearrange("space_to_depth", _t(x), block_size, data_format, tf.nn.space_to_depth,
                                   tf.transpose)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """CTC loss per sample.

    Args:
        target: int labels ``(B, L)``; output: logits ``(B, T, C)``;
        target_length, output_length: ``(B,)`` ints; mask_index: the blank class.
    Returns ``(B,)`` negative log-likelihoods.
    """
    return tf.nn.ctc_loss(labels=tf.cast(_t(target), tf.int32), logits=_f(output),
                          label_length=tf.cast(_t(target_length), tf.int32),
                          logit_length=tf.cast(_t(output_length), tf.int32), logits_time_major=False,
                          blank_index=mask_index)


# ----------------------------------------------------------------------------- elementwise math
def _unary_f(fn, name):
    return _common.unary_float_op(fn, name, _f)


arccos = _unary_f(tf.acos, "arccos")
arccosh = _unary_f(tf.acosh, "arccosh")
arcsin = _unary_f(tf.asin, "arcsin")
arcsinh = _unary_f(tf.asinh, "arcsinh")
arctanh = _unary_f(tf.atanh, "arctanh")
erfc = _unary_f(tf.math.erfc, "erfc")
exp2 = _unary_f(lambda x: tf.pow(_c(2.0, x), x), "exp2")
i0 = _unary_f(tf.math.bessel_i0, "i0")
deg2rad = _unary_f(lambda x: x * _c(math.pi / 180.0, x), "deg2rad")
rad2deg = _unary_f(lambda x: x * _c(180.0 / math.pi, x), "rad2deg")
fabs = _unary_f(tf.abs, "fabs")


def sinc(x):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    x = _f(x)
    px = x * _c(math.pi, x)
    safe = tf.where(x == 0, tf.ones_like(x), px)
    return tf.where(x == 0, tf.ones_like(x), tf.sin(safe) / safe)


def cbrt(x):
    """Cube root (real, sign-preserving)."""
    x = _f(x)
    return tf.sign(x) * tf.pow(tf.abs(x), _c(1.0 / 3.0, x))


def trunc(x):
    """Rounds towards zero; ints are returned unchanged."""
    x = _t(x)
    return tf.sign(x) * tf.floor(tf.abs(x)) if x.dtype.is_floating else x


def signbit(x):
    """True where the sign bit is set (negative numbers and -0.0)."""
    x = _t(x)
    if x.dtype.is_floating:
        return tf.logical_or(x < 0, tf.logical_and(tf.equal(x, 0), tf.math.reciprocal(x) < 0))
    return x < 0 if x.dtype != tf.bool else tf.zeros_like(x)


def isneginf(x):
    x = _t(x)
    return tf.equal(x, -np.inf) if x.dtype.is_floating else tf.zeros_like(x, tf.bool)


def isposinf(x):
    x = _t(x)
    return tf.equal(x, np.inf) if x.dtype.is_floating else tf.zeros_like(x, tf.bool)


def isreal(x):
    x = _t(x)
    return tf.equal(tf.math.imag(x), 0) if x.dtype.is_complex else tf.ones_like(x, tf.bool)


def real(x):
    x = _t(x)
    return tf.math.real(x) if x.dtype.is_complex else x


def imag(x):
    x = _t(x)
    return tf.math.imag(x) if x.dtype.is_complex else tf.zeros_like(x)


def conj(x):
    x = _t(x)
    return tf.math.conj(x) if x.dtype.is_complex else x


conjugate = conj


def angle(x):
    """Argument of complex ``x`` (0 or pi for real ``x``)."""
    x = _t(x)
    if x.dtype.is_complex:
        return tf.math.angle(x)
    x = _f(x)
    return tf.atan2(tf.zeros_like(x), x)


def copy(x):
    return tf.identity(_t(x))


def _binary(fn, name, floating=False, doc=""):
    return _common.binary_op(fn, name, _two_f if floating else _two, doc)


def _fmax(a, b):
    return tf.where(tf.math.is_nan(a), b, tf.where(tf.math.is_nan(b), a, tf.maximum(a, b))) \
        if a.dtype.is_floating else tf.maximum(a, b)


def _fmin(a, b):
    return tf.where(tf.math.is_nan(a), b, tf.where(tf.math.is_nan(b), a, tf.minimum(a, b))) \
        if a.dtype.is_floating else tf.minimum(a, b)


def _heaviside(a, b):
    return tf.where(a < 0, tf.zeros_like(a), tf.where(a > 0, tf.ones_like(a), b))


def _logaddexp2(a, b):
    big = tf.maximum(a, b)
    ln2 = _c(math.log(2.0), a)
    return big + tf.math.log1p(tf.pow(_c(2.0, a), -tf.abs(a - b))) / ln2


def _gcd(a, b):
    a, b = tf.abs(a), tf.abs(b)

    def body(a, b):
        done = tf.equal(b, 0)
        return tf.where(done, a, b), tf.where(done, b, tf.math.floormod(a, tf.where(done, tf.ones_like(b), b)))

    a, b = tf.broadcast_to(a, tf.broadcast_dynamic_shape(tf.shape(a), tf.shape(b))), \
        tf.broadcast_to(b, tf.broadcast_dynamic_shape(tf.shape(a), tf.shape(b)))
    a, _ = tf.while_loop(lambda a, b: tf.reduce_any(b != 0), body, (a, b))
    return a


def _lcm(a, b):
    g = _gcd(a, b)
    return tf.abs(a * tf.math.floordiv(b, tf.where(tf.equal(g, 0), tf.ones_like(g), g)))


fmax = _binary(_fmax, "fmax", doc="Elementwise maximum that ignores NaNs.")
fmin = _binary(_fmin, "fmin", doc="Elementwise minimum that ignores NaNs.")
fmod = _binary(tf.truncatemod, "fmod", doc="C-style remainder (the sign of ``x1``).")
gcd = _binary(_gcd, "gcd")
lcm = _binary(_lcm, "lcm")
def heaviside(x1, x2):
    """0 for x1 < 0, x2 for x1 == 0, 1 for x1 > 0; ints give float32 (int64: float64), as in Keras."""
    x1, x2 = _two(x1, x2)
    if not x1.dtype.is_floating:
        d = tf.float64 if x1.dtype == tf.int64 else tf.float32
        x1, x2 = tf.cast(x1, d), tf.cast(x2, d)
    return _heaviside(x1, x2)
hypot = _binary(lambda a, b: tf.sqrt(a * a + b * b), "hypot", floating=True)
logaddexp2 = _binary(_logaddexp2, "logaddexp2", floating=True)
nextafter = _binary(tf.math.nextafter, "nextafter", floating=True)
bitwise_and = _binary(tf.bitwise.bitwise_and, "bitwise_and")
bitwise_or = _binary(tf.bitwise.bitwise_or, "bitwise_or")
bitwise_xor = _binary(tf.bitwise.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _binary(tf.bitwise.left_shift, "bitwise_left_shift")
bitwise_right_shift = _binary(tf.bitwise.right_shift, "bitwise_right_shift")
left_shift = bitwise_left_shift
right_shift = bitwise_right_shift


def bitwise_invert(x):
    x = _t(x)
    return tf.logical_not(x) if x.dtype == tf.bool else tf.bitwise.invert(x)


bitwise_not = bitwise_invert


def ldexp(x1, x2):
    """``x1 * 2**x2`` (``x2`` integer)."""
    x1 = _f(x1)
    return x1 * tf.pow(_c(2.0, x1), tf.cast(_t(x2), x1.dtype))


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of ``x1`` occurs in ``x2``."""
    x1, x2 = _two(x1, x2)
    out = tf.reduce_any(tf.equal(x1[..., None], tf.reshape(x2, [-1])), axis=-1)
    return tf.logical_not(out) if invert else out


# ----------------------------------------------------------------------------- reductions and statistics
def average(x, axis=None, weights=None):
    """Weighted mean; 1-D ``weights`` apply along ``axis``."""
    x = _f(x)
    if weights is None:
        return _tb.mean(x, axis)
    x, w = _two(x, weights)
    if w.shape.rank == 1 and x.shape.rank > 1 and axis is not None:
        shape = [1] * x.shape.rank
        shape[axis] = -1
        w = tf.reshape(w, shape)
    w = tf.broadcast_to(w, tf.shape(x))
    dims = _ax(x, axis)
    return tf.reduce_sum(x * w, axis=dims) / tf.reduce_sum(w, axis=dims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """Quantile over the non-NaN elements of each slice (NaN for an all-NaN slice)."""
    x = _f(x)
    rank, dims = x.shape.rank, list(_tb.shape(x))
    axes = [a % rank for a in _ax(x, axis)]
    rest = [a for a in range(rank) if a not in axes]
    y = tf.reshape(tf.transpose(x, rest + axes), [dims[a] for a in rest] + [-1])
    valid = tf.reduce_sum(tf.cast(tf.logical_not(tf.math.is_nan(y)), x.dtype), axis=-1)
    y = tf.sort(tf.where(tf.math.is_nan(y), tf.cast(np.inf, y.dtype), y), axis=-1)
    q = tf.cast(_t(q), x.dtype)
    qs = tf.reshape(q, [-1])
    pos = qs * (valid[..., None] - 1)
    lo, hi = tf.floor(pos), tf.math.ceil(pos)
    if method in ("lower", "higher", "nearest"):
        lo = hi = {"lower": lo, "higher": hi, "nearest": tf.round(pos)}[method]
    last = tf.maximum(valid[..., None] - 1, 0)
    lo, hi = tf.minimum(tf.maximum(lo, 0), last), tf.minimum(tf.maximum(hi, 0), last)
    a = tf.gather(y, tf.cast(lo, tf.int32), axis=-1, batch_dims=len(rest))
    b = tf.gather(y, tf.cast(hi, tf.int32), axis=-1, batch_dims=len(rest))
    out = a + (b - a) * (pos - lo) if method == "linear" else (a + b) / 2 if method == "midpoint" else a
    out = tf.where(valid[..., None] > 0, out, tf.cast(np.nan, x.dtype))
    out = tnp.moveaxis(out, -1, 0)
    if keepdims:
        out = tf.reshape(out, [-1] + [1 if a in axes else n for a, n in enumerate(dims)])
    return tf.reshape(out, q.shape.as_list() + out.shape.as_list()[1:])


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or summed ``weights``) of each non-negative int in 1-D ``x``, or per row of 2-D ``x``."""
    if sparse:
        raise ValueError("bincount: sparse=True is not supported by kerasport.")
    x = tf.cast(_t(x), tf.int32)
    if weights is None:
        d, w = tf.int32, None
    else:
        w = _t(weights)
        d = w.dtype if w.dtype.is_floating else tf.int32
        w = tf.cast(w, d)
    return tf.math.bincount(x, weights=w, minlength=minlength, dtype=d, axis=-1 if x.shape.rank > 1 else None)


def histogram(x, bins=10, range=None):
    """Counts (as floats, like Keras) of the 1-D ``x`` in ``bins`` equal bins over ``range`` (default: min
    to max), and the bin edges."""
    x = _f(x)
    if x.shape.rank != 1:
        raise ValueError(f"histogram: expected a 1-D input; received shape {x.shape}.")
    lo, hi = (tf.reduce_min(x), tf.reduce_max(x)) if range is None else \
        (tf.constant(range[0], x.dtype), tf.constant(range[1], x.dtype))
    edges = tf.linspace(tf.constant(0.0, x.dtype), 1.0, bins + 1) * (hi - lo) + lo
    inside = tf.logical_and(x >= lo, x <= hi)
    idx = tf.clip_by_value(tf.searchsorted(edges, x, side="right", out_type=tf.int32) - 1, 0, bins - 1)
    counts = tf.math.unsorted_segment_sum(tf.cast(inside, x.dtype), idx, bins)
    return counts, edges


def corrcoef(x):
    """Pearson correlation coefficients of the rows of ``x``."""
    x = _f(x)
    x = x if x.shape.rank == 2 else tf.reshape(x, [1, -1])
    c = x - tf.reduce_mean(x, axis=1, keepdims=True)
    cov = tf.matmul(c, c, transpose_b=True)
    d = tf.sqrt(tf.linalg.diag_part(cov))
    return tf.clip_by_value(cov / d[:, None] / d[None, :], -1.0, 1.0)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule."""
    y = tnp.moveaxis(_f(y), axis, -1)
    if x is None:
        return tf.reduce_sum(y[..., 1:] + y[..., :-1], axis=-1) * tf.cast(dx, y.dtype) / 2
    x = tf.cast(_t(x), y.dtype)
    dxs = x[1:] - x[:-1] if x.shape.rank == 1 else tnp.moveaxis(tnp.diff(x, axis=axis), axis, -1)
    return tf.reduce_sum((y[..., 1:] + y[..., :-1]) * dxs, axis=-1) / 2


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D sequences (``np.correlate``)."""
    a, v = _two_f(x1, x2)

    def full(a, v):
        m = v.shape[0]
        return tf.nn.conv1d(tf.pad(a, [[m - 1, m - 1]])[None, :, None], v[:, None, None], 1, "VALID")[0, :, 0]
    return _common.correlate(a, v, mode, full)


# ----------------------------------------------------------------------------- shapes and indexing
def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when ``axis`` is None)."""
    x1, x2 = _two(x1, x2)
    if axis is None:
        return tf.concat([tf.reshape(x1, [-1]), tf.reshape(x2, [-1])], 0)
    return tf.concat([x1, x2], axis)


def ravel(x):
    return tf.reshape(_t(x), [-1])


def roll(x, shift, axis=None):
    """Elements shifted by ``shift`` along ``axis`` (flattened when None), wrapping around."""
    x = _t(x)
    if axis is None:
        return tf.reshape(tf.roll(tf.reshape(x, [-1]), shift, 0), tf.shape(x))
    return tf.roll(x, shift, axis)


def rot90(array, k=1, axes=(0, 1)):
    """Rotation by 90 degrees ``k`` times in the plane of ``axes``."""
    x, (a0, a1) = _t(array), axes
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return tf.reverse(x, [a0, a1])
    perm = list(range(x.shape.rank))
    perm[a0 % len(perm)], perm[a1 % len(perm)] = perm[a1 % len(perm)], perm[a0 % len(perm)]
    if k == 1:
        return tf.transpose(tf.reverse(x, [a1]), perm)
    return tf.reverse(tf.transpose(x, perm), [a1])


def _promoted(xs):
    xs = [_t(x) for x in xs]
    d = xs[0].dtype
    for x in xs[1:]:
        d = _tb._result_dtype(d, x.dtype)
    return [tf.cast(x, d) for x in xs]


def hstack(xs):
    xs = _promoted(xs)
    return tf.concat(xs, 0 if xs[0].shape.rank == 1 else 1)


def vstack(xs):
    return tf.concat([tf.reshape(x, [1, -1]) if x.shape.rank < 2 else x for x in _promoted(xs)], 0)


def dstack(xs):
    out = []
    for x in _promoted(xs):
        if x.shape.rank < 2:
            x = tf.reshape(x, [1, -1])
        out.append(x[..., None] if x.shape.rank == 2 else x)
    return tf.concat(out, 2)


def array_split(x, indices_or_sections, axis=0):
    """``split`` that allows sections of unequal size."""
    x = _t(x)
    if isinstance(indices_or_sections, int):
        n, s = x.shape[axis], indices_or_sections
        sizes = [n // s + 1] * (n % s) + [n // s] * (s - n % s)
        return tf.split(x, sizes, axis=axis)
    return _tb.split(x, indices_or_sections, axis)


def diagflat(x, k=0):
    return tf.linalg.diag(tf.reshape(_t(x), [-1]), k=k)


def diff(a, n=1, axis=-1):
    """n-th discrete difference along ``axis``."""
    x = _t(a)
    rank = x.shape.rank
    axis %= rank
    for _ in range(n):
        hi = [_bi.slice(None)] * axis + [_bi.slice(1, None)]
        lo = [_bi.slice(None)] * axis + [_bi.slice(None, -1)]
        x = x[tuple(hi)] - x[tuple(lo)] if x.dtype != tf.bool else tf.not_equal(x[tuple(hi)], x[tuple(lo)])
    return x


def _search(sorted_sequence, values, side):
    s, v = _two(sorted_sequence, values)
    if s.shape.rank != 1:
        raise ValueError(f"searchsorted: sorted_sequence must be 1-D; received shape {s.shape}.")
    flat = tf.searchsorted(s, tf.reshape(v, [-1]), side=side, out_type=tf.int32)
    return tf.reshape(flat, tf.shape(v))


def digitize(x, bins):
    """Index of the bin of each ``x``: ``bins[i-1] <= x < bins[i]`` (int32)."""
    return _search(bins, x, "right")


def searchsorted(sorted_sequence, values, side="left"):
    """Insertion indices of ``values`` into the 1-D ``sorted_sequence`` (int32)."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right'; received {side!r}.")
    return _search(sorted_sequence, values, side)


def nonzero(x):
    """Indices of the non-zero elements, one int32 tensor per axis."""
    x = _t(x)
    idx = tf.cast(tf.where(tf.not_equal(x, tf.zeros((), x.dtype))), tf.int32)
    return tuple(tf.unstack(idx, num=x.shape.rank, axis=1))


def unravel_index(indices, shape):
    """Flat ``indices`` as a tuple of coordinate tensors into an array of ``shape``."""
    idx = _t(indices)
    out = []
    for dim in reversed(shape):
        dim = tf.cast(dim, idx.dtype)
        out.append(tf.math.floormod(idx, dim))
        idx = tf.math.floordiv(idx, dim)
    return tuple(reversed(out))


def select(condlist, choicelist, default=0):
    """The ``choicelist`` entry of the first true ``condlist`` entry, else ``default``."""
    _common.check_select(condlist, choicelist)
    choices = _promoted(choicelist)
    shape = tf.TensorShape([])
    for c in list(choices) + [_t(c) for c in condlist]:
        shape = tf.broadcast_static_shape(shape, c.shape)
    out = tf.broadcast_to(tf.cast(default, choices[0].dtype), shape)
    for cond, choice in zip(reversed(condlist), reversed(choices)):
        out = tf.where(tf.cast(_t(cond), tf.bool), choice, out)
    return out


def view(x, dtype=None):
    """The bits of ``x`` reinterpreted as ``dtype`` (last axis rescaled for a different item size)."""
    x = _t(x)
    if dtype is None:
        return x
    d = _tb.to_dtype(dtype)
    if d.size == x.dtype.size:
        return tf.bitcast(x, d)
    if d.size < x.dtype.size:
        out = tf.bitcast(x, d)
        return tf.reshape(out, tf.concat([tf.shape(x)[:-1], [-1]], 0))
    ratio = d.size // x.dtype.size
    return tf.bitcast(tf.reshape(x, tf.concat([tf.shape(x)[:-1], [-1, ratio]], 0)), d)


# ----------------------------------------------------------------------------- creation
def empty(shape, dtype=None):
    """A tensor of ``shape`` (zero-filled)."""
    return tf.zeros(shape, _tb.to_dtype(dtype or "float32"))


def empty_like(x, dtype=None):
    return tf.zeros_like(_t(x), dtype=_tb.to_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal of an ``N x M`` matrix."""
    m = N if M is None else M
    rows = tf.range(N)[:, None]
    cols = tf.range(m)[None, :]
    return tf.cast(cols - rows <= k, _tb.to_dtype(dtype or "float32"))


def _lin(start, stop, num, endpoint, axis):
    start, stop = tf.cast(_t(start), tf.float64), tf.cast(_t(stop), tf.float64)
    steps = tf.range(num, dtype=tf.float64) / _bi.max(num - 1 if endpoint else num, 1)
    shape = tf.broadcast_static_shape(start.shape, stop.shape)
    steps = tf.reshape(steps, [num] + [1] * shape.rank)
    out = start + steps * (stop - start)
    if endpoint and num > 1:
        out = tf.concat([out[:-1], tf.broadcast_to(stop, shape)[None]], 0)
    return tnp.moveaxis(out, 0, axis) if axis else out


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)``."""
    out = tf.pow(tf.constant(float(base), tf.float64), _lin(start, stop, num, endpoint, axis))
    return tf.cast(out, _tb.to_dtype(dtype or "float32"))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from ``start`` to ``stop`` (same sign)."""
    s, e = tf.cast(_t(start), tf.float64), tf.cast(_t(stop), tf.float64)
    out = tf.sign(s) * tf.exp(_lin(tf.math.log(tf.abs(s)), tf.math.log(tf.abs(e)), num, endpoint, 0))
    pieces = [s[None], out[1:-1] if endpoint and num > 1 else out[1:]]
    if endpoint and num > 1:
        pieces.append(e[None])
    out = tf.concat(pieces, 0) if num > 1 else s[None]
    out = tnp.moveaxis(out, 0, axis) if axis else out
    return tf.cast(out, _tb.to_dtype(dtype or "float32"))


def vander(x, N=None, increasing=False):
    """Vandermonde matrix: columns are powers of the 1-D ``x``."""
    x = _t(x)
    n = x.shape[0] if N is None else N
    powers = tf.range(n, dtype=x.dtype)
    if not increasing:
        powers = tf.reverse(powers, [0])
    return tf.pow(x[:, None], powers[None, :])


def _window(np_fn, name):
    return _common.window_op(lambda n: tf.constant(np_fn(n), tf.float32), name)


bartlett = _window(np.bartlett, "bartlett")
blackman = _window(np.blackman, "blackman")
hamming = _window(np.hamming, "hamming")
hanning = _window(np.hanning, "hanning")


def kaiser(x, beta):
    """The Kaiser window of length ``x`` and shape ``beta``."""
    return tf.constant(np.kaiser(int(x), float(beta)), tf.float32)


# ----------------------------------------------------------------------------- products
def inner(x1, x2):
    x1, x2 = _two(x1, x2)
    if x1.shape.rank == 0 or x2.shape.rank == 0:
        return x1 * x2
    return tf.tensordot(x1, x2, [[-1], [-1]])


def vdot(x1, x2):
    """Dot product of the flattened inputs (the first conjugated)."""
    x1, x2 = _two(x1, x2)
    return tf.reduce_sum(conj(tf.reshape(x1, [-1])) * tf.reshape(x2, [-1]))


def kron(x1, x2):
    x1, x2 = _two(x1, x2)
    return tnp.kron(x1, x2)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 2- or 3-vectors along ``axisa``/``axisb`` (all three set by ``axis``)."""
    def cross3(a, b):
        a, b = (tf.pad(t, [[0, 0]] * (t.shape.rank - 1) + [[0, 1]]) if t.shape[-1] == 2 else t for t in (a, b))
        return tf.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1], a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                         a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], -1)
    return _common.cross(*_two(x1, x2), axisa, axisb, axisc, axis, tnp.moveaxis, cross3)


# ----------------------------------------------------------------------------- core
def scatter(indices, values, shape):
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (N, k)."""
    return tf.scatter_nd(_t(indices), _t(values), shape)


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with ``updates`` written (or reduced: "add", "max", "min", "mul") at ``indices`` (N, k)."""
    x, idx = _t(inputs), _t(indices)
    upd = tf.cast(_t(updates), x.dtype)
    if reduction is None:
        return tf.tensor_scatter_nd_update(x, idx, upd)
    if reduction == "add":
        return tf.tensor_scatter_nd_add(x, idx, upd)
    if reduction == "max":
        return tf.tensor_scatter_nd_max(x, idx, upd)
    if reduction == "min":
        return tf.tensor_scatter_nd_min(x, idx, upd)
    if reduction == "mul":
        k = idx.shape[-1]
        outer = tf.shape(x)[:k]
        flat_idx = tf.reshape(tf.linalg.matvec(tf.cast(tf.reshape(idx, [-1, k]), tf.int64),
                                               tf.cast(tf.math.cumprod(outer, reverse=True, exclusive=True),
                                                       tf.int64)), [-1])
        flat = tf.reshape(x, tf.concat([[-1], tf.shape(x)[k:]], 0))
        upd = tf.reshape(upd, tf.concat([[-1], tf.shape(x)[k:]], 0))
        factor = tf.math.unsorted_segment_prod(upd, flat_idx, tf.cast(tf.shape(flat)[0], tf.int64))
        return tf.reshape(flat * factor, tf.shape(x))
    raise ValueError(f"scatter_update: unsupported reduction {reduction!r}; expected None, 'add', 'max', "
                     "'min' or 'mul'.")


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block starting at ``start_indices`` replaced by ``updates``."""
    x = _t(inputs)
    u = tf.cast(_t(updates), x.dtype)
    start = tf.cast(tf.stack([_t(s) for s in start_indices]) if isinstance(start_indices, (list, tuple))
                    else _t(start_indices), tf.int32)
    pads = tf.stack([start, tf.shape(x) - start - tf.shape(u)], axis=1)
    mask = tf.pad(tf.ones_like(u, tf.bool), pads)
    return tf.where(mask, tf.pad(u, pads), x)


def saturate_cast(x, dtype):
    """Cast that clips values to the range of ``dtype`` first."""
    return tf.dtypes.saturate_cast(_t(x), _tb.to_dtype(dtype))


def _segment(fn, data, segment_ids, num_segments, sorted):
    """Segment reduction; an empty segment holds ``fn``'s identity (``sorted=True``: 0, as ``tf.math.segment_*``)."""
    ids = tf.cast(_t(segment_ids), tf.int32)
    n = tf.reduce_max(ids) + 1 if num_segments is None else num_segments
    out = fn(_t(data), ids, n)
    if sorted and fn is not tf.math.unsorted_segment_prod:
        empty = tf.math.bincount(ids, minlength=n, maxlength=n) == 0
        out = tf.where(tf.reshape(empty, [-1] + [1] * (out.shape.rank - 1)), tf.zeros_like(out), out)
    return out


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Max of ``data`` rows per segment (empty segment: the dtype's lowest value, or 0 when ``sorted``)."""
    return _segment(tf.math.unsorted_segment_max, data, segment_ids, num_segments, sorted)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Min of ``data`` rows per segment (empty segment: the dtype's highest value, or 0 when ``sorted``)."""
    return _segment(tf.math.unsorted_segment_min, data, segment_ids, num_segments, sorted)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Product of ``data`` rows per segment (1 for an empty segment)."""
    return _segment(tf.math.unsorted_segment_prod, data, segment_ids, num_segments, sorted)


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None,
           size=None, fill_value=None):
    """Sorted unique values (NumPy's ``unique``); optional first indices, inverse and counts (int32).

    ``size`` pads (with ``fill_value``, default the first value) or truncates the results to a fixed length.
    Only ``axis=None`` (the flattened input) on this backend.
    """
    if axis is not None:
        raise ValueError("unique: axis is not supported on the TensorFlow backend; pass axis=None.")
    x = _t(x)
    flat = tf.reshape(x, [-1])
    values, first_inv = tf.unique(flat, out_idx=tf.int32)
    order = tf.argsort(values, stable=True)
    values = tf.gather(values, order)
    rank = tf.math.invert_permutation(order)
    inverse = tf.gather(rank, first_inv)
    n = tf.shape(values)[0]
    out = [values]
    if return_index:
        out.append(tf.math.unsorted_segment_min(tf.range(tf.shape(flat)[0]), inverse, n))
    if return_inverse:
        out.append(tf.reshape(inverse, tf.shape(x)))
    if return_counts:
        out.append(tf.math.unsorted_segment_sum(tf.ones_like(inverse), inverse, n))

    def fit(t, fill):
        t = t[:size]
        return tf.concat([t, tf.fill([size - tf.shape(t)[0]], tf.cast(fill, t.dtype))], 0)
    return _common.unique_outputs(out, size, fill_value, return_index, return_inverse, return_counts, fit)


def fori_loop(lower, upper, body_fun, init_val):
    """``init_val`` updated by ``body_fun(i, val)`` for ``i`` in ``range(lower, upper)``."""
    if isinstance(lower, int) and isinstance(upper, int):
        val = init_val
        for i in range(lower, upper):
            val = body_fun(i, val)
        return val
    _, val = tf.while_loop(lambda i, v: i < upper, lambda i, v: (i + 1, body_fun(i, v)),
                           (tf.cast(lower, tf.int32), init_val))
    return val


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``; a bare value is treated as a 1-tuple."""
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = (loop_vars,) if single else tuple(loop_vars)

    def step(*v):
        out = body(*v)
        return (out,) if single or not isinstance(out, (list, tuple)) else tuple(out)

    out = tf.while_loop(cond, step, vars_, maximum_iterations=maximum_iterations)
    out = tuple(out) if isinstance(out, (list, tuple)) else (out,)
    return out[0] if single else type(loop_vars)(out)


def _stack_tree(items):
    return tf.nest.map_structure(lambda *ts: tf.stack([_t(t) for t in ts]), *items)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns ``(carry, stacked ys)``."""
    leaves = tf.nest.flatten(xs)
    return _common.scan(f, init, xs, length, reverse, leaves,
                        lambda i: tf.nest.pack_sequence_as(xs, [_t(l)[i] for l in leaves]), _stack_tree)


def map(f, xs):
    """``f`` applied to each slice of ``xs`` along the leading axis; results stacked."""
    leaves = tf.nest.flatten(xs)
    return _stack_tree([f(tf.nest.pack_sequence_as(xs, [_t(l)[i] for l in leaves]))
                        for i in range(leaves[0].shape[0])])


def switch(index, branches, *operands):
    """``branches[index](*operands)``; ``index`` is clamped into range."""
    index = tf.clip_by_value(tf.cast(_t(index), tf.int32), 0, len(branches) - 1)
    return tf.switch_case(index, [lambda b=b: b(*operands) for b in branches])


def vectorized_map(function, elements):
    """``function`` over the leading axis of ``elements``, vectorized with ``tf.vectorized_map``."""
    return tf.vectorized_map(function, elements)


def _vmap(fn):
    return lambda *ts: tf.vectorized_map(lambda e: fn(*e), ts)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """NumPy's ``vectorize``: ``pyfunc`` written for scalars (or the core dims of ``signature``, e.g.
    "(n),(n)->()") mapped over the broadcast batch axes with ``tf.vectorized_map``."""
    def shapes(s):
        out = tf.TensorShape([])
        for x in s:
            out = tf.broadcast_static_shape(out, tf.TensorShape(x))
        return out.as_list()
    return _common.vectorize(pyfunc, excluded, signature, _vmap, _t, shapes, tf.broadcast_to)


def _interleave(even, odd):
    n = tf.shape(odd)[0]
    inter = tf.reshape(tf.stack([even[:n], odd], axis=1), tf.concat([[-1], tf.shape(odd)[1:]], 0))
    return tf.concat([inter, even[n:]], 0)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of the associative ``f`` along ``axis`` in O(log n) vectorized steps.

    ``elems`` may be a tensor or a nest of tensors of equal length along ``axis``; ``f(a, b)`` combines two
    such nests elementwise.
    """
    leaves = [tnp.moveaxis(_t(x), axis, 0) for x in tf.nest.flatten(elems)]
    if reverse:
        leaves = [tf.reverse(x, [0]) for x in leaves]

    def fn(a, b):
        return tf.nest.flatten(f(tf.nest.pack_sequence_as(elems, a), tf.nest.pack_sequence_as(elems, b)))

    out = _common.associative_scan(fn, leaves, lambda ts: tf.concat(ts, 0), _interleave)
    if reverse:
        out = [tf.reverse(o, [0]) for o in out]
    return tf.nest.pack_sequence_as(elems, [tnp.moveaxis(o, 0, axis) for o in out])


def custom_gradient(f):
    """Decorator: ``f(*args)`` returns ``(output, grad_fn)``; ``grad_fn(upstream)`` gives the input gradients."""
    return tf.custom_gradient(f)


# ----------------------------------------------------------------------------- linear algebra
def cholesky(x, upper=False):
    """Cholesky factor of a symmetric positive-definite ``x`` (lower unless ``upper``)."""
    low = tf.linalg.cholesky(_f(x))
    return tf.linalg.adjoint(low) if upper else low


def cholesky_inverse(x, upper=False):
    """Inverse of ``A`` from its Cholesky factor ``x``."""
    x = _f(x)
    low = tf.linalg.adjoint(x) if upper else x
    eye = tf.eye(tf.shape(x)[-1], batch_shape=tf.shape(x)[:-2], dtype=x.dtype)
    return tf.linalg.cholesky_solve(low, eye)


def det(x):
    return tf.linalg.det(_f(x))


def eig(x):
    """Eigenvalues and eigenvectors of a square ``x`` (complex64)."""
    return tf.linalg.eig(_f(x))


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of a symmetric ``x``."""
    return tf.linalg.eigh(_f(x))


def inv(x):
    return tf.linalg.inv(_f(x))


def lstsq(a, b, rcond=None):
    """Least-squares solution of ``a @ x = b`` (through the pseudo-inverse, as NumPy's SVD solver)."""
    a, b = _two_f(a, b)
    vec = b.shape.rank == 1
    rc = np.finfo(a.dtype.as_numpy_dtype).eps * _bi.max(a.shape[-2:]) if rcond is None else rcond
    out = tf.matmul(tf.linalg.pinv(a, rcond=rc), b[:, None] if vec else b)
    return out[:, 0] if vec else out


def lu_factor(x):
    """LU factorization: the packed ``LU`` matrix and the row permutation (as Keras's TensorFlow backend)."""
    lu, p = tf.linalg.lu(_f(x))
    return lu, tf.math.invert_permutation(p)


def qr(x, mode="reduced"):
    """QR decomposition; ``mode`` "reduced" or "complete"."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete'; received {mode!r}.")
    return tuple(tf.linalg.qr(_f(x), full_matrices=mode == "complete"))


def solve(a, b):
    """Solution of ``a @ x = b``."""
    a, b = _two_f(a, b)
    vec = b.shape.rank == a.shape.rank - 1
    out = tf.linalg.solve(a, b[..., None] if vec else b)
    return out[..., 0] if vec else out


def solve_triangular(a, b, lower=False):
    """Solution of ``a @ x = b`` for a triangular ``a``."""
    a, b = _two_f(a, b)
    vec = b.shape.rank == a.shape.rank - 1
    out = tf.linalg.triangular_solve(a, b[..., None] if vec else b, lower=lower)
    return out[..., 0] if vec else out


def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition ``(u, s, vh)``, or ``s`` alone when not ``compute_uv``."""
    x = _f(x)
    if not compute_uv:
        return tf.linalg.svd(x, compute_uv=False)
    s, u, v = tf.linalg.svd(x, full_matrices=full_matrices)
    return u, s, tf.linalg.adjoint(v)


def slogdet(x):
    """Sign and log of the absolute value of the determinant."""
    return tuple(tf.linalg.slogdet(_f(x)))


def logdet(x):
    """Log-determinant of a positive-definite ``x``."""
    return tf.linalg.logdet(_f(x))


def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverse (singular values below ``rcond * max`` dropped)."""
    return tf.linalg.pinv(_f(x), rcond=rcond)


def matrix_rank(x, tol=None):
    """Number of singular values above ``tol`` (default ``max(s) * max(m, n) * eps``)."""
    return tf.linalg.matrix_rank(_f(x), tol=tol)


# ----------------------------------------------------------------------------- FFT ((real, imag) pairs)
def _pair(z):
    return tf.math.real(z), tf.math.imag(z)


globals().update(_common.fft_ops(tf.complex, _f, _pair, tf.signal.fft, tf.signal.fft2d, tf.signal.ifft2d,
                                 lambda x, n: tf.signal.rfft(x, None if n is None else [n]),
                                 lambda z, n: tf.signal.irfft(z, None if n is None else [n])))


__all__ = [n for n in list(globals()) if not n.startswith("_") and n not in ("math", "np", "tf", "tnp")]
