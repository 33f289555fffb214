"""TensorFlow backend core: dtypes, variables, conversion, shape and cast, device, control flow (``keras.ops.core``).
The bottom of the package, importing no sibling: the glue they all use (``as_tensor``, Keras's dtype promotion)."""

import contextlib
import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.autograph.core import config as autograph_config  # noqa: E402

from kerasport.backends import ops_common as _common  # noqa: E402

tnp = tf.experimental.numpy

# As TensorFlow does for Keras: AutoGraph leaves kerasport's code as it is inside a user's ``@tf.function`` (its
# Python control flow is on static values; converting it retraced nothing but cost seconds per trace).
autograph_config.CONVERSION_RULES = (autograph_config.DoNotConvert("kerasport"),) + autograph_config.CONVERSION_RULES

NAME = "tensorflow"
STRING_TENSORS = True  # tf.string tensors: string data and the string layers stay in the graph
Tensor = tf.Tensor

_DTYPES = {
    "float16": tf.float16, "bfloat16": tf.bfloat16, "float32": tf.float32,
    "float64": tf.float64, "int8": tf.int8, "int16": tf.int16, "int32": tf.int32,
    "int64": tf.int64, "uint8": tf.uint8, "bool": tf.bool, "complex64": tf.complex64,
    "float8_e4m3fn": tf.dtypes.experimental.float8_e4m3fn, "float8_e5m2": tf.dtypes.experimental.float8_e5m2,
}


def to_dtype(dtype):
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
_creation_scope = [contextlib.nullcontext]


def set_variable_creation_scope(scope):
    """Create variables from now on inside ``scope()`` (a context manager factory): ``distribute``
    sets its strategy's scope there to mirror new variables over several local devices."""
    _creation_scope[0] = scope


def variable(value, dtype=None, trainable=True, name=None, constraint=None):
    """Create a native ``tf.Variable`` holding ``value``; ``.path`` is set to ``name``, ``.constraint``
    to ``constraint`` (the optimizer step applies it), and ``.name`` is Keras's (``kernel``, without
    TensorFlow's ``:0``)."""
    with _creation_scope[0]():
        v = tf.Variable(convert_to_tensor(value, dtype), trainable=trainable, name=name, constraint=constraint)
    v.path = name
    v.__class__ = keras_named(type(v))
    return v


@functools.cache
def keras_named(cls):
    """``cls`` (the class of a freshly made ``tf.Variable``, ``ResourceVariable`` unless a strategy's
    creator made another) with Keras 3's ``name``. Only the name differs: the variable stays native."""
    native_name = cls.name.fget  # TensorFlow appends ":0" to every name it gives
    keras_name = property(lambda var: native_name(var).rsplit(":", 1)[0])
    members = {"name": keras_name, "_shared_name": keras_name, "__module__": cls.__module__, "__doc__": cls.__doc__,
               "ndim": property(lambda var: var.shape.rank), "regularizer": None, "overwrite_with_gradient": False}
    if hasattr(cls, "__deepcopy__"):
        def deepcopy(var, memo):
            copy = cls.__deepcopy__(var, memo)
            copy.__class__, copy.path = keras_named(type(copy)), getattr(var, "path", None)
            return copy
        members["__deepcopy__"] = deepcopy

    def write_object_proto(var, proto, options):  # SavedModel's writer checks for the ":0" and then drops it
        var.__class__ = cls
        try:
            cls._write_object_proto(var, proto, options)
        finally:
            var.__class__ = named

    members["_write_object_proto"] = write_object_proto
    named = type(cls.__name__, (cls,), members)
    return named


def is_variable(x):
    return isinstance(x, tf.Variable)


def assign(var, value):
    var.assign(tf.cast(tf.reshape(value, var.shape), var.dtype))


# ----------------------------------------------------------------------------- conversion
def convert_to_tensor(x, dtype=None):
    """A tf tensor, as Keras converts: a NumPy array keeps its dtype (float64 stays float64); a Python number, list
    or tuple is packed as TensorFlow packs it (Python floats give float32; a Python int, and Python and NumPy integers
    in a list, give int32)."""
    dtype = to_dtype(dtype)
    if isinstance(x, tf.IndexedSlices):  # a gather's gradient (Embedding), made dense
        x = tf.convert_to_tensor(x)
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return x if dtype is None or x.dtype == dtype else tf.cast(x, dtype)
    if dtype is None and (type(x) in (bool, int, float) or isinstance(x, (list, tuple))):
        # As Keras on TensorFlow: TensorFlow packs a list, so integer arrays in it give int32 (uint8 images too).
        return tf.convert_to_tensor(x)
    if not isinstance(x, np.ndarray):
        x = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
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
    """Static shape as a tuple; unknown dimensions (in a traced graph) are scalar tensors. A NumPy array's or
    a nested list's shape, as Keras gives it."""
    if isinstance(x, (np.ndarray, np.generic)):
        return x.shape
    if not hasattr(x, "shape"):
        x = tf.convert_to_tensor(x)
    static = x.shape.as_list()
    if None not in static:
        return tuple(static)
    dyn = tf.shape(x)
    return tuple(dyn[i] if d is None else d for i, d in enumerate(static))


def ndim(x):
    return x.shape.rank if hasattr(x, "shape") else as_tensor(x).shape.rank  # a shape tuple too, as Keras


def size(x):
    return tf.size(x)


def dtype(x):
    return x.dtype.name


def cast(x, dtype):
    """``x`` as ``dtype``; a ``tf.SparseTensor`` stays sparse (its values are cast), as in Keras."""
    d = to_dtype(dtype)
    if isinstance(x, tf.SparseTensor):
        return x if x.dtype == d else tf.cast(x, d)
    x = convert_to_tensor(x)
    return x if x.dtype == d else tf.cast(x, d)


stop_gradient = tf.stop_gradient


def is_module(x):
    return False


def module_to_text(module):
    raise ValueError(f"TorchModuleWrapper: there are no torch modules on the TensorFlow backend; received {module!r}.")


def module_from_text(text):
    raise ValueError("TorchModuleWrapper: a torch module cannot be loaded on the TensorFlow backend (it runs only "
                     "on KERASPORT_BACKEND=torch).")


def item(x):
    return x.numpy().item()


# ----------------------------------------------------------------------------- tensors and dtype promotion (the glue)
def as_tensor(x):
    """``x`` itself if it is a tf tensor or variable, else ``convert_to_tensor(x)``."""
    return x if isinstance(x, (tf.Tensor, tf.Variable)) else convert_to_tensor(x)


def result_dtype(d1, d2):
    """Keras's promotion of two tensor dtypes: bool < ints < floats; an int meeting a float takes the float."""
    if d1 == d2:
        return d1
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


def promote_pair(x1, x2):
    """Both operands as tensors of one dtype, promoted as Keras does (Python scalars are weakly typed)."""
    s1, s2 = isinstance(x1, (int, float)), isinstance(x2, (int, float))
    if s1 == s2:
        x1, x2 = as_tensor(x1), as_tensor(x2)
        if x1.dtype == x2.dtype:
            return x1, x2
        d = result_dtype(x1.dtype, x2.dtype)
        return tf.cast(x1, d), tf.cast(x2, d)
    if s1:
        x2 = as_tensor(x2)
        d = _weak_dtype(x2.dtype, x1)
        return tf.constant(x1, d), tf.cast(x2, d)
    x1 = as_tensor(x1)
    d = _weak_dtype(x1.dtype, x2)
    return tf.cast(x1, d), tf.constant(x2, d)


def promote_float_pair(x1, x2):
    """``promote_pair``, then both cast to float32 unless already floating."""
    x1, x2 = promote_pair(x1, x2)
    return (x1, x2) if x1.dtype.is_floating else (tf.cast(x1, tf.float32), tf.cast(x2, tf.float32))


def to_float(x):
    """``x`` as a float tensor (ints and bools become float32, as in Keras)."""
    x = as_tensor(x)
    return x if x.dtype.is_floating or x.dtype.is_complex else tf.cast(x, tf.float32)


def axis_arg(axis):
    """``axis`` as the tf reductions take it (a tuple becomes a list)."""
    return list(axis) if isinstance(axis, tuple) else axis


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


class _GraphProbe:
    """A scratch ``FuncGraph`` made the default graph, as Keras's ``compute_output_spec`` traces in."""

    unknown_dims = True

    def __enter__(self):
        self._scope = tf.__internal__.FuncGraph("kerasport_probe").as_default()
        return self._scope.__enter__()

    def __exit__(self, *exc):
        return self._scope.__exit__(*exc)

    @staticmethod
    def placeholder(shape, dtype):
        return tf.compat.v1.placeholder(to_dtype(dtype), shape)


def probe_scope(elements):
    return _GraphProbe()


def init_scope():
    """Variables and their initial values are made eagerly, also while a graph is being built (``tf.init_scope``,
    as Keras's ``Variable``): a sublayer built in the shape-inference graph keeps eager variables."""
    return tf.init_scope()


def device_name():
    gpus = tf.config.list_logical_devices("GPU")
    return gpus[0].name if gpus else "/CPU:0"


class device_scope:
    """Ops and variables created inside run and live on ``device_name`` (``tf.device``; ``"cpu:0"``,
    ``"gpu:0"``, ``"/device:GPU:0"``), as Keras on TensorFlow."""

    def __init__(self, device_name):
        if not isinstance(device_name, str):
            raise ValueError("Invalid value for argument `device_name`. Expected a string like 'gpu:0' or 'cpu'. "
                             f"Received: device_name={device_name!r}")
        self.scope = tf.device(device_name)
        self.name = device_name

    def __enter__(self):
        try:
            return self.scope.__enter__()
        except ValueError as e:
            raise ValueError(f"Invalid value for argument `device_name`: {self.name!r} ({e}). Expected a device "
                             "like 'cpu', 'cpu:0', 'gpu:0' or '/device:GPU:0'.") from None

    def __exit__(self, *exc):
        return self.scope.__exit__(*exc)


def remat(f):
    """``f`` recomputed in the backward pass (``tf.recompute_grad``) instead of storing its intermediate
    activations."""
    return tf.recompute_grad(f)


def zero_grad(variables):
    """TensorFlow keeps no gradients on variables: nothing to clear."""


# ----------------------------------------------------------------------------- scatter, slices, loops (keras.ops.core)
def scatter(indices, values, shape):
    return tf.scatter_nd(as_tensor(indices), as_tensor(values), shape)


def scatter_update(inputs, indices, updates, reduction=None):
    x, idx = as_tensor(inputs), as_tensor(indices)
    upd = tf.cast(as_tensor(updates), x.dtype)
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
    x = as_tensor(inputs)
    u = tf.cast(as_tensor(updates), x.dtype)
    start = tf.cast(tf.stack([as_tensor(s) for s in start_indices]) if isinstance(start_indices, (list, tuple))
                    else as_tensor(start_indices), tf.int32)
    pads = tf.stack([start, tf.shape(x) - start - tf.shape(u)], axis=1)
    mask = tf.pad(tf.ones_like(u, tf.bool), pads)
    return tf.where(mask, tf.pad(u, pads), x)


def saturate_cast(x, dtype):
    return tf.dtypes.saturate_cast(as_tensor(x), to_dtype(dtype))


def fori_loop(lower, upper, body_fun, init_val):
    if isinstance(lower, int) and isinstance(upper, int):
        val = init_val
        for i in range(lower, upper):
            val = body_fun(i, val)
        return val
    _, val = tf.while_loop(lambda i, v: i < upper, lambda i, v: (i + 1, body_fun(i, v)),
                           (tf.cast(lower, tf.int32), init_val))
    return val


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = (loop_vars,) if single else tuple(loop_vars)

    def step(*v):
        out = body(*v)
        return (out,) if single or not isinstance(out, (list, tuple)) else tuple(out)

    out = tf.while_loop(cond, step, vars_, maximum_iterations=maximum_iterations)
    out = tuple(out) if isinstance(out, (list, tuple)) else (out,)
    return out[0] if single else type(loop_vars)(out)


def _stack_tree(items):
    return tf.nest.map_structure(lambda *ts: tf.stack([as_tensor(t) for t in ts]), *items)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    leaves = tf.nest.flatten(xs)
    return _common.scan(f, init, xs, length, reverse, leaves,
                        lambda i: tf.nest.pack_sequence_as(xs, [as_tensor(l)[i] for l in leaves]), _stack_tree)


def map(f, xs):
    leaves = tf.nest.flatten(xs)
    return _stack_tree([f(tf.nest.pack_sequence_as(xs, [as_tensor(l)[i] for l in leaves]))
                        for i in range(leaves[0].shape[0])])


def switch(index, branches, *operands):
    index = tf.clip_by_value(tf.cast(as_tensor(index), tf.int32), 0, len(branches) - 1)
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
    return _common.vectorize(pyfunc, excluded, signature, _vmap, as_tensor, shapes, tf.broadcast_to)


def _interleave(even, odd):
    n = tf.shape(odd)[0]
    inter = tf.reshape(tf.stack([even[:n], odd], axis=1), tf.concat([[-1], tf.shape(odd)[1:]], 0))
    return tf.concat([inter, even[n:]], 0)


def associative_scan(f, elems, reverse=False, axis=0):
    leaves = [tnp.moveaxis(as_tensor(x), axis, 0) for x in tf.nest.flatten(elems)]
    if reverse:
        leaves = [tf.reverse(x, [0]) for x in leaves]

    def fn(a, b):
        return tf.nest.flatten(f(tf.nest.pack_sequence_as(elems, a), tf.nest.pack_sequence_as(elems, b)))

    out = _common.associative_scan(fn, leaves, lambda ts: tf.concat(ts, 0), _interleave)
    if reverse:
        out = [tf.reverse(o, [0]) for o in out]
    return tf.nest.pack_sequence_as(elems, [tnp.moveaxis(o, 0, axis) for o in out])


def custom_gradient(f):
    return tf.custom_gradient(f)
