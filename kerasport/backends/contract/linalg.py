"""The backend contract, ``linalg``: products and keras.ops.linalg.

Each backend implements these in ``backends/<name>/linalg.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def cholesky(x: ArrayLike, upper: bool = False) -> Tensor:
    """Cholesky factor of a symmetric positive-definite ``x`` (lower unless ``upper``)."""


def cholesky_inverse(x: ArrayLike, upper: bool = False) -> Tensor:
    """Inverse of ``A`` from its Cholesky factor ``x``."""


def cross(
        x1: ArrayLike, x2: ArrayLike, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Axis = None,
) -> Tensor:
    """Cross product of 2- or 3-vectors along ``axisa``/``axisb`` (all three set by ``axis``)."""


def det(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.det``: the same arguments and results."""


def dot(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.dot``: the same arguments and results."""


def eig(x: ArrayLike) -> tuple[Tensor, ...]:
    """Eigenvalues and eigenvectors of a square ``x`` (complex64)."""


def eigh(x: ArrayLike) -> tuple[Tensor, ...]:
    """Eigenvalues (ascending) and eigenvectors of a symmetric ``x``."""


def einsum(subscripts, *operands) -> Tensor:
    """Keras's ``keras.ops.einsum``: the same arguments and results."""


def inner(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.inner``: the same arguments and results."""


def inv(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.inv``: the same arguments and results."""


def kron(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.kron``: the same arguments and results."""


def logdet(x: ArrayLike) -> Tensor:
    """Log-determinant of a positive-definite ``x``."""


def lstsq(a: ArrayLike, b: ArrayLike, rcond=None) -> tuple[Tensor, ...]:
    """Least-squares solution of ``a @ x = b``."""


def lu_factor(x: ArrayLike) -> tuple[Tensor, ...]:
    """LU factorization: the packed ``LU`` matrix and 0-based int32 pivots (LAPACK's swaps)."""


def matmul(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.matmul``: the same arguments and results."""


def matrix_rank(x: ArrayLike, tol=None) -> Tensor:
    """Number of singular values above ``tol`` (int32)."""


def outer(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.outer``: the same arguments and results."""


def pinv(x: ArrayLike, rcond=None) -> Tensor:
    """Moore-Penrose pseudo-inverse (singular values below ``rcond * max`` dropped)."""


def qr(x: ArrayLike, mode: str = 'reduced') -> tuple[Tensor, ...]:
    """QR decomposition; ``mode`` "reduced" or "complete"."""


def slogdet(x: ArrayLike) -> tuple[Tensor, ...]:
    """Sign and log of the absolute value of the determinant."""


def solve(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Solution of ``a @ x = b``."""


def solve_triangular(a: ArrayLike, b: ArrayLike, lower: bool = False) -> Tensor:
    """Solution of ``a @ x = b`` for a triangular ``a``."""


def svd(x: ArrayLike, full_matrices: bool = True, compute_uv: bool = True) -> tuple[Tensor, ...]:
    """Singular value decomposition ``(u, s, vh)``, or ``s`` alone when not ``compute_uv``."""


def tensordot(x1: ArrayLike, x2: ArrayLike, axes: Axis = 2) -> Tensor:
    """Keras's ``keras.ops.tensordot``: the same arguments and results."""


def vdot(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Dot product of the flattened inputs (the first conjugated)."""


def jvp(fun: Callable, primals: tuple[ArrayLike, ...], tangents: tuple[ArrayLike, ...], has_aux: bool = False
        ) -> tuple[Any, ...]:
    """Forward-mode Jacobian-vector product of ``fun`` at ``primals`` along ``tangents`` (cast to the primals'
    dtypes): ``(fun(*primals), jvp)``, the ``jvp`` in the structure of ``fun``'s output (zeros where an output
    does not depend on the inputs); with ``has_aux``, ``fun`` returns ``(output, aux)`` and ``aux`` comes third."""
