"""The TensorFlow backend: kerasport's contract (see ``contract.py``) on tf tensors.

Every function works eagerly and inside ``tf.function``; variables are plain
``tf.Variable`` objects. TensorFlow places ops itself (GPU when present).
"""
import builtins as _bi
import os
import random as _pyrandom

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kerasport.backends.tensorflow import kernels as _kernels  # noqa: E402

NAME = "tensorflow"
STRING_TENSORS = True  # tf.string tensors: string data and the string layers stay in the graph
Tensor = tf.Tensor

_DTYPES = {
    "float16": tf.float16, "bfloat16": tf.bfloat16, "float32": tf.float32,
    "float64": tf.float64, "int8": tf.int8, "int16": tf.int16, "int32": tf.int32,
    "int64": tf.int64, "uint8": tf.uint8, "bool": tf.bool, "complex64": tf.complex64,
}


def to_dtype(dtype):
    """Framework dtype for a Keras dtype name (or a framework dtype)."""
    if dtype is None or isinstance(dtype, tf.DType):
        return dtype
    if not isinstance(dtype, str):
        dtype = np.dtype(dtype).name
    try:
        return _DTYPES[dtype]
    except KeyError:
        raise ValueError(f"Unknown dtype {dtype!r}; expected one of {sorted(_DTYPES)}") from None


def standardize_dtype(dtype):
    """Keras dtype name (``"float32"``) of a tf/numpy dtype or name."""
    if isinstance(dtype, tf.DType):
        return dtype.name
    if dtype in (float, "float"):
        return "float32"
    if dtype in (int, "int"):
        return "int64"
    return np.dtype(dtype).name if not isinstance(dtype, str) else dtype


# ----------------------------------------------------------------------------- variables
def variable(value, dtype=None, trainable=True, name=None, constraint=None):
    """Create a native ``tf.Variable`` holding ``value``; ``.path`` is set to ``name``, ``.constraint``
    to ``constraint`` (the optimizer step applies it)."""
    v = tf.Variable(convert_to_tensor(value, dtype), trainable=trainable, name=name, constraint=constraint)
    v.path = name
    return v


def is_variable(x):
    return isinstance(x, tf.Variable)


def assign(var, value):
    var.assign(tf.cast(tf.reshape(value, var.shape), var.dtype))


# ----------------------------------------------------------------------------- conversion
def convert_to_tensor(x, dtype=None):
    """A tf tensor. Python floats and float64 arrays become float32."""
    dtype = to_dtype(dtype)
    if isinstance(x, tf.IndexedSlices):  # a gather's gradient (Embedding), made dense
        x = tf.convert_to_tensor(x)
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return x if dtype is None or x.dtype == dtype else tf.cast(x, dtype)
    if not isinstance(x, np.ndarray):
        x = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if dtype is None and x.dtype == np.float64:
        dtype = tf.float32
    if dtype is not None:
        x = x.astype(dtype.as_numpy_dtype, copy=False)
    return tf.convert_to_tensor(x)


def convert_to_numpy(x):
    if isinstance(x, (tf.Tensor, tf.Variable)):
        if x.dtype == tf.bfloat16:
            x = tf.cast(x, tf.float32)
        return x.numpy()
    return np.asarray(x)


def is_tensor(x):
    return isinstance(x, (tf.Tensor, tf.Variable))


def shape(x):
    """Static shape as a tuple; unknown dimensions (in a traced graph) are scalar tensors."""
    static = x.shape.as_list()
    if None not in static:
        return tuple(static)
    dyn = tf.shape(x)
    return tuple(dyn[i] if d is None else d for i, d in enumerate(static))


def ndim(x):
    return x.shape.rank


def size(x):
    return tf.size(x)


def dtype(x):
    return x.dtype.name


def cast(x, dtype):
    x = convert_to_tensor(x)
    d = to_dtype(dtype)
    return x if x.dtype == d else tf.cast(x, d)


stop_gradient = tf.stop_gradient


def item(x):
    return x.numpy().item()


# ----------------------------------------------------------------------------- creation
def _t(x):
    return x if isinstance(x, (tf.Tensor, tf.Variable)) else convert_to_tensor(x)


def _result_dtype(d1, d2):
    """Keras's promotion of two tensor dtypes: bool < ints < floats; an int meeting a float takes the float."""
    if d1.is_bool or d2.is_bool:
        return d2 if d1.is_bool else d1
    if d1.is_floating != d2.is_floating:
        return d1 if d1.is_floating else d2
    if d1.is_floating:
        return d1 if d1.size > d2.size else d2 if d2.size > d1.size else tf.float32
    return tf.as_dtype(np.promote_types(d1.as_numpy_dtype, d2.as_numpy_dtype))


def _weak_dtype(d, scalar):
    """Dtype of a tensor of dtype ``d`` combined with a Python scalar: the scalar adapts unless it
    brings a higher kind (a float to an int or bool tensor: float32; an int to a bool tensor: int32)."""
    if d.is_floating or (d.is_integer and not isinstance(scalar, float)):
        return d
    return tf.float32 if isinstance(scalar, float) else tf.int32


def _same(x1, x2):
    """Both operands as tensors of one dtype, promoted as Keras does (Python scalars are weakly typed)."""
    s1, s2 = isinstance(x1, (int, float)), isinstance(x2, (int, float))
    if s1 == s2:
        x1, x2 = _t(x1), _t(x2)
        if x1.dtype == x2.dtype:
            return x1, x2
        d = _result_dtype(x1.dtype, x2.dtype)
        return tf.cast(x1, d), tf.cast(x2, d)
    if s1:
        x2 = _t(x2)
        d = _weak_dtype(x2.dtype, x1)
        return tf.constant(x1, d), tf.cast(x2, d)
    x1 = _t(x1)
    d = _weak_dtype(x1.dtype, x2)
    return tf.cast(x1, d), tf.constant(x2, d)


def _floating(fn):
    """``fn`` on a float tensor: ints and bools become float32 first, as in Keras."""
    def op(x):
        x = _t(x)
        return fn(x if x.dtype.is_floating else tf.cast(x, tf.float32))
    op.__name__ = fn.__name__
    return op


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
sqrt = _floating(tf.sqrt)
rsqrt = _floating(tf.math.rsqrt)
exp = _floating(tf.exp)
expm1 = _floating(tf.math.expm1)
log = _floating(tf.math.log)
log1p = _floating(tf.math.log1p)
sin = _floating(tf.sin)
cos = _floating(tf.cos)
tan = _floating(tf.tan)
arctan = _floating(tf.atan)
sinh = _floating(tf.sinh)
cosh = _floating(tf.cosh)
floor = _floating(tf.floor)
ceil = _floating(tf.math.ceil)
erf = _floating(tf.math.erf)
reciprocal = _floating(tf.math.reciprocal)
log2 = _floating(lambda x: tf.math.log(x) / tf.math.log(tf.constant(2.0, x.dtype)))
log10 = _floating(lambda x: tf.math.log(x) / tf.math.log(tf.constant(10.0, x.dtype)))
erfinv = _floating(tf.math.erfinv)


def logaddexp(x1, x2):
    x1, x2 = _float_pair(x1, x2)
    big = tf.maximum(x1, x2)
    return big + tf.math.log1p(tf.exp(-tf.abs(x1 - x2)))


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return tf.experimental.numpy.isclose(*_same(x1, x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


def _float_pair(x1, x2):
    x1, x2 = _same(x1, x2)
    return (x1, x2) if x1.dtype.is_floating else (tf.cast(x1, tf.float32), tf.cast(x2, tf.float32))


def divide(x1, x2):
    return tf.math.truediv(*_float_pair(x1, x2))


def arctan2(x1, x2):
    return tf.atan2(*_float_pair(x1, x2))


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
def _axis(axis):
    return list(axis) if isinstance(axis, tuple) else axis


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
    return tf.math.reduce_variance(tf.cast(_t(x), tf.float32) if not _t(x).dtype.is_floating else _t(x),
                                   axis=_axis(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return tf.sqrt(var(x, axis, keepdims))


def logsumexp(x, axis=None, keepdims=False):
    return tf.reduce_logsumexp(_t(x), axis=_axis(axis), keepdims=keepdims)


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
    """NumPy's quantile of ``x`` over ``axis`` (None, int or tuple); a 1-D ``q`` adds a leading axis."""
    x = _t(x)
    x = x if x.dtype.is_floating else tf.cast(x, tf.float32)
    rank, dims = x.shape.rank, list(shape(x))
    axes = [a % rank for a in (range(rank) if axis is None else [axis] if isinstance(axis, int) else axis)]
    rest = [a for a in range(rank) if a not in axes]
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
        out = tf.reshape(out, q.shape.as_list() + [1 if a in axes else n for a, n in enumerate(dims)])
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


def top_k(x, k, sorted=True):
    out = tf.math.top_k(_t(x), k, sorted=sorted)
    return out.values, out.indices


# ----------------------------------------------------------------------------- shapes
def reshape(x, newshape):
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


def concatenate(xs, axis=0):
    return tf.concat([_t(x) for x in xs], axis=axis)


def stack(xs, axis=0):
    return tf.stack([_t(x) for x in xs], axis=axis)


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
    extra = len(repeats) - x.shape.rank
    return tf.tile(tf.reshape(x, [1] * extra + list(shape(x))) if extra > 0 else x, repeats)


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
    x = _t(x)
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


def one_hot(x, num_classes, axis=-1, dtype="float32"):
    return tf.one_hot(tf.cast(_t(x), tf.int32), num_classes, axis=axis, dtype=to_dtype(dtype))


# ----------------------------------------------------------------------------- linear algebra
def matmul(x1, x2):
    x1, x2 = _t(x1), _t(x2)
    if x1.shape.rank == 2 and x2.shape.rank == 2:
        return tf.matmul(x1, x2)
    if x1.shape.rank == 1 and x2.shape.rank == 1:
        return tf.tensordot(x1, x2, 1)
    if x2.shape.rank == 2:
        return tf.tensordot(x1, x2, 1) if x1.shape.rank > 2 else tf.linalg.matvec(tf.transpose(x2), x1)
    if x1.shape.rank == 1:
        return tf.linalg.matvec(x2, x1, transpose_a=True)
    if x2.shape.rank == 1:
        return tf.linalg.matvec(x1, x2)
    return tf.linalg.matmul(x1, x2)


def dot(x1, x2):
    x1, x2 = _t(x1), _t(x2)
    if x1.shape.rank == 0 or x2.shape.rank == 0:
        return x1 * x2
    if x2.shape.rank <= 2:
        return matmul(x1, x2)
    return tf.tensordot(x1, x2, [[-1], [x2.shape.rank - 2]])


def tensordot(x1, x2, axes=2):
    return tf.tensordot(_t(x1), _t(x2), axes)


def outer(x1, x2):
    x1, x2 = _same(x1, x2)
    return tf.reshape(x1, [-1, 1]) * tf.reshape(x2, [1, -1])


def einsum(subscripts, *operands):
    return tf.einsum(subscripts, *[_t(o) for o in operands])


# ----------------------------------------------------------------------------- activations
relu = tf.nn.relu
relu6 = tf.nn.relu6
sigmoid = tf.sigmoid
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
    if isinstance(axis, int):
        return tf.nn.softmax(x, axis=axis)
    return tf.exp(x - tf.reduce_logsumexp(x, axis=list(axis), keepdims=True))


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
    """Depthwise conv. kernel (*k, in, multiplier) -> output channels in*multiplier (+ ``bias``)."""
    n = kernel.shape.rank - 2
    s, d = _tuple(strides, n), _tuple(dilation_rate, n)
    if n == 3:
        ks = kernel.shape
        return conv(inputs, tf.reshape(kernel, list(ks[:n]) + [1, ks[-2] * ks[-1]]), s, padding, data_format, d,
                    bias=bias)
    return _finish(_depthwise_cl(_to_cl(inputs, data_format), kernel, s, padding, d), bias, data_format)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1, bias=None):
    """Depthwise conv (strides, padding, dilation apply here), then the 1x1 ``pointwise_kernel`` (+ ``bias``)."""
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
def moments(x, axes, keepdims=False):
    return tf.nn.moments(_t(x), axes=list(axes), keepdims=keepdims)


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


def normalize(x, axis=-1, order=2, epsilon=None):
    if order != 2:
        n = tf.norm(x, ord=order, axis=axis, keepdims=True)
        return x / tf.maximum(n, epsilon or 1e-12)
    return tf.math.l2_normalize(x, axis=axis, epsilon=(epsilon or 1e-12) ** 2)


# ----------------------------------------------------------------------------- losses
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target = tf.cast(target, output.dtype)
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = output / tf.reduce_sum(output, axis, keepdims=True)
    output = tf.clip_by_value(output, 1e-7, 1 - 1e-7)
    return -tf.reduce_sum(target * tf.math.log(output), axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target = tf.cast(target, tf.int32)
    if target.shape.rank == output.shape.rank:
        target = tf.squeeze(target, axis)
    if axis != -1 and axis != output.shape.rank - 1:
        output = tf.experimental.numpy.moveaxis(output, axis, -1)
    if not from_logits:
        output = output / tf.reduce_sum(output, -1, keepdims=True)
        output = tf.math.log(tf.clip_by_value(output, 1e-7, 1 - 1e-7))
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)


def binary_crossentropy(target, output, from_logits=False):
    target = tf.cast(target, output.dtype)
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    output = tf.clip_by_value(output, 1e-7, 1 - 1e-7)
    return -(target * tf.math.log(output) + (1 - target) * tf.math.log(1 - output))


# ----------------------------------------------------------------------------- random
def seed(value):
    """Seed the framework's global random state."""
    tf.random.set_seed(value)


def make_generator(seed_value):
    """A random-state object for one layer or initializer (``None``: the global state)."""
    return None if seed_value is None else tf.random.Generator.from_seed(int(seed_value))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", generator=None):
    if generator is not None:
        return generator.uniform(shape, minval, maxval, dtype=to_dtype(dtype))
    return tf.random.uniform(shape, minval, maxval, dtype=to_dtype(dtype))


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", generator=None):
    if generator is not None:
        return generator.normal(shape, mean, stddev, dtype=to_dtype(dtype))
    return tf.random.normal(shape, mean, stddev, dtype=to_dtype(dtype))


def random_permutation(n, generator=None):
    if generator is not None:
        return tf.argsort(generator.uniform([n]))
    return tf.random.shuffle(tf.range(n))


def dropout(x, rate, noise_shape=None, generator=None):
    """Inverted dropout: zero with probability ``rate``, scale the rest by 1/(1-rate)."""
    if noise_shape is not None:
        dyn = tf.shape(x)
        noise_shape = tf.stack([dyn[i] if d is None else d for i, d in enumerate(noise_shape)])
    if generator is None:
        return tf.nn.dropout(x, rate, noise_shape=noise_shape)
    keep = generator.uniform(tf.shape(x) if noise_shape is None else noise_shape, dtype=x.dtype) >= rate
    return x * tf.cast(keep, x.dtype) / (1.0 - rate)


# ----------------------------------------------------------------------------- control flow and misc
def cond(pred, true_fn, false_fn):
    return tf.cond(pred, true_fn, false_fn)


class _NoGrad:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def no_grad():
    """TensorFlow records gradients only under a tape: nothing to switch off."""
    return _NoGrad()


def device_name():
    gpus = tf.config.list_logical_devices("GPU")
    return gpus[0].name if gpus else "/CPU:0"


def set_seed_all(seed_value):
    _pyrandom.seed(seed_value)
    np.random.seed(seed_value)
    tf.random.set_seed(seed_value)


# ----------------------------------------------------------------------------- layer kernels (kerasport extensions)
def dense(x, kernel, bias=None):
    """``x @ kernel + bias`` on the last axis."""
    out = tf.matmul(x, kernel) if x.shape.rank == 2 else tf.tensordot(x, kernel, 1)
    return out if bias is None else tf.nn.bias_add(out, bias)


def embedding(indices, table):
    """Rows of ``table`` (vocab, dim) at integer ``indices``: (...) -> (..., dim)."""
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


from kerasport.backends.tensorflow.rnn import *  # noqa: E402,F401,F403
from kerasport.backends.tensorflow.image import *  # noqa: E402,F401,F403
from kerasport.backends.tensorflow.strings import (  # noqa: E402,F401
    as_strings, rows_flat_values, rows_to_dense, rows_with_values, string_equal, string_hash_bucket, string_lower,
    string_ngrams, string_regex_replace, string_split, string_table, string_table_lookup, string_is_symbolic)


# --- added for losses/metrics
def divide_no_nan(x1, x2):
    """``x1 / x2``, and 0 where ``x2 == 0``."""
    return tf.math.divide_no_nan(*_float_pair(x1, x2))


def segment_sum(data, segment_ids, num_segments):
    """Sums of ``data`` rows (N, ...) grouped by ``segment_ids`` (N,) in [0, num_segments)."""
    return tf.math.unsorted_segment_sum(_t(data), tf.cast(_t(segment_ids), tf.int32), num_segments)


def zero_grad(variables):
    """TensorFlow keeps no gradients on variables: nothing to clear."""


# --- random (kerasport/random.py)
class _StatelessGenerator:
    """The ``tf.random.Generator`` methods the random ops use, on stateless ops: holds no variable, so it
    may be made inside a ``tf.function``; its n-th draw depends only on (seed, n)."""

    def __init__(self, seed_value):
        self.seed, self.draws = seed_value, 0

    def _next(self):
        self.draws += 1
        return [self.seed, self.draws]

    def uniform(self, shape, minval=0, maxval=None, dtype=tf.float32):
        return tf.random.stateless_uniform(shape, self._next(), minval, maxval, dtype=dtype)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=tf.float32):
        return tf.random.stateless_normal(shape, self._next(), mean, stddev, dtype=dtype)


def seeded_generator(seed_value):
    """Random state started from ``seed_value`` afresh on each call (same seed, same draws)."""
    return _StatelessGenerator(int(seed_value))


def random_randint(shape, minval, maxval, dtype="int32", generator=None):
    """Integers uniform in ``[minval, maxval)``."""
    draw = (generator or tf.random).uniform(shape, minval, maxval, dtype=tf.int64)
    return tf.cast(draw, to_dtype(dtype))

from kerasport.backends.tf_ops_extra import *  # noqa: E402,F401,F403  (the rest of keras.ops)
