"""TensorFlow optimizer primitives: per-tensor ops (assigns for variables), traced once into the train step, where
Grappler/XLA fuse them. Also the optimizer's state helpers (host counters, learning-rate variables) and copying."""
import functools

import tensorflow as tf

from kerasport.backends.tensorflow.core import variable


# ----------------------------------------------------------------------------- optimizer state
def host_variable(value, dtype, name):
    """A scalar variable (step counts, learning rates)."""
    return variable(value, dtype=dtype, trainable=False, name=name)


def read(var):
    """The variable's value as a tensor (read each step inside the graph)."""
    return tf.convert_to_tensor(var)


def increment(counter):
    """Add 1 to ``counter``; returns the new count as a float tensor."""
    counter.assign_add(1)
    return tf.cast(counter, tf.float32)


# ----------------------------------------------------------------------------- multi-tensor primitives
# ``lr`` and the other scalars are float tensors (cast to each entry's dtype) or Python numbers.
def _dense_lists(fn):
    """``fn`` with the ``tf.IndexedSlices`` in its list arguments (an ``Embedding``'s gradient) made dense."""
    def dense(arg):
        if isinstance(arg, (list, tuple)) and any(isinstance(t, tf.IndexedSlices) for t in arg):
            return [tf.convert_to_tensor(t) if isinstance(t, tf.IndexedSlices) else t for t in arg]
        return arg

    @functools.wraps(fn)
    def run(*args, **kwargs):
        return fn(*map(dense, args), **{k: dense(v) for k, v in kwargs.items()})
    return run


def _scalar(c, x):
    return tf.cast(c, x.dtype) if tf.is_tensor(c) else c


def _others(xs, other):
    """``other`` as one operand per entry of ``xs``: the list itself, or the scalar in each entry's dtype."""
    return other if isinstance(other, (list, tuple)) else [_scalar(other, x) for x in xs]


def _in_place(xs, values):
    """Assign ``values`` into the variables of ``xs``; the list of updated entries (new tensors for the others)."""
    out = []
    for x, value in zip(xs, values):
        if isinstance(x, tf.Variable):
            x.assign(value)
            out.append(x)
        else:
            out.append(value)
    return out


def _add(xs, other, alpha):
    unit = isinstance(alpha, (int, float)) and alpha == 1
    return [x + (y if unit else y * _scalar(alpha, x)) for x, y in zip(xs, _others(xs, other))]


def _addcmul(xs, a, b, value):
    return [x + _scalar(value, x) * p * q for x, p, q in zip(xs, a, b)]


def _lerp(xs, ys, weight):
    return [x + (y - x) * _scalar(weight, x) for x, y in zip(xs, ys)]


@_dense_lists
def foreach_abs(xs):
    return [tf.abs(x) for x in xs]


@_dense_lists
def foreach_add(xs, other, alpha=1):
    return _add(xs, other, alpha)


@_dense_lists
def foreach_add_(xs, other, alpha=1):
    return _in_place(xs, _add(xs, other, alpha))


@_dense_lists
def foreach_addcdiv_(xs, a, b, value=1):
    return _in_place(xs, [x + _scalar(value, x) * p / q for x, p, q in zip(xs, a, b)])


@_dense_lists
def foreach_addcmul(xs, a, b, value=1):
    return _addcmul(xs, a, b, value)


@_dense_lists
def foreach_addcmul_(xs, a, b, value=1):
    return _in_place(xs, _addcmul(xs, a, b, value))


@_dense_lists
def foreach_clamp_max(xs, other):
    return [tf.minimum(x, _scalar(other, x)) for x in xs]


@_dense_lists
def foreach_clamp_min(xs, other):
    return [tf.maximum(x, _scalar(other, x)) for x in xs]


@_dense_lists
def foreach_div(xs, other):
    return [x / y for x, y in zip(xs, _others(xs, other))]


@_dense_lists
def foreach_div_(xs, other):
    return _in_place(xs, foreach_div(xs, other))


@_dense_lists
def foreach_lerp(xs, ys, weight):
    return _lerp(xs, ys, weight)


@_dense_lists
def foreach_lerp_(xs, ys, weight):
    return _in_place(xs, _lerp(xs, ys, weight))


@_dense_lists
def foreach_maximum_(xs, ys):
    return _in_place(xs, [tf.maximum(x, y) for x, y in zip(xs, ys)])


@_dense_lists
def foreach_mean(xs, axis=None, keepdims=False):
    return [tf.reduce_mean(x, axis=axis, keepdims=keepdims) for x in xs]


@_dense_lists
def foreach_mul(xs, other):
    return [x * y for x, y in zip(xs, _others(xs, other))]


@_dense_lists
def foreach_mul_(xs, other):
    return _in_place(xs, foreach_mul(xs, other))


@_dense_lists
def foreach_norm(xs):
    return [tf.norm(x) for x in xs]


@_dense_lists
def foreach_pow(xs, exponent):
    return [tf.pow(x, _scalar(exponent, x)) for x in xs]


@_dense_lists
def foreach_sign_(xs):
    return _in_place(xs, [tf.sign(x) for x in xs])


@_dense_lists
def foreach_sqrt(xs):
    return [tf.sqrt(x) for x in xs]


@_dense_lists
def foreach_sqrt_(xs):
    return _in_place(xs, foreach_sqrt(xs))


@_dense_lists
def foreach_zero_(xs):
    return _in_place(xs, [tf.zeros_like(x) for x in xs])


def fused_adam_(variables, grads, momentums, velocities, velocity_hats, lr, beta_1, beta_2, epsilon, step):
    """No fused Adam kernel: ``Adam.update`` writes it with the primitives above, which XLA/Grappler fuse."""
    return False


# ----------------------------------------------------------------------------- copying
def copy_into(targets, sources):
    """``t = s`` for each pair."""
    for t, s in zip(targets, sources):
        t.assign(s)
