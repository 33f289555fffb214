"""Weight initializers with Keras's names, defaults and seeds.

Values are drawn with NumPy, then moved to the backend, so a seeded
initializer gives identical weights under PyTorch and TensorFlow. As in Keras, an
unseeded initializer takes its seed from Python's ``random`` module (which
``kerasport.utils.set_random_seed`` seeds) and leaves NumPy's global generator alone,
so a program's own ``np.random`` draws do not depend on the models it builds.
"""
import math
import random as _pyrandom

import numpy as np

from kerasport.backends import B
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object


class Initializer:
    """Base class: ``init(shape, dtype="float32")`` returns a backend tensor."""

    seed = None

    def __call__(self, shape, dtype=None):
        return B.convert_to_tensor(self.numpy(tuple(int(d) for d in shape)), dtype or "float32")

    def numpy(self, shape):
        raise NotImplementedError

    def _rng(self):
        return np.random.RandomState(self.seed if self.seed is not None else _pyrandom.randint(1, int(1e9)))

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        """A new initializer of the same class and config, as Keras's."""
        return self.__class__.from_config(self.get_config())


class Zeros(Initializer):
    def numpy(self, shape):
        return np.zeros(shape, np.float32)


class Ones(Initializer):
    def numpy(self, shape):
        return np.ones(shape, np.float32)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def numpy(self, shape):
        return np.broadcast_to(np.asarray(self.value, np.float32), shape).copy()

    def get_config(self):
        v = self.value
        return {"value": v.tolist() if isinstance(v, np.ndarray) else v}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def numpy(self, shape):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2D shape, received {shape}.")
        return self.gain * np.eye(*shape, dtype=np.float32)

    def get_config(self):
        return {"gain": self.gain}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def numpy(self, shape):
        return self._rng().normal(self.mean, self.stddev, shape).astype(np.float32)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def numpy(self, shape):
        return self._rng().uniform(self.minval, self.maxval, shape).astype(np.float32)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated_normal(rng, shape, mean, stddev):
    """Normal samples redrawn until within two standard deviations."""
    out = rng.normal(0.0, 1.0, shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.normal(0.0, 1.0, int(bad.sum()))
        bad = np.abs(out) > 2.0
    return (mean + stddev * out).astype(np.float32)


class TruncatedNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def numpy(self, shape):
        return _truncated_normal(self._rng(), shape, self.mean, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def compute_fans(shape, input_axes=None, output_axes=None):
    """(fan_in, fan_out) as Keras computes them for dense and conv kernels (or over the given axes)."""
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(Initializer):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: `scale` must be positive, received {scale}.")
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError(f"VarianceScaling: `mode` must be fan_in, fan_out or fan_avg, received {mode!r}.")
        if distribution not in {"normal", "truncated_normal", "untruncated_normal", "uniform"}:
            raise ValueError(f"VarianceScaling: unknown `distribution` {distribution!r}.")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.input_axes, self.output_axes = input_axes, output_axes

    def numpy(self, shape):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution in ("truncated_normal", "normal"):
            return _truncated_normal(rng, shape, 0.0, math.sqrt(scale) / 0.87962566103423978)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(scale), shape).astype(np.float32)
        limit = math.sqrt(3.0 * scale)
        return rng.uniform(-limit, limit, shape).astype(np.float32)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


def _preset(name, scale, mode, distribution):
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "__doc__": f"VarianceScaling({scale}, {mode!r}, {distribution!r})."})


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def numpy(self, shape):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs at least 2 dimensions, received shape {shape}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(np.float32)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


def _cosine_window(coefficients):
    def window(n):
        phase = 2 * np.pi * np.arange(n) / max(n - 1, 1)
        return sum((-1) ** k * c * np.cos(k * phase) for k, c in enumerate(coefficients))
    return window


# SciPy's window functions (``scipy.signal.get_window`` names), in NumPy: symmetric windows of n points.
_WINDOWS = {"hann": _cosine_window((0.5, 0.5)), "hamming": _cosine_window((0.54, 0.46)),
            "blackman": _cosine_window((0.42, 0.5, 0.08)), "bartlett": np.bartlett, "boxcar": np.ones}
_WINDOWS.update(han=_WINDOWS["hann"], hamm=_WINDOWS["hamming"], ham=_WINDOWS["hamming"],
                black=_WINDOWS["blackman"], blk=_WINDOWS["blackman"], bart=_WINDOWS["bartlett"],
                brt=_WINDOWS["bartlett"], box=np.ones, ones=np.ones, rect=np.ones, rectangular=np.ones)


def get_window(window, length, periodic=False):
    """The float64 values of the window named ``window`` (as ``scipy.signal.get_window(window, length, periodic)``).

    ``window`` is one of SciPy's names for the hann, hamming, blackman, bartlett and boxcar windows; SciPy's
    other windows need SciPy installed (``pip install kerasport[audio]``). ``periodic`` gives the window of
    ``length + 1`` points without its last one (for spectral analysis); otherwise it is symmetric.
    """
    if not isinstance(length, int) or length < 1:
        raise ValueError(f"get_window: `length` must be a positive integer, received {length!r}.")
    if window in _WINDOWS:
        values = _WINDOWS[window](length + 1 if periodic else length)[:length] if length > 1 else np.ones(1)
        return np.asarray(values, np.float64)
    try:
        import scipy.signal
    except ImportError:
        raise ValueError(f"Unknown window {window!r}: without SciPy the supported windows are "
                         f"{sorted(_WINDOWS)}.") from None
    return np.asarray(scipy.signal.get_window(window, length, periodic), np.float64)


class STFT(Initializer):
    """Initializer of Conv1D kernels computing a short-time Fourier transform (STFT).

    Gives the real (``cos``) or imaginary (``-sin``) part of the DFT basis, multiplied by a window
    and normalised, for kernels of shape ``(frame_length, 1, fft_length // 2 + 1)``: the frequency
    bands of the non-redundant half of an FFT of size ``2 * (shape[-1] - 1)``. It is what
    ``STFTSpectrogram`` initializes its kernels with.

    Args:
        side: ``"real"`` or ``"imag"``: which part of the transform the kernel computes.
        window: a window name (see ``get_window``), the window's values (``frame_length`` of them),
            or None for no window.
        scaling: ``"density"`` (divide by the window's L2 norm), ``"spectrum"`` (by its L1 norm) or
            None.
        periodic: whether the named window is periodic rather than symmetric.

    Example:

    >>> initializer = keras.initializers.STFT("real", "hann", "density", False)
    >>> values = initializer(shape=(128, 1, 513))
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT initializer: `side` should be 'real' or 'imag', received side={side!r}.")
        if isinstance(window, str):
            get_window(window, 1)
        if scaling not in (None, "density", "spectrum"):
            raise ValueError("STFT initializer: `scaling` must be None, 'density' or 'spectrum', received "
                             f"scaling={scaling!r}.")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        dtype = dtype or "float32"
        return B.convert_to_tensor(self.numpy(tuple(int(d) for d in shape), dtype), dtype)

    def numpy(self, shape, dtype="float32"):
        if len(shape) != 3 or shape[1] != 1:
            raise ValueError(f"STFT initializer: expected a kernel shape (frame_length, 1, fft_length // 2 + 1), "
                             f"received {shape}.")
        frame_length, _, bands = shape
        dtype = np.dtype(dtype if dtype in ("float16", "float32", "float64") else "float32")
        freq = np.arange(bands, dtype=dtype).reshape(1, 1, bands) / dtype.type((bands - 1) * 2)
        time = np.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        args = (dtype.type(-2) * time) * freq * np.arccos(dtype.type(-1))
        kernel = np.cos(args) if self.side == "real" else np.sin(args)
        if self.window is None:
            return kernel
        win = self.window
        if isinstance(win, str):
            win = get_window(win, frame_length, self.periodic)
        win = np.asarray(win).astype(dtype)
        if win.shape != (frame_length,):
            raise ValueError(f"STFT initializer: the window must have shape ({frame_length},) (frame_length), "
                             f"received shape {win.shape}.")
        win = win.reshape(frame_length, 1, 1)
        scaling = dtype.type(1)
        if self.scaling == "density":
            scaling = np.sqrt(np.sum(np.square(win)))
        elif self.scaling == "spectrum":
            scaling = np.sum(np.abs(win))
        return kernel * win / scaling

    def get_config(self):
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic, "scaling": self.scaling}


_ALL = {c.__name__: c for c in (Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal,
                                VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
                                LecunUniform, LecunNormal, Orthogonal, STFT)}
_ALIASES = {"zeros": Zeros, "ones": Ones, "constant": Constant, "identity": Identity,
            "random_normal": RandomNormal, "random_uniform": RandomUniform,
            "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
            "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_uniform": HeUniform,
            "he_normal": HeNormal, "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
            "orthogonal": Orthogonal, "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
            "stft": STFT, "STFTInitializer": STFT}
_LOOKUP = {**_ALL, **_ALIASES}


def get(identifier):
    """An initializer for a name (``"glorot_uniform"``), class, config dict, callable or ``None``."""
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str) and identifier not in _LOOKUP:
        raise ValueError(f"Unknown initializer: {identifier!r}. Expected one of: {', '.join(sorted(_ALIASES))}.")
    if isinstance(identifier, (str, dict)):
        return deserialize_keras_object(identifier, _LOOKUP, printable_module_name="initializer")
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer: {identifier!r}")


serialize = serialize_keras_object


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, _LOOKUP, custom_objects, "initializer")


globals().update(_ALIASES)
