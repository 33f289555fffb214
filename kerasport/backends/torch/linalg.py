"""PyTorch backend, linear algebra: products (matmul, einsum, ...) and keras.ops.linalg
(decompositions, solves, determinants).
"""
import functools

import torch
import torch.nn.functional as F

from kerasport.backends import ops_common as _common
from kerasport.backends.torch.core import as_float, as_tensor, promote, promote_float


# ----------------------------------------------------------------------------- products
def _operands(x1, x2):
    """Both operands as tensors, promoted to one dtype as Keras does where they differ (float64 with float32 gives
    float64, an int with a float the float)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    return (x1, x2) if x1.dtype == x2.dtype else promote(x1, x2)


def matmul(x1, x2):
    return torch.matmul(*_operands(x1, x2))


def dot(x1, x2):
    x1, x2 = _operands(x1, x2)
    if x1.dim() == 0 or x2.dim() == 0:
        return x1 * x2
    if x2.dim() <= 2:
        return torch.matmul(x1, x2)
    return torch.tensordot(x1, x2, dims=([-1], [-2]))


def tensordot(x1, x2, axes=2):
    if isinstance(axes, (list, tuple)):  # torch wants a sequence of axes on each side: (2, 2) is ((2,), (2,))
        axes = tuple((a,) if isinstance(a, int) else tuple(a) for a in axes)
    return torch.tensordot(*_operands(x1, x2), dims=axes)


def outer(x1, x2):
    return torch.mul(as_tensor(x1).reshape(-1, 1), as_tensor(x2).reshape(1, -1))


def einsum(subscripts, *operands):
    operands = [as_tensor(o) for o in operands]
    if len({o.dtype for o in operands}) > 1:  # one dtype, promoted as Keras does
        dtype = functools.reduce(torch.promote_types, [o.dtype for o in operands])
        operands = [o.to(dtype) for o in operands]
    return torch.einsum(subscripts, *operands)

def inner(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.inner(x1, x2)


def vdot(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.sum(torch.conj(x1.reshape(-1)) * x2.reshape(-1), dtype=x1.dtype)


def kron(x1, x2):
    x1, x2 = promote(x1, x2)
    return torch.kron(x1, x2)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    def cross3(a, b):
        a, b = (F.pad(t, (0, 1)) if t.shape[-1] == 2 else t for t in (a, b))
        return torch.linalg.cross(*torch.broadcast_tensors(a, b), dim=-1)
    return _common.cross(*promote(x1, x2), axisa, axisb, axisc, axis, torch.movedim, cross3)


# ----------------------------------------------------------------------------- linear algebra
def cholesky(x, upper=False):
    return torch.linalg.cholesky(as_float(x), upper=upper)


def cholesky_inverse(x, upper=False):
    return torch.cholesky_inverse(as_float(x), upper=upper)


def det(x):
    return torch.linalg.det(as_float(x))


def eig(x):
    return tuple(torch.linalg.eig(as_float(x)))


def eigh(x):
    return tuple(torch.linalg.eigh(as_float(x)))


def inv(x):
    return torch.linalg.inv(as_float(x))


def lstsq(a, b, rcond=None):
    """Least-squares solution of ``a @ x = b``."""
    a, b = as_float(a), as_float(b)
    vec = b.dim() == 1
    out = torch.linalg.lstsq(a, b[:, None] if vec else b, rcond=rcond, driver="gelsd").solution
    return out[:, 0] if vec else out


def lu_factor(x):
    """LU factorization: the packed ``LU`` matrix and 0-based int32 pivots (LAPACK's swaps)."""
    lu, piv = torch.linalg.lu_factor(as_float(x))
    return lu, (piv - 1).to(torch.int32)


def qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete'; received {mode!r}.")
    return tuple(torch.linalg.qr(as_float(x), mode=mode))


def solve(a, b):
    a, b = promote_float(a, b)
    return torch.linalg.solve(a, b)


def solve_triangular(a, b, lower=False):
    a, b = promote_float(a, b)
    vec = b.dim() == a.dim() - 1
    out = torch.linalg.solve_triangular(a, b[..., None] if vec else b, upper=not lower)
    return out[..., 0] if vec else out


def svd(x, full_matrices=True, compute_uv=True):
    x = as_float(x)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


def slogdet(x):
    return tuple(torch.linalg.slogdet(as_float(x)))


def logdet(x):
    return torch.logdet(as_float(x))


def pinv(x, rcond=None):
    x = as_float(x)
    return torch.linalg.pinv(x, rtol=1e-15 if rcond is None else rcond)


def matrix_rank(x, tol=None):
    """Number of singular values above ``tol`` (int32)."""
    x = as_float(x)
    return torch.linalg.matrix_rank(x, atol=tol).to(torch.int32) if tol is not None else \
        torch.linalg.matrix_rank(x).to(torch.int32)


def jvp(fun, primals, tangents, has_aux=False):
    primals = tuple(as_tensor(p) for p in primals)
    tangents = tuple(as_tensor(t).to(p.dtype) for t, p in zip(tangents, primals))
    return torch.func.jvp(fun, primals, tangents, has_aux=has_aux)
