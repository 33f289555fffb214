"""TensorFlow image kernels behind ``kerasport.ops.image``: resizing, projective warps, HSV, map_coordinates.

The package gathers them (``B.image_resize``, ...). Images are 4-D ``(N, H, W, C)`` or
``(N, C, H, W)`` float tensors (``kerasport/ops_image.py`` validates, batches and
casts); the kernels are TensorFlow's own (``tf.image.resize``,
``ImageProjectiveTransformV3``), the ones Keras calls on this backend.
"""
import itertools

import tensorflow as tf

__all__ = ["image_resize", "image_affine_transform", "image_rgb_to_hsv", "image_hsv_to_rgb",
           "image_map_coordinates"]


def _nhwc(images, data_format):
    return tf.transpose(images, (0, 2, 3, 1)) if data_format == "channels_first" else images


def _back(images, data_format):
    return tf.transpose(images, (0, 3, 1, 2)) if data_format == "channels_first" else images


def image_resize(images, size, interpolation="bilinear", antialias=False, data_format="channels_last"):
    """Resize a float batch ``images`` (N, H, W, C) / (N, C, H, W) to ``size`` (height, width)
    with ``tf.image.resize`` (``interpolation``: bilinear, nearest, bicubic, area, lanczos3, lanczos5)."""
    out = tf.image.resize(_nhwc(images, data_format), [int(size[0]), int(size[1])], method=interpolation,
                          antialias=antialias)
    return _back(tf.cast(out, images.dtype), data_format)


def image_affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.0,
                           data_format="channels_last"):
    """Warp a batch of images by projective transforms (N or 1, 8) with ImageProjectiveTransformV3.

    Each row ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps an output pixel (x, y) to the input point
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``.
    """
    x = _nhwc(images, data_format)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=x, transforms=tf.stop_gradient(tf.cast(transform, tf.float32)), output_shape=tf.shape(x)[1:3],
        fill_value=tf.cast(fill_value, tf.float32), interpolation=interpolation.upper(), fill_mode=fill_mode.upper())
    out = tf.ensure_shape(out, x.shape)
    return _back(out, data_format)


def image_rgb_to_hsv(images):
    """RGB -> HSV along the last axis (``tf.image.rgb_to_hsv``)."""
    return tf.image.rgb_to_hsv(images)


def image_hsv_to_rgb(images):
    return tf.image.hsv_to_rgb(images)


def _fold(index, size, fill_mode):
    if fill_mode == "constant":
        return tf.clip_by_value(index, 0, size - 1), (index >= 0) & (index < size)
    if fill_mode == "nearest":
        return tf.clip_by_value(index, 0, size - 1), None
    if fill_mode == "wrap":
        return tf.math.floormod(index, size), None
    period = 2 * size  # mirror / reflect
    mod = tf.math.floormod(tf.abs(index), period)
    folded = tf.where(mod < size, mod, period - mod)
    if fill_mode == "reflect":
        folded = tf.where(mod < size, folded, folded - 1)
    return tf.clip_by_value(folded, 0, size - 1), None


def image_map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0.0):
    dtype = inputs.dtype
    coords = tf.cast(coordinates, tf.float32) if coordinates.dtype.is_integer else coordinates
    taps = []
    for axis in range(len(inputs.shape)):
        c = coords[axis]
        if order == 0:
            taps.append([(tf.cast(tf.round(c), tf.int32), tf.ones_like(c))])
        else:
            lower = tf.floor(c)
            index = tf.cast(lower, tf.int32)
            taps.append([(index, 1 - (c - lower)), (index + 1, c - lower)])
    total = 0
    for combo in itertools.product(*taps):
        indices, weight, valid = [], 1, None
        for axis, (index, w) in enumerate(combo):
            size = inputs.shape[axis] if inputs.shape[axis] is not None else tf.shape(inputs)[axis]
            folded, ok = _fold(index, size, fill_mode)
            indices.append(folded)
            weight = weight * w
            if ok is not None:
                valid = ok if valid is None else valid & ok
        values = tf.cast(tf.gather_nd(inputs, tf.stack(indices, -1)), weight.dtype)
        if valid is not None:
            values = tf.where(valid, values, tf.cast(fill_value, values.dtype))
        total = total + weight * values
    if dtype.is_integer:
        total = tf.round(total)
    return tf.cast(total, dtype)
