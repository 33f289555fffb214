"""PyTorch backend, keras.ops.numpy: creation, elementwise arithmetic and comparisons, reductions,
shapes, indexing, sorting and statistics on torch tensors.
"""
import builtins as _bi

import numpy as np
import torch
import torch.nn.functional as F

from kerasport.backends import ops_common as _common
from kerasport.backends.torch.core import (DEVICE, as_float, as_tensor, convert_to_tensor, operand, promote,
                                           promote_float, to_dtype)


# ----------------------------------------------------------------------------- creation
def zeros(shape, dtype="float32"):
    return torch.zeros(shape, dtype=to_dtype(dtype), device=DEVICE)


def ones(shape, dtype="float32"):
    return torch.ones(shape, dtype=to_dtype(dtype), device=DEVICE)


def full(shape, fill_value, dtype="float32"):
    return torch.full(shape, fill_value, dtype=to_dtype(dtype), device=DEVICE)


def zeros_like(x, dtype=None):
    return torch.zeros_like(as_tensor(x), dtype=to_dtype(dtype))


def ones_like(x, dtype=None):
    return torch.ones_like(as_tensor(x), dtype=to_dtype(dtype))


def full_like(x, fill_value, dtype=None):
    return torch.full_like(as_tensor(x), fill_value, dtype=to_dtype(dtype))


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = "float32" if _bi.any(isinstance(v, float) for v in (start, stop, step)) else "int32"
    return torch.arange(start, stop, step, dtype=to_dtype(dtype), device=DEVICE)


def eye(n, m=None, k=0, dtype="float32"):
    m = n if m is None else m
    if k == 0:
        return torch.eye(n, m, dtype=to_dtype(dtype), device=DEVICE)
    return torch.ones(n, m, dtype=to_dtype(dtype), device=DEVICE).tril_(k).triu_(k)


def linspace(start, stop, num=50, dtype="float32"):
    return torch.linspace(start, stop, num, dtype=to_dtype(dtype), device=DEVICE)


def identity(n, dtype="float32"):
    return torch.eye(n, dtype=to_dtype(dtype), device=DEVICE)


def meshgrid(*x, indexing="xy"):
    return list(torch.meshgrid(*[as_tensor(v) for v in x], indexing=indexing))


# ----------------------------------------------------------------------------- arithmetic
add = torch.add
subtract = torch.subtract
multiply = torch.multiply
divide = torch.true_divide
true_divide = torch.true_divide
floor_divide = torch.floor_divide
mod = torch.remainder
power = torch.pow
negative = torch.negative
abs = torch.abs
absolute = torch.abs
sign = torch.sign
sqrt = torch.sqrt
rsqrt = torch.rsqrt
square = torch.square
exp = torch.exp
expm1 = torch.expm1
log = torch.log
log1p = torch.log1p
log2 = torch.log2
log10 = torch.log10
sin = torch.sin
cos = torch.cos
tan = torch.tan
arctan = torch.atan
sinh = torch.sinh
cosh = torch.cosh


reciprocal = torch.reciprocal
isnan = torch.isnan
isinf = torch.isinf
isfinite = torch.isfinite
logical_not = torch.logical_not


def _tensors(fn):
    """``fn`` on two operands that may be Python scalars."""
    def op(x1, x2):
        return fn(operand(x1), operand(x2))
    op.__name__ = fn.__name__
    return op


arctan2 = _tensors(torch.atan2)
maximum = _tensors(torch.maximum)
minimum = _tensors(torch.minimum)
logical_and = _tensors(torch.logical_and)
logical_or = _tensors(torch.logical_or)
logical_xor = _tensors(torch.logical_xor)
logaddexp = _tensors(torch.logaddexp)


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    x1, x2 = as_tensor(x1), as_tensor(x2)
    d = torch.result_type(x1, x2)
    return torch.isclose(x1.to(d), x2.to(d), rtol, atol, equal_nan)


floor = _common.unary_float_op(torch.floor, "floor", as_float)
ceil = _common.unary_float_op(torch.ceil, "ceil", as_float)


def round(x, decimals=0):
    x = as_tensor(x)
    return torch.round(x, decimals=decimals) if x.is_floating_point() else x


def clip(x, x_min, x_max):
    return torch.clamp(as_tensor(x), x_min, x_max)


def equal(x1, x2):
    return torch.eq(as_tensor(x1), x2)


def not_equal(x1, x2):
    return torch.ne(as_tensor(x1), x2)


def greater(x1, x2):
    return torch.gt(as_tensor(x1), x2)


def greater_equal(x1, x2):
    return torch.ge(as_tensor(x1), x2)


def less(x1, x2):
    return torch.lt(as_tensor(x1), x2)


def less_equal(x1, x2):
    return torch.le(as_tensor(x1), x2)


def where(condition, x1=None, x2=None):
    condition = as_tensor(condition)
    if x1 is None and x2 is None:
        return tuple(i.to(torch.int32) for i in torch.nonzero(condition, as_tuple=True))
    if not isinstance(x1, torch.Tensor) and not isinstance(x2, torch.Tensor):
        x1 = convert_to_tensor(x1)
    if not isinstance(x1, torch.Tensor):
        x1 = torch.as_tensor(x1, dtype=x2.dtype, device=x2.device) if isinstance(x1, (int, float)) else as_tensor(x1)
    if not isinstance(x2, torch.Tensor):
        x2 = torch.as_tensor(x2, dtype=x1.dtype, device=x1.device) if isinstance(x2, (int, float)) else as_tensor(x2)
    if x1.dtype != x2.dtype:  # two arrays: promoted as Keras does (float64 with float32 gives float64)
        x1, x2 = promote(x1, x2)
    return torch.where(condition.bool(), x1, x2)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return torch.nan_to_num(as_tensor(x), nan=nan, posinf=posinf, neginf=neginf)


# ----------------------------------------------------------------------------- reductions
def torch_axis(axis):
    """``axis`` as torch's ``dim`` takes it: a list becomes a tuple."""
    return tuple(axis) if isinstance(axis, list) else axis


def _acc(x):
    """Keras's accumulator dtype for sum/prod/cumsum: int32 for bool and small ints (torch widens to int64)."""
    return None if x.is_floating_point() or x.dtype == torch.int64 else torch.int32


def sum(x, axis=None, keepdims=False):
    x = as_tensor(x)
    if axis is None and not keepdims:
        return torch.sum(x, dtype=_acc(x))
    return torch.sum(x, dim=torch_axis(axis), keepdim=keepdims, dtype=_acc(x))


def mean(x, axis=None, keepdims=False):
    x = as_tensor(x)
    if not x.is_floating_point():
        x = x.float()
    return torch.mean(x) if axis is None and not keepdims else torch.mean(x, dim=torch_axis(axis), keepdim=keepdims)


def max(x, axis=None, keepdims=False, initial=None):
    x = as_tensor(x)
    if axis is None:
        out = torch.amax(x, dim=tuple(range(x.dim())), keepdim=keepdims) if keepdims else torch.max(x)
    else:
        out = torch.amax(x, dim=torch_axis(axis), keepdim=keepdims)
    return out if initial is None else torch.clamp(out, min=initial)


def min(x, axis=None, keepdims=False, initial=None):
    x = as_tensor(x)
    if axis is None:
        out = torch.amin(x, dim=tuple(range(x.dim())), keepdim=keepdims) if keepdims else torch.min(x)
    else:
        out = torch.amin(x, dim=torch_axis(axis), keepdim=keepdims)
    return out if initial is None else torch.clamp(out, max=initial)


def prod(x, axis=None, keepdims=False):
    x = as_tensor(x)
    if axis is None:
        out = torch.prod(x, dtype=_acc(x))
        return out.reshape((1,) * x.dim()) if keepdims else out
    for a in sorted((a % x.dim() for a in (axis if isinstance(axis, (list, tuple)) else [axis])), reverse=True):
        x = torch.prod(x, dim=a, keepdim=keepdims, dtype=_acc(x))
    return x


def _var_float(x):
    """``x`` as the float tensor ``var`` and ``std`` reduce: float64 stays float64, the rest becomes float32."""
    x = as_tensor(x)
    return x if x.dtype == torch.float64 else x.float()


def var(x, axis=None, keepdims=False):
    return torch.var(_var_float(x), dim=torch_axis(axis), keepdim=keepdims, correction=0)


def std(x, axis=None, keepdims=False):
    return torch.std(_var_float(x), dim=torch_axis(axis), keepdim=keepdims, correction=0)


def argmax(x, axis=None, keepdims=False):
    return torch.argmax(as_tensor(x), dim=axis, keepdim=keepdims).to(torch.int32)


def argmin(x, axis=None, keepdims=False):
    return torch.argmin(as_tensor(x), dim=axis, keepdim=keepdims).to(torch.int32)


def all(x, axis=None, keepdims=False):
    x = as_tensor(x)
    return torch.all(x) if axis is None and not keepdims else torch.all(x, dim=torch_axis(axis), keepdim=keepdims)


def any(x, axis=None, keepdims=False):
    x = as_tensor(x)
    return torch.any(x) if axis is None and not keepdims else torch.any(x, dim=torch_axis(axis), keepdim=keepdims)


def cumsum(x, axis=None, dtype=None):
    x = as_tensor(x)
    return torch.cumsum(x.reshape(-1) if axis is None else x, dim=0 if axis is None else axis,
                        dtype=_acc(x) if dtype is None else to_dtype(dtype))


def cumprod(x, axis=None, dtype=None):
    x = as_tensor(x)
    return torch.cumprod(x.reshape(-1) if axis is None else x, dim=0 if axis is None else axis,
                         dtype=_acc(x) if dtype is None else to_dtype(dtype))


def count_nonzero(x, axis=None):
    return torch.count_nonzero(as_tensor(x), dim=torch_axis(axis)).to(torch.int32)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    x = as_float(x)
    rest, axes = _common.reduced_last(axis, x.dim())
    y = x.permute(*rest, *axes).reshape(*(x.shape[a] for a in rest), -1)
    q = torch.as_tensor(q, dtype=x.dtype, device=x.device)
    out = torch.quantile(y, q, dim=-1, interpolation=method)
    if keepdims:
        out = out.reshape(tuple(q.shape) + tuple(_common.kept_dims(x.shape, axes)))
    return out


def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def norm(x, ord=None, axis=None, keepdims=False):
    return torch.linalg.norm(as_tensor(x), ord=ord, dim=torch_axis(axis), keepdim=keepdims)


def sort(x, axis=-1):
    return torch.sort(as_tensor(x), dim=axis).values


def argsort(x, axis=-1):
    return torch.argsort(as_tensor(x), dim=axis, stable=True).to(torch.int32)


# ----------------------------------------------------------------------------- shapes
def _host_strings(x):
    """Whether ``x`` is string data: a NumPy array kept on the host (torch has no string tensor), which the
    layout ops below reshape with NumPy, as Keras on TensorFlow does a ``tf.string`` tensor."""
    return isinstance(x, np.ndarray) and x.dtype.kind in "OUS"


def reshape(x, newshape):
    newshape = tuple(-1 if d is None else d for d in newshape)
    if _host_strings(x):
        return np.reshape(x, newshape)
    return torch.reshape(as_tensor(x), newshape)


def transpose(x, axes=None):
    x = as_tensor(x)
    return x.permute(*(axes if axes is not None else range(x.dim() - 1, -1, -1)))


def expand_dims(x, axis):
    if _host_strings(x):
        return np.expand_dims(x, axis)
    x = as_tensor(x)
    if isinstance(axis, int):
        return torch.unsqueeze(x, axis)
    rank = x.dim() + len(axis)
    for a in sorted(a % rank for a in axis):
        x = torch.unsqueeze(x, a)
    return x


def squeeze(x, axis=None):
    if _host_strings(x):
        return np.squeeze(x, axis)
    x = as_tensor(x)
    if axis is None:
        return torch.squeeze(x)
    return torch.squeeze(x, dim=torch_axis(axis))


def concatenate(xs, axis=0):
    return torch.cat([as_tensor(x) for x in xs], dim=axis)


def stack(xs, axis=0):
    return torch.stack([as_tensor(x) for x in xs], dim=axis)


def unstack(x, axis=0):
    return list(torch.unbind(as_tensor(x), dim=axis))


def split(x, indices_or_sections, axis=0):
    x = as_tensor(x)
    if isinstance(indices_or_sections, int):
        return list(torch.tensor_split(x, indices_or_sections, dim=axis))
    return list(torch.tensor_split(x, list(indices_or_sections), dim=axis))


def tile(x, repeats):
    return torch.tile(as_tensor(x), (repeats,) if isinstance(repeats, (int, np.integer)) else tuple(repeats))


def repeat(x, repeats, axis=None):
    x = as_tensor(x)
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    if not isinstance(repeats, int):  # a list, array or tensor of counts: one per element, or one for all (NumPy)
        repeats = torch.as_tensor(repeats, device=x.device).long().reshape(-1)
    return torch.repeat_interleave(x, repeats, dim=axis)


def broadcast_to(x, shape):
    return torch.broadcast_to(as_tensor(x), tuple(shape))


def flip(x, axis=None):
    x = as_tensor(x)
    return torch.flip(x, dims=tuple(range(x.dim())) if axis is None else (axis,) if isinstance(axis, int) else axis)


def moveaxis(x, source, destination):
    return torch.movedim(as_tensor(x), source, destination)


def swapaxes(x, axis1, axis2):
    return torch.swapaxes(as_tensor(x), axis1, axis2)


def take(x, indices, axis=None):
    x, indices = as_tensor(x), as_tensor(indices)
    if indices.dtype not in (torch.int64, torch.int32):
        indices = indices.long()
    if axis is None:
        return x.reshape(-1)[indices]
    return x[(_bi.slice(None),) * (axis % x.dim()) + (indices,)]


def take_along_axis(x, indices, axis=None):
    return torch.take_along_dim(as_tensor(x), as_tensor(indices).long(), dim=axis)


def slice(x, start_indices, shape):
    x = as_tensor(x)
    return x[tuple(_bi.slice(int(s), int(s) + int(n)) for s, n in zip(start_indices, shape))]


def pad(x, pad_width, mode="constant", constant_values=0):
    """NumPy's pad. Modes other than "constant" ("reflect", "symmetric", "edge", "wrap") gather rows
    at indices that ``np.pad`` computes, one gather per padded axis."""
    x = as_tensor(x)
    if mode == "constant":
        pairs = [tuple(p) for p in pad_width]
        if len(pairs) == x.dim() and _bi.all(lo >= 0 and hi >= 0 for lo, hi in pairs):
            return _constant_pad(x, pairs, constant_values or 0)
        flat = []
        for lo, hi in reversed(pairs):
            flat += [lo, hi]
        return F.pad(x, flat, value=constant_values or 0)
    for axis, (lo, hi) in enumerate(pad_width):
        if lo or hi:
            index = np.pad(np.arange(x.shape[axis]), (lo, hi), mode=mode)
            x = torch.index_select(x, axis, torch.from_numpy(index).to(x.device))
    return x


def _constant_pad(x, pairs, value):
    """``x`` copied into an uninitialised output whose borders alone are then filled: one write per element
    (``F.pad`` fills the whole output first, then copies ``x`` over it)."""
    shape = [lo + n + hi for n, (lo, hi) in zip(x.shape, pairs)]
    out = x.new_empty(shape)
    out[tuple(_bi.slice(lo, lo + n) for n, (lo, _) in zip(x.shape, pairs))] = x
    for axis, (lo, hi) in enumerate(pairs):
        if lo:
            out.narrow(axis, 0, lo).fill_(value)
        if hi:
            out.narrow(axis, shape[axis] - hi, hi).fill_(value)
    return out


def diag(x, k=0):
    return torch.diag(as_tensor(x), k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    return torch.diagonal(as_tensor(x), offset, axis1, axis2)


def trace(x, offset=0, axis1=0, axis2=1):
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def tril(x, k=0):
    return torch.tril(as_tensor(x), k)


def triu(x, k=0):
    return torch.triu(as_tensor(x), k)


# --- added for losses/metrics
def divide_no_nan(x1, x2):
    x1, x2 = as_tensor(x1), as_tensor(x2)
    return torch.where(x2 == 0, torch.zeros((), dtype=x1.dtype, device=x1.device), x1 / x2)


# ----------------------------------------------------------------------------- reductions and statistics
def average(x, axis=None, weights=None):
    x = as_float(x)
    if weights is None:
        return mean(x, axis)
    w = as_tensor(weights)
    d = torch.promote_types(x.dtype, w.dtype)
    x, w = x.to(d), w.to(d)
    if w.dim() == 1 and x.dim() > 1 and axis is not None:
        shape = [1] * x.dim()
        shape[axis] = -1
        w = w.reshape(shape)
    w = torch.broadcast_to(w, x.shape)
    dims = _common.axes_of(axis, x.dim())
    return torch.sum(x * w, dim=dims) / torch.sum(w, dim=dims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """Quantile over the non-NaN elements (``torch.nanquantile``)."""
    x = as_float(x)
    rest, axes = _common.reduced_last(axis, x.dim())
    y = x.permute(*rest, *axes).reshape(*(x.shape[a] for a in rest), -1)
    qt = torch.as_tensor(q, dtype=x.dtype, device=x.device)
    out = torch.nanquantile(y, qt, dim=-1, interpolation=method)
    if keepdims:
        out = out.reshape(tuple(qt.shape) + tuple(_common.kept_dims(x.shape, axes)))
    return out


def bincount(x, weights=None, minlength=0, sparse=False):
    if sparse:
        raise ValueError("bincount: sparse=True is not supported by kerasport.")
    x = as_tensor(x).long()
    length = _bi.max(int(minlength), int(x.max()) + 1 if x.numel() else 0)
    if weights is None:
        w, d = torch.ones_like(x, dtype=torch.int32), torch.int32
    else:
        w = as_tensor(weights)
        d = w.dtype if w.is_floating_point() else torch.int32
        w = w.to(d)
    out = torch.zeros(x.shape[:-1] + (length,), dtype=d, device=x.device)
    return out.scatter_add_(-1, x, w)


def histogram(x, bins=10, range=None):
    x = as_float(x)
    if x.dim() != 1:
        raise ValueError(f"histogram: expected a 1-D input; received shape {tuple(x.shape)}.")
    lo, hi = (x.min(), x.max()) if range is None else (torch.tensor(float(range[0])), torch.tensor(float(range[1])))
    edges = torch.linspace(0, 1, bins + 1, device=x.device, dtype=x.dtype) * (hi - lo) + lo
    inside = (x >= lo) & (x <= hi)
    idx = torch.clamp(torch.searchsorted(edges, x, right=True) - 1, 0, bins - 1)
    counts = torch.zeros(bins, dtype=x.dtype, device=x.device).scatter_add_(0, idx, inside.to(x.dtype))
    return counts, edges


def corrcoef(x):
    return torch.corrcoef(as_float(x))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = as_float(y)
    return torch.trapezoid(y, dx=dx, dim=axis) if x is None else torch.trapezoid(y, as_float(x), dim=axis)


def correlate(x1, x2, mode="valid"):
    a, v = promote_float(x1, x2)
    return _common.correlate(a, v, mode, lambda a, v: F.conv1d(a[None, None], v[None, None],
                                                                padding=v.shape[0] - 1)[0, 0])


# ----------------------------------------------------------------------------- shapes and indexing
def append(x1, x2, axis=None):
    x1, x2 = promote(x1, x2)
    if axis is None:
        return torch.cat([x1.reshape(-1), x2.reshape(-1)])
    return torch.cat([x1, x2], dim=axis)


def ravel(x):
    return as_tensor(x).reshape(-1)


def roll(x, shift, axis=None):
    x = as_tensor(x)
    if axis is None:
        return torch.roll(x.reshape(-1), shift).reshape(x.shape)
    return torch.roll(x, shift, dims=axis)


def rot90(array, k=1, axes=(0, 1)):
    return torch.rot90(as_tensor(array), k, list(axes))


def _promoted(xs):
    xs = [as_tensor(x) for x in xs]
    d = xs[0].dtype
    for x in xs[1:]:
        d = torch.promote_types(d, x.dtype)
    return [x.to(d) for x in xs]


def hstack(xs):
    return torch.hstack(_promoted(xs))


def vstack(xs):
    return torch.vstack(_promoted(xs))


def dstack(xs):
    return torch.dstack(_promoted(xs))


def array_split(x, indices_or_sections, axis=0):
    return split(x, indices_or_sections, axis)


def diagflat(x, k=0):
    return torch.diagflat(as_tensor(x), k)


def diff(a, n=1, axis=-1):
    return torch.diff(as_tensor(a), n=n, dim=axis)


def digitize(x, bins):
    x, bins = promote(x, bins)
    return torch.bucketize(x, bins, right=True, out_int32=True)


def searchsorted(sorted_sequence, values, side="left"):
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right'; received {side!r}.")
    s, v = promote(sorted_sequence, values)
    return torch.searchsorted(s, v, right=side == "right", out_int32=True)


def nonzero(x):
    return tuple(i.to(torch.int32) for i in torch.nonzero(as_tensor(x), as_tuple=True))


def unravel_index(indices, shape):
    idx = as_tensor(indices)
    out = []
    for dim in reversed(shape):
        out.append(torch.remainder(idx, dim))
        idx = torch.div(idx, dim, rounding_mode="floor")
    return tuple(reversed(out))


def select(condlist, choicelist, default=0):
    _common.check_select(condlist, choicelist)
    choices = _promoted(choicelist)
    out = torch.broadcast_to(torch.as_tensor(default, dtype=choices[0].dtype, device=choices[0].device),
                             torch.broadcast_shapes(*[c.shape for c in choices],
                                                    *[as_tensor(c).shape for c in condlist]))
    for cond, choice in zip(reversed(condlist), reversed(choices)):
        out = torch.where(as_tensor(cond).bool(), choice, out)
    return out


def view(x, dtype=None):
    x = as_tensor(x)
    return x if dtype is None else x.view(to_dtype(dtype))


# ----------------------------------------------------------------------------- creation
def empty(shape, dtype=None):
    return torch.zeros(shape, dtype=to_dtype(dtype or "float32"), device=DEVICE)


def empty_like(x, dtype=None):
    return torch.zeros_like(as_tensor(x), dtype=to_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):
    m = N if M is None else M
    return torch.ones(N, m, dtype=to_dtype(dtype or "float32"), device=DEVICE).tril_(k)


def _lin(start, stop, num, endpoint, axis):
    start, stop = as_float(start).to(torch.float64), as_float(stop).to(torch.float64)
    steps = torch.arange(num, dtype=torch.float64, device=start.device) / _bi.max(num - 1 if endpoint else num, 1)
    shape = torch.broadcast_shapes(start.shape, stop.shape)
    steps = steps.reshape((num,) + (1,) * len(shape))
    out = start + steps * (stop - start)
    if endpoint and num > 1:
        out[-1] = stop
    return torch.movedim(out, 0, axis) if axis else out


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return torch.pow(float(base), _lin(start, stop, num, endpoint, axis)).to(to_dtype(dtype or "float32"))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    s, e = as_float(start).to(torch.float64), as_float(stop).to(torch.float64)
    sign = torch.sign(s)
    out = sign * torch.exp(_lin(torch.log(torch.abs(s)), torch.log(torch.abs(e)), num, endpoint, 0))
    out[0] = s
    if endpoint and num > 1:
        out[-1] = e
    out = torch.movedim(out, 0, axis) if axis else out
    return out.to(to_dtype(dtype or "float32"))


def vander(x, N=None, increasing=False):
    return torch.vander(as_tensor(x), N=N, increasing=increasing)


def _window(fn, name):
    return _common.window_op(lambda n: fn(n, periodic=False, dtype=torch.float32, device=DEVICE), name)


bartlett = _window(torch.bartlett_window, "bartlett")
blackman = _window(torch.blackman_window, "blackman")
hamming = _window(torch.hamming_window, "hamming")
hanning = _window(torch.hann_window, "hanning")


def kaiser(x, beta):
    return torch.kaiser_window(int(x), periodic=False, beta=float(beta), dtype=torch.float32, device=DEVICE)


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None,
           size=None, fill_value=None):
    """Sorted unique values (NumPy's ``unique``); optional first indices, inverse and counts (int32).

    ``size`` pads (with ``fill_value``, default the first value) or truncates the results to a fixed length.
    """
    x = as_tensor(x)
    flat = x.reshape(-1) if axis is None else x
    values, inverse, counts = torch.unique(flat, sorted=True, return_inverse=True, return_counts=True, dim=axis)
    out = [values]
    if return_index:
        pos = torch.arange(inverse.shape[0], device=x.device)
        first = torch.full((counts.shape[0],), inverse.shape[0], dtype=torch.long, device=x.device)
        out.append(first.scatter_reduce(0, inverse, pos, "amin").to(torch.int32))
    if return_inverse:
        out.append(inverse.to(torch.int32) if axis is not None else inverse.reshape(x.shape).to(torch.int32))
    if return_counts:
        out.append(counts.to(torch.int32))

    def fit(t, fill):
        if t.shape[0] >= size:
            return t[:size]
        pad = torch.full((size - t.shape[0],) + tuple(t.shape[1:]), fill, dtype=t.dtype, device=t.device)
        return torch.cat([t, pad])
    return _common.unique_outputs(out, size, fill_value, return_index, return_inverse, return_counts, fit)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """NumPy's ``vectorize``: ``pyfunc`` written for scalars (or the core dims of ``signature``, e.g.
    "(n),(n)->()") mapped over the broadcast batch axes with ``torch.vmap``."""
    return _common.vectorize(pyfunc, excluded, signature, torch.vmap, as_tensor, lambda s: torch.broadcast_shapes(*s),
                             lambda t, s: t.expand(s))
