"""TensorFlow kernels of ``keras.ops.numpy``: creation, arithmetic, comparisons, reductions, shapes, indexing.
Python scalars are weakly typed and two tensors promote as in Keras (``core.promote_pair``)."""

import builtins as _bi
import functools

import numpy as np
import tensorflow as tf

from kerasport.backends import ops_common as _common
from kerasport.backends.tensorflow.core import (
    as_tensor as _t, axis_arg as _axis, cast, promote_float_pair as _float_pair,
    promote_pair as _same, result_dtype as _result_dtype, shape, to_dtype, to_float as _f)

tnp = tf.experimental.numpy


# ----------------------------------------------------------------------------- creation
def zeros(shape, dtype="float32"):
    return tf.zeros(shape, to_dtype(dtype))


def ones(shape, dtype="float32"):
    return tf.ones(shape, to_dtype(dtype))


def full(shape, fill_value, dtype="float32"):
    return tf.fill(shape, tf.cast(fill_value, to_dtype(dtype)))


def zeros_like(x, dtype=None):
    return tf.zeros_like(x, dtype=to_dtype(dtype))


def ones_like(x, dtype=None):
    return tf.ones_like(x, dtype=to_dtype(dtype))


def full_like(x, fill_value, dtype=None):
    d = to_dtype(dtype) or _t(x).dtype
    return tf.fill(tf.shape(x), tf.cast(fill_value, d))


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = "float32" if _bi.any(isinstance(v, float) for v in (start, stop, step)) else "int32"
    return tf.range(start, stop, step, dtype=to_dtype(dtype))


def eye(n, m=None, k=0, dtype="float32"):
    if k == 0:
        return tf.eye(n, m, dtype=to_dtype(dtype))
    return tf.experimental.numpy.eye(n, m, k, dtype=to_dtype(dtype))


def linspace(start, stop, num=50, dtype="float32"):
    return tf.cast(tf.linspace(start, stop, num), to_dtype(dtype))


def identity(n, dtype="float32"):
    return tf.eye(n, dtype=to_dtype(dtype))


def meshgrid(*x, indexing="xy"):
    return tf.meshgrid(*[_t(v) for v in x], indexing=indexing)


# ----------------------------------------------------------------------------- arithmetic
def _binary(fn):
    def op(x1, x2):
        return fn(*_same(x1, x2))
    op.__name__ = fn.__name__
    return op


add = _binary(tf.add)
subtract = _binary(tf.subtract)
multiply = _binary(tf.multiply)
floor_divide = _binary(tf.math.floordiv)
mod = _binary(tf.math.floormod)
power = _binary(tf.pow)
maximum = _binary(tf.maximum)
minimum = _binary(tf.minimum)
equal = _binary(tf.equal)
not_equal = _binary(tf.not_equal)
greater = _binary(tf.greater)
greater_equal = _binary(tf.greater_equal)
less = _binary(tf.less)
less_equal = _binary(tf.less_equal)
negative = tf.negative
abs = tf.abs
absolute = tf.abs
sign = tf.sign
square = tf.square


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return tf.experimental.numpy.isclose(*_same(x1, x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


def divide(x1, x2):
    return tf.math.truediv(*_float_pair(x1, x2))


true_divide = divide


def isnan(x):
    x = _t(x)
    return tf.math.is_nan(x) if x.dtype.is_floating else tf.zeros_like(x, tf.bool)


def isinf(x):
    x = _t(x)
    return tf.math.is_inf(x) if x.dtype.is_floating else tf.zeros_like(x, tf.bool)


def isfinite(x):
    x = _t(x)
    return tf.math.is_finite(x) if x.dtype.is_floating else tf.ones_like(x, tf.bool)


def _bool(x):
    return tf.cast(x, tf.bool)


def logical_not(x):
    return tf.logical_not(_bool(x))


def logical_and(x1, x2):
    return tf.logical_and(_bool(x1), _bool(x2))


def logical_or(x1, x2):
    return tf.logical_or(_bool(x1), _bool(x2))


def logical_xor(x1, x2):
    return tf.math.logical_xor(_bool(x1), _bool(x2))


def round(x, decimals=0):
    x = _t(x)
    if decimals == 0:
        return tf.round(x)
    f = tf.constant(10.0 ** decimals, x.dtype)
    return tf.round(x * f) / f


def clip(x, x_min, x_max):
    x = _t(x)
    return tf.clip_by_value(x, tf.cast(x_min, x.dtype), tf.cast(x_max, x.dtype))


def where(condition, x1=None, x2=None):
    condition = tf.cast(_t(condition), tf.bool)
    if x1 is None and x2 is None:
        return tuple(tf.unstack(tf.cast(tf.where(condition), tf.int32), axis=1))
    x1, x2 = _same(x1, x2)
    return tf.where(condition, x1, x2)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    x = _t(x)
    big = x.dtype.max
    x = tf.where(tf.math.is_nan(x), tf.cast(nan, x.dtype), x)
    x = tf.where(x == np.inf, tf.cast(big if posinf is None else posinf, x.dtype), x)
    return tf.where(x == -np.inf, tf.cast(-big if neginf is None else neginf, x.dtype), x)


# ----------------------------------------------------------------------------- reductions
def _acc(x):
    """``x`` in Keras's accumulator dtype for sum/prod/cumsum: int32 for bool and small ints."""
    x = _t(x)
    return x if x.dtype.is_floating or x.dtype.size >= 4 else tf.cast(x, tf.int32)


def sum(x, axis=None, keepdims=False):
    return tf.reduce_sum(_acc(x), axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    x = _t(x)
    if not x.dtype.is_floating:
        x = tf.cast(x, tf.float32)
    return tf.reduce_mean(x, axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False, initial=None):
    out = tf.reduce_max(_t(x), axis=_axis(axis), keepdims=keepdims)
    return out if initial is None else tf.maximum(out, tf.cast(initial, out.dtype))


def min(x, axis=None, keepdims=False, initial=None):
    out = tf.reduce_min(_t(x), axis=_axis(axis), keepdims=keepdims)
    return out if initial is None else tf.minimum(out, tf.cast(initial, out.dtype))


def prod(x, axis=None, keepdims=False):
    return tf.reduce_prod(_acc(x), axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return tf.math.reduce_variance(_f(x), axis=_axis(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return tf.sqrt(var(x, axis, keepdims))


def argmax(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    out = tf.argmax(x, axis=axis, output_type=tf.int32)
    return tf.expand_dims(out, axis) if keepdims else out


def argmin(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    out = tf.argmin(x, axis=axis, output_type=tf.int32)
    return tf.expand_dims(out, axis) if keepdims else out


def all(x, axis=None, keepdims=False):
    return tf.reduce_all(tf.cast(_t(x), tf.bool), axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    return tf.reduce_any(tf.cast(_t(x), tf.bool), axis=_axis(axis), keepdims=keepdims)


def cumsum(x, axis=None, dtype=None):
    x = _acc(x) if dtype is None else cast(x, dtype)
    return tf.cumsum(tf.reshape(x, [-1]) if axis is None else x, axis=0 if axis is None else axis)


def cumprod(x, axis=None, dtype=None):
    x = _acc(x) if dtype is None else cast(x, dtype)
    return tf.math.cumprod(tf.reshape(x, [-1]) if axis is None else x, axis=0 if axis is None else axis)


def count_nonzero(x, axis=None):
    return tf.math.count_nonzero(_t(x), axis=_axis(axis), dtype=tf.int32)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    x = _f(x)
    rank, dims = x.shape.rank, list(shape(x))
    rest, axes = _common.reduced_last(axis, rank)
    y = tf.sort(tf.reshape(tf.transpose(x, rest + axes), [dims[a] for a in rest] + [-1]), axis=-1)
    q = tf.cast(_t(q), x.dtype)
    pos = q * tf.cast(tf.shape(y)[-1] - 1, x.dtype)
    lo, hi = tf.floor(pos), tf.math.ceil(pos)
    if method in ("lower", "higher", "nearest"):
        lo = hi = {"lower": lo, "higher": hi, "nearest": tf.round(pos)}[method]
    a, b = tf.gather(y, tf.cast(lo, tf.int32), axis=-1), tf.gather(y, tf.cast(hi, tf.int32), axis=-1)
    out = a + (b - a) * (pos - lo) if method == "linear" else (a + b) / 2 if method == "midpoint" else a
    if q.shape.rank:
        out = tf.experimental.numpy.moveaxis(out, -1, 0)
    if keepdims:
        out = tf.reshape(out, q.shape.as_list() + _common.kept_dims(dims, axes))
    return out


def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector norm, or matrix norm over the last two axes when ``ord`` is set, ``axis`` is None and x is 2D."""
    x = _t(x)
    if axis is None and ord is not None and x.shape.rank == 2:
        axis = (0, 1)
    return tf.norm(x, ord="euclidean" if ord is None else ord, axis=_axis(axis), keepdims=keepdims)


def sort(x, axis=-1):
    return tf.sort(_t(x), axis=axis)


def argsort(x, axis=-1):
    return tf.argsort(_t(x), axis=axis, stable=True)


# ----------------------------------------------------------------------------- shapes
def reshape(x, newshape):
    if isinstance(newshape, (tf.Tensor, tf.Variable)):  # a shape computed in a traced step (keras.io's OCR CTC)
        return tf.reshape(_t(x), newshape)
    return tf.reshape(_t(x), [-1 if d is None else d for d in newshape])


def transpose(x, axes=None):
    return tf.transpose(_t(x), perm=axes)


def expand_dims(x, axis):
    x = _t(x)
    if isinstance(axis, int):
        return tf.expand_dims(x, axis)
    rank = x.shape.rank + len(axis)
    for a in sorted(a % rank for a in axis):
        x = tf.expand_dims(x, a)
    return x


def squeeze(x, axis=None):
    return tf.squeeze(_t(x), axis=_axis(axis))


def _promoted(xs):
    """The tensors of ``xs`` in one dtype, promoted as Keras promotes them (an int meeting a float takes it)."""
    xs = [_t(x) for x in xs]
    if len({x.dtype for x in xs}) < 2:
        return xs
    common = functools.reduce(_result_dtype, [x.dtype for x in xs])
    return [tf.cast(x, common) for x in xs]


def concatenate(xs, axis=0):
    return tf.concat(_promoted(xs), axis=axis)


def stack(xs, axis=0):
    return tf.stack(_promoted(xs), axis=axis)


def unstack(x, axis=0):
    return tf.unstack(_t(x), axis=axis)


def split(x, indices_or_sections, axis=0):
    x = _t(x)
    if isinstance(indices_or_sections, int):
        return tf.split(x, indices_or_sections, axis=axis)
    bounds = [0] + list(indices_or_sections) + [x.shape[axis]]
    return tf.split(x, [b - a for a, b in zip(bounds[:-1], bounds[1:])], axis=axis)


def tile(x, repeats):
    x = _t(x)
    # ``repeats``: an int, a list (of ints or scalar tensors) or a 1-D tensor, also one computed in a graph.
    repeats = tf.reshape(tf.cast(tf.convert_to_tensor(repeats), tf.int32), [-1])
    extra = repeats.shape[0] - x.shape.rank
    if extra > 0:
        x = tf.reshape(x, [1] * extra + list(shape(x)))
    elif extra < 0:
        repeats = tf.concat([tf.ones([-extra], tf.int32), repeats], axis=0)
    return tf.tile(x, repeats)


def repeat(x, repeats, axis=None):
    x = _t(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.repeat(x, repeats, axis=axis)


def broadcast_to(x, shape):
    return tf.broadcast_to(_t(x), shape)


def flip(x, axis=None):
    x = _t(x)
    axes = list(range(x.shape.rank)) if axis is None else (list(axis) if isinstance(axis, (list, tuple)) else [axis])
    return tf.reverse(x, axes)


def moveaxis(x, source, destination):
    return tf.experimental.numpy.moveaxis(_t(x), source, destination)


def swapaxes(x, axis1, axis2):
    return tf.experimental.numpy.swapaxes(_t(x), axis1, axis2)


def take(x, indices, axis=None):
    x = _t(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    indices = _t(indices)
    if indices.dtype not in (tf.int32, tf.int64):
        indices = tf.cast(indices, tf.int32)
    indices = tf.where(indices < 0, indices + tf.shape(x, indices.dtype)[axis], indices)
    return tf.gather(x, indices, axis=axis)


def take_along_axis(x, indices, axis=None):
    return tf.experimental.numpy.take_along_axis(_t(x), _t(indices), axis=axis)


def slice(x, start_indices, shape):
    return tf.slice(_t(x), start_indices, shape)


def pad(x, pad_width, mode="constant", constant_values=0):
    """NumPy's pad: "constant", "reflect" and "symmetric" by ``tf.pad``; "edge" and "wrap" gather rows at the
    indices ``np.pad`` computes (one gather per padded axis, whose size must be static)."""
    x = _t(x)
    if mode in ("edge", "wrap"):
        for axis, (lo, hi) in enumerate(pad_width):
            if lo or hi:
                x = tf.gather(x, np.pad(np.arange(x.shape[axis]), (lo, hi), mode=mode), axis=axis)
        return x
    mode = {"constant": "CONSTANT", "reflect": "REFLECT", "symmetric": "SYMMETRIC"}[mode]
    return tf.pad(x, [list(p) for p in pad_width], mode=mode, constant_values=constant_values)


def diag(x, k=0):
    x = _t(x)
    return tf.linalg.diag(x, k=k) if x.shape.rank == 1 else tf.linalg.diag_part(x, k=k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    x = _t(x)
    rank = x.shape.rank
    axis1, axis2 = axis1 % rank, axis2 % rank
    perm = [a for a in range(rank) if a not in (axis1, axis2)] + [axis1, axis2]
    return tf.linalg.diag_part(tf.transpose(x, perm), k=offset)


def trace(x, offset=0, axis1=0, axis2=1):
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def tril(x, k=0):
    x = _t(x)
    return tf.experimental.numpy.tril(x, k)


def triu(x, k=0):
    x = _t(x)
    return tf.experimental.numpy.triu(x, k)


# --- added for losses/metrics
def divide_no_nan(x1, x2):
    return tf.math.divide_no_nan(*_float_pair(x1, x2))


def copy(x):
    return tf.identity(_t(x))


# ----------------------------------------------------------------------------- reductions and statistics
def average(x, axis=None, weights=None):
    x = _f(x)
    if weights is None:
        return mean(x, axis)
    x, w = _same(x, weights)
    if w.shape.rank == 1 and x.shape.rank > 1 and axis is not None:
        shape = [1] * x.shape.rank
        shape[axis] = -1
        w = tf.reshape(w, shape)
    w = tf.broadcast_to(w, tf.shape(x))
    dims = list(_common.axes_of(axis, x.shape.rank))
    return tf.reduce_sum(x * w, axis=dims) / tf.reduce_sum(w, axis=dims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """Quantile over the non-NaN elements of each slice (NaN for an all-NaN slice)."""
    x = _f(x)
    rank, dims = x.shape.rank, list(shape(x))
    rest, axes = _common.reduced_last(axis, rank)
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
        out = tf.reshape(out, [-1] + _common.kept_dims(dims, axes))
    return tf.reshape(out, q.shape.as_list() + out.shape.as_list()[1:])


def bincount(x, weights=None, minlength=0, sparse=False):
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
    x = _f(x)
    x = x if x.shape.rank == 2 else tf.reshape(x, [1, -1])
    c = x - tf.reduce_mean(x, axis=1, keepdims=True)
    cov = tf.matmul(c, c, transpose_b=True)
    d = tf.sqrt(tf.linalg.diag_part(cov))
    return tf.clip_by_value(cov / d[:, None] / d[None, :], -1.0, 1.0)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = tnp.moveaxis(_f(y), axis, -1)
    if x is None:
        return tf.reduce_sum(y[..., 1:] + y[..., :-1], axis=-1) * tf.cast(dx, y.dtype) / 2
    x = tf.cast(_t(x), y.dtype)
    dxs = x[1:] - x[:-1] if x.shape.rank == 1 else tnp.moveaxis(tnp.diff(x, axis=axis), axis, -1)
    return tf.reduce_sum((y[..., 1:] + y[..., :-1]) * dxs, axis=-1) / 2


def correlate(x1, x2, mode="valid"):
    a, v = _float_pair(x1, x2)

    def full(a, v):
        m = v.shape[0]
        return tf.nn.conv1d(tf.pad(a, [[m - 1, m - 1]])[None, :, None], v[:, None, None], 1, "VALID")[0, :, 0]
    return _common.correlate(a, v, mode, full)


# ----------------------------------------------------------------------------- more shapes and indexing
def append(x1, x2, axis=None):
    x1, x2 = _same(x1, x2)
    if axis is None:
        return tf.concat([tf.reshape(x1, [-1]), tf.reshape(x2, [-1])], 0)
    return tf.concat([x1, x2], axis)


def ravel(x):
    return tf.reshape(_t(x), [-1])


def roll(x, shift, axis=None):
    x = _t(x)
    if axis is None:
        return tf.reshape(tf.roll(tf.reshape(x, [-1]), shift, 0), tf.shape(x))
    return tf.roll(x, shift, axis)


def rot90(array, k=1, axes=(0, 1)):
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
    x = _t(x)
    if isinstance(indices_or_sections, int):
        n, s = x.shape[axis], indices_or_sections
        sizes = [n // s + 1] * (n % s) + [n // s] * (s - n % s)
        return tf.split(x, sizes, axis=axis)
    return split(x, indices_or_sections, axis)


def diagflat(x, k=0):
    return tf.linalg.diag(tf.reshape(_t(x), [-1]), k=k)


def diff(a, n=1, axis=-1):
    x = _t(a)
    rank = x.shape.rank
    axis %= rank
    for _ in range(n):
        hi = [_bi.slice(None)] * axis + [_bi.slice(1, None)]
        lo = [_bi.slice(None)] * axis + [_bi.slice(None, -1)]
        x = x[tuple(hi)] - x[tuple(lo)] if x.dtype != tf.bool else tf.not_equal(x[tuple(hi)], x[tuple(lo)])
    return x


def _search(sorted_sequence, values, side):
    s, v = _same(sorted_sequence, values)
    if s.shape.rank != 1:
        raise ValueError(f"searchsorted: sorted_sequence must be 1-D; received shape {s.shape}.")
    flat = tf.searchsorted(s, tf.reshape(v, [-1]), side=side, out_type=tf.int32)
    return tf.reshape(flat, tf.shape(v))


def digitize(x, bins):
    return _search(bins, x, "right")


def searchsorted(sorted_sequence, values, side="left"):
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right'; received {side!r}.")
    return _search(sorted_sequence, values, side)


def nonzero(x):
    x = _t(x)
    idx = tf.cast(tf.where(tf.not_equal(x, tf.zeros((), x.dtype))), tf.int32)
    return tuple(tf.unstack(idx, num=x.shape.rank, axis=1))


def unravel_index(indices, shape):
    idx = _t(indices)
    out = []
    for dim in reversed(shape):
        dim = tf.cast(dim, idx.dtype)
        out.append(tf.math.floormod(idx, dim))
        idx = tf.math.floordiv(idx, dim)
    return tuple(reversed(out))


def select(condlist, choicelist, default=0):
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
    x = _t(x)
    if dtype is None:
        return x
    d = to_dtype(dtype)
    if d.size == x.dtype.size:
        return tf.bitcast(x, d)
    if d.size < x.dtype.size:
        out = tf.bitcast(x, d)
        return tf.reshape(out, tf.concat([tf.shape(x)[:-1], [-1]], 0))
    ratio = d.size // x.dtype.size
    return tf.bitcast(tf.reshape(x, tf.concat([tf.shape(x)[:-1], [-1, ratio]], 0)), d)


# ----------------------------------------------------------------------------- more creation
def empty(shape, dtype=None):
    return tf.zeros(shape, to_dtype(dtype or "float32"))


def empty_like(x, dtype=None):
    return tf.zeros_like(_t(x), dtype=to_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):
    m = N if M is None else M
    rows = tf.range(N)[:, None]
    cols = tf.range(m)[None, :]
    return tf.cast(cols - rows <= k, to_dtype(dtype or "float32"))


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
    out = tf.pow(tf.constant(float(base), tf.float64), _lin(start, stop, num, endpoint, axis))
    return tf.cast(out, to_dtype(dtype or "float32"))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    s, e = tf.cast(_t(start), tf.float64), tf.cast(_t(stop), tf.float64)
    out = tf.sign(s) * tf.exp(_lin(tf.math.log(tf.abs(s)), tf.math.log(tf.abs(e)), num, endpoint, 0))
    pieces = [s[None], out[1:-1] if endpoint and num > 1 else out[1:]]
    if endpoint and num > 1:
        pieces.append(e[None])
    out = tf.concat(pieces, 0) if num > 1 else s[None]
    out = tnp.moveaxis(out, 0, axis) if axis else out
    return tf.cast(out, to_dtype(dtype or "float32"))


def vander(x, N=None, increasing=False):
    x = _t(x)
    n = x.shape[0] if N is None else N
    powers = tf.range(n, dtype=x.dtype)
    if not increasing:
        powers = tf.reverse(powers, [0])
    return tf.pow(x[:, None], powers[None, :])


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
