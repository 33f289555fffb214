"""PyTorch kernels for the rest of ``keras.ops``: NumPy-style math, linear algebra, FFT, control flow.

Star-imported at the end of ``torch_backend`` (names in ``__all__``, listed in ``contract.EXTRA``).
Complex results follow Keras: a ``(real, imag)`` pair of float tensors.
"""
import builtins as _bi
import math

import numpy as np
import torch
import torch.nn.functional as F

from kerasport.backends import ops_common as _common
from kerasport.backends import torch_backend as _tb


def _t(x):
    return _tb._t(x)


def _f(x):
    """``x`` as a float tensor (ints and bools become float32, as in Keras)."""
    x = _t(x)
    return x if x.is_floating_point() or x.is_complex() else x.float()


def _two(x1, x2):
    """Two operands promoted to one dtype (Python scalars weakly typed, as Keras does)."""
    x1, x2 = _tb._operand(x1), _tb._operand(x2)
    d = torch.result_type(x1, x2)
    dev = x1.device if x1.dim() else x2.device
    return x1.to(dev, d), x2.to(dev, d)


def _two_f(x1, x2):
    x1, x2 = _two(x1, x2)
    return (x1, x2) if x1.is_floating_point() else (x1.float(), x2.float())


def _axes(x, axis):
    return tuple(range(x.dim())) if axis is None else tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)


# amax, ptp, allclose, the nan-reductions, percentile, hsplit, get_item, multi_hot, hard_swish, ...: written
# with backend functions only, once, in ops_common.
globals().update(_common.shared_ops(_tb, to_float=_f, is_float=lambda x: x.is_floating_point()))


# ----------------------------------------------------------------------------- activations
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``."""
    return F.celu(_f(x), alpha)


def glu(x, axis=-1):
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second half."""
    x = _f(x)
    if x.shape[axis] % 2:
        raise ValueError(f"glu: axis {axis} must have an even size; received shape {tuple(x.shape)}.")
    return F.glu(x, dim=axis)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return F.hardshrink(_f(x), threshold)


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return F.hardtanh(_f(x))


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    return F.softshrink(_f(x), threshold)


def sparsemax(x, axis=-1):
    """Sparsemax along ``axis``, computed exactly as Keras 3 does so the numbers match.

    Keras's threshold sums the cumulative sums over the whole support (not just the last one), so where
    the support has more than one element the result is not the textbook simplex projection.
    """
    x = _f(x)
    srt = torch.sort(x, dim=axis, descending=True).values
    cum = torch.cumsum(srt, dim=axis)
    shape = [1] * x.dim()
    shape[axis] = -1
    r = torch.arange(1, x.shape[axis] + 1, dtype=x.dtype, device=x.device).reshape(shape)
    support = srt - (cum - 1) / r > 0
    k = support.sum(dim=axis, keepdim=True).to(x.dtype)
    tau = (torch.where(support, cum, torch.zeros_like(cum)).sum(dim=axis, keepdim=True) - 1) / k
    return torch.clamp(x - tau, min=0)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return F.tanhshrink(_f(x))


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    return F.threshold(_f(x), threshold, default_value)


# ----------------------------------------------------------------------------- nn
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x * rsqrt(mean(x**2, axis) + epsilon) * scale`` (computed in at least float32)."""
    x = _t(x)
    orig = x.dtype
    x = x.float() if not x.is_floating_point() or x.element_size() < 4 else x
    eps = 1e-7 if epsilon is None else epsilon
    out = x * torch.rsqrt(torch.mean(x * x, dim=_axes(x, axis), keepdim=True) + eps)
    if scale is not None:
        out = out * _tb.convert_to_tensor(scale, x.dtype)
    return out.to(orig) if orig.is_floating_point else out


def _large_negative(dtype):
    return -0.7 * (65500.0 if dtype == torch.float16 else 3.38953e38)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention on ``(B, T, N, H)`` query and ``(B, S, K, H)`` key/value.

    Args:
        bias: added to the logits, broadcastable to ``(B, N, T, S)``.
        mask: bool, broadcastable to ``(B, N, T, S)``; False positions get no attention.
        scale: logits multiplier, default ``1 / sqrt(H)``.
        is_causal: mask out keys after each query position.
        attn_logits_soft_cap: when set, logits become ``cap * tanh(logits / cap)``.
    Returns ``(B, T, N, H)``. Runs ``F.scaled_dot_product_attention`` unless a soft cap is asked for.
    """
    q, k, v = _t(query), _t(key), _t(value)
    _common.check_attention_inputs(q, k, v, bias, mask, flash_attention, _tb.ndim)
    d = torch.promote_types(torch.promote_types(q.dtype, k.dtype), v.dtype)
    q, k, v = (t.to(d).transpose(1, 2) for t in (q, k, v))
    if q.shape[1] > k.shape[1]:
        k, v = (torch.repeat_interleave(t, q.shape[1] // t.shape[1], dim=1) for t in (k, v))
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    attn = None
    if mask is not None or is_causal:
        allowed = torch.ones((q.shape[2], k.shape[2]), dtype=torch.bool, device=q.device)
        if is_causal:
            allowed = torch.tril(allowed)
        if mask is not None:
            allowed = allowed & _t(mask).bool()
        attn = torch.where(allowed, torch.zeros((), dtype=d, device=q.device),
                           torch.full((), _large_negative(d), dtype=d, device=q.device))
    if bias is not None:
        attn = _tb.convert_to_tensor(bias, d)
    if attn_logits_soft_cap is None:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn, scale=scale).transpose(1, 2)
    logits = torch.matmul(q, k.transpose(-1, -2)) * scale
    logits = attn_logits_soft_cap * torch.tanh(logits / attn_logits_soft_cap)
    if attn is not None:
        logits = logits + attn
    return torch.matmul(torch.softmax(logits, dim=-1), v).transpose(1, 2)


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``."""
    x1, x2 = _t(x1), _t(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: shapes must match; received {tuple(x1.shape)} and {tuple(x2.shape)}.")
    mse = torch.mean(torch.square(x1 - x2))
    return 20 * torch.log10(torch.as_tensor(max_val, dtype=x2.dtype, device=x2.device)) - 10 * torch.log10(mse)


def in_top_k(targets, predictions, k):
    """Whether each ``targets[i]`` is among the ``k`` largest ``predictions[i]`` (ties count as in)."""
    predictions = _t(predictions)
    target_val = torch.take_along_dim(predictions, _t(targets).long()[:, None], dim=-1)
    kth = torch.topk(predictions, k, dim=-1).values[:, -1:]
    return (target_val >= kth)[:, 0]


def _depth_to_space_nhwc(x, b):
    n, h, w, c = x.shape
    b = int(b)
    return x.reshape(n, h, w, b, b, c // (b * b)).permute(0, 1, 3, 2, 4, 5).reshape(n, h * b, w * b, c // (b * b))


def _space_to_depth_nhwc(x, b):
    n, h, w, c = x.shape
    b = int(b)
    return x.reshape(n, h // b, b, w // b, b, c).permute(0, 1, 3, 2, 4, 5).reshape(n, h // b, w // b, c * b * b)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into ``block_size x block_size`` spatial tiles (TensorFlow's DCR order)."""
    return _common.block_rearrange("depth_to_space", _t(x), block_size, data_format, _depth_to_space_nhwc,
                                   lambda t, perm: t.permute(*perm))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Inverse of ``depth_to_space``: ``block_size x block_size`` tiles become channels."""
    return _common.block_rearrange("space_to_depth", _t(x), block_size, data_format, _space_to_depth_nhwc,
                                   lambda t, perm: t.permute(*perm))


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """CTC loss per sample.

    Args:
        target: int labels ``(B, L)``; output: logits ``(B, T, C)``;
        target_length, output_length: ``(B,)`` ints; mask_index: the blank class.
    Returns ``(B,)`` negative log-likelihoods.
    """
    output = _f(output)
    logp = torch.log_softmax(output.transpose(0, 1), dim=-1)
    return F.ctc_loss(logp, _t(target).long(), _t(output_length).long(), _t(target_length).long(),
                      blank=mask_index, reduction="none")


# ----------------------------------------------------------------------------- elementwise math
def _unary_f(fn, name):
    return _common.unary_float_op(fn, name, _f)


arccos = _unary_f(torch.acos, "arccos")
arccosh = _unary_f(torch.acosh, "arccosh")
arcsin = _unary_f(torch.asin, "arcsin")
arcsinh = _unary_f(torch.asinh, "arcsinh")
arctanh = _unary_f(torch.atanh, "arctanh")
erfc = _unary_f(torch.erfc, "erfc")
exp2 = _unary_f(torch.exp2, "exp2")
i0 = _unary_f(torch.i0, "i0")
sinc = _unary_f(torch.sinc, "sinc")
deg2rad = _unary_f(torch.deg2rad, "deg2rad")
rad2deg = _unary_f(torch.rad2deg, "rad2deg")
fabs = _unary_f(torch.abs, "fabs")


def cbrt(x):
    """Cube root (real, sign-preserving)."""
    x = _f(x)
    return torch.sign(x) * torch.abs(x) ** (1.0 / 3.0)


def trunc(x):
    """Rounds towards zero; ints are returned unchanged."""
    x = _t(x)
    return torch.trunc(x) if x.is_floating_point() else x


def signbit(x):
    """True where the sign bit is set (negative numbers and -0.0)."""
    return torch.signbit(_t(x))


def isneginf(x):
    return torch.isneginf(_t(x))


def isposinf(x):
    return torch.isposinf(_t(x))


def isreal(x):
    x = _t(x)
    return torch.isreal(x)


def real(x):
    x = _t(x)
    return torch.real(x) if x.is_complex() else x


def imag(x):
    x = _t(x)
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


def conj(x):
    x = _t(x)
    return torch.conj(x).resolve_conj() if x.is_complex() else x


conjugate = conj


def angle(x):
    """Argument of complex ``x`` (0 or pi for real ``x``)."""
    x = _t(x)
    return torch.angle(x if x.is_complex() else _f(x))


def copy(x):
    return _t(x).clone()


def _binary(fn, name, floating=False, doc=""):
    return _common.binary_op(fn, name, _two_f if floating else _two, doc)


fmax = _binary(torch.fmax, "fmax", doc="Elementwise maximum that ignores NaNs.")
fmin = _binary(torch.fmin, "fmin", doc="Elementwise minimum that ignores NaNs.")
fmod = _binary(torch.fmod, "fmod", doc="C-style remainder (the sign of ``x1``).")
gcd = _binary(torch.gcd, "gcd")
lcm = _binary(torch.lcm, "lcm")
def heaviside(x1, x2):
    """0 for x1 < 0, x2 for x1 == 0, 1 for x1 > 0; ints give float32 (int64: float64), as in Keras."""
    x1, x2 = _two(x1, x2)
    if not x1.is_floating_point():
        d = torch.float64 if x1.dtype == torch.int64 else torch.float32
        x1, x2 = x1.to(d), x2.to(d)
    return torch.heaviside(x1, x2)
hypot = _binary(torch.hypot, "hypot", floating=True)
logaddexp2 = _binary(torch.logaddexp2, "logaddexp2", floating=True)
nextafter = _binary(torch.nextafter, "nextafter", floating=True)
bitwise_and = _binary(torch.bitwise_and, "bitwise_and")
bitwise_or = _binary(torch.bitwise_or, "bitwise_or")
bitwise_xor = _binary(torch.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _binary(torch.bitwise_left_shift, "bitwise_left_shift")
bitwise_right_shift = _binary(torch.bitwise_right_shift, "bitwise_right_shift")
left_shift = bitwise_left_shift
right_shift = bitwise_right_shift


def bitwise_invert(x):
    return torch.bitwise_not(_t(x))


bitwise_not = bitwise_invert


def ldexp(x1, x2):
    """``x1 * 2**x2`` (``x2`` integer)."""
    x1 = _f(x1)
    return x1 * torch.pow(2.0, _t(x2).to(x1.dtype))


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of ``x1`` occurs in ``x2``."""
    x1, x2 = _two(x1, x2)
    return torch.isin(x1, x2, assume_unique=assume_unique, invert=invert)


# ----------------------------------------------------------------------------- reductions and statistics
def average(x, axis=None, weights=None):
    """Weighted mean; 1-D ``weights`` apply along ``axis``."""
    x = _f(x)
    if weights is None:
        return _tb.mean(x, axis)
    w = _t(weights)
    d = torch.promote_types(x.dtype, w.dtype)
    x, w = x.to(d), w.to(d)
    if w.dim() == 1 and x.dim() > 1 and axis is not None:
        shape = [1] * x.dim()
        shape[axis] = -1
        w = w.reshape(shape)
    w = torch.broadcast_to(w, x.shape)
    dims = _axes(x, axis)
    return torch.sum(x * w, dim=dims) / torch.sum(w, dim=dims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """Quantile over the non-NaN elements (``torch.nanquantile``)."""
    x = _f(x)
    axes = [a % x.dim() for a in _axes(x, axis)]
    rest = [a for a in range(x.dim()) if a not in axes]
    y = x.permute(*rest, *axes).reshape(*(x.shape[a] for a in rest), -1)
    qt = torch.as_tensor(q, dtype=x.dtype, device=x.device)
    out = torch.nanquantile(y, qt, dim=-1, interpolation=method)
    if keepdims:
        out = out.reshape(qt.shape + tuple(1 if a in axes else n for a, n in enumerate(x.shape)))
    return out


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or summed ``weights``) of each non-negative int in 1-D ``x``, or per row of 2-D ``x``."""
    if sparse:
        raise ValueError("bincount: sparse=True is not supported by kerasport.")
    x = _t(x).long()
    length = _bi.max(int(minlength), int(x.max()) + 1 if x.numel() else 0)
    if weights is None:
        w, d = torch.ones_like(x, dtype=torch.int32), torch.int32
    else:
        w = _t(weights)
        d = w.dtype if w.is_floating_point() else torch.int32
        w = w.to(d)
    out = torch.zeros(x.shape[:-1] + (length,), dtype=d, device=x.device)
    return out.scatter_add_(-1, x, w)


def histogram(x, bins=10, range=None):
    """Counts (as floats, like Keras) of the 1-D ``x`` in ``bins`` equal bins over ``range`` (default: min
    to max), and the bin edges."""
    x = _f(x)
    if x.dim() != 1:
        raise ValueError(f"histogram: expected a 1-D input; received shape {tuple(x.shape)}.")
    lo, hi = (x.min(), x.max()) if range is None else (torch.tensor(float(range[0])), torch.tensor(float(range[1])))
    edges = torch.linspace(0, 1, bins + 1, device=x.device, dtype=x.dtype) * (hi - lo) + lo
    inside = (x >= lo) & (x <= hi)
    idx = torch.clamp(torch.searchsorted(edges, x, right=True) - 1, 0, bins - 1)
    counts = torch.zeros(bins, dtype=x.dtype, device=x.device).scatter_add_(0, idx, inside.to(x.dtype))
    return counts, edges


def corrcoef(x):
    """Pearson correlation coefficients of the rows of ``x``."""
    return torch.corrcoef(_f(x))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule."""
    y = _f(y)
    return torch.trapezoid(y, dx=dx, dim=axis) if x is None else torch.trapezoid(y, _f(x), dim=axis)


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D sequences (``np.correlate``)."""
    a, v = _two_f(x1, x2)
    return _common.correlate(a, v, mode, lambda a, v: F.conv1d(a[None, None], v[None, None],
                                                                padding=v.shape[0] - 1)[0, 0])


# ----------------------------------------------------------------------------- shapes and indexing
def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when ``axis`` is None)."""
    x1, x2 = _two(x1, x2)
    if axis is None:
        return torch.cat([x1.reshape(-1), x2.reshape(-1)])
    return torch.cat([x1, x2], dim=axis)


def ravel(x):
    return _t(x).reshape(-1)


def roll(x, shift, axis=None):
    """Elements shifted by ``shift`` along ``axis`` (flattened when None), wrapping around."""
    x = _t(x)
    if axis is None:
        return torch.roll(x.reshape(-1), shift).reshape(x.shape)
    return torch.roll(x, shift, dims=axis)


def rot90(array, k=1, axes=(0, 1)):
    """Rotation by 90 degrees ``k`` times in the plane of ``axes``."""
    return torch.rot90(_t(array), k, list(axes))


def _promoted(xs):
    xs = [_t(x) for x in xs]
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
    """``split`` that allows sections of unequal size."""
    return _tb.split(x, indices_or_sections, axis)


def diagflat(x, k=0):
    return torch.diagflat(_t(x), k)


def diff(a, n=1, axis=-1):
    """n-th discrete difference along ``axis``."""
    return torch.diff(_t(a), n=n, dim=axis)


def digitize(x, bins):
    """Index of the bin of each ``x``: ``bins[i-1] <= x < bins[i]`` (int32)."""
    x, bins = _two(x, bins)
    return torch.bucketize(x, bins, right=True, out_int32=True)


def searchsorted(sorted_sequence, values, side="left"):
    """Insertion indices of ``values`` into the 1-D ``sorted_sequence`` (int32)."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right'; received {side!r}.")
    s, v = _two(sorted_sequence, values)
    return torch.searchsorted(s, v, right=side == "right", out_int32=True)


def nonzero(x):
    """Indices of the non-zero elements, one int32 tensor per axis."""
    return tuple(i.to(torch.int32) for i in torch.nonzero(_t(x), as_tuple=True))


def unravel_index(indices, shape):
    """Flat ``indices`` as a tuple of coordinate tensors into an array of ``shape``."""
    idx = _t(indices)
    out = []
    for dim in reversed(shape):
        out.append(torch.remainder(idx, dim))
        idx = torch.div(idx, dim, rounding_mode="floor")
    return tuple(reversed(out))


def select(condlist, choicelist, default=0):
    """The ``choicelist`` entry of the first true ``condlist`` entry, else ``default``."""
    _common.check_select(condlist, choicelist)
    choices = _promoted(choicelist)
    out = torch.broadcast_to(torch.as_tensor(default, dtype=choices[0].dtype, device=choices[0].device),
                             torch.broadcast_shapes(*[c.shape for c in choices], *[_t(c).shape for c in condlist]))
    for cond, choice in zip(reversed(condlist), reversed(choices)):
        out = torch.where(_t(cond).bool(), choice, out)
    return out


def view(x, dtype=None):
    """The bits of ``x`` reinterpreted as ``dtype`` (last axis rescaled for a different item size)."""
    x = _t(x)
    return x if dtype is None else x.view(_tb.to_dtype(dtype))


# ----------------------------------------------------------------------------- creation
def empty(shape, dtype=None):
    """A tensor of ``shape`` (zero-filled)."""
    return torch.zeros(shape, dtype=_tb.to_dtype(dtype or "float32"), device=_tb.DEVICE)


def empty_like(x, dtype=None):
    return torch.zeros_like(_t(x), dtype=_tb.to_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal of an ``N x M`` matrix."""
    m = N if M is None else M
    return torch.ones(N, m, dtype=_tb.to_dtype(dtype or "float32"), device=_tb.DEVICE).tril_(k)


def _lin(start, stop, num, endpoint, axis):
    start, stop = _f(start).to(torch.float64), _f(stop).to(torch.float64)
    steps = torch.arange(num, dtype=torch.float64, device=start.device) / _bi.max(num - 1 if endpoint else num, 1)
    shape = torch.broadcast_shapes(start.shape, stop.shape)
    steps = steps.reshape((num,) + (1,) * len(shape))
    out = start + steps * (stop - start)
    if endpoint and num > 1:
        out[-1] = stop
    return torch.movedim(out, 0, axis) if axis else out


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)``."""
    return torch.pow(float(base), _lin(start, stop, num, endpoint, axis)).to(_tb.to_dtype(dtype or "float32"))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from ``start`` to ``stop`` (same sign)."""
    s, e = _f(start).to(torch.float64), _f(stop).to(torch.float64)
    sign = torch.sign(s)
    out = sign * torch.exp(_lin(torch.log(torch.abs(s)), torch.log(torch.abs(e)), num, endpoint, 0))
    out[0] = s
    if endpoint and num > 1:
        out[-1] = e
    out = torch.movedim(out, 0, axis) if axis else out
    return out.to(_tb.to_dtype(dtype or "float32"))


def vander(x, N=None, increasing=False):
    """Vandermonde matrix: columns are powers of the 1-D ``x``."""
    return torch.vander(_t(x), N=N, increasing=increasing)


def _window(fn, name):
    return _common.window_op(lambda n: fn(n, periodic=False, dtype=torch.float32, device=_tb.DEVICE), name)


bartlett = _window(torch.bartlett_window, "bartlett")
blackman = _window(torch.blackman_window, "blackman")
hamming = _window(torch.hamming_window, "hamming")
hanning = _window(torch.hann_window, "hanning")


def kaiser(x, beta):
    """The Kaiser window of length ``x`` and shape ``beta``."""
    return torch.kaiser_window(int(x), periodic=False, beta=float(beta), dtype=torch.float32, device=_tb.DEVICE)


# ----------------------------------------------------------------------------- products
def inner(x1, x2):
    x1, x2 = _two(x1, x2)
    return torch.inner(x1, x2)


def vdot(x1, x2):
    """Dot product of the flattened inputs (the first conjugated)."""
    x1, x2 = _two(x1, x2)
    return torch.sum(torch.conj(x1.reshape(-1)) * x2.reshape(-1), dtype=x1.dtype)


def kron(x1, x2):
    x1, x2 = _two(x1, x2)
    return torch.kron(x1, x2)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 2- or 3-vectors along ``axisa``/``axisb`` (all three set by ``axis``)."""
    def cross3(a, b):
        a, b = (F.pad(t, (0, 1)) if t.shape[-1] == 2 else t for t in (a, b))
        return torch.linalg.cross(*torch.broadcast_tensors(a, b), dim=-1)
    return _common.cross(*_two(x1, x2), axisa, axisb, axisc, axis, torch.movedim, cross3)


# ----------------------------------------------------------------------------- core
def _indices(indices):
    idx = _t(indices).long()
    return tuple(idx[..., i] for i in range(idx.shape[-1]))


def scatter(indices, values, shape):
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (N, k)."""
    values = _t(values)
    out = torch.zeros(tuple(shape), dtype=values.dtype, device=values.device)
    return out.index_put_(_indices(indices), values, accumulate=True)


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with ``updates`` written (or reduced: "add", "max", "min", "mul") at ``indices`` (N, k)."""
    x = _t(inputs).clone()
    idx, upd = _indices(indices), _t(updates).to(x.dtype)
    if reduction is None:
        return x.index_put_(idx, upd)
    if reduction == "add":
        return x.index_put_(idx, upd, accumulate=True)
    if reduction not in ("max", "min", "mul"):
        raise ValueError(f"scatter_update: unsupported reduction {reduction!r}; expected None, 'add', 'max', "
                         "'min' or 'mul'.")
    k = len(idx)
    flat_idx = torch.zeros_like(idx[0])
    for i, n in zip(idx, x.shape[:k]):
        flat_idx = flat_idx * n + i
    flat = x.reshape((-1,) + x.shape[k:])
    upd = upd.reshape((-1,) + x.shape[k:])
    index = flat_idx.reshape((-1,) + (1,) * (flat.dim() - 1)).expand_as(upd)
    mode = {"max": "amax", "min": "amin", "mul": "prod"}[reduction]
    return flat.scatter_reduce(0, index, upd, mode, include_self=True).reshape(x.shape)


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block starting at ``start_indices`` replaced by ``updates``."""
    x, u = _t(inputs).clone(), _t(updates)
    x[tuple(_bi.slice(int(s), int(s) + n) for s, n in zip(start_indices, u.shape))] = u.to(x.dtype)
    return x


def saturate_cast(x, dtype):
    """Cast that clips values to the range of ``dtype`` first."""
    x, d = _t(x), _tb.to_dtype(dtype)
    if d == torch.bool or x.dtype == d:
        return x.to(d)
    info = torch.finfo(d) if d.is_floating_point else torch.iinfo(d)
    src = torch.finfo(x.dtype) if x.is_floating_point() else torch.iinfo(x.dtype) if x.dtype != torch.bool else None
    if src is not None:
        lo, hi = _bi.max(info.min, src.min), _bi.min(info.max, src.max)
        if x.is_floating_point() and not d.is_floating_point:
            hi = float(np.nextafter(np.float32(hi), -np.inf)) if x.dtype == torch.float32 and hi > 2 ** 24 else hi
        x = torch.clamp(x, lo, hi)
    return x.to(d)


def _segment(data, segment_ids, num_segments, sorted, mode, fill):
    """Segment reduction; an empty segment holds ``fill(dtype)`` (``sorted=True``: 0, as ``tf.math.segment_*``)."""
    data, ids = _t(data), _t(segment_ids).long()
    n = int(ids.max()) + 1 if num_segments is None else int(num_segments)
    out = torch.full((n,) + tuple(data.shape[1:]), fill(data.dtype), dtype=data.dtype, device=data.device)
    index = ids.reshape((-1,) + (1,) * (data.dim() - 1)).expand_as(data)
    out = out.scatter_reduce(0, index, data, mode, include_self=True)
    if sorted and mode != "prod":
        empty = torch.bincount(ids, minlength=n)[:n] == 0
        out = torch.where(empty.reshape((-1,) + (1,) * (data.dim() - 1)), torch.zeros_like(out), out)
    return out


def _lowest(d):
    return torch.finfo(d).min if d.is_floating_point else torch.iinfo(d).min


def _highest(d):
    return torch.finfo(d).max if d.is_floating_point else torch.iinfo(d).max


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Max of ``data`` rows per segment (empty segment: the dtype's lowest value, or 0 when ``sorted``)."""
    return _segment(data, segment_ids, num_segments, sorted, "amax", _lowest)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Min of ``data`` rows per segment (empty segment: the dtype's highest value, or 0 when ``sorted``)."""
    return _segment(data, segment_ids, num_segments, sorted, "amin", _highest)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Product of ``data`` rows per segment (1 for an empty segment)."""
    return _segment(data, segment_ids, num_segments, sorted, "prod", lambda d: 1)


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None,
           size=None, fill_value=None):
    """Sorted unique values (NumPy's ``unique``); optional first indices, inverse and counts (int32).

    ``size`` pads (with ``fill_value``, default the first value) or truncates the results to a fixed length.
    """
    x = _t(x)
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


def fori_loop(lower, upper, body_fun, init_val):
    """``init_val`` updated by ``body_fun(i, val)`` for ``i`` in ``range(lower, upper)``."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``; a bare value is treated as a 1-tuple."""
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = (loop_vars,) if single else tuple(loop_vars)
    n = 0
    while bool(cond(*vars_)) and (maximum_iterations is None or n < maximum_iterations):
        out = body(*vars_)
        vars_ = (out,) if single or not isinstance(out, (list, tuple)) else tuple(out)
        n += 1
    return vars_[0] if single else type(loop_vars)(vars_)


def _stack_tree(items):
    flat = [torch.utils._pytree.tree_flatten(i) for i in items]
    leaves = [torch.stack([_t(f[0][j]) for f in flat]) for j in range(len(flat[0][0]))]
    return torch.utils._pytree.tree_unflatten(leaves, flat[0][1])


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns ``(carry, stacked ys)``."""
    leaves, spec = torch.utils._pytree.tree_flatten(xs)
    return _common.scan(f, init, xs, length, reverse, leaves,
                        lambda i: torch.utils._pytree.tree_unflatten([_t(l)[i] for l in leaves], spec), _stack_tree)


def map(f, xs):
    """``f`` applied to each slice of ``xs`` along the leading axis; results stacked."""
    leaves, spec = torch.utils._pytree.tree_flatten(xs)
    return _stack_tree([f(torch.utils._pytree.tree_unflatten([_t(l)[i] for l in leaves], spec))
                        for i in range(leaves[0].shape[0])])


def switch(index, branches, *operands):
    """``branches[index](*operands)``; ``index`` is clamped into range."""
    i = _bi.min(_bi.max(int(index), 0), len(branches) - 1)
    return branches[i](*operands)


def vectorized_map(function, elements):
    """``function`` over the leading axis of ``elements``, vectorized with ``torch.vmap``."""
    return torch.vmap(function)(elements)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """NumPy's ``vectorize``: ``pyfunc`` written for scalars (or the core dims of ``signature``, e.g.
    "(n),(n)->()") mapped over the broadcast batch axes with ``torch.vmap``."""
    return _common.vectorize(pyfunc, excluded, signature, torch.vmap, _t, lambda s: torch.broadcast_shapes(*s),
                             lambda t, s: t.expand(s))


def _interleave(even, odd):
    inter = torch.stack([even[:odd.shape[0]], odd], dim=1).reshape((-1,) + tuple(odd.shape[1:]))
    return torch.cat([inter, even[odd.shape[0]:]]) if even.shape[0] > odd.shape[0] else inter


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of the associative ``f`` along ``axis`` in O(log n) vectorized steps.

    ``elems`` may be a tensor or a nest of tensors of equal length along ``axis``; ``f(a, b)`` combines two
    such nests elementwise.
    """
    leaves, spec = torch.utils._pytree.tree_flatten(elems)
    leaves = [torch.movedim(_t(x), axis, 0) for x in leaves]
    if reverse:
        leaves = [torch.flip(x, [0]) for x in leaves]

    def fn(a, b):
        out = f(torch.utils._pytree.tree_unflatten(a, spec), torch.utils._pytree.tree_unflatten(b, spec))
        return torch.utils._pytree.tree_flatten(out)[0]

    out = _common.associative_scan(fn, leaves, torch.cat, _interleave)
    if reverse:
        out = [torch.flip(o, [0]) for o in out]
    return torch.utils._pytree.tree_unflatten([torch.movedim(o, 0, axis) for o in out], spec)


def custom_gradient(f):
    """Decorator: ``f(*args)`` returns ``(output, grad_fn)``; ``grad_fn(upstream)`` gives the input gradients."""
    class _Fn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            with torch.enable_grad():
                out, grad_fn = f(*args)
            ctx.grad_fn = grad_fn
            return out.detach() if isinstance(out, torch.Tensor) else out

        @staticmethod
        def backward(ctx, *upstream):
            grads = ctx.grad_fn(*upstream)
            return tuple(grads) if isinstance(grads, (list, tuple)) else (grads,)

    def wrapped(*args):
        return _Fn.apply(*args)

    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = f.__doc__
    return wrapped


# ----------------------------------------------------------------------------- linear algebra
def cholesky(x, upper=False):
    """Cholesky factor of a symmetric positive-definite ``x`` (lower unless ``upper``)."""
    return torch.linalg.cholesky(_f(x), upper=upper)


def cholesky_inverse(x, upper=False):
    """Inverse of ``A`` from its Cholesky factor ``x``."""
    return torch.cholesky_inverse(_f(x), upper=upper)


def det(x):
    return torch.linalg.det(_f(x))


def eig(x):
    """Eigenvalues and eigenvectors of a square ``x`` (complex64)."""
    return tuple(torch.linalg.eig(_f(x)))


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of a symmetric ``x``."""
    return tuple(torch.linalg.eigh(_f(x)))


def inv(x):
    return torch.linalg.inv(_f(x))


def lstsq(a, b, rcond=None):
    """Least-squares solution of ``a @ x = b``."""
    a, b = _f(a), _f(b)
    vec = b.dim() == 1
    out = torch.linalg.lstsq(a, b[:, None] if vec else b, rcond=rcond, driver="gelsd").solution
    return out[:, 0] if vec else out


def lu_factor(x):
    """LU factorization: the packed ``LU`` matrix and 0-based int32 pivots (LAPACK's swaps)."""
    lu, piv = torch.linalg.lu_factor(_f(x))
    return lu, (piv - 1).to(torch.int32)


def qr(x, mode="reduced"):
    """QR decomposition; ``mode`` "reduced" or "complete"."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete'; received {mode!r}.")
    return tuple(torch.linalg.qr(_f(x), mode=mode))


def solve(a, b):
    """Solution of ``a @ x = b``."""
    a, b = _two_f(a, b)
    return torch.linalg.solve(a, b)


def solve_triangular(a, b, lower=False):
    """Solution of ``a @ x = b`` for a triangular ``a``."""
    a, b = _two_f(a, b)
    vec = b.dim() == a.dim() - 1
    out = torch.linalg.solve_triangular(a, b[..., None] if vec else b, upper=not lower)
    return out[..., 0] if vec else out


def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition ``(u, s, vh)``, or ``s`` alone when not ``compute_uv``."""
    x = _f(x)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


def slogdet(x):
    """Sign and log of the absolute value of the determinant."""
    return tuple(torch.linalg.slogdet(_f(x)))


def logdet(x):
    """Log-determinant of a positive-definite ``x``."""
    return torch.logdet(_f(x))


def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverse (singular values below ``rcond * max`` dropped)."""
    x = _f(x)
    return torch.linalg.pinv(x, rtol=1e-15 if rcond is None else rcond)


def matrix_rank(x, tol=None):
    """Number of singular values above ``tol`` (int32)."""
    x = _f(x)
    return torch.linalg.matrix_rank(x, atol=tol).to(torch.int32) if tol is not None else \
        torch.linalg.matrix_rank(x).to(torch.int32)


# ----------------------------------------------------------------------------- FFT ((real, imag) pairs)
def _pair(z):
    return torch.real(z).contiguous(), torch.imag(z).contiguous()


globals().update(_common.fft_ops(torch.complex, _f, _pair, torch.fft.fft, torch.fft.fft2, torch.fft.ifft2,
                                 lambda x, n: torch.fft.rfft(x, n=n), lambda z, n: torch.fft.irfft(z, n=n)))


__all__ = [n for n in list(globals()) if not n.startswith("_") and n not in (
    "math", "np", "torch", "F")]
