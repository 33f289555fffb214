"""Regularization layers: spatial dropout, Gaussian noise and dropout, alpha dropout, activity regularization.

All but ``ActivityRegularization`` act only in training (``training=True``) and are
the identity in inference. ``Dropout`` itself lives in ``core.py``.
"""
import math

from kerasport import backend, regularizers
from kerasport.backends import B
from kerasport.layers.core import Dropout, check_rank
from kerasport.layers.layer import Layer


def _check_rate(layer, value, arg="rate"):
    if not 0 <= value <= 1:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: `{arg}` must be a float in [0, 1], "
                         f"received {arg}={value}.")


class _SpatialDropout(Dropout):
    """Drops whole feature maps: the dropout mask is shared over the spatial axes."""

    _rank = None

    def __init__(self, rate, seed=None, data_format="channels_last", **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__} {self.name!r}: unknown data_format {data_format!r}.")
        self.data_format = data_format
        spatial = (1,) * (self._rank - 2)
        self.noise_shape = (None,) + spatial + (None,) if data_format == "channels_last" else (None, None) + spatial

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=self._rank)

    def get_config(self):
        # Keras's spatial dropout configs hold exactly these keys (its constructors take no others).
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype_policy.name}


class SpatialDropout1D(_SpatialDropout):
    """Dropout of entire 1D feature maps (channels) of ``(batch, steps, channels)`` inputs.

    Args:
        rate: fraction of the channels to drop, in [0, 1].
        seed: seed of the layer's random stream.
    """

    _rank = 3

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed, **kwargs)


class _SpatialDropoutImage(_SpatialDropout):
    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed, data_format or backend.image_data_format(), **kwargs)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout2D(_SpatialDropoutImage):
    """Dropout of entire 2D feature maps (channels) of 4D image batches.

    Args:
        rate: fraction of the channels to drop, in [0, 1].
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: seed of the layer's random stream.
    """

    _rank = 4


class SpatialDropout3D(_SpatialDropoutImage):
    """Dropout of entire 3D feature maps (channels) of 5D volume batches.

    Args:
        rate: fraction of the channels to drop, in [0, 1].
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: seed of the layer's random stream.
    """

    _rank = 5


class GaussianNoise(Layer):
    """Adds zero-centered Gaussian noise of standard deviation ``stddev`` in training.

    Args:
        stddev: standard deviation of the noise, in [0, 1].
        seed: seed of the layer's random stream.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate(self, stddev, "stddev")
        self.stddev, self.seed = stddev, seed
        self._generator = B.make_generator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            return inputs + B.random_normal(B.shape(inputs), 0.0, self.stddev, B.dtype(inputs), self._generator)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies by 1-centered Gaussian noise of standard deviation ``sqrt(rate / (1 - rate))`` in training.

    Args:
        rate: drop probability (as in ``Dropout``), in [0, 1].
        seed: seed of the layer's random stream.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate(self, rate)
        self.rate, self.seed = rate, seed
        self._generator = B.make_generator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            return inputs * B.random_normal(B.shape(inputs), 1.0, stddev, B.dtype(inputs), self._generator)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of its inputs, for self-normalizing (SELU) networks.

    In training, dropped units are set to SELU's negative saturation value, then the
    result is rescaled so that mean and variance are unchanged.

    Args:
        rate: fraction of the units to drop, in [0, 1].
        noise_shape: shape of the binary mask (``None`` dims follow the input), e.g.
            ``(batch, 1, features)`` to share it over the steps.
        seed: seed of the layer's random stream.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate(self, rate)
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self._generator = B.make_generator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        shape = B.shape(inputs)
        if self.noise_shape is not None:
            shape = tuple(shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        noise = B.random_uniform(shape, dtype=B.dtype(inputs), generator=self._generator)
        kept = B.cast(B.greater_equal(noise, self.rate), B.dtype(inputs))
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return (inputs * kept + alpha_p * (1.0 - kept)) * a + b

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


class ActivityRegularization(Layer):
    """Returns its input unchanged and adds ``l1 * sum(|x|) + l2 * sum(x**2)`` (over the batch size) to the loss.

    Args:
        l1: L1 factor (non-negative).
        l2: L2 factor (non-negative).
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.l1, self.l2 = l1, l2
        self.activity_regularizer = regularizers.L1L2(l1=l1, l2=l2)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
