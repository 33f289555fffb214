"""Keras's image preprocessing and augmentation layers, built on ``kerasport.ops.image``.

Each layer splits its work as Keras 3 does: ``get_random_transformation(data, training, seed)`` draws the random
parameters (a dict), ``transform_images(images, transformation, training)`` applies them deterministically. Random
layers are the identity unless ``training`` is true; called directly they default to ``training=True`` as in Keras
(``predict`` and ``layer(x, training=None/False)`` leave images untouched). Their draws come from the layer's own
``kerasport.random.SeedGenerator``, so they advance inside ``fit`` on both backends.
Inputs are rank 3 ``(H, W, C)`` or rank 4 ``(N, H, W, C)`` (``channels_first``: ``C`` first), or Keras's dicts
``{"images", "labels", "segmentation_masks", "bounding_boxes"}`` whose entries all get the images' draw
(``transform_labels``, ``transform_segmentation_masks``, ``transform_bounding_boxes``).
"""
import math

import numpy as np

from kerasport import ops_image as image_ops
from kerasport import random as kr
from kerasport.backends import B
from kerasport.layers.augmentation_base import BaseImagePreprocessingLayer, images_shape
from kerasport.utils import bounding_boxes as box_utils

__all__ = ["Resizing", "CenterCrop", "RandomCrop", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
           "RandomContrast", "RandomBrightness", "RandomGrayscale", "Solarization", "AutoContrast"]

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _xyxy_columns(layer, boxes, height, width):
    """The x1, y1, x2, y2 columns (each ``(..., 1)``, float32) of ``boxes`` given in ``layer.bounding_box_format``
    on an image of ``height`` x ``width``."""
    boxes = box_utils.convert_format(boxes, layer.bounding_box_format, "xyxy", height, width)
    return [boxes[..., i:i + 1] for i in range(4)]


def _boxes_in_format(layer, bounding_boxes, height, width):
    """``bounding_boxes`` (a dict of "xyxy" boxes on a ``height`` x ``width`` image) in the layer's format."""
    return {**bounding_boxes, "boxes": box_utils.convert_format(bounding_boxes["boxes"], "xyxy",
                                                                layer.bounding_box_format, height, width)}


def _moved_boxes(layer, bounding_boxes, columns, height, width):
    """``bounding_boxes`` with the "xyxy" ``columns`` clipped to the ``height`` x ``width`` output image (labels of
    boxes left with no area become -1), in the layer's format."""
    clipped = box_utils.clip_to_image_size({"boxes": B.concatenate(list(columns), axis=-1),
                                            "labels": bounding_boxes["labels"]}, height=height, width=width)
    return _boxes_in_format(layer, clipped, height, width)


def _aspect_window(layer, h, w):
    """(height, width) of the largest window of an ``h`` x ``w`` image with the aspect ratio of the layer's output."""
    return (max(min(h, int(float(w * layer.height) / layer.width)), 1),
            max(min(w, int(float(h * layer.width) / layer.height)), 1))


def _window_boxes(layer, bounding_boxes, height, width, top, left, crop_height, crop_width):
    """``bounding_boxes`` (on a ``height`` x ``width`` image) in the frame of the window ``(top, left, crop_height,
    crop_width)`` resized to ``(layer.height, layer.width)``, clipped to it."""
    x1, y1, x2, y2 = _xyxy_columns(layer, bounding_boxes["boxes"], height, width)
    sx, sy = layer.width / crop_width, layer.height / crop_height
    xs = [(B.clip(x, left, left + crop_width) - left) * sx for x in (x1, x2)]
    ys = [(B.clip(y, top, top + crop_height) - top) * sy for y in (y1, y2)]
    return _moved_boxes(layer, bounding_boxes, (xs[0], ys[0], xs[1], ys[1]), layer.height, layer.width)


def _sized_shape(layer, input_shape):
    """The output shape of a layer resizing to ``(layer.height, layer.width)`` (of each entry of a dict input)."""
    if isinstance(input_shape, dict):
        return {key: value if key in ("labels", "bounding_boxes") else _sized_shape(layer, value)
                for key, value in input_shape.items()}
    shape = list(input_shape)
    if len(shape) not in (3, 4):
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: `input_shape` must have rank 3 (unbatched) or 4 "
                         f"(batched). Received: input_shape={tuple(input_shape)}")
    h = len(shape) - 3 if layer.data_format == "channels_last" else len(shape) - 2
    shape[h], shape[h + 1] = layer.height, layer.width
    return tuple(shape)


class Resizing(BaseImagePreprocessingLayer):
    """Resizes images to ``(height, width)`` (in training and inference).

    Args:
        height, width: output size.
        interpolation: "bilinear" (default), "nearest", "bicubic", "area", "lanczos3", "lanczos5".
        crop_to_aspect_ratio: crop the largest centered window of the target aspect ratio first.
        pad_to_aspect_ratio: pad the short side with ``fill_value`` to the target aspect ratio first.
        fill_mode: "constant" (the only mode), used with ``pad_to_aspect_ratio``.
        fill_value: padding value.
        antialias: antialias filter when downsampling.
        data_format: "channels_last" or "channels_first".
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"): they are scaled (and
            cropped or padded) with the images; all -1 or all 0 (padding) boxes become zeros with label -1.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 fill_mode="constant", fill_value=0.0, antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
            raise ValueError(f"Resizing {self.name!r}: `interpolation` must be one of "
                             f"{image_ops.RESIZE_INTERPOLATIONS}, received {interpolation!r}.")
        self.height, self.width = height, width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = crop_to_aspect_ratio, pad_to_aspect_ratio
        self.fill_mode, self.fill_value, self.antialias = fill_mode, fill_value, bool(antialias)

    def get_random_transformation(self, data, training=True, seed=None):
        return self._hw(images_shape(data))

    def transform_images(self, images, transformation=None, training=True, interpolation=None):
        """Integer images come back rounded and clipped to their dtype, as Keras's (outside traced TF steps)."""
        dtype = B.standardize_dtype(B.dtype(B.convert_to_tensor(images)))
        keep = "int" in dtype and not (B.STRING_TENSORS and B.string_is_symbolic(images))
        out = image_ops.resize(B.cast(images, "float32" if keep else self.compute_dtype), (self.height, self.width),
                               interpolation=interpolation or self.interpolation, antialias=self.antialias,
                               crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                               pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                               fill_value=self.fill_value, data_format=self.data_format)
        if not keep:
            return out
        info = np.iinfo(dtype)  # Keras's saturating cast: the dtype's bounds, as float32 values inside them
        high = float(info.max) if info.max < 2 ** 24 else float(np.nextafter(np.float32(info.max), np.float32(0)))
        return B.cast(B.clip(B.round(out), float(info.min), high), dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        """``segmentation_masks`` resized as the images, with nearest interpolation (their dtype is kept)."""
        dtype = B.dtype(segmentation_masks)
        return B.cast(self.transform_images(segmentation_masks, interpolation="nearest"), dtype)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes scaled (and cropped or padded, as the images) to the output size, as Keras; all -1 or all 0
        (padding) boxes become zeros with label -1."""
        height, width = (B.cast(v, "float32") for v in transformation)
        boxes = B.convert_to_tensor(bounding_boxes["boxes"])
        padding = B.expand_dims(B.logical_or(B.all(boxes == -1, axis=-1), B.all(boxes == 0, axis=-1)), -1)
        x1, y1, x2, y2 = _xyxy_columns(self, boxes, height, width)
        if self.pad_to_aspect_ratio:
            ratio = B.minimum(self.height / height, self.width / width)
            scale_x = scale_y = ratio
            left, top = -B.floor((self.width - width * ratio) / 2), -B.floor((self.height - height * ratio) / 2)
        elif self.crop_to_aspect_ratio:
            wider = width / height > self.width / self.height
            new_width = B.where(wider, self.height * width / height, float(self.width))
            new_height = B.where(wider, float(self.height), self.width * height / width)
            scale_x, scale_y = new_width / width, new_height / height
            left, top = B.floor((new_width - self.width) / 2), B.floor((new_height - self.height) / 2)
        else:
            scale_x, scale_y, left, top = self.width / width, self.height / height, 0.0, 0.0
        columns = (x1 * scale_x - left, y1 * scale_y - top, x2 * scale_x - left, y2 * scale_y - top)
        moved = _moved_boxes(self, bounding_boxes, columns, self.height, self.width)
        return {**moved, "boxes": B.where(padding, B.zeros_like(moved["boxes"]), moved["boxes"])}

    def compute_output_shape(self, input_shape):
        return _sized_shape(self, input_shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}


class CenterCrop(BaseImagePreprocessingLayer):
    """Crops the central ``(height, width)`` window; smaller images are resized to fit (the largest
    window of the target aspect ratio, bilinear), as Keras's ``smart_resize``.

    Args:
        height, width: output size.
        data_format: "channels_last" or "channels_first".
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"): they are moved into the
            window (and scaled with it), clipped to it.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = height, width

    def get_random_transformation(self, data, training=True, seed=None):
        return {"input_shape": images_shape(data)}

    def transform_images(self, images, transformation=None, training=True, interpolation="bilinear"):
        images = B.cast(images, self.compute_dtype)
        h, w = self._hw(B.shape(images))
        if h >= self.height and w >= self.width:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            return image_ops.crop_images(images, top, left, target_height=self.height, target_width=self.width,
                                         data_format=self.data_format)
        return image_ops.resize(images, (self.height, self.width), interpolation=interpolation,
                                crop_to_aspect_ratio=True, data_format=self.data_format)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        """``segmentation_masks`` cropped as the images (resized with nearest interpolation where they are; Keras
        resizes them bilinearly), in their own dtype."""
        return B.cast(self.transform_images(segmentation_masks, interpolation="nearest"), B.dtype(segmentation_masks))

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes in the frame of the central window (scaled to the output when the image was smaller), clipped."""
        h, w = self._hw(transformation["input_shape"])
        if h >= self.height and w >= self.width:
            top, left, crop_h, crop_w = (h - self.height) // 2, (w - self.width) // 2, self.height, self.width
        else:
            crop_h, crop_w = _aspect_window(self, h, w)
            top, left = int(float(h - crop_h) / 2), int(float(w - crop_w) / 2)
        return _window_boxes(self, bounding_boxes, h, w, top, left, crop_h, crop_w)

    def compute_output_shape(self, input_shape):
        return _sized_shape(self, input_shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomCrop(BaseImagePreprocessingLayer):
    """Crops a random ``(height, width)`` window (the same one for the whole batch) in training.

    In inference the largest centered window of the target aspect ratio is cropped and resized
    to ``(height, width)``, as Keras documents (Keras 3.15's code returns the input unchanged in
    inference instead, so its output shape changes). In training, an image not larger than the
    target is cropped from the centered start and resized, exactly as Keras does.

    Args:
        height, width: output size.
        seed: seed of the layer's random stream.
        data_format: "channels_last" or "channels_first".
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"): they are moved into the
            window (and scaled with it), clipped to it.
    """

    supports_jit = False  # as Keras: no XLA / torch.compile for this layer
    _USE_BASE_FACTOR = False

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width, self.seed = height, width, seed
        self.generator = kr.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        h, w = self._hw(images_shape(data))
        if not isinstance(h, int) or not isinstance(w, int):
            raise ValueError(f"RandomCrop {self.name!r} requires the input to have a fully defined height and width. "
                             f"Received: images.shape={tuple(images_shape(data))}")
        if training and h > self.height and w > self.width:
            seed = self._seed(seed)
            top = B.cast(kr.uniform((), 0.0, float(h - self.height + 1), seed=seed), "int32")
            left = B.cast(kr.uniform((), 0.0, float(w - self.width + 1), seed=seed), "int32")
            return top, left, h, w
        crop_h, crop_w = _aspect_window(self, h, w)
        return int(float(h - crop_h) / 2), int(float(w - crop_w) / 2), h, w

    def transform_images(self, images, transformation, training=True, interpolation="bilinear"):
        images = B.cast(images, self.compute_dtype)
        if not training:
            return image_ops.resize(images, (self.height, self.width), interpolation=interpolation,
                                    crop_to_aspect_ratio=True, data_format=self.data_format)
        top, left = transformation[:2]
        h, w = self._hw(tuple(images.shape))
        rows, cols = slice(top, top + self.height), slice(left, left + self.width)
        images = images[..., rows, cols, :] if self.data_format == "channels_last" else images[..., rows, cols]
        if h > self.height and w > self.width:  # the window fits: give a TF graph its static size
            shape = [-1 if d is None else d for d in images.shape]
            axis = len(shape) - (3 if self.data_format == "channels_last" else 2)
            shape[axis], shape[axis + 1] = self.height, self.width
            return B.reshape(images, tuple(shape))
        if tuple(self._hw(B.shape(images))) != (self.height, self.width):  # a smaller image's window is resized
            images = image_ops.resize(images, (self.height, self.width), interpolation=interpolation,
                                      data_format=self.data_format)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """``segmentation_masks`` cropped as the images (resized with nearest interpolation where they are)."""
        return B.cast(self.transform_images(segmentation_masks, transformation, training, interpolation="nearest"),
                      B.dtype(segmentation_masks))

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes in the frame of the cropped window (scaled where the window was resized), clipped to it."""
        top, left, h, w = transformation
        if not training:
            crop_h, crop_w = _aspect_window(self, h, w)
        elif h > self.height and w > self.width:
            crop_h, crop_w = self.height, self.width
        else:
            crop_h, crop_w = min(self.height, h - top), min(self.width, w - left)
        return _window_boxes(self, bounding_boxes, h, w, B.cast(top, "float32"), B.cast(left, "float32"), crop_h,
                             crop_w)

    def compute_output_shape(self, input_shape):
        return _sized_shape(self, input_shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "seed": self.seed}


class RandomFlip(BaseImagePreprocessingLayer):
    """Flips each image with probability 1/2 in training.

    Args:
        mode: "horizontal", "vertical" or "horizontal_and_vertical" (default; both flips share
            one draw per image, as in Keras).
        seed: seed of the layer's random stream.
        data_format: "channels_last" or "channels_first".
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"): they are mirrored with
            their images.

    Example:

    >>> flip = RandomFlip("horizontal", bounding_box_format="xyxy")
    >>> out = flip({"images": np.zeros((1, 4, 6, 3)), "segmentation_masks": np.zeros((1, 4, 6, 1), "int32"),
    ...             "bounding_boxes": {"boxes": np.array([[[0., 0., 2., 2.]]]), "labels": np.array([[1]])}})
    >>> out["bounding_boxes"]["boxes"]  # [[[4. 0. 6. 2.]]] when this image was flipped
    """

    _USE_BASE_FACTOR = False
    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if mode not in self._MODES:
            raise ValueError(f"RandomFlip {self.name!r}: `mode` must be one of {self._MODES}, received {mode!r}.")
        self.mode, self.seed = mode, seed
        self.generator = kr.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = images_shape(data)
        flips_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        flips = B.less_equal(kr.uniform(flips_shape, seed=self._seed(seed)), 0.5)
        return {"flips": flips, "input_shape": shape}

    def _transform_images(self, images, transformation):
        flips = B.reshape(transformation["flips"], (-1, 1, 1, 1))
        rows, cols = (1, 2) if self.data_format == "channels_last" else (2, 3)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            images = B.where(flips, B.flip(images, axis=cols), images)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            images = B.where(flips, B.flip(images, axis=rows), images)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """``segmentation_masks`` flipped as the images (their dtype is kept)."""
        return self._transform_masks(segmentation_masks, transformation, training)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes mirrored with their images (labels of boxes with no area become -1, as Keras)."""
        if not training or transformation is None:
            return bounding_boxes
        h, w = self._hw(transformation["input_shape"])
        x1, y1, x2, y2 = _xyxy_columns(self, bounding_boxes["boxes"], h, w)
        flips = B.reshape(transformation["flips"], (-1, 1, 1))
        w, h = B.cast(w, "float32"), B.cast(h, "float32")
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x1, x2 = B.where(flips, w - x2, x1), B.where(flips, w - x1, x2)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            y1, y2 = B.where(flips, h - y2, y1), B.where(flips, h - y1, y2)
        return _moved_boxes(self, bounding_boxes, (x1, y1, x2, y2), h, w)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}


class _AffineLayer(BaseImagePreprocessingLayer):
    """Shared fill/interpolation arguments of the layers that warp with ``affine_transform``."""
    supports_jit = False  # as Keras for RandomRotation, RandomZoom and RandomTranslation

    def _set_affine(self, fill_mode, interpolation, fill_value, seed):
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(f"{type(self).__name__} {self.name!r}: unknown `fill_mode` {fill_mode}. "
                                      f"Expected one of {_FILL_MODES}.")
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"{type(self).__name__} {self.name!r}: unknown `interpolation` "
                                      f"{interpolation}. Expected one of {_INTERPOLATIONS}.")
        self.fill_mode, self.interpolation, self.fill_value, self.seed = fill_mode, interpolation, fill_value, seed
        self.generator = kr.SeedGenerator(seed)

    def _warp(self, images, matrix, interpolation=None):
        return image_ops.affine_transform(images, matrix, interpolation=interpolation or self.interpolation,
                                          fill_mode=self.fill_mode, fill_value=self.fill_value,
                                          data_format=self.data_format)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """``segmentation_masks`` warped as the images with nearest interpolation (their dtype is kept)."""
        return self._transform_masks(segmentation_masks, transformation, training, interpolation="nearest")

    def _affine_config(self):
        return {"fill_mode": self.fill_mode, "fill_value": self.fill_value, "interpolation": self.interpolation,
                "seed": self.seed}


def _range_factor(layer, factor, name, low_open=False):
    """(lower, upper) from a number or pair in [-1, 1] (``(-1, 1]`` with ``low_open``)."""
    def check(v):
        if not isinstance(v, (int, float)) or v > 1.0 or v < -1.0 or (low_open and v == -1.0):
            raise ValueError(f"{type(layer).__name__} {layer.name!r}: the `{name}` argument should be a number (or a "
                             f"list of two numbers) in the range {'(' if low_open else '['}-1.0, 1.0]. "
                             f"Received: {name}={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            check(None)
        check(factor[0])
        check(factor[1])
        return tuple(sorted(factor))
    check(factor)
    return -abs(factor), abs(factor)


class RandomRotation(_AffineLayer):
    """Rotates images by a random angle in ``factor * 2π`` in training.

    Args:
        factor: fraction of a full turn: ``0.1`` draws angles in [-36°, 36°]; a pair gives
            (lower, upper).
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest".
        interpolation: "bilinear" (default) or "nearest".
        seed: seed of the layer's random stream.
        fill_value: value for ``fill_mode="constant"``.
        data_format: "channels_last" or "channels_first".
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"): each becomes the box
            around its rotated corners, clipped to the image.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self._set_affine(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = images_shape(data)
        batch = self._batch(data)
        height, width = self._hw(shape)
        angle = kr.uniform((batch,), self.factor[0] * 360.0, self.factor[1] * 360.0, seed=self._seed(seed))
        matrix = rotation_matrix(angle, height, width)
        if len(shape) == 3:
            matrix = B.squeeze(matrix, 0)
        return {"angle": angle, "rotation_matrix": matrix, "image_height": height, "image_width": width,
                "batch_size": batch}

    def _transform_images(self, images, transformation, interpolation=None):
        return self._warp(images, transformation["rotation_matrix"], interpolation)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Each box becomes the box around its 4 rotated corners, clipped to the image."""
        if not training or transformation is None:
            return bounding_boxes
        h, w = transformation["image_height"], transformation["image_width"]
        boxes = B.concatenate(_xyxy_columns(self, bounding_boxes["boxes"], h, w), axis=-1)
        zeros = B.zeros_like(transformation["angle"])
        moved = box_utils.affine_transform(boxes, transformation["angle"], zeros, zeros, zeros + 1.0, zeros, zeros,
                                           h, w)
        return _moved_boxes(self, bounding_boxes, [moved[..., i:i + 1] for i in range(4)], h, w)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, **self._affine_config()}


def rotation_matrix(angle, height, width):
    """Keras's inverse rotation (degrees ``angle`` (N,)) about the image center as (N, 8) transforms."""
    theta = angle * (math.pi / 180.0)
    cx = 0.5 * (B.cast(width, theta.dtype) - 1)
    cy = 0.5 * (B.cast(height, theta.dtype) - 1)
    cos, sin = B.cos(theta), B.sin(theta)
    a2 = cx - cx * cos - cy * -sin
    b2 = cy - cx * sin - cy * cos
    zeros = B.zeros_like(theta)
    return B.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1)


class RandomZoom(_AffineLayer):
    """Zooms each image in or out by a random factor in training.

    Args:
        height_factor: number or pair in (-1, 1]: the vertical zoom is ``1 + U(lower, upper)``
            (negative: zoom in, positive: zoom out).
        width_factor: same for the horizontal zoom; ``None`` keeps the aspect ratio.
        fill_mode, interpolation, seed, fill_value, data_format: as ``RandomRotation``.
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"): they are clipped to the
            part of the image that stays in view and scaled with it.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _range_factor(self, height_factor, "height_factor", low_open=True)
        if width_factor is not None:
            self.width_lower, self.width_upper = _range_factor(self, width_factor, "width_factor", low_open=True)
        self._set_affine(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = images_shape(data)
        zshape = (shape[0], 1) if len(shape) == 4 else (1, 1)
        seed = self._seed(seed)
        height_zoom = kr.uniform(zshape, 1.0 + self.height_lower, 1.0 + self.height_upper, seed=seed)
        width_zoom = height_zoom if self.width_factor is None else \
            kr.uniform(zshape, 1.0 + self.width_lower, 1.0 + self.width_upper, seed=seed)
        return {"height_zoom": height_zoom, "width_zoom": width_zoom, "input_shape": shape}

    def _zoom(self, transformation, height, width):
        """(zx, zy, x_offset, y_offset), each ``(N, 1)``: the output-to-input map ``x -> zx * x + x_offset``."""
        zx = B.cast(transformation["width_zoom"], "float32")
        zy = B.cast(transformation["height_zoom"], "float32")
        return zx, zy, (B.cast(width, "float32") - 1.0) / 2.0 * (1.0 - zx), \
            (B.cast(height, "float32") - 1.0) / 2.0 * (1.0 - zy)

    def _transform_images(self, images, transformation, interpolation=None):
        zx, zy, x_offset, y_offset = self._zoom(transformation, *self._hw(B.shape(images)))
        zeros = B.zeros_like(zx)
        matrix = B.concatenate([zx, zeros, x_offset, zeros, zy, y_offset, zeros, zeros], axis=1)
        return self._warp(images, matrix, interpolation)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes clipped to the part of the image that stays in view and scaled with it, as Keras."""
        if not training or transformation is None:
            return bounding_boxes
        h, w = self._hw(transformation["input_shape"])
        x1, y1, x2, y2 = _xyxy_columns(self, bounding_boxes["boxes"], h, w)
        zx, zy, x_start, y_start = (B.expand_dims(v, -1) for v in self._zoom(transformation, h, w))
        x_end, y_end = zx * B.cast(w, "float32") + x_start, zy * B.cast(h, "float32") + y_start
        xs = [(B.clip(x, x_start, x_end) - x_start) / zx for x in (x1, x2)]
        ys = [(B.clip(y, y_start, y_end) - y_start) / zy for y in (y1, y2)]
        return _moved_boxes(self, bounding_boxes, (xs[0], ys[0], xs[1], ys[1]), h, w)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor,
                **self._affine_config()}


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its height and width in training.

    Args:
        height_factor: number or pair in [-1, 1]: the vertical shift is ``U(lower, upper) * height``.
        width_factor: same, horizontally.
        fill_mode, interpolation, seed, fill_value, data_format: as ``RandomRotation``.
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"): they are shifted with
            their images and clipped to them.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _range_factor(self, height_factor, "height_factor")
        self.width_lower, self.width_upper = _range_factor(self, width_factor, "width_factor")
        self._set_affine(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = images_shape(data)
        batch = self._batch(data)
        height, width = self._hw(shape)
        seed = self._seed(seed)
        dy = kr.uniform((batch, 1), self.height_lower, self.height_upper, seed=seed) * B.cast(height, "float32")
        dx = kr.uniform((batch, 1), self.width_lower, self.width_upper, seed=seed) * B.cast(width, "float32")
        return {"translations": B.concatenate([dx, dy], axis=1), "input_shape": shape}

    def _transform_images(self, images, transformation, interpolation=None):
        t = B.cast(transformation["translations"], "float32")
        ones, zeros = B.ones_like(t[:, :1]), B.zeros_like(t[:, :1])
        matrix = B.concatenate([ones, zeros, -t[:, :1], zeros, ones, -t[:, 1:], zeros, zeros], axis=1)
        return self._warp(images, matrix, interpolation)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes shifted with their images, clipped to the image."""
        if not training or transformation is None:
            return bounding_boxes
        h, w = self._hw(transformation["input_shape"])
        x1, y1, x2, y2 = _xyxy_columns(self, bounding_boxes["boxes"], h, w)
        t = B.expand_dims(B.cast(transformation["translations"], "float32"), 1)
        dx, dy = t[..., :1], t[..., 1:]
        return _moved_boxes(self, bounding_boxes, (x1 + dx, y1 + dy, x2 + dx, y2 + dy), h, w)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor,
                **self._affine_config()}


def checked_value_range(layer, value_range):
    """``value_range`` as a sorted ``[low, high]``; a clear error naming ``layer`` when it is not two numbers."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: the `value_range` argument should be a list of two "
                         f"numbers. Received: value_range={value_range}")
    return sorted(value_range)


class RandomContrast(BaseImagePreprocessingLayer):
    """Scales each image's deviation from its per-channel mean by a random factor in training.

    ``out = clip((x - mean) * c + mean, *value_range)``, ``c ~ U(1 - lower, 1 + upper)``.

    Args:
        factor: number or pair in [0, 1].
        value_range: (min, max) of the pixel values (``(0, 255)``).
        seed: seed of the layer's random stream.
        bounding_box_format: the format of the boxes of dict inputs, which pass through unchanged.
    """

    _KEEPS_BOXES = True
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self._set_factor(factor)
        self.value_range, self.seed = value_range, seed
        self.generator = kr.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        shape = (1, 1, 1) if len(images_shape(data)) == 3 else (images_shape(data)[0], 1, 1, 1)
        if not training:
            return {"contrast_factor": B.zeros(shape)}
        factor = kr.uniform(shape, 1.0 - self.factor[0], 1.0 + self.factor[1], dtype=self.compute_dtype,
                            seed=self._seed(seed))
        return {"contrast_factor": factor}

    def _transform_images(self, images, transformation):
        axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
        mean = B.mean(images, axis=axes, keepdims=True)
        factor = B.reshape(transformation["contrast_factor"], (-1, 1, 1, 1))
        return B.clip((images - mean) * factor + mean, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}


class RandomBrightness(BaseImagePreprocessingLayer):
    """Adds a random delta ``U(lower, upper) * (max - min)`` to each image in training, clipped to
    ``value_range``.

    Args:
        factor: number or pair in [-1, 1].
        value_range: (min, max) of the pixel values (``(0, 255)``).
        seed: seed of the layer's random stream.
        bounding_box_format: the format of the boxes of dict inputs, which pass through unchanged.
    """

    _KEEPS_BOXES = True

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor=factor, **kwargs)
        self.seed = seed
        self.generator = kr.SeedGenerator(seed)
        self.value_range = checked_value_range(self, value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        shape = (1, 1, 1) if len(images_shape(data)) == 3 else (images_shape(data)[0], 1, 1, 1)
        if not training:
            return {"rgb_delta": B.zeros(shape)}
        delta = kr.uniform(shape, self.factor[0], self.factor[1], seed=self._seed(seed))
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def _transform_images(self, images, transformation):
        delta = B.reshape(B.cast(transformation["rgb_delta"], B.dtype(images)), (-1, 1, 1, 1))
        return B.clip(images + delta, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range, "seed": self.seed}


class RandomGrayscale(BaseImagePreprocessingLayer):
    """Converts each image to grayscale with probability ``factor`` in training; the gray channel
    is repeated over the input's channels, as in Keras.

    Args:
        factor: probability in [0, 1] (0.5).
        data_format: "channels_last" or "channels_first".
        seed: seed of the layer's random stream.
        bounding_box_format: the format of the boxes of dict inputs, which pass through unchanged.
    """

    _KEEPS_BOXES = True
    _USE_BASE_FACTOR = False

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(factor, (int, float)) or factor < 0 or factor > 1:
            raise ValueError(f"RandomGrayscale {self.name!r}: `factor` should be between 0 and 1. "
                             f"Received: factor={factor}")
        self.factor, self.seed = factor, seed
        self.generator = kr.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        values = kr.uniform((self._batch(data),), 0.0, 1.0, seed=self._seed(seed))
        return B.reshape(B.less(values, self.factor), (-1, 1, 1, 1))

    def _transform_images(self, images, transformation):
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return B.where(B.reshape(transformation, (-1, 1, 1, 1)), gray, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def to_range(images, source, target):
    """``images`` mapped linearly from the value range ``source`` onto ``target`` (both ``(low, high)``)."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    return (images - source[0]) / (source[1] - source[0]) * (target[1] - target[0]) + target[0]


def _unit_factor(layer, factor, name):
    def check(v):
        if not isinstance(v, (int, float)) or v > 1.0 or v < 0:
            raise ValueError(f"{type(layer).__name__} {layer.name!r}: the `{name}` argument should be a number (or a "
                             f"list of two numbers) in the range [0, 1]. Received: {name}={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            check(None)
        check(factor[0])
        check(factor[1])
        return tuple(sorted(factor))
    check(factor)
    return (0, factor)


class Solarization(BaseImagePreprocessingLayer):
    """Inverts pixels above a random threshold, after adding a random value (in training).

    Pixels (mapped to [0, 255]) get ``x + a`` clipped to [0, 255] and become ``255 - v`` where
    ``v >= t``; ``a ~ U(lower, upper * 255)`` and ``t`` likewise from their factors.

    Args:
        addition_factor: number or pair in [0, 1] (0).
        threshold_factor: number or pair in [0, 1] (0).
        value_range: (min, max) of the pixel values (``(0, 255)``).
        seed: seed of the layer's random stream.
        bounding_box_format: the format of the boxes of dict inputs, which pass through unchanged.
    """

    _KEEPS_BOXES = True
    _USE_BASE_FACTOR = False

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.generator = kr.SeedGenerator(seed)
        self.addition_factor = _unit_factor(self, addition_factor, "addition_factor")
        self.threshold_factor = _unit_factor(self, threshold_factor, "threshold_factor")
        self.value_range = checked_value_range(self, value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = (1, 1, 1) if len(images_shape(data)) == 3 else (images_shape(data)[0], 1, 1, 1)
        seed = self._seed(seed)
        additions = kr.uniform(shape, self.addition_factor[0], self.addition_factor[1] * 255, dtype=self.compute_dtype,
                               seed=seed)
        thresholds = kr.uniform(shape, self.threshold_factor[0], self.threshold_factor[1] * 255,
                                dtype=self.compute_dtype, seed=seed)
        return {"additions": additions, "thresholds": thresholds}

    def _transform_images(self, images, transformation):
        x = to_range(images, self.value_range, (0, 255))
        x = B.clip(x + B.reshape(transformation["additions"], (-1, 1, 1, 1)), 0, 255)
        x = B.where(B.less(x, B.reshape(transformation["thresholds"], (-1, 1, 1, 1))), x, 255 - x)
        return to_range(x, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor, "seed": self.seed}


class AutoContrast(BaseImagePreprocessingLayer):
    """Stretches each image's channels to span ``value_range`` (in training and inference).

    Args:
        value_range: (min, max) of the pixel values (``(0, 255)``).
        bounding_box_format: the format of the boxes of dict inputs, which pass through unchanged.
    """

    _KEEPS_BOXES = True
    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = checked_value_range(self, value_range)

    def transform_images(self, images, transformation=None, training=True):
        images = B.cast(images, self.compute_dtype)
        x = to_range(images, self.value_range, (0, 255))
        axes = (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        low = B.min(x, axis=axes, keepdims=True)
        high = B.max(x, axis=axes, keepdims=True)
        scale = 255.0 / (high - low)
        out = to_range(B.clip(x * scale - low * scale, 0.0, 255.0), (0, 255), self.value_range)
        return B.where(B.isnan(out), images, out)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range}
