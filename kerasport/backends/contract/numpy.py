"""The backend contract, ``numpy``: keras.ops.numpy: creation, elementwise maths, reductions, shapes and indexing.

Each backend implements these in ``backends/<name>/numpy.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def abs(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.abs``: the same arguments and results."""


def absolute(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.absolute``: the same arguments and results."""


def add(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.add``: the same arguments and results."""


def all(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.all``: the same arguments and results."""


def allclose(x1: ArrayLike, x2: ArrayLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether all elements are close (a 0-d bool tensor)."""


def amax(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.amax``: the same arguments and results."""


def amin(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.amin``: the same arguments and results."""


def any(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.any``: the same arguments and results."""


def append(x1: ArrayLike, x2: ArrayLike, axis: Axis = None) -> Tensor:
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when ``axis`` is None)."""


def arange(start, stop=None, step: int = 1, dtype: DType | None = None) -> Tensor:
    """Keras's ``keras.ops.arange``: the same arguments and results."""


def arctan(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.arctan``: the same arguments and results."""


def arctan2(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.arctan2``: the same arguments and results."""


def argmax(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.argmax``: the same arguments and results."""


def argmin(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.argmin``: the same arguments and results."""


def argpartition(x: ArrayLike, kth, axis: Axis = -1) -> Tensor:
    """Indices that partition ``x`` around its ``kth`` element (here: a stable full argsort)."""


def argsort(x: ArrayLike, axis: Axis = -1) -> Tensor:
    """Keras's ``keras.ops.argsort``: the same arguments and results."""


def array(x: ArrayLike, dtype: DType | None = None) -> Tensor:
    """``convert_to_tensor`` under NumPy's name."""


def array_split(x: ArrayLike, indices_or_sections, axis: Axis = 0) -> list[Tensor]:
    """``split`` that allows sections of unequal size."""


def average(x: ArrayLike, axis: Axis = None, weights: ArrayLike | None = None) -> Tensor:
    """Weighted mean; 1-D ``weights`` apply along ``axis``."""


def bartlett(x: ArrayLike) -> Tensor:
    """The ``bartlett`` window of length ``x`` (NumPy's symmetric window)."""


def bincount(x: ArrayLike, weights: ArrayLike | None = None, minlength: int = 0, sparse: bool = False) -> Tensor:
    """Counts (or summed ``weights``) of each non-negative int in 1-D ``x``, or per row of 2-D ``x``."""


def blackman(x: ArrayLike) -> Tensor:
    """The ``blackman`` window of length ``x`` (NumPy's symmetric window)."""


def broadcast_to(x: ArrayLike, shape: Shape) -> Tensor:
    """Keras's ``keras.ops.broadcast_to``: the same arguments and results."""


def ceil(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.ceil``: the same arguments and results."""


def clip(x: ArrayLike, x_min: ArrayLike, x_max: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.clip``: the same arguments and results."""


def concatenate(xs: ArrayLike, axis: Axis = 0) -> Tensor:
    """Keras's ``keras.ops.concatenate``: the same arguments and results."""


def corrcoef(x: ArrayLike) -> Tensor:
    """Pearson correlation coefficients of the rows of ``x``."""


def correlate(x1: ArrayLike, x2: ArrayLike, mode: str = 'valid') -> Tensor:
    """Cross-correlation of two 1-D sequences (``np.correlate``)."""


def cos(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.cos``: the same arguments and results."""


def cosh(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.cosh``: the same arguments and results."""


def count_nonzero(x: ArrayLike, axis: Axis = None) -> Tensor:
    """Keras's ``keras.ops.count_nonzero``: the same arguments and results."""


def cumprod(x: ArrayLike, axis: Axis = None, dtype: DType | None = None) -> Tensor:
    """Keras's ``keras.ops.cumprod``: the same arguments and results."""


def cumsum(x: ArrayLike, axis: Axis = None, dtype: DType | None = None) -> Tensor:
    """Keras's ``keras.ops.cumsum``: the same arguments and results."""


def diag(x: ArrayLike, k: int = 0) -> Tensor:
    """Keras's ``keras.ops.diag``: the same arguments and results."""


def diagflat(x: ArrayLike, k: int = 0) -> Tensor:
    """Keras's ``keras.ops.diagflat``: the same arguments and results."""


def diagonal(x: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Keras's ``keras.ops.diagonal``: the same arguments and results."""


def diff(a: ArrayLike, n: int = 1, axis: Axis = -1) -> Tensor:
    """n-th discrete difference along ``axis``."""


def digitize(x: ArrayLike, bins) -> Tensor:
    """Index of the bin of each ``x``: ``bins[i-1] <= x < bins[i]`` (int32)."""


def divide(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.divide``: the same arguments and results."""


def divide_no_nan(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """``x1 / x2``, and 0 where ``x2 == 0``."""


def dsplit(x: ArrayLike, indices_or_sections) -> list[Tensor]:
    """Keras's ``keras.ops.dsplit``: the same arguments and results."""


def dstack(xs: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.dstack``: the same arguments and results."""


def empty(shape: Shape, dtype: DType | None = None) -> Tensor:
    """A tensor of ``shape`` (zero-filled)."""


def empty_like(x: ArrayLike, dtype: DType | None = None) -> Tensor:
    """Keras's ``keras.ops.empty_like``: the same arguments and results."""


def equal(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.equal``: the same arguments and results."""


def exp(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.exp``: the same arguments and results."""


def expand_dims(x: ArrayLike, axis: Axis) -> Tensor:
    """Keras's ``keras.ops.expand_dims``: the same arguments and results."""


def expm1(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.expm1``: the same arguments and results."""


def eye(n, m: ArrayLike | None = None, k: int = 0, dtype: DType | None = 'float32') -> Tensor:
    """Keras's ``keras.ops.eye``: the same arguments and results."""


def flip(x: ArrayLike, axis: Axis = None) -> Tensor:
    """Keras's ``keras.ops.flip``: the same arguments and results."""


def fliplr(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.fliplr``: the same arguments and results."""


def flipud(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.flipud``: the same arguments and results."""


def floor(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.floor``: the same arguments and results."""


def floor_divide(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.floor_divide``: the same arguments and results."""


def full(shape: Shape, fill_value, dtype: DType | None = 'float32') -> Tensor:
    """Keras's ``keras.ops.full``: the same arguments and results."""


def full_like(x: ArrayLike, fill_value, dtype: DType | None = None) -> Tensor:
    """Keras's ``keras.ops.full_like``: the same arguments and results."""


def geomspace(
        start, stop, num: int = 50, endpoint: bool = True, dtype: DType | None = None, axis: Axis = 0,
) -> Tensor:
    """Numbers spaced evenly on a log scale from ``start`` to ``stop`` (same sign)."""


def get_item(x: ArrayLike, key: ArrayLike) -> Tensor:
    """``x[key]``."""


def greater(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.greater``: the same arguments and results."""


def greater_equal(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.greater_equal``: the same arguments and results."""


def hamming(x: ArrayLike) -> Tensor:
    """The ``hamming`` window of length ``x`` (NumPy's symmetric window)."""


def hanning(x: ArrayLike) -> Tensor:
    """The ``hanning`` window of length ``x`` (NumPy's symmetric window)."""


def histogram(x: ArrayLike, bins: int = 10, range=None) -> tuple[Tensor, ...]:
    """Counts (as floats, like Keras) of the 1-D ``x`` in ``bins`` equal bins over ``range`` (default: min
    to max), and the bin edges.
    """


def hsplit(x: ArrayLike, indices_or_sections) -> list[Tensor]:
    """Keras's ``keras.ops.hsplit``: the same arguments and results."""


def hstack(xs: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.hstack``: the same arguments and results."""


def identity(n, dtype: DType | None = 'float32') -> Tensor:
    """Keras's ``keras.ops.identity``: the same arguments and results."""


def isclose(
        x1: ArrayLike, x2: ArrayLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False,
) -> Tensor:
    """Keras's ``keras.ops.isclose``: the same arguments and results."""


def isfinite(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.isfinite``: the same arguments and results."""


def isinf(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.isinf``: the same arguments and results."""


def isnan(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.isnan``: the same arguments and results."""


def kaiser(x: ArrayLike, beta: ArrayLike) -> Tensor:
    """The Kaiser window of length ``x`` and shape ``beta``."""


def less(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.less``: the same arguments and results."""


def less_equal(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.less_equal``: the same arguments and results."""


def linspace(start, stop, num: int = 50, dtype: DType | None = 'float32') -> Tensor:
    """Keras's ``keras.ops.linspace``: the same arguments and results."""


def log(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.log``: the same arguments and results."""


def log10(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.log10``: the same arguments and results."""


def log1p(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.log1p``: the same arguments and results."""


def log2(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.log2``: the same arguments and results."""


def logaddexp(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.logaddexp``: the same arguments and results."""


def logical_and(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.logical_and``: the same arguments and results."""


def logical_not(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.logical_not``: the same arguments and results."""


def logical_or(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.logical_or``: the same arguments and results."""


def logical_xor(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.logical_xor``: the same arguments and results."""


def logspace(
        start,
        stop,
        num: int = 50,
        endpoint: bool = True,
        base: int = 10,
        dtype: DType | None = None,
        axis: Axis = 0,
) -> Tensor:
    """``base ** linspace(start, stop, num)``."""


def max(x: ArrayLike, axis: Axis = None, keepdims: bool = False, initial=None) -> Tensor:
    """Keras's ``keras.ops.max``: the same arguments and results."""


def maximum(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.maximum``: the same arguments and results."""


def mean(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.mean``: the same arguments and results."""


def median(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.median``: the same arguments and results."""


def meshgrid(*x, indexing: str = 'xy') -> list[Tensor]:
    """Keras's ``keras.ops.meshgrid``: the same arguments and results."""


def min(x: ArrayLike, axis: Axis = None, keepdims: bool = False, initial=None) -> Tensor:
    """Keras's ``keras.ops.min``: the same arguments and results."""


def minimum(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.minimum``: the same arguments and results."""


def mod(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.mod``: the same arguments and results."""


def moveaxis(x: ArrayLike, source: ArrayLike, destination) -> Tensor:
    """Keras's ``keras.ops.moveaxis``: the same arguments and results."""


def multiply(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.multiply``: the same arguments and results."""


def nan_to_num(x: ArrayLike, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """Keras's ``keras.ops.nan_to_num``: the same arguments and results."""


def nanargmax(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Index of the max ignoring NaNs."""


def nanargmin(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Index of the min ignoring NaNs."""


def nancumprod(x: ArrayLike, axis: Axis = None, dtype: DType | None = None) -> Tensor:
    """Keras's ``keras.ops.nancumprod``: the same arguments and results."""


def nancumsum(x: ArrayLike, axis: Axis = None, dtype: DType | None = None) -> Tensor:
    """Keras's ``keras.ops.nancumsum``: the same arguments and results."""


def nanmax(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Max ignoring NaNs (NaN where a slice is all NaN)."""


def nanmean(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over the non-NaN elements."""


def nanmedian(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.nanmedian``: the same arguments and results."""


def nanmin(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Min ignoring NaNs (NaN where a slice is all NaN)."""


def nanpercentile(
        x: ArrayLike, q: ArrayLike, axis: Axis = None, method: str = 'linear', keepdims: bool = False,
) -> Tensor:
    """Keras's ``keras.ops.nanpercentile``: the same arguments and results."""


def nanprod(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Product treating NaNs as 1."""


def nanquantile(
        x: ArrayLike, q: ArrayLike, axis: Axis = None, method: str = 'linear', keepdims: bool = False,
) -> Tensor:
    """Quantile over the non-NaN elements (``torch.nanquantile``)."""


def nanstd(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.nanstd``: the same arguments and results."""


def nansum(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum treating NaNs as 0."""


def nanvar(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Variance over the non-NaN elements."""


def negative(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.negative``: the same arguments and results."""


def nonzero(x: ArrayLike) -> list[Tensor]:
    """Indices of the non-zero elements, one int32 tensor per axis."""


def norm(x: ArrayLike, ord=None, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Vector norm, or matrix norm over the last two axes when ``ord`` is set, ``axis`` is None and x is 2D."""


def not_equal(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.not_equal``: the same arguments and results."""


def ones(shape: Shape, dtype: DType | None = 'float32') -> Tensor:
    """Keras's ``keras.ops.ones``: the same arguments and results."""


def ones_like(x: ArrayLike, dtype: DType | None = None) -> Tensor:
    """Keras's ``keras.ops.ones_like``: the same arguments and results."""


def pad(x: ArrayLike, pad_width, mode: str = 'constant', constant_values: int = 0) -> Tensor:
    """NumPy's pad. Modes other than "constant" ("reflect", "symmetric", "edge", "wrap") gather rows
    at indices that ``np.pad`` computes, one gather per padded axis.
    """


def percentile(
        x: ArrayLike, q: ArrayLike, axis: Axis = None, method: str = 'linear', keepdims: bool = False,
) -> Tensor:
    """``quantile`` with ``q`` in percent."""


def power(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.power``: the same arguments and results."""


def prod(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.prod``: the same arguments and results."""


def ptp(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Range (max - min) along ``axis``."""


def quantile(x: ArrayLike, q: ArrayLike, axis: Axis = None, method: str = 'linear', keepdims: bool = False) -> Tensor:
    """NumPy's quantile of ``x`` over ``axis`` (None, int or tuple); a 1-D ``q`` adds a leading axis."""


def ravel(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.ravel``: the same arguments and results."""


def reciprocal(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.reciprocal``: the same arguments and results."""


def repeat(x: ArrayLike, repeats, axis: Axis = None) -> Tensor:
    """Keras's ``keras.ops.repeat``: the same arguments and results."""


def reshape(x: ArrayLike, newshape) -> Tensor:
    """Keras's ``keras.ops.reshape``: the same arguments and results."""


def roll(x: ArrayLike, shift, axis: Axis = None) -> Tensor:
    """Elements shifted by ``shift`` along ``axis`` (flattened when None), wrapping around."""


def rot90(array: ArrayLike, k: int = 1, axes: Axis = (0, 1)) -> Tensor:
    """Rotation by 90 degrees ``k`` times in the plane of ``axes``."""


def round(x: ArrayLike, decimals: int = 0) -> Tensor:
    """Keras's ``keras.ops.round``: the same arguments and results."""


def rsqrt(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.rsqrt``: the same arguments and results."""


def searchsorted(sorted_sequence: ArrayLike, values: ArrayLike, side: str = 'left') -> Tensor:
    """Insertion indices of ``values`` into the 1-D ``sorted_sequence`` (int32)."""


def select(condlist: ArrayLike, choicelist: ArrayLike, default: int = 0) -> Tensor:
    """The ``choicelist`` entry of the first true ``condlist`` entry, else ``default``."""


def sign(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.sign``: the same arguments and results."""


def sin(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.sin``: the same arguments and results."""


def sinh(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.sinh``: the same arguments and results."""


def slice(x: ArrayLike, start_indices: ArrayLike, shape: Shape) -> Tensor:
    """Keras's ``keras.ops.slice``: the same arguments and results."""


def sort(x: ArrayLike, axis: Axis = -1) -> Tensor:
    """Keras's ``keras.ops.sort``: the same arguments and results."""


def split(x: ArrayLike, indices_or_sections, axis: Axis = 0) -> list[Tensor]:
    """Keras's ``keras.ops.split``: the same arguments and results."""


def sqrt(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.sqrt``: the same arguments and results."""


def square(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.square``: the same arguments and results."""


def squeeze(x: ArrayLike, axis: Axis = None) -> Tensor:
    """Keras's ``keras.ops.squeeze``: the same arguments and results."""


def stack(xs: ArrayLike, axis: Axis = 0) -> Tensor:
    """Keras's ``keras.ops.stack``: the same arguments and results."""


def std(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.std``: the same arguments and results."""


def subtract(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.subtract``: the same arguments and results."""


def sum(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.sum``: the same arguments and results."""


def swapaxes(x: ArrayLike, axis1, axis2) -> Tensor:
    """Keras's ``keras.ops.swapaxes``: the same arguments and results."""


def take(x: ArrayLike, indices: ArrayLike, axis: Axis = None) -> Tensor:
    """Keras's ``keras.ops.take``: the same arguments and results."""


def take_along_axis(x: ArrayLike, indices: ArrayLike, axis: Axis = None) -> Tensor:
    """Keras's ``keras.ops.take_along_axis``: the same arguments and results."""


def tan(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.tan``: the same arguments and results."""


def tile(x: ArrayLike, repeats) -> Tensor:
    """Keras's ``keras.ops.tile``: the same arguments and results."""


def trace(x: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Keras's ``keras.ops.trace``: the same arguments and results."""


def transpose(x: ArrayLike, axes: Axis = None) -> Tensor:
    """Keras's ``keras.ops.transpose``: the same arguments and results."""


def trapezoid(y: ArrayLike, x: ArrayLike | None = None, dx: float = 1.0, axis: Axis = -1) -> Tensor:
    """Integral of ``y`` along ``axis`` by the trapezoidal rule."""


def tri(N, M=None, k: int = 0, dtype: DType | None = None) -> Tensor:
    """Ones at and below the ``k``-th diagonal of an ``N x M`` matrix."""


def tril(x: ArrayLike, k: int = 0) -> Tensor:
    """Keras's ``keras.ops.tril``: the same arguments and results."""


def triu(x: ArrayLike, k: int = 0) -> Tensor:
    """Keras's ``keras.ops.triu``: the same arguments and results."""


def true_divide(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.true_divide``: the same arguments and results."""


def unique(
        x: ArrayLike,
        sorted: bool = True,
        return_index: bool = False,
        return_inverse: bool = False,
        return_counts: bool = False,
        axis: Axis = None,
        size=None,
        fill_value=None,
) -> Tensor | tuple[Tensor, ...]:
    """Sorted unique values (NumPy's ``unique``); optional first indices, inverse and counts (int32).

    ``size`` pads (with ``fill_value``, default the first value) or truncates the results to a fixed length.
    """


def unravel_index(indices: ArrayLike, shape: Shape) -> Tensor:
    """Flat ``indices`` as a tuple of coordinate tensors into an array of ``shape``."""


def unstack(x: ArrayLike, axis: Axis = 0) -> list[Tensor]:
    """Keras's ``keras.ops.unstack``: the same arguments and results."""


def vander(x: ArrayLike, N=None, increasing: bool = False) -> Tensor:
    """Vandermonde matrix: columns are powers of the 1-D ``x``."""


def var(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.var``: the same arguments and results."""


def vectorize(pyfunc, *, excluded=None, signature=None) -> Tensor:
    """NumPy's ``vectorize``: ``pyfunc`` written for scalars (or the core dims of ``signature``, e.g.
    "(n),(n)->()") mapped over the broadcast batch axes with ``torch.vmap``.
    """


def view(x: ArrayLike, dtype: DType | None = None) -> Tensor:
    """The bits of ``x`` reinterpreted as ``dtype`` (last axis rescaled for a different item size)."""


def vsplit(x: ArrayLike, indices_or_sections) -> list[Tensor]:
    """Keras's ``keras.ops.vsplit``: the same arguments and results."""


def vstack(xs: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.vstack``: the same arguments and results."""


def where(condition: ArrayLike, x1: ArrayLike | None = None, x2: ArrayLike | None = None) -> Tensor:
    """Keras's ``keras.ops.where``: the same arguments and results."""


def zeros(shape: Shape, dtype: DType | None = 'float32') -> Tensor:
    """Keras's ``keras.ops.zeros``: the same arguments and results."""


def zeros_like(x: ArrayLike, dtype: DType | None = None) -> Tensor:
    """Keras's ``keras.ops.zeros_like``: the same arguments and results."""
