"""TensorFlow kernels of ``keras.ops.math`` and NumPy's elementwise math: exp/log/trig, erf, segment ops, top_k, FFT.
Ints and bools become float32 first, as in Keras; complex results are ``(real, imag)`` pairs of float tensors."""

import math

import numpy as np
import tensorflow as tf

from kerasport.backends import ops_common as _common
from kerasport.backends.tensorflow.core import (
    as_tensor as _t, axis_arg as _axis, promote_float_pair as _float_pair, promote_pair as _same, to_float as _f)


# ----------------------------------------------------------------------------- elementwise math
def _unary_f(fn, name):
    return _common.unary_float_op(fn, name, _f)


sqrt = _unary_f(tf.sqrt, "sqrt")
rsqrt = _unary_f(tf.math.rsqrt, "rsqrt")
exp = _unary_f(tf.exp, "exp")
expm1 = _unary_f(tf.math.expm1, "expm1")
log = _unary_f(tf.math.log, "log")
log1p = _unary_f(tf.math.log1p, "log1p")
sin = _unary_f(tf.sin, "sin")
cos = _unary_f(tf.cos, "cos")
tan = _unary_f(tf.tan, "tan")
arctan = _unary_f(tf.atan, "arctan")
sinh = _unary_f(tf.sinh, "sinh")
cosh = _unary_f(tf.cosh, "cosh")
floor = _unary_f(tf.floor, "floor")
ceil = _unary_f(tf.math.ceil, "ceil")
erf = _unary_f(tf.math.erf, "erf")
reciprocal = _unary_f(tf.math.reciprocal, "reciprocal")
log2 = _unary_f(lambda x: tf.math.log(x) / tf.math.log(tf.constant(2.0, x.dtype)), "log2")
log10 = _unary_f(lambda x: tf.math.log(x) / tf.math.log(tf.constant(10.0, x.dtype)), "log10")
erfinv = _unary_f(tf.math.erfinv, "erfinv")


def logaddexp(x1, x2):
    x1, x2 = _float_pair(x1, x2)
    big = tf.maximum(x1, x2)
    return big + tf.math.log1p(tf.exp(-tf.abs(x1 - x2)))


def arctan2(x1, x2):
    return tf.atan2(*_float_pair(x1, x2))


# ----------------------------------------------------------------------------- reductions, top_k and segments
def logsumexp(x, axis=None, keepdims=False):
    return tf.reduce_logsumexp(_t(x), axis=_axis(axis), keepdims=keepdims)


def top_k(x, k, sorted=True):
    out = tf.math.top_k(_t(x), k, sorted=sorted)
    return out.values, out.indices


def segment_sum(data, segment_ids, num_segments):
    return tf.math.unsorted_segment_sum(_t(data), tf.cast(_t(segment_ids), tf.int32), num_segments)


def _c(value, like):
    return tf.constant(value, like.dtype)


def in_top_k(targets, predictions, k):
    predictions = _t(predictions)
    target_val = tf.gather(predictions, tf.cast(_t(targets), tf.int32), axis=1, batch_dims=1)
    kth = tf.math.top_k(predictions, k).values[:, -1]
    return target_val >= kth


# ----------------------------------------------------------------------------- more elementwise math (NumPy's)
arccos = _unary_f(tf.acos, "arccos")
arccosh = _unary_f(tf.acosh, "arccosh")
arcsin = _unary_f(tf.asin, "arcsin")
arcsinh = _unary_f(tf.asinh, "arcsinh")
arctanh = _unary_f(tf.atanh, "arctanh")
erfc = _unary_f(tf.math.erfc, "erfc")
exp2 = _unary_f(lambda x: tf.pow(_c(2.0, x), x), "exp2")
i0 = _unary_f(tf.math.bessel_i0, "i0")
deg2rad = _unary_f(lambda x: x * _c(math.pi / 180.0, x), "deg2rad")
rad2deg = _unary_f(lambda x: x * _c(180.0 / math.pi, x), "rad2deg")
fabs = _unary_f(tf.abs, "fabs")


def sinc(x):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    x = _f(x)
    px = x * _c(math.pi, x)
    safe = tf.where(x == 0, tf.ones_like(x), px)
    return tf.where(x == 0, tf.ones_like(x), tf.sin(safe) / safe)


def cbrt(x):
    x = _f(x)
    return tf.sign(x) * tf.pow(tf.abs(x), _c(1.0 / 3.0, x))


def trunc(x):
    x = _t(x)
    return tf.sign(x) * tf.floor(tf.abs(x)) if x.dtype.is_floating else x


def signbit(x):
    x = _t(x)
    if x.dtype.is_floating:
        return tf.logical_or(x < 0, tf.logical_and(tf.equal(x, 0), tf.math.reciprocal(x) < 0))
    return x < 0 if x.dtype != tf.bool else tf.zeros_like(x)


def isneginf(x):
    x = _t(x)
    return tf.equal(x, -np.inf) if x.dtype.is_floating else tf.zeros_like(x, tf.bool)


def isposinf(x):
    x = _t(x)
    return tf.equal(x, np.inf) if x.dtype.is_floating else tf.zeros_like(x, tf.bool)


def isreal(x):
    x = _t(x)
    return tf.equal(tf.math.imag(x), 0) if x.dtype.is_complex else tf.ones_like(x, tf.bool)


def real(x):
    x = _t(x)
    return tf.math.real(x) if x.dtype.is_complex else x


def imag(x):
    x = _t(x)
    return tf.math.imag(x) if x.dtype.is_complex else tf.zeros_like(x)


def conj(x):
    x = _t(x)
    return tf.math.conj(x) if x.dtype.is_complex else x


conjugate = conj


def angle(x):
    x = _t(x)
    if x.dtype.is_complex:
        return tf.math.angle(x)
    x = _f(x)
    return tf.atan2(tf.zeros_like(x), x)


def _binary(fn, name, floating=False, doc=""):
    return _common.binary_op(fn, name, _float_pair if floating else _same, doc)


def _fmax(a, b):
    return tf.where(tf.math.is_nan(a), b, tf.where(tf.math.is_nan(b), a, tf.maximum(a, b))) \
        if a.dtype.is_floating else tf.maximum(a, b)


def _fmin(a, b):
    return tf.where(tf.math.is_nan(a), b, tf.where(tf.math.is_nan(b), a, tf.minimum(a, b))) \
        if a.dtype.is_floating else tf.minimum(a, b)


def _heaviside(a, b):
    return tf.where(a < 0, tf.zeros_like(a), tf.where(a > 0, tf.ones_like(a), b))


def _logaddexp2(a, b):
    big = tf.maximum(a, b)
    ln2 = _c(math.log(2.0), a)
    return big + tf.math.log1p(tf.pow(_c(2.0, a), -tf.abs(a - b))) / ln2


def _gcd(a, b):
    a, b = tf.abs(a), tf.abs(b)

    def body(a, b):
        done = tf.equal(b, 0)
        return tf.where(done, a, b), tf.where(done, b, tf.math.floormod(a, tf.where(done, tf.ones_like(b), b)))

    a, b = tf.broadcast_to(a, tf.broadcast_dynamic_shape(tf.shape(a), tf.shape(b))), \
        tf.broadcast_to(b, tf.broadcast_dynamic_shape(tf.shape(a), tf.shape(b)))
    a, _ = tf.while_loop(lambda a, b: tf.reduce_any(b != 0), body, (a, b))
    return a


def _lcm(a, b):
    g = _gcd(a, b)
    return tf.abs(a * tf.math.floordiv(b, tf.where(tf.equal(g, 0), tf.ones_like(g), g)))


fmax = _binary(_fmax, "fmax", doc="Elementwise maximum that ignores NaNs.")
fmin = _binary(_fmin, "fmin", doc="Elementwise minimum that ignores NaNs.")
fmod = _binary(tf.truncatemod, "fmod", doc="C-style remainder (the sign of ``x1``).")
gcd = _binary(_gcd, "gcd")
lcm = _binary(_lcm, "lcm")
def heaviside(x1, x2):
    x1, x2 = _same(x1, x2)
    if not x1.dtype.is_floating:
        d = tf.float64 if x1.dtype == tf.int64 else tf.float32
        x1, x2 = tf.cast(x1, d), tf.cast(x2, d)
    return _heaviside(x1, x2)
hypot = _binary(lambda a, b: tf.sqrt(a * a + b * b), "hypot", floating=True)
logaddexp2 = _binary(_logaddexp2, "logaddexp2", floating=True)
nextafter = _binary(tf.math.nextafter, "nextafter", floating=True)
bitwise_and = _binary(tf.bitwise.bitwise_and, "bitwise_and")
bitwise_or = _binary(tf.bitwise.bitwise_or, "bitwise_or")
bitwise_xor = _binary(tf.bitwise.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _binary(tf.bitwise.left_shift, "bitwise_left_shift")
bitwise_right_shift = _binary(tf.bitwise.right_shift, "bitwise_right_shift")
left_shift = bitwise_left_shift
right_shift = bitwise_right_shift


def bitwise_invert(x):
    x = _t(x)
    return tf.logical_not(x) if x.dtype == tf.bool else tf.bitwise.invert(x)


bitwise_not = bitwise_invert


def ldexp(x1, x2):
    x1 = _f(x1)
    return x1 * tf.pow(_c(2.0, x1), tf.cast(_t(x2), x1.dtype))


def isin(x1, x2, assume_unique=False, invert=False):
    x1, x2 = _same(x1, x2)
    out = tf.reduce_any(tf.equal(x1[..., None], tf.reshape(x2, [-1])), axis=-1)
    return tf.logical_not(out) if invert else out


# ----------------------------------------------------------------------------- signal windows
def _window(np_fn, name):
    return _common.window_op(lambda n: tf.constant(np_fn(n), tf.float32), name)


bartlett = _window(np.bartlett, "bartlett")
blackman = _window(np.blackman, "blackman")
hamming = _window(np.hamming, "hamming")
hanning = _window(np.hanning, "hanning")


def kaiser(x, beta):
    return tf.constant(np.kaiser(int(x), float(beta)), tf.float32)


# ----------------------------------------------------------------------------- segment reductions
def _segment(fn, data, segment_ids, num_segments, sorted):
    """Segment reduction; an empty segment holds ``fn``'s identity (``sorted=True``: 0, as ``tf.math.segment_*``)."""
    ids = tf.cast(_t(segment_ids), tf.int32)
    n = tf.reduce_max(ids) + 1 if num_segments is None else num_segments
    out = fn(_t(data), ids, n)
    if sorted and fn is not tf.math.unsorted_segment_prod:
        empty = tf.math.bincount(ids, minlength=n, maxlength=n) == 0
        out = tf.where(tf.reshape(empty, [-1] + [1] * (out.shape.rank - 1)), tf.zeros_like(out), out)
    return out


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    return _segment(tf.math.unsorted_segment_max, data, segment_ids, num_segments, sorted)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    return _segment(tf.math.unsorted_segment_min, data, segment_ids, num_segments, sorted)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    return _segment(tf.math.unsorted_segment_prod, data, segment_ids, num_segments, sorted)


# ----------------------------------------------------------------------------- FFT ((real, imag) pairs)
def _pair(z):
    return tf.math.real(z), tf.math.imag(z)


globals().update(_common.fft_ops(tf.complex, _f, _pair, tf.signal.fft, tf.signal.fft2d, tf.signal.ifft2d,
                                 lambda x, n: tf.signal.rfft(x, None if n is None else [n]),
                                 lambda z, n: tf.signal.irfft(z, None if n is None else [n])))


# ----------------------------------------------------------------------------- framing and STFT
def extract_sequences(x, sequence_length, sequence_stride):
    return tf.signal.frame(_t(x), sequence_length, sequence_stride, axis=-1)


def _stft_window(name, window, sequence_length, fft_length, dtype):
    """The window function (``tf.signal``'s ``window_fn``) of the window padded (centred) to ``fft_length``, or
    None for no windowing."""
    if window is None:
        return None
    if isinstance(window, str):
        make = tf.signal.hann_window if window == "hann" else tf.signal.hamming_window
        win = make(sequence_length, periodic=True, dtype=dtype)
    else:
        win = tf.cast(_t(window), dtype)
        _common.check_window(name, win.shape, sequence_length)
    left = (fft_length - sequence_length) // 2
    win = tf.pad(win, [[left, fft_length - sequence_length - left]])
    return lambda frame_length, dtype: win


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    x = _t(x)
    _common.check_stft_arguments("stft", sequence_length, sequence_stride, fft_length, window)
    if x.dtype not in (tf.float32, tf.float64):
        raise TypeError(f"stft: expected a float32 or float64 signal; received {x.dtype.name}.")
    window_fn = _stft_window("stft", window, sequence_length, fft_length, x.dtype)
    if center:
        half = fft_length // 2
        x = tf.pad(x, [[0, 0]] * (x.shape.rank - 1) + [[half, half]], mode="REFLECT")
    return _pair(tf.signal.stft(x, fft_length, sequence_stride, fft_length, window_fn=window_fn))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    _common.check_stft_arguments("istft", sequence_length, sequence_stride, fft_length, window)
    real_part, imag_part = _common.complex_parts(x, _f)
    window_fn = _stft_window("istft", window, sequence_length, fft_length, real_part.dtype)
    if window_fn is not None:
        window_fn = tf.signal.inverse_stft_window_fn(sequence_stride, window_fn)
    signal = tf.signal.inverse_stft(tf.complex(real_part, imag_part), fft_length, sequence_stride, fft_length,
                                    window_fn=window_fn)
    start, end = _common.istft_span(fft_length, sequence_stride, real_part.shape[-2], length, center)
    return signal[..., start:end]


# ----------------------------------------------------------------------------- distances and complex views
def cdist(x, y):
    x, y = _float_pair(x, y)
    _common.check_cdist(x.shape, y.shape)
    return tf.sqrt(tf.reduce_sum(tf.math.squared_difference(x[..., :, None, :], y[..., None, :, :]), -1))


def view_as_complex(x):
    x = _t(x)
    _common.check_real_pairs(x.shape)
    x = tf.cast(x, tf.float32)
    return tf.complex(x[..., 0], x[..., 1])


def view_as_real(x):
    x = _t(x)
    if x.dtype.is_complex:
        return tf.stack([tf.math.real(x), tf.math.imag(x)], -1)
    return tf.stack([x, tf.zeros_like(x)], -1)


def rearrange(tensor, pattern, **axes_lengths):
    x = _t(tensor)
    dims = [d if d is not None else tf.shape(x)[i] for i, d in enumerate(x.shape)]
    split, permutation, merged = _common.rearrange_plan(pattern, dims, axes_lengths)
    return tf.reshape(tf.transpose(tf.reshape(x, split), permutation), merged)
