"""TensorFlow kernels of ``keras.ops.linalg`` and the products: matmul, dot, einsum, solve, decompositions.
Ints become float32 before a decomposition, as in Keras."""

import builtins as _bi
import functools

import numpy as np
import tensorflow as tf

from kerasport.backends import ops_common as _common
from kerasport.backends.tensorflow.core import (
    as_tensor as _t, promote_float_pair as _float_pair, promote_pair as _same, result_dtype, to_float as _f)
from kerasport.backends.tensorflow.math import conj

tnp = tf.experimental.numpy


# ----------------------------------------------------------------------------- products
def _operands(x1, x2):
    """Both operands as tensors, promoted to one dtype as Keras does where they differ (float64 with float32 gives
    float64, an int with a float the float)."""
    x1, x2 = _t(x1), _t(x2)
    return (x1, x2) if x1.dtype == x2.dtype else _same(x1, x2)


def matmul(x1, x2):
    x1, x2 = _operands(x1, x2)
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
    x1, x2 = _operands(x1, x2)
    if x1.shape.rank == 0 or x2.shape.rank == 0:
        return x1 * x2
    if x2.shape.rank <= 2:
        return matmul(x1, x2)
    return tf.tensordot(x1, x2, [[-1], [x2.shape.rank - 2]])


def tensordot(x1, x2, axes=2):
    return tf.tensordot(*_operands(x1, x2), axes)


def outer(x1, x2):
    x1, x2 = _same(x1, x2)
    return tf.reshape(x1, [-1, 1]) * tf.reshape(x2, [1, -1])


def einsum(subscripts, *operands):
    operands = [_t(o) for o in operands]
    if len({o.dtype for o in operands}) > 1:  # one dtype, promoted as Keras does
        dtype = functools.reduce(result_dtype, [o.dtype for o in operands])
        operands = [tf.cast(o, dtype) for o in operands]
    return tf.einsum(subscripts, *operands)


def inner(x1, x2):
    x1, x2 = _same(x1, x2)
    if x1.shape.rank == 0 or x2.shape.rank == 0:
        return x1 * x2
    return tf.tensordot(x1, x2, [[-1], [-1]])


def vdot(x1, x2):
    x1, x2 = _same(x1, x2)
    return tf.reduce_sum(conj(tf.reshape(x1, [-1])) * tf.reshape(x2, [-1]))


def kron(x1, x2):
    x1, x2 = _same(x1, x2)
    return tnp.kron(x1, x2)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    def cross3(a, b):
        a, b = (tf.pad(t, [[0, 0]] * (t.shape.rank - 1) + [[0, 1]]) if t.shape[-1] == 2 else t for t in (a, b))
        return tf.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1], a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                         a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], -1)
    return _common.cross(*_same(x1, x2), axisa, axisb, axisc, axis, tnp.moveaxis, cross3)


# ----------------------------------------------------------------------------- linear algebra
def cholesky(x, upper=False):
    low = tf.linalg.cholesky(_f(x))
    return tf.linalg.adjoint(low) if upper else low


def cholesky_inverse(x, upper=False):
    x = _f(x)
    low = tf.linalg.adjoint(x) if upper else x
    eye = tf.eye(tf.shape(x)[-1], batch_shape=tf.shape(x)[:-2], dtype=x.dtype)
    return tf.linalg.cholesky_solve(low, eye)


def det(x):
    return tf.linalg.det(_f(x))


def eig(x):
    return tf.linalg.eig(_f(x))


def eigh(x):
    return tf.linalg.eigh(_f(x))


def inv(x):
    return tf.linalg.inv(_f(x))


def lstsq(a, b, rcond=None):
    """Least-squares solution of ``a @ x = b`` (through the pseudo-inverse, as NumPy's SVD solver)."""
    a, b = _float_pair(a, b)
    vec = b.shape.rank == 1
    rc = np.finfo(a.dtype.as_numpy_dtype).eps * _bi.max(a.shape[-2:]) if rcond is None else rcond
    out = tf.matmul(tf.linalg.pinv(a, rcond=rc), b[:, None] if vec else b)
    return out[:, 0] if vec else out


def lu_factor(x):
    """LU factorization: the packed ``LU`` matrix and the row permutation (as Keras's TensorFlow backend)."""
    lu, p = tf.linalg.lu(_f(x))
    return lu, tf.math.invert_permutation(p)


def qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete'; received {mode!r}.")
    return tuple(tf.linalg.qr(_f(x), full_matrices=mode == "complete"))


def solve(a, b):
    a, b = _float_pair(a, b)
    vec = b.shape.rank == a.shape.rank - 1
    out = tf.linalg.solve(a, b[..., None] if vec else b)
    return out[..., 0] if vec else out


def solve_triangular(a, b, lower=False):
    a, b = _float_pair(a, b)
    vec = b.shape.rank == a.shape.rank - 1
    out = tf.linalg.triangular_solve(a, b[..., None] if vec else b, lower=lower)
    return out[..., 0] if vec else out


def svd(x, full_matrices=True, compute_uv=True):
    x = _f(x)
    if not compute_uv:
        return tf.linalg.svd(x, compute_uv=False)
    s, u, v = tf.linalg.svd(x, full_matrices=full_matrices)
    return u, s, tf.linalg.adjoint(v)


def slogdet(x):
    return tuple(tf.linalg.slogdet(_f(x)))


def logdet(x):
    return tf.linalg.logdet(_f(x))


def pinv(x, rcond=None):
    return tf.linalg.pinv(_f(x), rcond=rcond)


def matrix_rank(x, tol=None):
    """Number of singular values above ``tol`` (default ``max(s) * max(m, n) * eps``)."""
    return tf.linalg.matrix_rank(_f(x), tol=tol)


def jvp(fun, primals, tangents, has_aux=False):
    primals = [_t(p) for p in primals]
    tangents = [tf.cast(_t(t), p.dtype) for t, p in zip(tangents, primals)]
    with tf.autodiff.ForwardAccumulator(primals, tangents) as accumulator:
        out = fun(*primals)
    primals_out, aux = out if has_aux else (out, None)
    tangents_out = tf.nest.map_structure(
        lambda y: accumulator.jvp(y, unconnected_gradients=tf.UnconnectedGradients.ZERO), primals_out)
    return (primals_out, tangents_out, aux) if has_aux else (primals_out, tangents_out)
