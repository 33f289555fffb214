"""Keras's augmentation layers that mix or erase image regions: MixUp, CutMix, RandomErasing, RandomGaussianBlur.

MixUp and CutMix blend each image with another image of the batch (a random permutation) and,
given ``{"images": ..., "labels": ...}``, blend the labels by the same weights, as Keras does.
Like every random image layer they are the identity unless ``training`` is true.
"""
from kerasport import ops_image as image_ops
from kerasport import random as kr
from kerasport.backends import B
from kerasport.layers.augmentation_base import BaseImagePreprocessingLayer

__all__ = ["MixUp", "CutMix", "RandomErasing", "RandomGaussianBlur"]


def _mix(values, permutation, weight):
    """``weight * values + (1 - weight) * values[permutation]``, ``weight`` (N,) broadcast over the rest."""
    weight = B.reshape(B.cast(weight, B.dtype(values)), (-1,) + (1,) * (B.ndim(values) - 1))
    return weight * values + (1.0 - weight) * B.take(values, permutation, axis=0)


def _float(values, dtype):
    return values if "float" in B.dtype(values) else B.cast(values, dtype)


class _BoxLayer(BaseImagePreprocessingLayer):
    """Random axis-aligned boxes per image (CutMix, RandomErasing): ``(N, H, W, 1)`` masks."""

    def _crop_bounds(self, batch, length, ratio, seed):
        crop = ratio * B.cast(length, self.compute_dtype)
        start = kr.uniform((batch,), 0.0, 1.0, dtype=self.compute_dtype, seed=seed) * \
            (B.cast(length, self.compute_dtype) - crop)
        return start, start + crop

    def _box_masks(self, height, width, x0, x1, y0, y1):
        rows = B.arange(height, dtype=self.compute_dtype)[None, :, None]
        cols = B.arange(width, dtype=self.compute_dtype)[None, None, :]
        x0, x1, y0, y1 = (B.reshape(v, (-1, 1, 1)) for v in (x0, x1, y0, y1))
        masks = (cols >= x0) & (cols < x1) & (rows >= y0) & (rows < y1)
        return B.expand_dims(masks, -1 if self.data_format == "channels_last" else 1)


class MixUp(BaseImagePreprocessingLayer):
    """MixUp (Zhang et al. 2017): blends each image with another image of the batch.

    In training, ``out = w * x + (1 - w) * x[perm]`` with ``w ~ Beta(alpha, alpha)`` per image and
    ``perm`` a random permutation of the batch. Called on ``{"images": ..., "labels": ...}`` it
    blends the (one-hot) labels and any ``"segmentation_masks"`` by the same weights.

    Args:
        alpha: positive float, the Beta distribution's parameter: small values mix little (0.2).
        data_format: "channels_last" or "channels_first".
        seed: seed of the layer's random stream.

    Example:

    >>> labels = kerasport.ops.one_hot(np.array([0, 1, 2, 0]), 3)
    >>> out = MixUp(alpha=0.2)({"images": np.random.rand(4, 8, 8, 3), "labels": labels})
    >>> out["labels"].shape
    (4, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or alpha <= 0:
            raise ValueError(f"MixUp {self.name!r}: `alpha` must be a positive number. Received: alpha={alpha!r}")
        self.alpha, self.seed = alpha, seed
        self.generator = kr.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images(data)
        batch = self._batch(images)
        seed = self._seed(seed)
        permutation = kr.shuffle(B.arange(batch, dtype="int64"), seed=seed)
        weight = kr.beta((batch,), self.alpha, self.alpha, seed=seed)
        return {"mix_weight": weight, "permutation_order": permutation}

    def _transform_images(self, images, transformation):
        return _mix(images, transformation["permutation_order"], transformation["mix_weight"])

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        return _mix(_float(labels, self.compute_dtype), transformation["permutation_order"],
                    transformation["mix_weight"])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return _mix(_float(segmentation_masks, self.compute_dtype), transformation["permutation_order"],
                    transformation["mix_weight"])

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}


class CutMix(_BoxLayer):
    """CutMix (Yun et al. 2019): pastes a random box of another image of the batch into each image.

    In training each image gets a box from ``images[perm]`` whose area fraction is ``1 - w``,
    ``w ~ Beta(a, a)``, ``a ~ U(factor)``; given ``{"images": ..., "labels": ...}`` the labels
    are blended by the pasted area (``w' * y + (1 - w') * y[perm]``), and segmentation masks get
    the same boxes. Unbatched images pass through unchanged, as in Keras.

    Args:
        factor: number or pair in [0, 1]: the range of the Beta parameter ``a`` (1.0 -> (0, 1)).
        seed: seed of the layer's random stream.
        data_format: "channels_last" or "channels_first".

    Example:

    >>> labels = kerasport.ops.one_hot(np.array([0, 1, 2, 0]), 3)
    >>> out = CutMix()({"images": np.random.rand(4, 8, 8, 3), "labels": labels})
    >>> out["images"].shape
    (4, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.seed = seed
        self.generator = kr.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = self._images(data)
        if not training or len(images.shape) == 3:
            return None
        shape = B.shape(images)
        batch = shape[0]
        height, width = self._hw(shape)
        seed = self._seed(seed)
        alpha = kr.uniform((), self.factor[0], self.factor[1], dtype=self.compute_dtype, seed=seed) + 1e-6
        weight = kr.beta((batch,), alpha, alpha, dtype=self.compute_dtype, seed=seed)
        ratio = B.sqrt(1.0 - weight)
        x0, x1 = self._crop_bounds(batch, width, ratio, seed)
        y0, y1 = self._crop_bounds(batch, height, ratio, seed)
        masks = self._box_masks(height, width, x0, x1, y0, y1)
        area = B.cast(width, self.compute_dtype) * B.cast(height, self.compute_dtype)
        permutation = kr.shuffle(B.arange(batch, dtype="int32"), seed=seed)
        return {"permutation_order": permutation, "batch_masks": masks,
                "mix_weight": 1.0 - (x1 - x0) * (y1 - y0) / area}

    def _transform_images(self, images, transformation):
        return B.where(transformation["batch_masks"], B.take(images, transformation["permutation_order"], axis=0),
                       images)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        return _mix(_float(labels, self.compute_dtype), transformation["permutation_order"],
                    transformation["mix_weight"])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return B.where(transformation["batch_masks"],
                       B.take(segmentation_masks, transformation["permutation_order"], axis=0), segmentation_masks)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}


class RandomErasing(_BoxLayer):
    """Random Erasing (Zhong et al. 2017): fills a random box of some images with noise or a value.

    In training each image is erased with probability ``p ~ U(factor)``; its box covers
    ``U(scale)`` of the width and of the height (square roots of the drawn fractions), placed at
    random, and is filled with ``fill_value`` (or Gaussian noise times ``value_range[1]``), clipped
    to ``value_range``. Labels and segmentation masks pass through.

    Args:
        factor: number or pair in [0, 1]: the range of the erase probability (1.0 -> (0, 1)).
        scale: number or pair in [0, 1]: the range of the erased fraction of each side
            before the square root ((0.02, 0.33)).
        fill_value: ``None`` (Gaussian noise), a number, or 3 numbers (one per channel).
        value_range: (min, max) of the pixel values ((0, 255)).
        seed: seed of the layer's random stream.
        data_format: "channels_last" or "channels_first".

    Example:

    >>> RandomErasing(factor=1.0, fill_value=0.0)(np.ones((2, 8, 8, 3)), training=True).shape
    (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = self._factor_range(scale, "scale")
        fill_ok = fill_value is None or (isinstance(fill_value, (int, float)) and not isinstance(fill_value, bool)) \
            or (isinstance(fill_value, (tuple, list)) and len(fill_value) == 3)
        if not fill_ok:
            raise ValueError(f"RandomErasing {self.name!r}: `fill_value` must be None, a number or a list of three "
                             f"numbers. Received: fill_value={fill_value!r}")
        self.fill_value, self.value_range, self.seed = fill_value, value_range, seed
        self.generator = kr.SeedGenerator(seed)

    def _fill(self, shape, seed):
        if self.fill_value is None:
            fill = kr.normal(shape, dtype=self.compute_dtype, seed=seed) * self.value_range[1]
        else:
            fill = B.convert_to_tensor(self.fill_value, self.compute_dtype)
            if B.ndim(fill) == 1:
                fill = B.reshape(fill, (3, 1, 1)) if self.data_format == "channels_first" else fill
        return B.clip(fill, self.value_range[0], self.value_range[1])

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images(data)
        shape = B.shape(images)
        batch = self._batch(images)
        height, width = self._hw(shape)
        seed = self._seed(seed)
        sides = B.sqrt(kr.uniform((batch, 2), self.scale[0], self.scale[1], dtype=self.compute_dtype, seed=seed))
        x0, x1 = self._crop_bounds(batch, width, sides[:, 0], seed)
        y0, y1 = self._crop_bounds(batch, height, sides[:, 1], seed)
        probability = kr.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        apply = kr.uniform((batch,), 0.0, 1.0, seed=seed) < probability
        return {"apply_erasing": apply, "batch_masks": self._box_masks(height, width, x0, x1, y0, y1),
                "fill_value": self._fill(shape, seed)}

    def _transform_images(self, images, transformation):
        fill = B.cast(transformation["fill_value"], B.dtype(images))
        erased = B.where(transformation["batch_masks"], fill, images)
        return B.where(B.reshape(transformation["apply_erasing"], (-1, 1, 1, 1)), erased, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale, "fill_value": self.fill_value,
                "value_range": self.value_range, "seed": self.seed}


class RandomGaussianBlur(BaseImagePreprocessingLayer):
    """Blurs some images with a Gaussian of random standard deviation (in training).

    Each image is blurred with probability ``p ~ U(factor)``; one std per axis is drawn per
    batch from ``U(sigma)``; the result is clipped to ``value_range``.

    Args:
        factor: number or pair in [0, 1]: the range of the blur probability (1.0 -> (0, 1)).
        kernel_size: odd int, or a pair of odd ints (height, width) (3).
        sigma: number or pair: the range of the std (1.0 -> (0, 1)).
        value_range: (min, max) of the pixel values ((0, 255)).
        data_format: "channels_last" or "channels_first".
        seed: seed of the layer's random stream.

    Example:

    >>> RandomGaussianBlur(factor=1.0, kernel_size=5)(np.random.rand(2, 8, 8, 3) * 255).shape
    (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _KEEPS_BOXES = True

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
        if len(sizes) != 2 or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0 and k % 2 == 1
                                      for k in sizes):
            raise ValueError(f"RandomGaussianBlur {self.name!r}: `kernel_size` must be an odd positive int or a pair "
                             f"of them. Received: kernel_size={kernel_size!r}")
        self.kernel_size = tuple(sizes)
        self.sigma = self._factor_range(sigma, "sigma")
        self.value_range, self.seed = value_range, seed
        self.generator = kr.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = self._batch(self._images(data))
        seed = self._seed(seed)
        probability = kr.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        apply = kr.uniform((batch,), 0.0, 1.0, seed=seed) < probability
        sigma = kr.uniform((2,), self.sigma[0], self.sigma[1], dtype=self.compute_dtype, seed=seed) + 1e-6
        return {"should_apply_blur": apply, "blur_factor": sigma}

    def _transform_images(self, images, transformation):
        sigma = transformation["blur_factor"]
        blurred = image_ops.gaussian_blur(images, self.kernel_size, (sigma[0], sigma[1]), data_format=self.data_format)
        out = B.where(B.reshape(transformation["should_apply_blur"], (-1, 1, 1, 1)), blurred, images)
        return B.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size, "sigma": self.sigma,
                "value_range": self.value_range, "seed": self.seed}
