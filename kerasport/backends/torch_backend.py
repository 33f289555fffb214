"""The PyTorch backend: kerasport's contract (see ``contract.py``) on torch tensors.

Layout follows Keras (channels_last); convolutions run on a permuted view with
channels_last memory format, so NHWC data reaches oneDNN/cuDNN without copies.
"""
import builtins as _bi
import math
import os
import random as _pyrandom

import numpy as np
import torch
import torch.nn.functional as F

NAME = "torch"
STRING_TENSORS = False  # no string tensor: string data stays in NumPy object arrays on the host
Tensor = torch.Tensor

_dev = os.environ.get("KERASPORT_DEVICE")
DEVICE = torch.device(_dev if _dev else ("cuda" if torch.cuda.is_available() else "cpu"))
if DEVICE.type == "cuda" and DEVICE.index is None and "LOCAL_RANK" in os.environ:
    DEVICE = torch.device("cuda", int(os.environ["LOCAL_RANK"]))  # torchrun: one GPU per process
    torch.cuda.set_device(DEVICE)

_DTYPES = {
    "float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
    "float64": torch.float64, "int8": torch.int8, "int16": torch.int16,
    "int32": torch.int32, "int64": torch.int64, "uint8": torch.uint8,
    "bool": torch.bool, "complex64": torch.complex64,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


def to_dtype(dtype):
    """Framework dtype for a Keras dtype name (or a framework dtype)."""
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, np.dtype) or isinstance(dtype, type):
        dtype = np.dtype(dtype).name
    try:
        return _DTYPES[dtype]
    except KeyError:
        raise ValueError(f"Unknown dtype {dtype!r}; expected one of {sorted(_DTYPES)}") from None


def standardize_dtype(dtype):
    """Keras dtype name (``"float32"``) of a torch/numpy dtype or name."""
    if isinstance(dtype, torch.dtype):
        return _NAMES[dtype]
    if dtype in (float, "float"):
        return "float32"
    if dtype in (int, "int"):
        return "int64"
    return np.dtype(dtype).name if not isinstance(dtype, str) else dtype


# ----------------------------------------------------------------------------- variables
class Variable(torch.nn.Parameter):
    """A ``torch.nn.Parameter`` with Keras's variable methods (assign, numpy, name)."""

    def __new__(cls, value, trainable=True, name=None):
        self = super().__new__(cls, value, requires_grad=trainable and value.is_floating_point())
        self._kp_name = name
        self.path = name
        self.constraint = None
        return self

    @property
    def name(self):
        return self._kp_name

    @property
    def trainable(self):
        return self.requires_grad

    @trainable.setter
    def trainable(self, flag):
        self.requires_grad_(bool(flag) and self.is_floating_point())

    @property
    def value(self):
        return self

    def assign(self, value):
        with torch.no_grad():
            self.copy_(convert_to_tensor(value, self.dtype).reshape(self.shape))
        return self

    def assign_add(self, value):
        with torch.no_grad():
            self.add_(value if isinstance(value, (int, float)) else convert_to_tensor(value, self.dtype))
        return self

    def assign_sub(self, value):
        with torch.no_grad():
            self.sub_(value if isinstance(value, (int, float)) else convert_to_tensor(value, self.dtype))
        return self

    def numpy(self):
        return self.detach().cpu().numpy()

    def __repr__(self):
        return f"<Variable path={self.path}, shape={tuple(self.shape)}, dtype={_NAMES[self.dtype]}>"

    def __reduce_ex__(self, proto):
        return (Variable, (self.detach().cpu(), self.requires_grad, self.name))

    def __deepcopy__(self, memo):
        copy = Variable(self.detach().clone(), self.requires_grad, self.name)
        copy.constraint = self.constraint
        return copy


def variable(value, dtype=None, trainable=True, name=None, constraint=None):
    """Create a native variable (``torch.nn.Parameter``) holding ``value``; ``.constraint`` is applied
    by the optimizer step."""
    v = Variable(convert_to_tensor(value, dtype).detach().clone(), trainable, name)
    v.constraint = constraint
    return v


def is_variable(x):
    return isinstance(x, torch.nn.Parameter)


def assign(var, value):
    var.assign(value)


# ----------------------------------------------------------------------------- conversion
def convert_to_tensor(x, dtype=None):
    """A tensor on the backend's device. Python floats and float64 arrays become float32."""
    dtype = to_dtype(dtype)
    if isinstance(x, torch.Tensor):
        if dtype is not None and x.dtype != dtype:
            x = x.to(dtype)
        return x if x.device == DEVICE else x.to(DEVICE)
    if type(x) in (bool, int, float):  # without NumPy: torch.compile traces it
        return torch.tensor(x, dtype=dtype or (torch.float32 if type(x) is float else None), device=DEVICE)
    if not isinstance(x, np.ndarray):
        x = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if dtype is None and x.dtype == np.float64:
        dtype = torch.float32
    if not x.flags.writeable or not x.flags.c_contiguous:
        x = np.array(x, order="C")
    return torch.from_numpy(x).to(device=DEVICE, dtype=dtype)


def convert_to_numpy(x):
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


def is_tensor(x):
    return isinstance(x, torch.Tensor)


def shape(x):
    return tuple(x.shape)


def ndim(x):
    return x.dim()


def size(x):
    return x.numel()


def dtype(x):
    return _NAMES[x.dtype]


def cast(x, dtype):
    x = convert_to_tensor(x)
    d = to_dtype(dtype)
    return x if x.dtype == d else x.to(d)


def stop_gradient(x):
    return x.detach()


def item(x):
    return x.item()


# ----------------------------------------------------------------------------- creation
def _t(x):
    return x if isinstance(x, torch.Tensor) else convert_to_tensor(x)


def zeros(shape, dtype="float32"):
    return torch.zeros(shape, dtype=to_dtype(dtype), device=DEVICE)


def ones(shape, dtype="float32"):
    return torch.ones(shape, dtype=to_dtype(dtype), device=DEVICE)


def full(shape, fill_value, dtype="float32"):
    return torch.full(shape, fill_value, dtype=to_dtype(dtype), device=DEVICE)


def zeros_like(x, dtype=None):
    return torch.zeros_like(_t(x), dtype=to_dtype(dtype))


def ones_like(x, dtype=None):
    return torch.ones_like(_t(x), dtype=to_dtype(dtype))


def full_like(x, fill_value, dtype=None):
    return torch.full_like(_t(x), fill_value, dtype=to_dtype(dtype))


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
    return list(torch.meshgrid(*[_t(v) for v in x], indexing=indexing))


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
erf = torch.erf
reciprocal = torch.reciprocal
isnan = torch.isnan
isinf = torch.isinf
isfinite = torch.isfinite
logical_not = torch.logical_not


def _operand(x):
    """``x`` as a tensor; a Python scalar becomes a 0-d CPU tensor, which torch promotes weakly (as Keras
    does) and passes to device kernels without a host-to-device copy."""
    if isinstance(x, torch.Tensor):
        return x
    return torch.tensor(x) if isinstance(x, (int, float)) else convert_to_tensor(x)


def _tensors(fn):
    """``fn`` on two operands that may be Python scalars."""
    def op(x1, x2):
        return fn(_operand(x1), _operand(x2))
    op.__name__ = fn.__name__
    return op


arctan2 = _tensors(torch.atan2)
maximum = _tensors(torch.maximum)
minimum = _tensors(torch.minimum)
logical_and = _tensors(torch.logical_and)
logical_or = _tensors(torch.logical_or)
logical_xor = _tensors(torch.logical_xor)
logaddexp = _tensors(torch.logaddexp)


def erfinv(x):
    x = _t(x)
    return torch.erfinv(x if x.is_floating_point() else x.float())


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    x1, x2 = _t(x1), _t(x2)
    d = torch.result_type(x1, x2)
    return torch.isclose(x1.to(d), x2.to(d), rtol, atol, equal_nan)


def floor(x):
    x = _t(x)
    return torch.floor(x if x.is_floating_point() else x.float())


def ceil(x):
    x = _t(x)
    return torch.ceil(x if x.is_floating_point() else x.float())


def round(x, decimals=0):
    x = _t(x)
    return torch.round(x, decimals=decimals) if x.is_floating_point() else x


def clip(x, x_min, x_max):
    return torch.clamp(_t(x), x_min, x_max)


def equal(x1, x2):
    return torch.eq(_t(x1), x2)


def not_equal(x1, x2):
    return torch.ne(_t(x1), x2)


def greater(x1, x2):
    return torch.gt(_t(x1), x2)


def greater_equal(x1, x2):
    return torch.ge(_t(x1), x2)


def less(x1, x2):
    return torch.lt(_t(x1), x2)


def less_equal(x1, x2):
    return torch.le(_t(x1), x2)


def where(condition, x1=None, x2=None):
    condition = _t(condition)
    if x1 is None and x2 is None:
        return tuple(i.to(torch.int32) for i in torch.nonzero(condition, as_tuple=True))
    if not isinstance(x1, torch.Tensor) and not isinstance(x2, torch.Tensor):
        x1 = convert_to_tensor(x1)
    if not isinstance(x1, torch.Tensor):
        x1 = torch.as_tensor(x1, dtype=x2.dtype, device=x2.device)
    if not isinstance(x2, torch.Tensor):
        x2 = torch.as_tensor(x2, dtype=x1.dtype, device=x1.device)
    return torch.where(condition.bool(), x1, x2)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return torch.nan_to_num(_t(x), nan=nan, posinf=posinf, neginf=neginf)


# ----------------------------------------------------------------------------- reductions
def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _acc(x):
    """Keras's accumulator dtype for sum/prod/cumsum: int32 for bool and small ints (torch widens to int64)."""
    return None if x.is_floating_point() or x.dtype == torch.int64 else torch.int32


def sum(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None and not keepdims:
        return torch.sum(x, dtype=_acc(x))
    return torch.sum(x, dim=_axis(axis), keepdim=keepdims, dtype=_acc(x))


def mean(x, axis=None, keepdims=False):
    x = _t(x)
    if not x.is_floating_point():
        x = x.float()
    return torch.mean(x) if axis is None and not keepdims else torch.mean(x, dim=_axis(axis), keepdim=keepdims)


def max(x, axis=None, keepdims=False, initial=None):
    x = _t(x)
    if axis is None:
        out = torch.amax(x, dim=tuple(range(x.dim())), keepdim=keepdims) if keepdims else torch.max(x)
    else:
        out = torch.amax(x, dim=_axis(axis), keepdim=keepdims)
    return out if initial is None else torch.clamp(out, min=initial)


def min(x, axis=None, keepdims=False, initial=None):
    x = _t(x)
    if axis is None:
        out = torch.amin(x, dim=tuple(range(x.dim())), keepdim=keepdims) if keepdims else torch.min(x)
    else:
        out = torch.amin(x, dim=_axis(axis), keepdim=keepdims)
    return out if initial is None else torch.clamp(out, max=initial)


def prod(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None:
        out = torch.prod(x, dtype=_acc(x))
        return out.reshape((1,) * x.dim()) if keepdims else out
    for a in sorted((a % x.dim() for a in (axis if isinstance(axis, (list, tuple)) else [axis])), reverse=True):
        x = torch.prod(x, dim=a, keepdim=keepdims, dtype=_acc(x))
    return x


def var(x, axis=None, keepdims=False):
    return torch.var(_t(x).float(), dim=_axis(axis), keepdim=keepdims, correction=0)


def std(x, axis=None, keepdims=False):
    return torch.std(_t(x).float(), dim=_axis(axis), keepdim=keepdims, correction=0)


def logsumexp(x, axis=None, keepdims=False):
    x = _t(x)
    return torch.logsumexp(x, dim=_axis(axis) if axis is not None else tuple(range(x.dim())), keepdim=keepdims)


def argmax(x, axis=None, keepdims=False):
    return torch.argmax(_t(x), dim=axis, keepdim=keepdims).to(torch.int32)


def argmin(x, axis=None, keepdims=False):
    return torch.argmin(_t(x), dim=axis, keepdim=keepdims).to(torch.int32)


def all(x, axis=None, keepdims=False):
    x = _t(x)
    return torch.all(x) if axis is None and not keepdims else torch.all(x, dim=_axis(axis), keepdim=keepdims)


def any(x, axis=None, keepdims=False):
    x = _t(x)
    return torch.any(x) if axis is None and not keepdims else torch.any(x, dim=_axis(axis), keepdim=keepdims)


def cumsum(x, axis=None, dtype=None):
    x = _t(x)
    return torch.cumsum(x.reshape(-1) if axis is None else x, dim=0 if axis is None else axis,
                        dtype=_acc(x) if dtype is None else to_dtype(dtype))


def cumprod(x, axis=None, dtype=None):
    x = _t(x)
    return torch.cumprod(x.reshape(-1) if axis is None else x, dim=0 if axis is None else axis,
                         dtype=_acc(x) if dtype is None else to_dtype(dtype))


def count_nonzero(x, axis=None):
    return torch.count_nonzero(_t(x), dim=_axis(axis)).to(torch.int32)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """NumPy's quantile of ``x`` over ``axis`` (None, int or tuple); a 1-D ``q`` adds a leading axis."""
    x = _t(x)
    x = x if x.is_floating_point() else x.float()
    axes = [a % x.dim() for a in (range(x.dim()) if axis is None else [axis] if isinstance(axis, int) else axis)]
    rest = [a for a in range(x.dim()) if a not in axes]
    y = x.permute(*rest, *axes).reshape(*(x.shape[a] for a in rest), -1)
    q = torch.as_tensor(q, dtype=x.dtype, device=x.device)
    out = torch.quantile(y, q, dim=-1, interpolation=method)
    if keepdims:
        out = out.reshape(q.shape + tuple(1 if a in axes else n for a, n in enumerate(x.shape)))
    return out


def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def norm(x, ord=None, axis=None, keepdims=False):
    return torch.linalg.norm(_t(x), ord=ord, dim=_axis(axis), keepdim=keepdims)


def sort(x, axis=-1):
    return torch.sort(_t(x), dim=axis).values


def argsort(x, axis=-1):
    return torch.argsort(_t(x), dim=axis, stable=True).to(torch.int32)


def top_k(x, k, sorted=True):
    out = torch.topk(_t(x), k, sorted=sorted)
    return out.values, out.indices.to(torch.int32)


# ----------------------------------------------------------------------------- shapes
def reshape(x, newshape):
    return torch.reshape(_t(x), tuple(-1 if d is None else d for d in newshape))


def transpose(x, axes=None):
    x = _t(x)
    return x.permute(*(axes if axes is not None else range(x.dim() - 1, -1, -1)))


def expand_dims(x, axis):
    x = _t(x)
    if isinstance(axis, int):
        return torch.unsqueeze(x, axis)
    rank = x.dim() + len(axis)
    for a in sorted(a % rank for a in axis):
        x = torch.unsqueeze(x, a)
    return x


def squeeze(x, axis=None):
    x = _t(x)
    if axis is None:
        return torch.squeeze(x)
    return torch.squeeze(x, dim=_axis(axis))


def concatenate(xs, axis=0):
    return torch.cat([_t(x) for x in xs], dim=axis)


def stack(xs, axis=0):
    return torch.stack([_t(x) for x in xs], dim=axis)


def unstack(x, axis=0):
    return list(torch.unbind(_t(x), dim=axis))


def split(x, indices_or_sections, axis=0):
    x = _t(x)
    if isinstance(indices_or_sections, int):
        return list(torch.tensor_split(x, indices_or_sections, dim=axis))
    return list(torch.tensor_split(x, list(indices_or_sections), dim=axis))


def tile(x, repeats):
    return torch.tile(_t(x), tuple(repeats))


def repeat(x, repeats, axis=None):
    x = _t(x)
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    return torch.repeat_interleave(x, repeats, dim=axis)


def broadcast_to(x, shape):
    return torch.broadcast_to(_t(x), tuple(shape))


def flip(x, axis=None):
    x = _t(x)
    return torch.flip(x, dims=tuple(range(x.dim())) if axis is None else (axis,) if isinstance(axis, int) else axis)


def moveaxis(x, source, destination):
    return torch.movedim(_t(x), source, destination)


def swapaxes(x, axis1, axis2):
    return torch.swapaxes(_t(x), axis1, axis2)


def take(x, indices, axis=None):
    x, indices = _t(x), _t(indices)
    if indices.dtype not in (torch.int64, torch.int32):
        indices = indices.long()
    if axis is None:
        return x.reshape(-1)[indices]
    return x[(_bi.slice(None),) * (axis % x.dim()) + (indices,)]


def take_along_axis(x, indices, axis=None):
    return torch.take_along_dim(_t(x), _t(indices).long(), dim=axis)


def slice(x, start_indices, shape):
    x = _t(x)
    return x[tuple(_bi.slice(int(s), int(s) + int(n)) for s, n in zip(start_indices, shape))]


def pad(x, pad_width, mode="constant", constant_values=0):
    """NumPy's pad. Modes other than "constant" ("reflect", "symmetric", "edge", "wrap") gather rows
    at indices that ``np.pad`` computes, one gather per padded axis."""
    x = _t(x)
    if mode == "constant":
        flat = []
        for lo, hi in reversed([tuple(p) for p in pad_width]):
            flat += [lo, hi]
        return F.pad(x, flat, value=constant_values or 0)
    for axis, (lo, hi) in enumerate(pad_width):
        if lo or hi:
            index = np.pad(np.arange(x.shape[axis]), (lo, hi), mode=mode)
            x = torch.index_select(x, axis, torch.from_numpy(index).to(x.device))
    return x


def diag(x, k=0):
    return torch.diag(_t(x), k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    return torch.diagonal(_t(x), offset, axis1, axis2)


def trace(x, offset=0, axis1=0, axis2=1):
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def tril(x, k=0):
    return torch.tril(_t(x), k)


def triu(x, k=0):
    return torch.triu(_t(x), k)


def one_hot(x, num_classes, axis=-1, dtype="float32"):
    out = F.one_hot(_t(x).long().clamp(min=-1) % (num_classes + 1), num_classes + 1)[..., :num_classes]
    out = out.to(to_dtype(dtype))
    return out if axis == -1 else torch.movedim(out, -1, axis)


# ----------------------------------------------------------------------------- linear algebra
def matmul(x1, x2):
    return torch.matmul(_t(x1), _t(x2))


def dot(x1, x2):
    x1, x2 = _t(x1), _t(x2)
    if x1.dim() == 0 or x2.dim() == 0:
        return x1 * x2
    if x2.dim() <= 2:
        return torch.matmul(x1, x2)
    return torch.tensordot(x1, x2, dims=([-1], [-2]))


def tensordot(x1, x2, axes=2):
    return torch.tensordot(_t(x1), _t(x2), dims=axes)


def outer(x1, x2):
    return torch.mul(_t(x1).reshape(-1, 1), _t(x2).reshape(1, -1))


def einsum(subscripts, *operands):
    return torch.einsum(subscripts, *[_t(o) for o in operands])


# ----------------------------------------------------------------------------- activations
relu = F.relu
sigmoid = torch.sigmoid
tanh = torch.tanh
softplus = F.softplus
softsign = F.softsign
silu = F.silu
swish = F.silu
selu = F.selu
log_sigmoid = F.logsigmoid


def relu6(x):
    return F.relu6(x)


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def gelu(x, approximate=True):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope)


def hard_sigmoid(x):
    return F.relu6(x + 3.0) / 6.0


def hard_silu(x):
    return x * hard_sigmoid(x)


def softmax(x, axis=-1):
    return torch.softmax(x, dim=axis) if isinstance(axis, int) else _multi_axis_softmax(x, axis, False)


def log_softmax(x, axis=-1):
    return torch.log_softmax(x, dim=axis) if isinstance(axis, int) else _multi_axis_softmax(x, axis, True)


def _multi_axis_softmax(x, axis, log):
    lse = torch.logsumexp(x, dim=tuple(axis), keepdim=True)
    return x - lse if log else torch.exp(x - lse)


# ----------------------------------------------------------------------------- convolution and pooling
def _tuple(v, n):
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


def _to_cf(x, data_format):
    """Channels-first view of a channels_last tensor (no copy for 2D/3D)."""
    if data_format == "channels_first":
        return x
    return torch.movedim(x, -1, 1)


def _from_cf(x, data_format):
    return x if data_format == "channels_first" else torch.movedim(x, 1, -1)


def _same_pad(x, kernel, strides, dilation):
    """TF-style 'same' padding of a channels-first tensor (extra pixel on the right)."""
    pads = []
    for i, (k, s, d) in enumerate(zip(kernel, strides, dilation)):
        size = x.shape[2 + i]
        eff = (k - 1) * d + 1
        out = -(-size // s)
        total = _bi.max(0, (out - 1) * s + eff - size)
        pads.append((total // 2, total - total // 2))
    return pads


def _prepare_padding(x, kernel, strides, dilation, padding):
    """Returns (x, torch padding argument) realising Keras's padding."""
    if padding == "valid":
        return x, 0
    pads = _same_pad(x, kernel, strides, dilation)
    if _bi.all(lo == hi for lo, hi in pads):
        return x, tuple(lo for lo, _ in pads)
    flat = []
    for lo, hi in reversed(pads):
        flat += [lo, hi]
    return F.pad(x, flat), 0


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, bias=None):
    """N-d convolution. inputs (batch, *spatial, in) channels_last; kernel (*k, in/groups, out).

    ``bias`` (out,) is fused into the kernel call when given (a kerasport extension).
    """
    data_format = data_format or "channels_last"
    n = kernel.dim() - 2
    strides, dilation = _tuple(strides, n), _tuple(dilation_rate, n)
    x = _to_cf(inputs, data_format)
    w = kernel.permute(n + 1, n, *range(n))
    groups = x.shape[1] // kernel.shape[-2]
    x, pad_arg = _prepare_padding(x, kernel.shape[:n], strides, dilation, padding)
    if n == 2 and data_format != "channels_first":
        x = x.contiguous(memory_format=torch.channels_last)
    out = _CONV[n](x, w, bias, strides, pad_arg, dilation, groups)
    return _from_cf(out, data_format)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, bias=None):
    """Depthwise conv. kernel (*k, in, multiplier) -> output channels in*multiplier (+ ``bias``)."""
    n = kernel.dim() - 2
    kshape = kernel.shape
    k = kernel.reshape(*kshape[:n], 1, kshape[-2] * kshape[-1])
    return conv(inputs, k, strides, padding, data_format, dilation_rate, bias=bias)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1, bias=None):
    """Depthwise conv (strides, padding, dilation apply here), then the 1x1 ``pointwise_kernel`` (+ ``bias``)."""
    x = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(x, pointwise_kernel, 1, "valid", data_format, bias=bias)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1, bias=None):
    """Transposed conv. kernel (*k, out, in) as in Keras; output sizes follow TensorFlow.

    Runs torch's kernel unpadded, then crops (or zero-pads) each spatial side to
    Keras's left/right padding, which is exact for every argument combination.
    """
    data_format = data_format or "channels_last"
    n = kernel.dim() - 2
    strides, dilation = _tuple(strides, n), _tuple(dilation_rate, n)
    ops_ = (None,) * n if output_padding is None else _tuple(output_padding, n)
    x = _to_cf(inputs, data_format)
    w = kernel.permute(n + 1, n, *range(n))  # (in, out, *k)
    out = _CONV_T[n](x, w, None, strides, 0, 0, 1, dilation)
    index = [_bi.slice(None)] * 2
    flat = []
    for i in range(n):
        k = (kernel.shape[i] - 1) * dilation[i] + 1
        s, op = strides[i], ops_[i]
        if padding == "valid":
            op = _bi.max(k, s) - k if op is None else op
            left, right = k - 1, k - 1 + op
        else:
            pad_len = s + k - 2 if op is None else k + k % 2 - 2 + op
            left = _bi.min(pad_len // 2 + pad_len % 2, k - 1)
            right = pad_len - left
        crop_l, crop_r = k - 1 - left, k - 1 - right
        size = out.shape[2 + i]
        index.append(_bi.slice(_bi.max(crop_l, 0), size - _bi.max(crop_r, 0)))
        flat = [_bi.max(-crop_l, 0), _bi.max(-crop_r, 0)] + flat
    out = out[tuple(index)]
    if _bi.any(flat):
        out = F.pad(out, flat)
    if bias is not None:
        out = out + bias.reshape(-1, *(1,) * n)
    return _from_cf(out, data_format)


def _pool(x, pool_size, strides, padding, data_format, kind):
    """Max or average pooling; 'same' pads as TensorFlow does, and padded cells never count."""
    data_format = data_format or "channels_last"
    n = x.dim() - 2
    pool_size = _tuple(pool_size, n)
    strides = _tuple(strides if strides is not None else pool_size, n)
    x = _to_cf(x, data_format)
    fn = ({1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d} if kind == "max" else
          {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d})[n]
    if padding != "same":
        return _from_cf(fn(x, pool_size, strides), data_format)
    flat = []
    for lo, hi in reversed(_same_pad(x, pool_size, strides, (1,) * n)):
        flat += [lo, hi]
    if kind == "max":
        out = fn(F.pad(x, flat, value=-math.inf), pool_size, strides)
    else:
        out = fn(F.pad(x, flat), pool_size, strides) / fn(F.pad(torch.ones_like(x[:1, :1]), flat), pool_size, strides)
    return _from_cf(out, data_format)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool(inputs, pool_size, strides, padding, data_format, "max")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool(inputs, pool_size, strides, padding, data_format, "avg")


# ----------------------------------------------------------------------------- normalisation helpers
def moments(x, axes, keepdims=False):
    x = _t(x)
    var_, mean_ = torch.var_mean(x, dim=tuple(axes), keepdim=keepdims, correction=0)
    return mean_, var_


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    shape_ = [1] * x.dim()
    shape_[axis] = x.shape[axis]
    inv = torch.rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * scale
    shift = -mean * inv
    if offset is not None:
        shift = shift + offset
    return torch.addcmul(shift.reshape(shape_), x, inv.reshape(shape_))  # one pass over x


def normalize(x, axis=-1, order=2, epsilon=None):
    return F.normalize(x, p=order, dim=axis, eps=epsilon or 1e-12)


# ----------------------------------------------------------------------------- losses
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    if from_logits:
        return -(target * torch.log_softmax(output, dim=axis)).sum(dim=axis)
    output = output / output.sum(dim=axis, keepdim=True)
    output = output.clamp(1e-7, 1 - 1e-7)
    return -(target * torch.log(output)).sum(dim=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target = target.long()
    if target.dim() == output.dim():
        target = target.squeeze(axis)
    if from_logits:
        logp = torch.log_softmax(output, dim=axis)
    else:
        output = output / output.sum(dim=axis, keepdim=True)
        logp = torch.log(output.clamp(1e-7, 1 - 1e-7))
    if axis != -1 and axis != output.dim() - 1:
        logp = torch.movedim(logp, axis, -1)
    return -torch.gather(logp, -1, target.unsqueeze(-1)).squeeze(-1)


def binary_crossentropy(target, output, from_logits=False):
    target = target.to(output.dtype)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    output = output.clamp(1e-7, 1 - 1e-7)
    return -(target * torch.log(output) + (1 - target) * torch.log(1 - output))


# ----------------------------------------------------------------------------- random
_generator = None


def seed(value):
    """Seed the framework's global random state."""
    torch.manual_seed(value)


def make_generator(seed_value):
    """A random-state object for one layer or initializer (``None``: the global state)."""
    if seed_value is None:
        return None
    g = torch.Generator(device=DEVICE)
    g.manual_seed(int(seed_value))
    return g


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", generator=None):
    out = torch.empty(tuple(shape), dtype=to_dtype(dtype), device=DEVICE)
    return out.uniform_(minval, maxval, generator=generator)


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", generator=None):
    out = torch.empty(tuple(shape), dtype=to_dtype(dtype), device=DEVICE)
    return out.normal_(mean, stddev, generator=generator)


def random_permutation(n, generator=None):
    return torch.randperm(n, device=DEVICE, generator=generator)


def dropout(x, rate, noise_shape=None, generator=None):
    """Inverted dropout: zero with probability ``rate``, scale the rest by 1/(1-rate)."""
    if noise_shape is None and generator is None:
        return F.dropout(x, rate, True)
    shape_ = tuple(x.shape[i] if d is None else d for i, d in enumerate(noise_shape or x.shape))
    keep = torch.empty(shape_, device=x.device, dtype=x.dtype).uniform_(generator=generator) >= rate
    return x * keep.to(x.dtype) / (1.0 - rate)


# ----------------------------------------------------------------------------- control flow and misc
def cond(pred, true_fn, false_fn):
    return true_fn() if bool(pred) else false_fn()


def no_grad():
    return torch.no_grad()


def device_name():
    return str(DEVICE)


def set_seed_all(seed_value):
    _pyrandom.seed(seed_value)
    np.random.seed(seed_value)
    torch.manual_seed(seed_value)


# ----------------------------------------------------------------------------- layer kernels (kerasport extensions)
def dense(x, kernel, bias=None):
    """``x @ kernel + bias``; one fused addmm for 2D inputs."""
    if bias is not None and x.dim() == 2:
        return torch.addmm(bias, x, kernel)
    out = torch.matmul(x, kernel)
    return out if bias is None else out + bias


def embedding(indices, table):
    """Rows of ``table`` (vocab, dim) at integer ``indices``: (...) -> (..., dim)."""
    if indices.dtype not in (torch.int64, torch.int32):
        indices = indices.long()
    return F.embedding(indices, table)


# --- normalization helpers (layers/normalization.py)
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    """Normalize each sample over ``axis`` (int or list), then ``* gamma + beta``.

    ``gamma`` and ``beta`` have the shape of the normalized dims. Trailing axes use the
    fused ``F.layer_norm`` kernel. ``rms_scaling`` (Keras's deprecated flag) divides by the
    standard deviation without centering and ignores ``beta``.
    """
    epsilon = 1e-7 if epsilon is None else epsilon
    axes = sorted(a % x.dim() for a in ([axis] if isinstance(axis, int) else axis))
    if not rms_scaling and axes == list(range(x.dim() - len(axes), x.dim())):
        return F.layer_norm(x, tuple(x.shape[a] for a in axes), gamma, beta, epsilon)
    bshape = [x.shape[i] if i in axes else 1 for i in range(x.dim())]
    variance, mean_ = torch.var_mean(x, dim=axes, keepdim=True, correction=0)
    inv = torch.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma.reshape(bshape)
    if rms_scaling:
        return x * inv
    shift = -mean_ * inv
    if beta is not None:
        shift = shift + beta.reshape(bshape)
    return x * inv + shift


from kerasport.backends.torch_rnn import *  # noqa: E402,F401,F403
from kerasport.backends.torch_image import *  # noqa: E402,F401,F403


# --- added for losses/metrics
def divide_no_nan(x1, x2):
    """``x1 / x2``, and 0 where ``x2 == 0``."""
    x1, x2 = _t(x1), _t(x2)
    return torch.where(x2 == 0, torch.zeros((), dtype=x1.dtype, device=x1.device), x1 / x2)


def segment_sum(data, segment_ids, num_segments):
    """Sums of ``data`` rows (N, ...) grouped by ``segment_ids`` (N,) in [0, num_segments)."""
    data = _t(data)
    out = torch.zeros((num_segments,) + tuple(data.shape[1:]), dtype=data.dtype, device=data.device)
    return out.index_add_(0, _t(segment_ids).long(), data)


def zero_grad(variables):
    """Drop the ``.grad`` that ``loss.backward()`` left on ``variables``."""
    for v in variables:
        v.grad = None


# --- random (kerasport/random.py)
def seeded_generator(seed_value):
    """Random state started from ``seed_value`` afresh on each call (same seed, same draws)."""
    return make_generator(seed_value)


def random_randint(shape, minval, maxval, dtype="int32", generator=None):
    """Integers uniform in ``[minval, maxval)``."""
    return torch.randint(int(minval), int(maxval), tuple(shape), generator=generator, device=DEVICE,
                         dtype=to_dtype(dtype))

from kerasport.backends.torch_ops_extra import *  # noqa: E402,F401,F403  (the rest of keras.ops)
