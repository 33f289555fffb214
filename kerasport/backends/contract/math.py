"""The backend contract, ``math``: keras.ops.math and the special elementwise functions (segment ops, FFT, windows, bitwise, ...).

Each backend implements these in ``backends/<name>/math.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def angle(x: ArrayLike) -> Tensor:
    """Argument of complex ``x`` (0 or pi for real ``x``)."""


def arccos(x: ArrayLike) -> Tensor:
    """NumPy's ``arccos``; ints become float32."""


def arccosh(x: ArrayLike) -> Tensor:
    """NumPy's ``arccosh``; ints become float32."""


def arcsin(x: ArrayLike) -> Tensor:
    """NumPy's ``arcsin``; ints become float32."""


def arcsinh(x: ArrayLike) -> Tensor:
    """NumPy's ``arcsinh``; ints become float32."""


def arctanh(x: ArrayLike) -> Tensor:
    """NumPy's ``arctanh``; ints become float32."""


def bitwise_and(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``bitwise_and``, with Keras's dtype promotion."""


def bitwise_invert(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.bitwise_invert``: the same arguments and results."""


def bitwise_left_shift(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``bitwise_left_shift``, with Keras's dtype promotion."""


def bitwise_not(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.bitwise_not``: the same arguments and results."""


def bitwise_or(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``bitwise_or``, with Keras's dtype promotion."""


def bitwise_right_shift(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``bitwise_right_shift``, with Keras's dtype promotion."""


def bitwise_xor(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``bitwise_xor``, with Keras's dtype promotion."""


def cbrt(x: ArrayLike) -> Tensor:
    """Cube root (real, sign-preserving)."""


def conj(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.conj``: the same arguments and results."""


def conjugate(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.conjugate``: the same arguments and results."""


def copy(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.copy``: the same arguments and results."""


def deg2rad(x: ArrayLike) -> Tensor:
    """NumPy's ``deg2rad``; ints become float32."""


def erf(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.erf``: the same arguments and results."""


def erfc(x: ArrayLike) -> Tensor:
    """NumPy's ``erfc``; ints become float32."""


def erfinv(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.erfinv``: the same arguments and results."""


def exp2(x: ArrayLike) -> Tensor:
    """NumPy's ``exp2``; ints become float32."""


def fabs(x: ArrayLike) -> Tensor:
    """NumPy's ``fabs``; ints become float32."""


def fft(x: ArrayLike) -> Tensor:
    """FFT over the last axis of a complex ``(real, imag)`` pair."""


def fft2(x: ArrayLike) -> Tensor:
    """2-D FFT over the last two axes of a ``(real, imag)`` pair."""


def fmax(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Elementwise maximum that ignores NaNs."""


def fmin(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """Elementwise minimum that ignores NaNs."""


def fmod(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """C-style remainder (the sign of ``x1``)."""


def gcd(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``gcd``, with Keras's dtype promotion."""


def heaviside(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """0 for x1 < 0, x2 for x1 == 0, 1 for x1 > 0; ints give float32 (int64: float64), as in Keras."""


def hypot(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``hypot``, with Keras's dtype promotion."""


def i0(x: ArrayLike) -> Tensor:
    """NumPy's ``i0``; ints become float32."""


def ifft2(x: ArrayLike) -> Tensor:
    """Inverse 2-D FFT over the last two axes of a ``(real, imag)`` pair."""


def imag(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.imag``: the same arguments and results."""


def in_top_k(targets: list[Tensor], predictions: ArrayLike, k: ArrayLike) -> Tensor:
    """Whether each ``targets[i]`` is among the ``k`` largest ``predictions[i]`` (ties count as in)."""


def irfft(x: ArrayLike, fft_length=None) -> Tensor:
    """Inverse of ``rfft``: a real signal of ``fft_length`` samples from a ``(real, imag)`` pair."""


def isin(x1: ArrayLike, x2: ArrayLike, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``x1`` occurs in ``x2``."""


def isneginf(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.isneginf``: the same arguments and results."""


def isposinf(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.isposinf``: the same arguments and results."""


def isreal(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.isreal``: the same arguments and results."""


def lcm(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``lcm``, with Keras's dtype promotion."""


def ldexp(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """``x1 * 2**x2`` (``x2`` integer)."""


def left_shift(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``bitwise_left_shift``, with Keras's dtype promotion."""


def logaddexp2(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``logaddexp2``, with Keras's dtype promotion."""


def logsumexp(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Keras's ``keras.ops.logsumexp``: the same arguments and results."""


def nextafter(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``nextafter``, with Keras's dtype promotion."""


def rad2deg(x: ArrayLike) -> Tensor:
    """NumPy's ``rad2deg``; ints become float32."""


def real(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.real``: the same arguments and results."""


def rfft(x: ArrayLike, fft_length=None) -> Tensor:
    """FFT of real ``x`` over the last axis: ``(real, imag)`` with ``fft_length // 2 + 1`` bins."""


def right_shift(x1: ArrayLike, x2: ArrayLike) -> Tensor:
    """NumPy's ``bitwise_right_shift``, with Keras's dtype promotion."""


def segment_max(data: ArrayLike, segment_ids: ArrayLike, num_segments=None, sorted: bool = False) -> Tensor:
    """Max of ``data`` rows per segment (empty segment: the dtype's lowest value, or 0 when ``sorted``)."""


def segment_min(data: ArrayLike, segment_ids: ArrayLike, num_segments=None, sorted: bool = False) -> Tensor:
    """Min of ``data`` rows per segment (empty segment: the dtype's highest value, or 0 when ``sorted``)."""


def segment_prod(data: ArrayLike, segment_ids: ArrayLike, num_segments=None, sorted: bool = False) -> Tensor:
    """Product of ``data`` rows per segment (1 for an empty segment)."""


def segment_sum(data: ArrayLike, segment_ids: ArrayLike, num_segments) -> Tensor:
    """Sums of ``data`` rows (N, ...) grouped by ``segment_ids`` (N,) in [0, num_segments)."""


def signbit(x: ArrayLike) -> Tensor:
    """True where the sign bit is set (negative numbers and -0.0)."""


def sinc(x: ArrayLike) -> Tensor:
    """NumPy's ``sinc``; ints become float32."""


def top_k(x: ArrayLike, k: ArrayLike, sorted: bool = True) -> tuple[Tensor, ...]:
    """Keras's ``keras.ops.top_k``: the same arguments and results."""


def trunc(x: ArrayLike) -> Tensor:
    """Rounds towards zero; ints are returned unchanged."""


def extract_sequences(x: ArrayLike, sequence_length: int, sequence_stride: int) -> Tensor:
    """Frames of the last axis: ``(..., 1 + (N - sequence_length) // sequence_stride, sequence_length)``.

    Args:
        x: the signal, framed along its last axis (``N`` samples).
        sequence_length: the samples in a frame.
        sequence_stride: the hop between frame starts.
    """


def stft(x: ArrayLike, sequence_length: int, sequence_stride: int, fft_length: int,
         window: str | ArrayLike | None = "hann", center: bool = True) -> tuple[Tensor, Tensor]:
    """Short-time Fourier transform along the last axis of a float32/float64 ``x``, as Keras computes it.

    Args:
        sequence_length: the window's length; sequence_stride: the hop between frames;
        fft_length: the FFT size (at least ``sequence_length``; the window is zero-padded to it, centred).
        window: ``"hann"`` or ``"hamming"`` (periodic), a tensor of ``sequence_length`` values, or None (no
            windowing: each frame is ``fft_length`` samples as they are).
        center: reflect-pad ``x`` by ``fft_length // 2`` on both sides so frame t is centred at ``t * stride``.
    Returns ``(real, imag)``, each ``(..., frames, fft_length // 2 + 1)``.
    """


def istft(x: tuple[ArrayLike, ArrayLike], sequence_length: int, sequence_stride: int, fft_length: int,
          length: int | None = None, window: str | ArrayLike | None = "hann", center: bool = True) -> Tensor:
    """Inverse of ``stft`` from its ``(real, imag)`` pair: windowed overlap-add of the inverse FFTs.

    The synthesis window is the (padded) ``window`` divided by the overlapped sum of its squares (TensorFlow's
    ``inverse_stft_window_fn``). ``length`` trims the signal to that many samples (after the ``center`` padding
    is dropped); the other arguments are those given to ``stft``.
    """


def cdist(x: ArrayLike, y: ArrayLike) -> Tensor:
    """Euclidean distances between the rows of ``x`` ``(..., m, d)`` and of ``y`` ``(..., n, d)``:
    ``(..., m, n)``, batch dimensions broadcast; ints become float32."""


def view_as_complex(x: ArrayLike) -> Tensor:
    """A complex64 tensor from a real one whose last axis (of size 2) holds the real and imaginary parts."""


def view_as_real(x: ArrayLike) -> Tensor:
    """The real and imaginary parts of ``x`` stacked on a new last axis of size 2."""


def rearrange(tensor: ArrayLike, pattern: str, **axes_lengths: int) -> Tensor:
    """Axes moved, split and merged as an einops pattern says (``keras.ops.rearrange``).

    Args:
        tensor: the input; pattern: ``"input axes -> output axes"``, axis names and ``(groups)`` of them, e.g.
            ``"b (h h1) (w w1) c -> b h w (c h1 w1)"``: a group on the left splits that axis, on the right merges.
        **axes_lengths: the lengths of split axes (all but one of each group).
    """
