"""PyTorch backend, keras.ops.math and the special elementwise functions: erf, logsumexp, top_k,
segment reductions, FFT, trigonometric/rounding/bitwise extras.

Complex results follow Keras: a ``(real, imag)`` pair of float tensors.
"""
import torch

from kerasport.backends import ops_common as _common
from kerasport.backends.torch.core import as_float, as_tensor, promote, promote_float
from kerasport.backends.torch.numpy import torch_axis


# ----------------------------------------------------------------------------- keras.ops.math
erf = torch.erf


def logsumexp(x, axis=None, keepdims=False):
    x = as_tensor(x)
    return torch.logsumexp(x, dim=torch_axis(axis) if axis is not None else tuple(range(x.dim())), keepdim=keepdims)


def top_k(x, k, sorted=True):
    out = torch.topk(as_tensor(x), k, sorted=sorted)
    return out.values, out.indices.to(torch.int32)


def in_top_k(targets, predictions, k):
    predictions = as_tensor(predictions)
    target_val = torch.take_along_dim(predictions, as_tensor(targets).long()[:, None], dim=-1)
    kth = torch.topk(predictions, k, dim=-1).values[:, -1:]
    return (target_val >= kth)[:, 0]


def segment_sum(data, segment_ids, num_segments):
    data = as_tensor(data)
    out = torch.zeros((num_segments,) + tuple(data.shape[1:]), dtype=data.dtype, device=data.device)
    return out.index_add_(0, as_tensor(segment_ids).long(), data)


def _segment(data, segment_ids, num_segments, sorted, mode, fill):
    """Segment reduction; an empty segment holds ``fill(dtype)`` (``sorted=True``: 0, as ``tf.math.segment_*``)."""
    data, ids = as_tensor(data), as_tensor(segment_ids).long()
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
    return _segment(data, segment_ids, num_segments, sorted, "amax", _lowest)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    return _segment(data, segment_ids, num_segments, sorted, "amin", _highest)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    return _segment(data, segment_ids, num_segments, sorted, "prod", lambda d: 1)


# ----------------------------------------------------------------------------- elementwise math
def _unary_f(fn, name):
    return _common.unary_float_op(fn, name, as_float)


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
erfinv = _unary_f(torch.erfinv, "erfinv")


def cbrt(x):
    x = as_float(x)
    return torch.sign(x) * torch.abs(x) ** (1.0 / 3.0)


def trunc(x):
    x = as_tensor(x)
    return torch.trunc(x) if x.is_floating_point() else x


def signbit(x):
    return torch.signbit(as_tensor(x))


def isneginf(x):
    return torch.isneginf(as_tensor(x))


def isposinf(x):
    return torch.isposinf(as_tensor(x))


def isreal(x):
    x = as_tensor(x)
    return torch.isreal(x)


def real(x):
    x = as_tensor(x)
    return torch.real(x) if x.is_complex() else x


def imag(x):
    x = as_tensor(x)
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


def conj(x):
    x = as_tensor(x)
    return torch.conj(x).resolve_conj() if x.is_complex() else x


conjugate = conj


def angle(x):
    x = as_tensor(x)
    return torch.angle(x if x.is_complex() else as_float(x))


def copy(x):
    return as_tensor(x).clone()


def _binary(fn, name, floating=False, doc=""):
    return _common.binary_op(fn, name, promote_float if floating else promote, doc)


fmax = _binary(torch.fmax, "fmax", doc="Elementwise maximum that ignores NaNs.")
fmin = _binary(torch.fmin, "fmin", doc="Elementwise minimum that ignores NaNs.")
fmod = _binary(torch.fmod, "fmod", doc="C-style remainder (the sign of ``x1``).")
gcd = _binary(torch.gcd, "gcd")
lcm = _binary(torch.lcm, "lcm")
def heaviside(x1, x2):
    x1, x2 = promote(x1, x2)
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
    return torch.bitwise_not(as_tensor(x))


bitwise_not = bitwise_invert


def ldexp(x1, x2):
    x1 = as_float(x1)
    return x1 * torch.pow(2.0, as_tensor(x2).to(x1.dtype))


def isin(x1, x2, assume_unique=False, invert=False):
    x1, x2 = promote(x1, x2)
    return torch.isin(x1, x2, assume_unique=assume_unique, invert=invert)


# ----------------------------------------------------------------------------- FFT ((real, imag) pairs)
def _pair(z):
    return torch.real(z).contiguous(), torch.imag(z).contiguous()


globals().update(_common.fft_ops(torch.complex, as_float, _pair, torch.fft.fft, torch.fft.fft2, torch.fft.ifft2,
                                 lambda x, n: torch.fft.rfft(x, n=n), lambda z, n: torch.fft.irfft(z, n=n)))


# ----------------------------------------------------------------------------- framing and STFT
def extract_sequences(x, sequence_length, sequence_stride):
    return as_tensor(x).unfold(-1, sequence_length, sequence_stride).contiguous()


def _stft_window(name, window, sequence_length, fft_length, like):
    """The analysis window padded (centred) to ``fft_length``, or None for no windowing."""
    if window is None:
        return None
    if isinstance(window, str):
        make = torch.hann_window if window == "hann" else torch.hamming_window
        win = make(sequence_length, periodic=True, dtype=like.dtype, device=like.device)
    else:
        win = as_tensor(window).to(like.device, like.dtype)
        _common.check_window(name, win.shape, sequence_length)
    left = (fft_length - sequence_length) // 2
    return torch.nn.functional.pad(win, (left, fft_length - sequence_length - left))


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    x = as_tensor(x)
    _common.check_stft_arguments("stft", sequence_length, sequence_stride, fft_length, window)
    if x.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"stft: expected a float32 or float64 signal; received {str(x.dtype)[6:]}.")
    win = _stft_window("stft", window, sequence_length, fft_length, x)
    if win is None:
        win = torch.ones(fft_length, dtype=x.dtype, device=x.device)
    batch = tuple(x.shape[:-1])
    z = torch.stft(x.reshape(-1, x.shape[-1]), fft_length, sequence_stride, fft_length, win, center=center,
                   pad_mode="reflect", return_complex=True)
    return _pair(z.transpose(-2, -1).reshape(batch + (z.shape[-1], z.shape[-2])))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    _common.check_stft_arguments("istft", sequence_length, sequence_stride, fft_length, window)
    real_part, imag_part = _common.complex_parts(x, as_float)
    frames = torch.fft.irfft(torch.complex(real_part, imag_part), n=fft_length)
    win = _stft_window("istft", window, sequence_length, fft_length, frames)
    if win is not None:
        overlaps = -(-fft_length // sequence_stride)
        squares = torch.nn.functional.pad(win * win, (0, overlaps * sequence_stride - fft_length))
        frames = frames * (win / squares.reshape(overlaps, sequence_stride).sum(0).repeat(overlaps)[:fft_length])
    batch, count = tuple(frames.shape[:-2]), frames.shape[-2]
    size = fft_length + sequence_stride * (count - 1)
    signal = torch.nn.functional.fold(frames.reshape(-1, count, fft_length).transpose(1, 2), (1, size),
                                      (1, fft_length), stride=(1, sequence_stride)).reshape(batch + (size,))
    start, end = _common.istft_span(fft_length, sequence_stride, count, length, center)
    return signal[..., start:end]


# ----------------------------------------------------------------------------- distances and complex views
def cdist(x, y):
    x, y = promote_float(x, y)
    _common.check_cdist(x.shape, y.shape)
    return torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")


def view_as_complex(x):
    x = as_tensor(x)
    _common.check_real_pairs(x.shape)
    x = x.to(torch.float32)
    return torch.complex(x[..., 0], x[..., 1])


def view_as_real(x):
    x = as_tensor(x)
    return torch.view_as_real(x).contiguous() if x.is_complex() else torch.stack([x, torch.zeros_like(x)], -1)


def rearrange(tensor, pattern, **axes_lengths):
    x = as_tensor(tensor)
    split, permutation, merged = _common.rearrange_plan(pattern, tuple(x.shape), axes_lengths)
    return x.reshape(split).permute(permutation).reshape(merged)
