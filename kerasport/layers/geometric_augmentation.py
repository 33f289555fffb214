"""Keras's geometric augmentation layers that warp pixels: RandomShear, RandomPerspective, RandomElasticTransform.

They draw their parameters per image and warp with ``kerasport.ops.image``'s ``affine_transform``,
``perspective_transform`` and the elastic displacement of ``elastic_transform``. Like every random
image layer they are the identity unless ``training`` is true; segmentation masks given in a dict
get the same warp (nearest-neighbour), labels pass through.
"""
from kerasport import ops_image as image_ops
from kerasport import random as kr
from kerasport.backends import B
from kerasport.layers.augmentation_base import BaseImagePreprocessingLayer
from kerasport.utils import bounding_boxes as box_utils

__all__ = ["RandomShear", "RandomPerspective", "RandomElasticTransform"]


class _WarpLayer(BaseImagePreprocessingLayer):
    """Checks ``interpolation`` / ``fill_mode``; applies ``_warp`` to images and (nearest) to masks."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def _check_modes(self, interpolation, fill_mode=None):
        if fill_mode is not None and fill_mode not in image_ops.AFFINE_FILL_MODES:
            raise NotImplementedError(f"{type(self).__name__} {self.name!r}: unknown `fill_mode` {fill_mode}. "
                                      f"Expected one of {image_ops.AFFINE_FILL_MODES}.")
        if interpolation not in image_ops.AFFINE_INTERPOLATIONS:
            raise NotImplementedError(f"{type(self).__name__} {self.name!r}: unknown `interpolation` "
                                      f"{interpolation}. Expected one of {image_ops.AFFINE_INTERPOLATIONS}.")

    def _transform_images(self, images, transformation, interpolation=None):
        return self._warp(images, transformation, interpolation or self.interpolation)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self._transform_masks(segmentation_masks, transformation, training, interpolation="nearest")


class RandomShear(_WarpLayer):
    """Shears each image by a random amount along x and y (in training).

    Each output point ``(x, y)`` samples the input at ``(x + sx * y, y + sy * x)``, with
    ``sx ~ U(x_factor)``, ``sy ~ U(y_factor)`` and one random sign per image, as Keras.

    Args:
        x_factor: number ``f`` in [0, 1] (range ``[-f, f]``) or a pair (lower, upper) in [-1, 1]:
            horizontal shear (Keras takes pairs in [0, 1] only, and so cannot reload the
            ``[-f, f]`` its config stores for a number; kerasport can).
        y_factor: the same, vertically.
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest".
        fill_value: value for ``fill_mode="constant"``.
        data_format: "channels_last" or "channels_first".
        seed: seed of the layer's random stream.
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"): they are sheared with
            their images (as Keras moves them) and clipped to them.

    Example:

    >>> RandomShear(x_factor=0.2, y_factor=0.2)(np.random.rand(2, 8, 8, 3), training=True).shape
    (2, 8, 8, 3)
    """

    supports_jit = False  # as Keras: no XLA / torch.compile for this layer

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = self._shear_range(x_factor, "x_factor")
        self.y_factor = self._shear_range(y_factor, "y_factor")
        self._check_modes(interpolation, fill_mode)
        self.interpolation, self.fill_mode, self.fill_value, self.seed = interpolation, fill_mode, fill_value, seed
        self.generator = kr.SeedGenerator(seed)

    def _shear_range(self, factor, name):
        def ok(v, low):
            return isinstance(v, (int, float)) and not isinstance(v, bool) and low <= v <= 1.0
        if isinstance(factor, (tuple, list)) and len(factor) == 2 and ok(factor[0], -1.0) and ok(factor[1], -1.0):
            return tuple(sorted(factor))
        if ok(factor, 0.0):
            return (-abs(factor), abs(factor))
        raise ValueError(f"RandomShear {self.name!r}: the `{name}` argument should be a number in the range [0, 1.0] "
                         f"or a list of two numbers in [-1.0, 1.0]. Received: {name}={factor}")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images(data)
        batch = self._batch(images)
        seed = self._seed(seed)
        sign = kr.uniform((batch, 1), 0.0, 1.0, dtype=self.compute_dtype, seed=seed)
        sign = B.where(sign > 0.5, -B.ones_like(sign), B.ones_like(sign))
        shear_y = kr.uniform((batch, 1), self.y_factor[0], self.y_factor[1], dtype=self.compute_dtype, seed=seed)
        shear_x = kr.uniform((batch, 1), self.x_factor[0], self.x_factor[1], dtype=self.compute_dtype, seed=seed)
        return {"shear_factor": B.concatenate([shear_x, shear_y], axis=1) * sign, "input_shape": B.shape(images)}

    def _warp(self, images, transformation, interpolation):
        shear = B.cast(transformation["shear_factor"], "float32")
        ones, zeros = B.ones_like(shear[:, 0]), B.zeros_like(shear[:, 0])
        matrix = B.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], axis=1)
        return image_ops.affine_transform(images, matrix, interpolation=interpolation, fill_mode=self.fill_mode,
                                          fill_value=self.fill_value, data_format=self.data_format)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes sheared with their images as Keras moves them (x first, then y from the moved x), clipped to
        the image. Keras shears relative coordinates, which is the same on square images; kerasport shears
        pixel coordinates, as the images are, so non-square images get the boxes of their pixels."""
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._hw(transformation["input_shape"])
        boxes = box_utils.convert_format(bounding_boxes["boxes"], self.bounding_box_format, "xyxy", height, width)
        x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
        shear = B.cast(transformation["shear_factor"], B.dtype(boxes))
        sx, sy = shear[:, :1], shear[:, 1:]
        x1, x2 = B.where(sx < 0, x1 - sx * y1, x1 - sx * y2), B.where(sx < 0, x2 - sx * y2, x2 - sx * y1)
        y1, y2 = B.where(sy > 0, y1 - sy * x2, y1 - sy * x1), B.where(sy > 0, y2 - sy * x1, y2 - sy * x2)
        clipped = box_utils.clip_to_image_size({"boxes": B.stack([x1, y1, x2, y2], axis=-1),
                                                "labels": bounding_boxes["labels"]}, height=height, width=width)
        return box_utils.convert_format(clipped, "xyxy", self.bounding_box_format, height, width)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor,
                "fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}


class RandomPerspective(_WarpLayer):
    """Applies a random perspective warp to some images (in training).

    Each image is warped with probability ``p ~ U(factor)``: its corners ``c`` (top-left,
    top-right, bottom-left, bottom-right, in pixels) move to ``c * (1 + d)``,
    ``d ~ U(-scale / 2, scale / 2)`` per coordinate (so the top-left corner stays, as in Keras),
    and points from outside the image get ``fill_value``.

    Args:
        factor: number or pair in [0, 1]: the range of the warp probability (1.0 -> (0, 1)).
        scale: number in [0, 1]: the size of the corner moves (1.0).
        interpolation: "bilinear" (default) or "nearest".
        fill_value: value outside the warped image.
        seed: seed of the layer's random stream.
        data_format: "channels_last" or "channels_first".
        bounding_box_format: the format of ``{"bounding_boxes": ...}`` inputs (e.g. "xyxy"): each box
            becomes the box around its warped corners, clipped to the image, in this format.

    Example:

    >>> RandomPerspective(factor=1.0, scale=0.3)(np.random.rand(2, 8, 8, 3), training=True).shape
    (2, 8, 8, 3)
    """

    supports_jit = False  # as Keras: no XLA / torch.compile for this layer

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None,
                 bounding_box_format=None, **kwargs):
        super().__init__(data_format=data_format, bounding_box_format=bounding_box_format, **kwargs)
        self._set_factor(factor)
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0.0 <= scale <= 1.0:
            raise ValueError(f"RandomPerspective {self.name!r}: the `scale` argument should be a number in the range "
                             f"[0,1]. Received: scale={scale}")
        self._check_modes(interpolation)
        self.scale, self.interpolation, self.fill_value, self.seed = scale, interpolation, fill_value, seed
        self.generator = kr.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images(data)
        batch = self._batch(images)
        height, width = self._hw(tuple(images.shape))
        seed = self._seed(seed)
        probability = kr.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        apply = kr.uniform((batch,), 0.0, 1.0, seed=seed) < probability
        moves = kr.uniform((batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, dtype=self.compute_dtype, seed=seed)
        corners = B.convert_to_tensor([[[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]]],
                                      self.compute_dtype)
        start = B.repeat(corners, batch, axis=0)
        return {"apply_perspective": apply, "start_points": start, "end_points": start + start * moves,
                "input_shape": B.shape(images)}

    def _warp(self, images, transformation, interpolation):
        out = image_ops.perspective_transform(images, transformation["start_points"], transformation["end_points"],
                                              interpolation=interpolation, fill_value=self.fill_value,
                                              data_format=self.data_format)
        return B.where(B.reshape(transformation["apply_perspective"], (-1, 1, 1, 1)), out, images)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Each box becomes the box around its 4 warped corners, clipped to the image (labels of boxes left
        with no area become -1), in the layer's ``bounding_box_format``."""
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._hw(transformation["input_shape"])
        boxes = bounding_boxes["boxes"]
        unbatched = B.ndim(boxes) == 2
        boxes = B.expand_dims(boxes, 0) if unbatched else boxes
        boxes = box_utils.convert_format(boxes, self.bounding_box_format, "xyxy", height, width,
                                         dtype=self.compute_dtype)
        homography = B.concatenate([image_ops.compute_homography_matrix(
            B.cast(transformation["start_points"], "float32"), B.cast(transformation["end_points"], "float32")),
            B.ones((B.shape(boxes)[0], 1))], axis=-1)
        forward = B.inv(B.reshape(homography, (-1, 3, 3)))  # the homography maps output to input points
        x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
        corners = B.stack([B.stack([x, y, B.ones_like(x)], -1) for x, y in ((x1, y1), (x2, y2), (x1, y2), (x2, y1))],
                          axis=2)                                                      # (N, M, 4, 3)
        moved = B.einsum("bij,bmkj->bmki", B.cast(forward, B.dtype(corners)), corners)
        xs, ys = moved[..., 0] / moved[..., 2], moved[..., 1] / moved[..., 2]
        warped = B.stack([B.min(xs, -1), B.min(ys, -1), B.max(xs, -1), B.max(ys, -1)], axis=-1)
        apply = B.reshape(transformation["apply_perspective"], (-1, 1, 1))
        labels = bounding_boxes["labels"]
        clipped = box_utils.clip_to_image_size({"boxes": B.where(apply, warped, boxes),
                                                "labels": B.expand_dims(labels, 0) if unbatched else labels},
                                               height=height, width=width)
        boxes = box_utils.convert_format(clipped["boxes"], "xyxy", self.bounding_box_format, height, width,
                                         dtype=self.compute_dtype)
        labels = clipped["labels"]
        return {"boxes": B.squeeze(boxes, 0) if unbatched else boxes,
                "labels": B.squeeze(labels, 0) if unbatched else labels}

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value, "seed": self.seed}


class RandomElasticTransform(_WarpLayer):
    """Elastic deformation of some images (in training), as Keras's ``RandomElasticTransform``.

    Each image is deformed with probability ``p ~ U(factor)``; with ``s ~ U(scale)`` per batch
    the displacement field is Gaussian noise of std ``sigma = 0.05 * s * min(H, W)`` smoothed by a
    Gaussian of that std, times ``alpha = 0.1 * s * max(H, W)``; the result is clipped to
    ``value_range``.

    Args:
        factor: number or pair in [0, 1]: the range of the deformation probability (1.0 -> (0, 1)).
        scale: number or pair in [0, 1]: the range of the distortion strength (1.0 -> (0, 1)).
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest".
        fill_value: value for ``fill_mode="constant"``.
        value_range: (min, max) of the pixel values ((0, 255)).
        seed: seed of the layer's random stream.
        data_format: "channels_last" or "channels_first".

    Unlike Keras, the smoothing window is sized for the largest ``sigma`` of ``scale``
    (``6 * int(sigma) | 1`` taps), so that it is fixed in a compiled step, and the horizontal and
    vertical noise fields are independent.

    Example:

    >>> RandomElasticTransform(factor=1.0, scale=0.5)(np.random.rand(2, 16, 16, 3), training=True).shape
    (2, 16, 16, 3)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = self._factor_range(scale, "scale")
        self._check_modes(interpolation, fill_mode)
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, fill_value
        self.value_range, self.seed = value_range, seed
        self.generator = kr.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        images = self._images(data)
        batch = self._batch(images)
        height, width = self._hw(B.shape(images))
        seed = self._seed(seed)
        probability = kr.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        apply = kr.uniform((batch,), 0.0, 1.0, seed=seed) < probability
        distortion = kr.uniform((), self.scale[0], self.scale[1], dtype=self.compute_dtype, seed=seed)
        noise = kr.normal((2, batch, height, width), dtype=self.compute_dtype, seed=seed)
        return {"apply_transform": apply, "distortion_factor": distortion, "noise": noise}

    def _warp(self, images, transformation, interpolation):
        height, width = self._hw(tuple(images.shape))
        distortion = B.cast(transformation["distortion_factor"], B.dtype(images))
        alpha = max(height, width) * 0.1 * distortion
        sigma = min(height, width) * 0.05 * distortion
        noise = B.cast(transformation["noise"], B.dtype(images)) * sigma
        kernel_size = image_ops.elastic_kernel_size(min(height, width) * 0.05 * self.scale[1])
        out = image_ops.elastic_warp(images, noise[0], noise[1], alpha, sigma, kernel_size, interpolation,
                                      self.fill_mode, self.fill_value, self.data_format)
        out = B.where(B.reshape(transformation["apply_transform"], (-1, 1, 1, 1)), out, images)
        return out

    def transform_images(self, images, transformation, training=True):
        out = super().transform_images(images, transformation, training=training)
        if not training or transformation is None:
            return out
        return B.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "value_range": self.value_range, "seed": self.seed}
