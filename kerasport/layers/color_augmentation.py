"""Keras 3's colour augmentation layers: degeneration, saturation, hue, sharpness, inversion,
posterization, histogram equalization, the colour jitter that chains brightness, contrast,
saturation and hue, and the two policies built on them, RandAugment and AugMix.

They follow ``BaseImagePreprocessingLayer``'s protocol: ``get_random_transformation`` draws
per-image parameters from the layer's ``SeedGenerator``, ``transform_images`` applies them, and
random layers are the identity unless ``training`` is true. Draws, factor bounds and formulas are
Keras 3.15's, including its quirks (a single-number ``factor`` of ``RandomColorDegeneration`` or
``RandomSaturation`` spans ``[-f, f]``; ``Equalization`` takes one histogram per channel over the
whole batch).
"""
import random as py_random

from kerasport import backend
from kerasport import ops_image as image_ops
from kerasport import random as kr
from kerasport.backends import B
from kerasport.layers.geometric_augmentation import RandomShear
from kerasport.layers.augmentation_base import BaseImagePreprocessingLayer
from kerasport.layers.image_preprocessing import (AutoContrast, RandomBrightness, RandomContrast, RandomRotation,
                                                 RandomTranslation, Solarization, checked_value_range, to_range)

__all__ = ["RandomColorDegeneration", "RandomSaturation", "RandomHue", "RandomSharpness", "RandomInvert",
           "RandomPosterization", "Equalization", "RandomColorJitter", "RandAugment", "AugMix"]


def _checked_range(layer, value_range, sort=False):
    """``value_range`` once checked to be two numbers: sorted (as a list) or as given, as the Keras layer keeps it."""
    checked = checked_value_range(layer, value_range)
    return checked if sort else value_range


def _channels_axis(layer):
    return -1 if layer.data_format == "channels_last" else -3


class _RandomColorLayer(BaseImagePreprocessingLayer):
    """The shared constructor of the colour layers: ``factor``, ``value_range``, ``seed``, ``data_format``."""

    _USE_BASE_FACTOR = False
    _SORT_VALUE_RANGE = True
    _KEEPS_BOXES = True

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = _checked_range(self, value_range, sort=self._SORT_VALUE_RANGE)
        self.seed = seed
        self.generator = kr.SeedGenerator(seed)

    def _uniform(self, data, shape_tail, seed):
        return kr.uniform((self._batch(data),) + shape_tail, self.factor[0], self.factor[1], seed=self._seed(seed))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}


class RandomColorDegeneration(_RandomColorLayer):
    """Blends each image towards its grayscale version by a random amount (in training).

    ``out = clip(x + f * (gray(x) - x), *value_range)`` with ``f ~ U(lower, upper)`` per image:
    0 leaves the image as it is, 1 makes it gray.

    Args:
        factor: a number ``f`` (range ``[-f, f]``, as Keras) or a pair ``(lower, upper)`` in
            ``[-1, 1]``; ``(0.5, 0.5)`` always uses 0.5.
        value_range: (min, max) of the pixel values (``(0, 255)``).
        data_format: "channels_last" or "channels_first".
        seed: seed of the layer's random stream.

    Example:

    >>> layer = kerasport.layers.RandomColorDegeneration(factor=(0.5, 0.5))
    >>> out = layer(np.random.rand(2, 8, 8, 3) * 255)
    """

    def get_random_transformation(self, data, training=True, seed=None):
        return {"factor": self._uniform(data, (1, 1, 1), seed)}

    def _transform_images(self, images, transformation):
        factor = B.cast(transformation["factor"], self.compute_dtype)
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return B.clip(images + factor * (gray - images), self.value_range[0], self.value_range[1])

    def compute_output_shape(self, input_shape):
        channels = input_shape[_channels_axis(self)] if len(input_shape) in (3, 4) else None
        if len(input_shape) not in (3, 4) or (channels is not None and channels != 3):
            raise ValueError(f"RandomColorDegeneration {self.name!r}: expected images of rank 3 or 4 with 3 channels. "
                             f"Received: input_shape={tuple(input_shape)}")
        return tuple(input_shape)


def _replace_hsv_channel(layer, images, index, fn):
    """``images`` (RGB, rank 4) converted to HSV, channel ``index`` replaced by ``fn(channel)``, back to RGB."""
    hsv = image_ops.rgb_to_hsv(images, data_format=layer.data_format)
    axis = 3 if layer.data_format == "channels_last" else 1
    channels = [B.take(hsv, i, axis=axis) for i in range(3)]
    channels[index] = fn(channels[index])
    return image_ops.hsv_to_rgb(B.stack(channels, axis=axis), data_format=layer.data_format)


class RandomSaturation(_RandomColorLayer):
    """Scales each image's saturation by a random factor (in training).

    The image goes to HSV, its S channel is multiplied by ``f / (1 - f)`` (``f ~ U(lower, upper)``)
    and clipped to ``value_range``, and it goes back to RGB: ``f = 0.5`` is a no-op, 0 makes the
    image gray, 1 fully saturated.

    Args:
        factor: a number ``f`` (range ``[-f, f]``, as Keras) or a pair ``(lower, upper)`` in ``[-1, 1]``.
        value_range: (min, max) of the pixel values (``(0, 255)``).
        data_format: "channels_last" or "channels_first".
        seed: seed of the layer's random stream.

    Example:

    >>> layer = kerasport.layers.RandomSaturation(factor=(0.2, 0.8))
    >>> out = layer(np.random.rand(2, 8, 8, 3) * 255)
    """

    def get_random_transformation(self, data, training=True, seed=None):
        factor = self._uniform(data, (), seed)
        return {"factor": factor / (1 - factor + backend.epsilon())}

    def _transform_images(self, images, transformation):
        factor = B.reshape(B.cast(transformation["factor"], self.compute_dtype), (-1, 1, 1))
        return _replace_hsv_channel(
            self, images, 1, lambda s: B.clip(s * factor, self.value_range[0], self.value_range[1]))


class RandomHue(_RandomColorLayer):
    """Rotates each image's hue by a random amount (in training).

    The image (mapped to [0, 1]) goes to HSV, its H channel is shifted by ``±f / 2``
    (``f ~ U(lower, upper)``, the sign a fair coin) and wrapped into [0, 1], and it goes back
    to RGB, clipped and mapped back to ``value_range``.

    Args:
        factor: a number ``f`` (range ``[0, f]``) or a pair ``(lower, upper)`` in ``[0, 1]``.
        value_range: (min, max) of the pixel values (``(0, 255)``).
        data_format: "channels_last" or "channels_first".
        seed: seed of the layer's random stream.

    Example:

    >>> layer = kerasport.layers.RandomHue(factor=0.5, value_range=(0, 1))
    >>> out = layer(np.random.rand(2, 8, 8, 3))
    """

    _FACTOR_BOUNDS = (0, 1)
    _SORT_VALUE_RANGE = False

    def get_random_transformation(self, data, training=True, seed=None):
        seed = self._seed(seed)
        invert = kr.uniform((self._batch(data),), seed=seed)
        sign = B.where(B.greater(invert, 0.5), -B.ones_like(invert), B.ones_like(invert))
        return {"factor": sign * self._uniform(data, (), seed) * 0.5}

    def _transform_images(self, images, transformation):
        images = to_range(images, self.value_range, (0, 1))
        delta = B.reshape(B.cast(transformation["factor"], B.dtype(images)), (-1, 1, 1))

        def rotate(h):
            h = h + delta
            h = B.where(B.greater(h, 1.0), h - 1.0, h)
            return B.where(B.less(h, 0.0), h + 1.0, h)
        images = B.clip(_replace_hsv_channel(self, images, 0, rotate), 0, 1)
        return B.cast(to_range(images, (0, 1), self.value_range), self.compute_dtype)


class RandomSharpness(_RandomColorLayer):
    """Blends each image with a blurred copy by a random amount (in training).

    ``out = clip(x + (1 - 2f) * (blur(x) - x), *value_range)`` with ``f ~ U(lower, upper)`` and
    ``blur`` the 3x3 kernel ``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13`` ("same" zero padding):
    0 blurs, 0.5 is a no-op, 1 sharpens.

    Args:
        factor: a number ``f`` (range ``[0, f]``) or a pair ``(lower, upper)`` in ``[0, 1]``.
        value_range: (min, max) of the pixel values (``(0, 255)``).
        data_format: "channels_last" or "channels_first".
        seed: seed of the layer's random stream.

    Example:

    >>> layer = kerasport.layers.RandomSharpness(factor=(0.8, 0.8))
    >>> out = layer(np.random.rand(2, 8, 8, 3) * 255)
    """

    _FACTOR_BOUNDS = (0, 1)

    def get_random_transformation(self, data, training=True, seed=None):
        return {"factor": self._uniform(data, (), seed)}

    def _transform_images(self, images, transformation):
        if self.data_format == "channels_first":
            images = B.transpose(images, (0, 2, 3, 1))
        factor = B.reshape(B.cast(transformation["factor"] * 2, self.compute_dtype), (-1, 1, 1, 1))
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = B.convert_to_tensor([[a, a, a], [a, b, a], [a, a, a]], self.compute_dtype)
        kernel = B.tile(B.reshape(kernel, (3, 3, 1, 1)), (1, 1, B.shape(images)[-1], 1))
        smoothed = B.depthwise_conv(images, kernel, strides=1, padding="same", data_format="channels_last")
        images = B.clip(images + (1.0 - factor) * (B.cast(smoothed, self.compute_dtype) - images),
                        self.value_range[0], self.value_range[1])
        return B.transpose(images, (0, 3, 1, 2)) if self.data_format == "channels_first" else images


class RandomInvert(_RandomColorLayer):
    """Inverts each image (``max - x``) with a random probability (in training).

    Each image draws a probability ``p ~ U(lower, upper)`` and is inverted when a second
    ``U(0, 1)`` draw falls below it.

    Args:
        factor: a number ``f`` (range ``[0, f]``) or a pair ``(lower, upper)`` in ``[0, 1]`` (1.0).
        value_range: (min, max) of the pixel values (``(0, 255)``); the inversion is ``max - x``.
        seed: seed of the layer's random stream.
        data_format: "channels_last" or "channels_first".

    Example:

    >>> layer = kerasport.layers.RandomInvert(factor=0.5)
    >>> out = layer(np.random.rand(2, 8, 8, 3) * 255)
    """

    _FACTOR_BOUNDS = (0, 1)
    _SORT_VALUE_RANGE = False

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(factor, value_range=value_range, data_format=data_format, seed=seed, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        seed = self._seed(seed)
        probability = self._uniform(data, (), seed)
        threshold = kr.uniform((self._batch(data),), 0.0, 1.0, seed=seed)
        return {"apply_inversion": B.less(threshold, probability)}

    def _transform_images(self, images, transformation):
        apply = B.reshape(transformation["apply_inversion"], (-1, 1, 1, 1))
        return B.where(apply, self.value_range[1] - images, images)


class RandomPosterization(_RandomColorLayer):
    """Keeps a random number of the high bits of each 8-bit channel value (in training).

    Pixels are mapped to [0, 255] and cast to ``uint8``; each image keeps ``k`` bits,
    ``k`` a random integer in ``[lower, upper)`` (``lower`` itself when both are equal).

    Args:
        factor: an integer ``k`` in [1, 8] (range ``[1, k)``) or a pair of them.
        value_range: (min, max) of the pixel values (``(0, 255)``).
        data_format: "channels_last" or "channels_first".
        seed: seed of the layer's random stream.

    Example:

    >>> layer = kerasport.layers.RandomPosterization(factor=(3, 3))
    >>> out = layer(np.random.rand(2, 8, 8, 3) * 255)
    """

    _FACTOR_BOUNDS = (1, 8)
    _MAX_FACTOR = 8

    def get_random_transformation(self, data, training=True, seed=None):
        batch = self._batch(data)
        if self.factor[0] != self.factor[1]:
            bits = B.cast(kr.randint((batch,), self.factor[0], self.factor[1], seed=self._seed(seed)), "uint8")
        else:
            bits = B.cast(B.ones((batch,)) * self.factor[0], "uint8")
        return {"shift_factor": self._MAX_FACTOR - bits}

    def _transform_images(self, images, transformation):
        shift = B.reshape(B.cast(transformation["shift_factor"], "uint8"), (-1, 1, 1, 1))
        x = B.cast(to_range(images, self.value_range, (0, 255)), "uint8")
        x = B.bitwise_left_shift(B.bitwise_right_shift(x, shift), shift)
        return to_range(B.cast(x, self.compute_dtype), (0, 255), self.value_range)


def _scale_values(values, source, target):
    """``values`` mapped linearly from range ``source`` to ``target`` as Keras's Equalization does (``x * scale +
    offset``, so the rounding matches its histogram bins)."""
    scale = (target[1] - target[0]) / (source[1] - source[0])
    return values * scale + (target[0] - source[0] * scale)


class Equalization(BaseImagePreprocessingLayer):
    """Histogram-equalizes each channel (in training and when called directly; identity with
    ``training=False``, as Keras).

    As Keras 3.15 does, one histogram of ``bins`` bins is taken per channel over all the images
    of the batch, and every value is mapped through its rounded cumulative distribution. A
    channel whose values fall in a single bin is left unchanged.

    Args:
        value_range: (min, max) of the pixel values (``(0, 255)``).
        bins: number of histogram bins (256).
        data_format: "channels_last" or "channels_first".

    Example:

    >>> layer = kerasport.layers.Equalization(value_range=(0, 1), bins=128)
    >>> out = layer(np.random.rand(2, 8, 8, 3))
    """

    _USE_BASE_FACTOR = False
    _KEEPS_BOXES = True

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
            raise ValueError(f"Equalization {self.name!r}: `bins` must be a positive integer. Received: bins={bins}")
        self.bins = bins
        self.value_range = checked_value_range(self, value_range)

    def _equalize_channel(self, channel):
        channel = _scale_values(channel, self.value_range, (0, 255))
        scaled = B.cast(channel, "float32") * (self.bins - 1) / 255.0
        indices = B.reshape(B.clip(B.cast(scaled, "int32"), 0, self.bins - 1), (-1,))
        hist = B.cast(B.bincount(indices, minlength=self.bins), "int32")
        cdf = B.cumsum(hist)
        cdf_min = B.min(B.where(B.greater(cdf, 0), cdf, cdf[-1]))
        denominator = cdf[-1] - cdf_min
        denominator = B.where(B.equal(denominator, 0), B.ones_like(denominator), denominator)
        table = B.cast((cdf - cdf_min) * 255, "float32") / B.cast(denominator, "float32")
        table = B.clip(B.round(table), 0, 255)
        lookup = B.cast(B.clip(channel / 255.0 * (self.bins - 1), 0, self.bins - 1), "int32")
        equalized = B.cast(B.take(table, lookup), B.dtype(channel))
        equalized = B.where(B.less_equal(B.count_nonzero(hist), 1), channel, equalized)
        return _scale_values(equalized, (0, 255), self.value_range)

    def transform_images(self, images, transformation=None, training=True):
        images = B.cast(images, self.compute_dtype)
        if not training:
            return images
        axis = B.ndim(images) + _channels_axis(self)
        channels = [self._equalize_channel(B.take(images, i, axis=axis)) for i in range(B.shape(images)[axis])]
        return B.cast(B.stack(channels, axis=axis), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}


class RandomColorJitter(BaseImagePreprocessingLayer):
    """Applies random brightness, contrast, saturation and hue changes in that order (in training).

    Each step is the layer of that name (``RandomBrightness``, ``RandomContrast``,
    ``RandomSaturation``, ``RandomHue``) with the given factor and ``value_range``, drawing from this
    layer's random stream; a factor left ``None`` skips its step.

    Args:
        value_range: (min, max) of the pixel values (``(0, 255)``).
        brightness_factor: ``RandomBrightness``'s ``factor`` (number or pair in [-1, 1]).
        contrast_factor: ``RandomContrast``'s ``factor`` (number or pair in [0, 1]).
        saturation_factor: ``RandomSaturation``'s ``factor``.
        hue_factor: ``RandomHue``'s ``factor`` (number or pair in [0, 1]).
        seed: seed of the layer's random stream.
        data_format: "channels_last" or "channels_first".

    Example:

    >>> layer = kerasport.layers.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.3,
    ...                                            saturation_factor=(0.4, 0.6), hue_factor=0.1)
    >>> out = layer(np.random.rand(2, 8, 8, 3) * 255)
    """

    _USE_BASE_FACTOR = False
    _KEEPS_BOXES = True

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None, saturation_factor=None,
                 hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = _checked_range(self, value_range)
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        self.seed = seed
        self.generator = kr.SeedGenerator(seed)
        steps = ((RandomBrightness, brightness_factor, "random_brightness"),
                 (RandomContrast, contrast_factor, "random_contrast"),
                 (RandomSaturation, saturation_factor, "random_saturation"), (RandomHue, hue_factor, "random_hue"))
        for cls, factor, attr in steps:
            setattr(self, attr, None if factor is None else
                    cls(factor=factor, value_range=value_range, seed=seed, data_format=self.data_format,
                        dtype=self.dtype_policy))

    def build(self, input_shape):
        for layer in self._steps():
            layer.build(input_shape)
        super().build(input_shape)

    def _steps(self):
        return [layer for layer in (self.random_brightness, self.random_contrast, self.random_saturation,
                                    self.random_hue) if layer is not None]

    def transform_images(self, images, transformation=None, training=True):
        images = B.cast(images, self.compute_dtype)
        if not training:
            return images
        for layer in self._steps():
            step = layer.get_random_transformation(images, seed=self.generator)
            images = layer.transform_images(images, step)
        return B.cast(images, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor, "saturation_factor": self.saturation_factor,
                "hue_factor": self.hue_factor, "seed": self.seed}


class _PolicyLayer(BaseImagePreprocessingLayer):
    """A policy of Keras's augmentation layers at one strength ``factor``: builds the named sub-layers as
    Keras's RandAugment and AugMix do (each with the policy's ``seed``, ``value_range``, ``data_format``)."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def _make_layers(self, names):
        f, vr, seed, interpolation = self.factor, self.value_range, self.seed, self.interpolation
        common = {"data_format": self.data_format, "dtype": self.dtype_policy}
        build = {
            "random_shear": lambda: RandomShear(x_factor=f, y_factor=f, interpolation=interpolation, seed=seed,
                                                **common),
            "random_translation": lambda: RandomTranslation(height_factor=f, width_factor=f,
                                                            interpolation=interpolation, seed=seed, **common),
            "random_rotation": lambda: RandomRotation(factor=f, interpolation=interpolation, seed=seed, **common),
            "random_brightness": lambda: RandomBrightness(factor=f, value_range=vr, seed=seed, **common),
            "random_color_degeneration": lambda: RandomColorDegeneration(factor=f, value_range=vr, seed=seed,
                                                                         **common),
            "random_contrast": lambda: RandomContrast(factor=f, value_range=vr, seed=seed, **common),
            "random_sharpness": lambda: RandomSharpness(factor=f, value_range=vr, seed=seed, **common),
            "random_posterization": lambda: RandomPosterization(factor=max(1, int(8 * f[1])), value_range=vr,
                                                                seed=seed, **common),
            "solarization": lambda: Solarization(addition_factor=f, threshold_factor=f, value_range=vr, seed=seed,
                                                 **common),
            "auto_contrast": lambda: AutoContrast(value_range=vr, **common),
            "equalization": lambda: Equalization(value_range=vr, **common),
        }
        for name in names:
            setattr(self, name, build[name]())

    def build(self, input_shape):
        for name in self._augment_layers:
            getattr(self, name).build(input_shape)
        super().build(input_shape)


class RandAugment(_PolicyLayer):
    """RandAugment: applies ``num_ops`` augmentations, each picked at random from a fixed list, to the
    batch (in training).

    The list is Keras's: ``RandomShear``, ``RandomTranslation``, ``RandomRotation``, ``RandomBrightness``,
    ``RandomColorDegeneration``, ``RandomContrast``, ``RandomSharpness``, ``RandomPosterization``,
    ``Solarization``, ``AutoContrast``, ``Equalization``, all at the strength ``factor``. The picks are
    drawn once per call (the whole batch gets the same operations); each operation draws its own
    per-image parameters.

    Reference: [RandAugment](https://arxiv.org/abs/1909.13719).

    Args:
        value_range: (min, max) of the pixel values (``(0, 255)``).
        num_ops: number of operations applied in sequence (2).
        factor: strength in [0, 1], a number ``f`` (range ``[0, f]``) or a pair (0.5).
        interpolation: "bilinear" (default) or "nearest", for the geometric operations.
        seed: seed of the layer's random stream.
        data_format: "channels_last" or "channels_first".

    Example:

    >>> layer = kerasport.layers.RandAugment(num_ops=3, factor=0.3)
    >>> out = layer(np.random.rand(2, 32, 32, 3) * 255)
    """

    _AUGMENT_LAYERS = ["random_shear", "random_translation", "random_rotation", "random_brightness",
                       "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
                       "solarization", "auto_contrast", "equalization"]

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(num_ops, int) or isinstance(num_ops, bool) or num_ops < 0:
            raise ValueError(f"RandAugment {self.name!r}: `num_ops` must be a non-negative integer. "
                             f"Received: num_ops={num_ops}")
        self.value_range, self.num_ops = _checked_range(self, value_range), num_ops
        self._set_factor(factor)
        self.interpolation, self.seed = interpolation, seed
        self.generator = kr.SeedGenerator(seed)
        self._augment_layers = list(self._AUGMENT_LAYERS)
        self._make_layers(self._augment_layers)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        layer_idxes = kr.randint((self.num_ops,), 0, len(self._augment_layers), seed=self.generator)
        transforms = {name: getattr(self, name).get_random_transformation(data, training=training,
                                                                          seed=self.generator)
                      for name in self._augment_layers}
        return {"transforms": transforms, "layer_idxes": layer_idxes}

    def transform_images(self, images, transformation, training=True):
        images = B.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        layer_idxes = transformation["layer_idxes"]
        for i in range(self.num_ops):
            for idx, (name, value) in enumerate(transformation["transforms"].items()):
                augmented = B.cast(getattr(self, name).transform_images(images, value), self.compute_dtype)
                images = B.where(B.equal(layer_idxes[i], idx), augmented, images)
        return images

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "num_ops": self.num_ops,
                "factor": self.factor, "interpolation": self.interpolation, "seed": self.seed}


class AugMix(_PolicyLayer):
    """AugMix: mixes the batch with ``num_chains`` augmented copies of it (in training).

    Each chain applies up to ``chain_depth`` operations picked at random (a pick may be "none") from
    ``RandomShear``, ``RandomTranslation``, ``RandomRotation``, ``RandomPosterization``, ``Solarization``,
    ``AutoContrast``, ``Equalization`` and, with ``all_ops``, ``RandomBrightness``,
    ``RandomColorDegeneration``, ``RandomContrast``, ``RandomSharpness``. The chains are summed with
    Dirichlet(``alpha``) weights ``w`` and mixed with the input by ``m ~ Beta(alpha, alpha)``:
    ``out = clip(m * x + (1 - m) * sum_i w_i chain_i(x), *value_range)``. ``w`` and ``m`` are drawn once
    per call, as in Keras. The operation picks are drawn in Python, as Keras does, but from a generator
    seeded by ``seed`` (Keras uses Python's global one), so a seeded layer repeats its picks.

    References: [AugMix](https://arxiv.org/abs/1912.02781).

    Args:
        value_range: (min, max) of the pixel values (``(0, 255)``).
        num_chains: number of augmented copies mixed (3).
        chain_depth: most operations in a chain (3).
        factor: strength in [0, 1], a number ``f`` (range ``[0, f]``) or a pair (0.3).
        alpha: concentration of the Beta and Dirichlet draws (1.0).
        all_ops: also use the brightness, colour degeneration, contrast and sharpness operations (True).
        interpolation: "bilinear" (default) or "nearest", for the geometric operations.
        seed: seed of the layer's random streams.
        data_format: "channels_last" or "channels_first".

    Example:

    >>> layer = kerasport.layers.AugMix(num_chains=2, chain_depth=2, seed=1)
    >>> out = layer(np.random.rand(2, 32, 32, 3) * 255)
    """

    _AUGMENT_LAYERS = ["random_shear", "random_translation", "random_rotation", "random_posterization",
                       "solarization", "auto_contrast", "equalization"]
    _MORE_LAYERS = ["random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness"]

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        for name, value in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"AugMix {self.name!r}: `{name}` must be a positive integer. "
                                 f"Received: {name}={value}")
        if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or alpha <= 0:
            raise ValueError(f"AugMix {self.name!r}: `alpha` must be a positive number. Received: alpha={alpha}")
        self.value_range = _checked_range(self, value_range)
        self.num_chains, self.chain_depth = num_chains, chain_depth
        self._set_factor(factor)
        self.alpha, self.all_ops, self.interpolation, self.seed = alpha, all_ops, interpolation, seed
        self.generator = kr.SeedGenerator(seed)
        self._picker = py_random.Random(seed)
        self._augment_layers = self._AUGMENT_LAYERS + (self._MORE_LAYERS if all_ops else [])
        self._make_layers(self._augment_layers)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        seed = self._seed(seed)
        gamma = kr.gamma((self.num_chains,), alpha=self.alpha, seed=seed)
        chain_mixing_weights = gamma / B.sum(gamma, axis=-1, keepdims=True)
        weight_sample = kr.beta((), alpha=self.alpha, beta=self.alpha, seed=seed)
        chain_transforms = []
        for _ in range(self.num_chains):
            chain = []
            for _ in range(self.chain_depth):
                name = self._picker.choice(self._augment_layers + [None])
                if name is not None:
                    chain.append({"layer_name": name, "transformation": getattr(self, name).get_random_transformation(
                        data, seed=self.generator)})
            chain_transforms.append(chain)
        return {"chain_mixing_weights": chain_mixing_weights, "weight_sample": weight_sample,
                "chain_transforms": chain_transforms}

    def transform_images(self, images, transformation, training=True):
        images = B.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        weights = B.cast(transformation["chain_mixing_weights"], self.compute_dtype)
        mix = B.cast(transformation["weight_sample"], self.compute_dtype)
        augmented = B.zeros_like(images)
        for i, chain in enumerate(transformation["chain_transforms"]):
            copy = images
            for step in chain:
                copy = B.cast(getattr(self, step["layer_name"]).transform_images(copy, step["transformation"]),
                              self.compute_dtype)
            augmented = augmented + copy * weights[i]
        images = mix * images + (1 - mix) * augmented
        return B.cast(B.clip(images, self.value_range[0], self.value_range[1]), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "num_chains": self.num_chains,
                "chain_depth": self.chain_depth, "factor": self.factor, "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation, "seed": self.seed}
