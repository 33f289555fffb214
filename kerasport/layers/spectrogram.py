"""Audio spectrogram layers: STFTSpectrogram (a short-time Fourier transform by convolution) and MelSpectrogram."""
import math
import warnings

from kerasport import backend, initializers
from kerasport.backends import B
from kerasport.layers.conv import conv_output_length, normalize_data_format
from kerasport.layers.input_spec import InputSpec
from kerasport.layers.layer import Layer

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
# The HTK mel scale: mel(f) = 1127 * ln(1 + f / 700).
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


class STFTSpectrogram(Layer):
    """Computes the spectrogram of 1D signals with a short-time Fourier transform, as convolutions.

    The real and imaginary parts of the STFT are two ``Conv1D``-like kernels (``real_kernel`` and
    ``imag_kernel``, shape ``(frame_length, 1, fft_length // 2 + 1)``) initialized by
    ``keras.initializers.STFT``: with ``trainable=False`` the layer is a fixed preprocessing step,
    otherwise (the default) the kernels are trained with the model. Each input channel is
    transformed separately.

    Args:
        mode: what the layer returns: ``"log"`` (log magnitude, default), ``"magnitude"``,
            ``"psd"`` (power spectral density), ``"real"``, ``"imag"``, ``"angle"`` or ``"stft"``
            (real and imaginary parts concatenated along the frequency axis).
        frame_length: length of each frame (window), in samples.
        frame_step: hop between frames; defaults to ``frame_length // 2``.
        fft_length: FFT size (at least ``frame_length``); defaults to the next power of two.
        window: a window name (``"hann"``, ``"hamming"``, ...), its ``frame_length`` values, or None.
        periodic: whether the named window is periodic rather than symmetric.
        scaling: ``"density"`` (default), ``"spectrum"`` or None: how the window is normalised.
        padding: ``"valid"`` or ``"same"``, as for a convolution with stride ``frame_step``.
        expand_dims: keep the channels on their own axis: ``(batch, time, freq, channels)``
            (``channels_first``: ``(batch, channels, time, freq)``) instead of
            ``(batch, time, channels * freq)`` (``(batch, channels * freq, time)``).
        data_format: ``"channels_last"`` (inputs ``(batch, time, channels)``, default) or
            ``"channels_first"`` (``(batch, channels, time)``).

    Example:

    >>> signals = np.random.normal(size=(3, 16000, 1)).astype("float32")
    >>> layer = keras.layers.STFTSpectrogram(mode="log", frame_length=256, frame_step=128, trainable=False)
    >>> layer(signals).shape  # (3, 124, 129)
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann",
                 periodic=False, scaling="density", padding="valid", expand_dims=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = f"STFTSpectrogram {self.name!r}"
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(f"{where}: `frame_step` should be a positive integer not greater than `frame_length`. "
                             f"Received frame_step={frame_step}, frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(f"{where}: `fft_length` should be not less than `frame_length`. "
                             f"Received fft_length={fft_length}, frame_length={frame_length}")
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}",
                          stacklevel=2)
        if mode not in _MODES:
            raise ValueError(f"{where}: output mode is invalid, it must be one of {', '.join(_MODES)}. "
                             f"Received: mode={mode}")
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(f"{where}: scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling}")
        if padding not in ("valid", "same"):
            raise ValueError(f"{where}: padding is invalid, it should be 'valid', 'same'. Received: padding={padding}")
        if isinstance(window, str):
            initializers.get_window(window, 1)
        self.mode, self.frame_length, self.frame_step, self.fft_length = mode, frame_length, frame_step, fft_length
        self._frame_step = frame_step or frame_length // 2
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window, self.periodic, self.scaling, self.padding = window, periodic, scaling, padding
        self.expand_dims = expand_dims
        self.data_format = normalize_data_format(data_format, self)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                shape, initializers.STFT("real", self.window, self.scaling, self.periodic), name="real_kernel")
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                shape, initializers.STFT("imag", self.window, self.scaling, self.periodic), name="imag_kernel")
        self.built = True

    def _apply_conv(self, inputs, kernel):
        """``(batch, channels, freq, frames)``: each channel of ``inputs`` convolved with ``kernel``."""
        shape = B.shape(inputs)
        if self.data_format == "channels_last":
            time_seq, channels = shape[1], shape[2]
            signals = B.reshape(B.transpose(inputs, (0, 2, 1)), (-1, time_seq, 1))
        else:
            channels, time_seq = shape[1], shape[2]
            signals = B.reshape(inputs, (-1, time_seq, 1))
        outputs = B.conv(signals, B.cast(kernel, B.dtype(inputs)), strides=self._frame_step, padding=self.padding)
        out_shape = B.shape(outputs)
        return B.reshape(B.transpose(outputs, (0, 2, 1)), (-1, channels, out_shape[2], out_shape[1]))

    def _adjust_shapes(self, outputs):
        """``(batch, channels, freq, frames)`` in the layer's output layout."""
        shape = B.shape(outputs)
        if self.expand_dims:
            return B.transpose(outputs, (0, 3, 2, 1) if self.data_format == "channels_last" else (0, 1, 3, 2))
        outputs = B.reshape(outputs, (-1, shape[1] * shape[2], shape[3]))
        return B.transpose(outputs, (0, 2, 1)) if self.data_format == "channels_last" else outputs

    def call(self, inputs):
        dtype = backend.standardize_dtype(B.dtype(inputs))
        if dtype not in ("float16", "float32", "float64"):
            raise TypeError(f"STFTSpectrogram {self.name!r}: invalid input type. Expected `float16`, `float32` or "
                            f"`float64`. Received: input type={dtype}")
        real = self._apply_conv(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._apply_conv(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._adjust_shapes(real)
        if self.mode == "imag":
            return self._adjust_shapes(imag)
        if self.mode == "angle":
            return self._adjust_shapes(B.arctan2(imag, real))
        if self.mode == "stft":
            return self._adjust_shapes(B.concatenate([real, imag], axis=2))
        power = B.add(B.square(real), B.square(imag))
        if self.mode == "psd":  # one-sided density: the bins other than DC and Nyquist count twice
            return self._adjust_shapes(B.add(power, B.pad(power[:, :, 1:-1, :], ((0, 0), (0, 0), (1, 1), (0, 0)))))
        magnitude = self._adjust_shapes(B.sqrt(B.maximum(power, backend.epsilon())))
        if self.mode == "magnitude":
            return magnitude
        return B.log(B.maximum(magnitude, backend.epsilon()))

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        channels, time_seq = ((input_shape[2], input_shape[1]) if self.data_format == "channels_last"
                              else (input_shape[1], input_shape[2]))
        freq = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        frames = conv_output_length(time_seq, self.frame_length, self.padding, self._frame_step)
        if self.expand_dims:
            return ((batch, frames, freq, channels) if self.data_format == "channels_last"
                    else (batch, channels, frames, freq))
        flat = None if channels is None else freq * channels
        return (batch, frames, flat) if self.data_format == "channels_last" else (batch, flat, frames)

    def get_config(self):
        window = self.window.tolist() if hasattr(self.window, "tolist") else self.window
        return {**super().get_config(), "mode": self.mode, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length, "window": window,
                "periodic": self.periodic, "scaling": self.scaling, "padding": self.padding,
                "data_format": self.data_format, "expand_dims": self.expand_dims}


class MelSpectrogram(Layer):
    """Converts raw audio signals to mel spectrograms.

    The layer takes the short-time Fourier transform of the signals (``keras.ops.stft``, frames
    centred, reflect-padded), raises its magnitude to ``mag_exp``, maps the frequency bins onto
    ``num_mel_bins`` triangular mel filters (the HTK mel scale, between ``min_freq`` and
    ``max_freq``) and, with ``power_to_db``, converts the result to decibels. It has no weights.

    Args:
        fft_length: FFT size (at least ``sequence_length``).
        sequence_stride: hop between frames, in samples.
        sequence_length: window length; defaults to ``fft_length``.
        window: ``"hann"``, ``"hamming"``, None or the window's ``sequence_length`` values.
        sampling_rate: samples per second of the signals.
        num_mel_bins: number of mel bands.
        min_freq: lower edge of the lowest band, in Hz.
        max_freq: upper edge of the highest band, in Hz; defaults to ``sampling_rate / 2``.
        power_to_db: convert to decibels: ``10 * log10(max(S, min_power) / max(ref_power, min_power))``,
            floored at ``top_db`` below the largest value of the whole batch.
        top_db: the floor's distance below that maximum, in dB.
        mag_exp: exponent of the magnitude (2: power spectrogram).
        min_power: smallest power taken into the logarithm.
        ref_power: the power that maps to 0 dB.

    Inputs ``(batch, samples)`` or ``(samples,)``; outputs ``(batch, num_mel_bins, frames)`` or
    ``(num_mel_bins, frames)`` with ``frames = 1 + samples // sequence_stride``.

    Example:

    >>> audio = np.random.uniform(-1, 1, size=(2, 16000)).astype("float32")
    >>> keras.layers.MelSpectrogram(num_mel_bins=64, sampling_rate=16000)(audio).shape  # (2, 64, 32)
    """

    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann",
                 sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True, top_db=80.0,
                 mag_exp=2.0, min_power=1e-10, ref_power=1.0, **kwargs):
        super().__init__(**kwargs)
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(f"MelSpectrogram {self.name!r}: `fft_length` must be greater than or equal to "
                             f"`sequence_length`. Received: `sequence_length`={self.sequence_length}, "
                             f"`fft_length`={self.fft_length}.")
        if isinstance(window, str) and window not in ("hann", "hamming"):
            raise ValueError(f"MelSpectrogram {self.name!r}: `window` must be 'hann', 'hamming', None or the "
                             f"window's {self.sequence_length} values, received window={window!r}.")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power

    def call(self, inputs):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        inputs = B.cast(inputs, dtype)
        real, imag = B.stft(inputs, self.sequence_length, self.sequence_stride, self.fft_length,
                            window=self.window, center=True)
        spectrogram = B.power(B.sqrt(B.add(B.square(real), B.square(imag))), self.mag_exp)
        matrix = self.linear_to_mel_weight_matrix(self.num_mel_bins, self.fft_length // 2 + 1, self.sampling_rate,
                                                  self.min_freq, self.max_freq, dtype)
        outputs = B.tensordot(spectrogram, matrix, axes=1)
        if self.power_to_db:
            outputs = self._dbscale(outputs)
        return B.cast(B.swapaxes(outputs, -1, -2), self.compute_dtype)

    def _dbscale(self, inputs):
        log_spec = B.multiply(10.0, B.log10(B.maximum(inputs, self.min_power)))
        ref = B.abs(B.convert_to_tensor(self.ref_power, B.dtype(inputs)))
        log_spec = B.subtract(log_spec, B.multiply(10.0, B.log10(B.maximum(ref, self.min_power))))
        return B.maximum(log_spec, B.subtract(B.max(log_spec), self.top_db))

    def linear_to_mel_weight_matrix(self, num_mel_bins=20, num_spectrogram_bins=129, sampling_rate=8000,
                                    lower_edge_hertz=125.0, upper_edge_hertz=3800.0, dtype="float32"):
        """The ``(num_spectrogram_bins, num_mel_bins)`` matrix mapping linear spectrogram bins onto mel bands.

        The bins sample ``[0, sampling_rate / 2]`` linearly; band ``m`` is a triangle (peak 1) on the HTK mel
        scale ``mel(f) = 1127 ln(1 + f / 700)``, from the ``m``-th to the ``m + 2``-th of ``num_mel_bins + 2``
        points evenly spaced in mel between ``lower_edge_hertz`` and ``upper_edge_hertz``. The DC bin maps to
        nothing. ``spectrogram @ matrix`` is the mel spectrogram.
        """
        def to_mel(hertz):
            return B.multiply(_MEL_HIGH_FREQUENCY_Q, B.log(B.add(1.0, B.divide(hertz, _MEL_BREAK_FREQUENCY_HERTZ))))

        nyquist = B.divide(B.convert_to_tensor(sampling_rate, dtype), 2.0)
        linear = B.linspace(B.convert_to_tensor(0.0, dtype), nyquist, num_spectrogram_bins, dtype=dtype)[1:]
        bins_mel = B.expand_dims(to_mel(linear), 1)
        edges = B.linspace(to_mel(B.convert_to_tensor(lower_edge_hertz, dtype)),
                           to_mel(B.convert_to_tensor(upper_edge_hertz, dtype)), num_mel_bins + 2, dtype=dtype)
        lower, center, upper = (B.reshape(edges[i:i + num_mel_bins], (1, num_mel_bins)) for i in range(3))
        lower_slopes = B.divide(B.subtract(bins_mel, lower), B.subtract(center, lower))
        upper_slopes = B.divide(B.subtract(upper, bins_mel), B.subtract(upper, center))
        weights = B.maximum(B.convert_to_tensor(0.0, dtype), B.minimum(lower_slopes, upper_slopes))
        return B.pad(weights, ((1, 0), (0, 0)))

    def compute_output_shape(self, input_shape):
        frames = None if input_shape[-1] is None else 1 + input_shape[-1] // self.sequence_stride
        return tuple(input_shape[:-1]) + (self.num_mel_bins, frames)

    def get_config(self):
        return {**super().get_config(), "fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": self.window,
                "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins, "min_freq": self.min_freq,
                "max_freq": self.max_freq, "power_to_db": self.power_to_db, "top_db": self.top_db,
                "mag_exp": self.mag_exp, "min_power": self.min_power, "ref_power": self.ref_power}
