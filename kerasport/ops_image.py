"""``kerasport.ops.image``: Keras's image ops (``keras.ops.image``) on the active backend.

Validation, batching and dtype rules live here, written once; the kernels are the
backend's ``image_*`` functions (``kerasport/backends/{torch,tf}_image.py``). Images
are rank 3 ``(H, W, C)`` or rank 4 ``(N, H, W, C)`` (``channels_first``: ``C`` before
``H, W``). Given a symbolic ``KerasTensor``, an op adds an ``OpLayer`` to the graph.
"""
import functools
import math

import numpy as np

from kerasport import backend
from kerasport import random as kr
from kerasport.backends import B
from kerasport.layers import op_layer
from kerasport.core.keras_tensor import KerasTensor

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")
AFFINE_INTERPOLATIONS = ("nearest", "bilinear")
AFFINE_FILL_MODES = ("constant", "nearest", "wrap", "reflect")
MAP_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
SCALE_AND_TRANSLATE_METHODS = ("linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic", "lanczos3",
                               "lanczos5")

__all__ = ["resize", "affine_transform", "crop_images", "pad_images", "rgb_to_grayscale", "rgb_to_hsv",
           "hsv_to_rgb", "extract_patches", "extract_patches_3d", "map_coordinates", "gaussian_blur",
           "perspective_transform", "elastic_transform", "sobel_edges", "ssim",
           "scale_and_translate"]


def _op(fn):
    """Register ``fn`` as ``image.<name>`` for ``OpLayer`` and route symbolic calls to it."""
    name = "image." + fn.__name__
    op_layer.OPERATORS[name] = fn

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if any(isinstance(a, KerasTensor) for a in list(args) + list(kwargs.values())):
            return op_layer.symbolic_op(name, args, kwargs)
        return fn(*args, **kwargs)
    return op


def _data_format(data_format, fn):
    data_format = data_format or backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"ops.image.{fn}: `data_format` must be 'channels_last' or 'channels_first', "
                         f"received data_format={data_format!r}.")
    return data_format


def _images(images, fn, ranks=(3, 4)):
    images = B.convert_to_tensor(images)
    if B.ndim(images) not in ranks:
        raise ValueError(f"ops.image.{fn}: invalid images rank: expected rank 3 (single image) or rank 4 (batch "
                         f"of images). Received input with shape: images.shape={tuple(images.shape)}")
    return images


def _hw(images, data_format):
    shape = B.shape(images)
    return (shape[-3], shape[-2]) if data_format == "channels_last" else (shape[-2], shape[-1])


def _spatial_slice(images, data_format, rows, cols):
    if data_format == "channels_last":
        return images[..., rows, cols, :]
    return images[..., rows, cols]


def _is_int(dtype):
    return "int" in dtype


@_op
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize images to ``size`` = (height, width).

    Args:
        images: rank 3 (one image) or rank 4 (batch) tensor.
        size: (height, width) of the output.
        interpolation: "bilinear" (default), "nearest", "bicubic", "area", "lanczos3" or "lanczos5";
            half-pixel centers, as ``tf.image.resize``.
        antialias: widen the filter when downsampling (bilinear, bicubic, lanczos).
        crop_to_aspect_ratio: first crop the largest centered window with the target aspect ratio.
        pad_to_aspect_ratio: first pad the short side evenly with ``fill_value`` to the target ratio.
        fill_mode: only "constant".
        fill_value: padding value for ``pad_to_aspect_ratio``.
        data_format: "channels_last" or "channels_first" (``kerasport.config.image_data_format()``).

    Integer images are resized in float32, rounded and clipped back to their dtype.

    >>> resize(np.zeros((2, 4, 4, 3)), (2, 2)).shape
    (2, 2, 2, 3)
    """
    data_format = _data_format(data_format, "resize")
    if len(size) != 2:
        raise ValueError(f"ops.image.resize: expected `size` to be a tuple of 2 integers. Received: size={size}")
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"ops.image.resize: `size` must have positive height and width. Received: size={size}")
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(f"ops.image.resize: invalid value for argument `interpolation`. Expected one of "
                         f"{RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}")
    if fill_mode != "constant":
        raise ValueError("ops.image.resize: invalid value for argument `fill_mode`. Only 'constant' is supported. "
                         f"Received: fill_mode={fill_mode}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("ops.image.resize: only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be True.")
    images = _images(images, "resize")
    dtype = B.dtype(images)
    x = B.cast(images, "float32") if "float" not in dtype else images
    unbatched = B.ndim(x) == 3
    if unbatched:
        x = B.expand_dims(x, 0)
    height, width = _hw(x, data_format)
    target_h, target_w = int(size[0]), int(size[1])
    if crop_to_aspect_ratio:
        crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
        crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
        top, left = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
        x = _spatial_slice(x, data_format, slice(top, top + crop_h), slice(left, left + crop_w))
    elif pad_to_aspect_ratio:
        pad_h = max(height, int(float(width * target_h) / target_w))
        pad_w = max(width, int(float(height * target_w) / target_h))
        top, left = int(float(pad_h - height) / 2), int(float(pad_w - width) / 2)
        spatial = [(top, top), (left, left)]
        pads = [(0, 0)] + (spatial + [(0, 0)] if data_format == "channels_last" else [(0, 0)] + spatial)
        x = B.pad(x, pads, constant_values=fill_value)
    out = B.image_resize(x, (target_h, target_w), interpolation, bool(antialias), data_format)
    if unbatched:
        out = B.squeeze(out, 0)
    if _is_int(dtype):
        info = np.iinfo(dtype)
        out = B.cast(B.clip(B.round(out), float(info.min), float(info.max)), dtype)
    return out


def _check_transform_args(interpolation, fill_mode, fn):
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError(f"ops.image.{fn}: invalid value for argument `interpolation`. Expected one of "
                         f"{AFFINE_INTERPOLATIONS}. Received: interpolation={interpolation}")
    if fill_mode not in AFFINE_FILL_MODES:
        raise ValueError(f"ops.image.{fn}: invalid value for argument `fill_mode`. Expected one of "
                         f"{AFFINE_FILL_MODES}. Received: fill_mode={fill_mode}")


@_op
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """Applies projective transform(s) to the image(s).

    Args:
        images: rank 3 (one image) or rank 4 (batch) tensor.
        transform: (8,) or (N, 8) rows ``[a0, a1, a2, b0, b1, b2, c0, c1]`` mapping each *output*
            point (x, y) to the *input* point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``
            with ``k = c0 x + c1 y + 1``. No gradient flows into the transform.
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: how points outside the input are filled: "constant" (``fill_value``),
            "nearest", "wrap" or "reflect".
        fill_value: value for ``fill_mode="constant"``.
        data_format: "channels_last" or "channels_first".
    """
    data_format = _data_format(data_format, "affine_transform")
    _check_transform_args(interpolation, fill_mode, "affine_transform")
    images = _images(images, "affine_transform")
    transform = B.convert_to_tensor(transform)
    if B.ndim(transform) not in (1, 2) or B.shape(transform)[-1] != 8:
        raise ValueError("ops.image.affine_transform: invalid transform: expected shape (8,) (single transform) or "
                         f"(N, 8) (batch of transforms). Received input with shape: "
                         f"transform.shape={tuple(transform.shape)}")
    dtype = B.dtype(images)
    x = B.cast(images, "float32") if "float" not in dtype else images
    unbatched = B.ndim(x) == 3
    if unbatched:
        x = B.expand_dims(x, 0)
    if B.ndim(transform) == 1:
        transform = B.expand_dims(transform, 0)
    out = B.image_affine_transform(x, transform, interpolation, fill_mode, fill_value, data_format)
    if unbatched:
        out = B.squeeze(out, 0)
    return B.cast(B.round(out), dtype) if _is_int(dtype) else out


def _resolve(first, second, target, size, names, fn):
    """Two of (first, second, target) given: the two edges (first, second) along one axis."""
    if [first, second, target].count(None) != 1:
        raise ValueError(f"ops.image.{fn}: must specify exactly two of {', '.join(names)}. Received: "
                         f"{names[0]}={first}, {names[1]}={second}, {names[2]}={target}")
    for name, value in zip(names, (first, second, target)):
        if value is not None and value < 0:
            raise ValueError(f"ops.image.{fn}: {name} must be >= 0. Received: {name}={value}")
    return first, second, target


@_op
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None):
    """Pad images with zeros to a given size; exactly two of (top, bottom, target_height) and two of
    (left, right, target_width) must be given.

    >>> pad_images(np.ones((15, 25, 3)), 2, 3, target_height=20, target_width=30).shape
    (20, 30, 3)
    """
    data_format = _data_format(data_format, "pad_images")
    images = _images(images, "pad_images")
    height, width = _hw(images, data_format)
    top, bottom, target_h = _resolve(top_padding, bottom_padding, target_height, height,
                                     ("top_padding", "bottom_padding", "target_height"), "pad_images")
    left, right, target_w = _resolve(left_padding, right_padding, target_width, width,
                                     ("left_padding", "right_padding", "target_width"), "pad_images")
    top = target_h - bottom - height if top is None else top
    bottom = target_h - top - height if bottom is None else bottom
    left = target_w - right - width if left is None else left
    right = target_w - left - width if right is None else right
    for name, value in (("top_padding", top), ("bottom_padding", bottom), ("left_padding", left),
                        ("right_padding", right)):
        if value < 0:
            raise ValueError(f"ops.image.pad_images: {name} must be >= 0. Received: {name}={value}")
    spatial = [(top, bottom), (left, right)]
    pads = spatial + [(0, 0)] if data_format == "channels_last" else [(0, 0)] + spatial
    if B.ndim(images) == 4:
        pads = [(0, 0)] + pads
    return B.pad(images, pads)


@_op
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None,
                target_height=None, target_width=None, data_format=None):
    """Crop images to a given size; exactly two of (top, bottom, target_height) and two of
    (left, right, target_width) must be given.

    >>> crop_images(np.ones((3, 3, 3)), 0, 0, target_height=2, target_width=2).shape
    (2, 2, 3)
    """
    data_format = _data_format(data_format, "crop_images")
    images = _images(images, "crop_images")
    height, width = _hw(images, data_format)
    top, bottom, target_h = _resolve(top_cropping, bottom_cropping, target_height, height,
                                     ("top_cropping", "bottom_cropping", "target_height"), "crop_images")
    left, right, target_w = _resolve(left_cropping, right_cropping, target_width, width,
                                     ("left_cropping", "right_cropping", "target_width"), "crop_images")
    top = height - target_h - bottom if top is None else top
    target_h = height - bottom - top if target_h is None else target_h
    left = width - target_w - right if left is None else left
    target_w = width - right - left if target_w is None else target_w
    for name, value in (("top_cropping", top), ("target_height", target_h), ("left_cropping", left),
                        ("target_width", target_w)):
        if value < 0:
            raise ValueError(f"ops.image.crop_images: {name} must be >= 0. Received: {name}={value}")
    return _spatial_slice(images, data_format, slice(top, top + target_h), slice(left, left + target_w))


def _channels_last(images, data_format):
    return images if data_format == "channels_last" else B.moveaxis(images, -3, -1)


def _restore(images, data_format):
    return images if data_format == "channels_last" else B.moveaxis(images, -1, -3)


@_op
def rgb_to_grayscale(images, data_format=None):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B``, one channel kept (as ``tf.image.rgb_to_grayscale``).

    One-channel images come back unchanged; integer images are converted in float and cast back.
    """
    data_format = _data_format(data_format, "rgb_to_grayscale")
    images = _images(images, "rgb_to_grayscale")
    axis = -1 if data_format == "channels_last" else -3
    channels = B.shape(images)[axis]
    if channels not in (1, 3):
        raise ValueError("ops.image.rgb_to_grayscale: invalid channel size: expected 3 (RGB) or 1 (Grayscale). "
                         f"Received input with shape: images.shape={tuple(images.shape)}")
    if channels == 1:
        return images
    dtype = B.dtype(images)
    x = B.cast(images, "float32") if "float" not in dtype else images
    weights = B.convert_to_tensor(np.array([0.2989, 0.5870, 0.1140]), B.dtype(x))
    gray = B.expand_dims(B.tensordot(_channels_last(x, data_format), weights, axes=([-1], [0])), axis)
    return B.cast(gray, dtype)


def _hsv(images, data_format, fn, kernel):
    data_format = _data_format(data_format, fn)
    images = _images(images, fn)
    if "float" not in B.dtype(images):
        raise ValueError(f"ops.image.{fn}: invalid images dtype: expected float dtype. "
                         f"Received: images.dtype={B.dtype(images)}")
    return _restore(kernel(_channels_last(images, data_format)), data_format)


@_op
def rgb_to_hsv(images, data_format=None):
    """RGB (floats in [0, 1]) to HSV, hue in [0, 1) (as ``tf.image.rgb_to_hsv``)."""
    return _hsv(images, data_format, "rgb_to_hsv", B.image_rgb_to_hsv)


@_op
def hsv_to_rgb(images, data_format=None):
    """HSV (floats in [0, 1]) to RGB (as ``tf.image.hsv_to_rgb``)."""
    return _hsv(images, data_format, "hsv_to_rgb", B.image_hsv_to_rgb)


@_op
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of ``size`` (int or (ph, pw)) flattened into the channel axis: (N, H', W', ph*pw*C).

    ``strides`` (int or (sh, sw)) defaults to ``size`` (non-overlapping patches); ``padding`` "valid" or "same".
    A ``size`` of three ints extracts 3-D patches from volumes, as ``extract_patches_3d``.
    """
    if not isinstance(size, int) and not isinstance(size, (tuple, list)) or \
            isinstance(size, (tuple, list)) and len(size) not in (2, 3):
        raise ValueError(f"ops.image.extract_patches: expected `size` to be an int or a tuple of 2 (or 3) ints. "
                         f"Received: size={size}")
    if not isinstance(size, int) and len(size) == 3:
        return _volume_patches(images, tuple(size), strides, dilation_rate, padding, data_format)
    size = (size, size) if isinstance(size, int) else tuple(size)
    return _patches(_images(images, "extract_patches"), size, strides, dilation_rate, padding,
                    _data_format(data_format, "extract_patches"))


def _patches(x, size, strides, dilation_rate, padding, data_format):
    """Keras's patch extraction: a convolution with an identity kernel of ``size + (C, prod(size) * C)``."""
    rank = len(size)
    channels = B.shape(x)[-1 if data_format == "channels_last" else -rank - 1]
    out_dim = math.prod(size) * channels
    kernel = B.reshape(B.eye(out_dim, dtype=B.dtype(x)), tuple(size) + (channels, out_dim))
    unbatched = B.ndim(x) == rank + 1
    x = B.expand_dims(x, 0) if unbatched else x
    strides = strides or size
    strides = (strides,) * rank if isinstance(strides, int) else tuple(strides)
    if len(strides) != rank:
        raise ValueError(f"ops.image.extract_patches: invalid `strides` argument: expected an int or {rank} ints. "
                         f"Received: strides={strides}")
    patches = B.conv(x, kernel, strides=strides, padding=padding, data_format=data_format,
                     dilation_rate=dilation_rate)
    return B.squeeze(patches, 0) if unbatched else patches


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Extracts patches from the volume(s).

    Each patch of ``size`` voxels is flattened into the channel axis, in (depth, height, width, channel)
    order: ``(N, D', H', W', pd*ph*pw*C)`` for channels_last, ``(N, pd*ph*pw*C, D', H', W')`` for
    channels_first.

    Args:
        volumes: a volume ``(D, H, W, C)`` or a batch of volumes ``(N, D, H, W, C)`` (channels first:
            ``(C, D, H, W)`` / ``(N, C, D, H, W)``).
        size: the patch size, an int or a tuple ``(patch_depth, patch_height, patch_width)``.
        strides: strides along depth, height and width (an int or 3 ints); ``size`` by default
            (non-overlapping patches).
        dilation_rate: the input stride: how far apart two consecutive samples of a patch are. TensorFlow
            does not take ``dilation_rate > 1`` together with ``strides > 1``.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``keras.config.image_data_format()`` by default.

    Returns:
        The patches: 4-D for one volume, 5-D for a batch.

    Example:

    >>> volumes = np.random.random((2, 10, 10, 10, 3)).astype("float32")
    >>> keras.ops.image.extract_patches_3d(volumes, (3, 3, 3)).shape
    (2, 3, 3, 3, 81)
    """
    if isinstance(size, int):
        size = (size, size, size)
    if not isinstance(size, (tuple, list)) or len(size) != 3:
        raise TypeError(f"ops.image.extract_patches_3d: invalid `size` argument. Expected an int or a tuple of "
                        f"length 3. Received: size={size}")
    if isinstance(volumes, KerasTensor):  # Keras records it as extract_patches (its ExtractPatches op)
        return extract_patches(volumes, tuple(size), strides, dilation_rate, padding, data_format)
    return _volume_patches(volumes, tuple(size), strides, dilation_rate, padding, data_format)


def _volume_patches(volumes, size, strides, dilation_rate, padding, data_format):
    volumes = B.convert_to_tensor(volumes)
    if B.ndim(volumes) not in (4, 5):
        raise ValueError("ops.image.extract_patches_3d: invalid volumes rank: expected rank 4 (single volume) or "
                         f"rank 5 (batch of volumes). Received input with shape: volumes.shape="
                         f"{tuple(volumes.shape)}")
    return _patches(volumes, size, strides, dilation_rate, padding, _data_format(data_format, "extract_patches_3d"))


@_op
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """Samples ``inputs`` at ``coordinates`` (shape ``(inputs.ndim, ...)``) by interpolation.

    Args:
        order: 0 (nearest, halves to even) or 1 (linear).
        fill_mode: "constant" (``fill_value``), "nearest", "wrap", "mirror" or "reflect".
    """
    inputs, coordinates = B.convert_to_tensor(inputs), B.convert_to_tensor(coordinates)
    if B.ndim(coordinates) < 2 or B.shape(coordinates)[0] != B.ndim(inputs):
        raise ValueError("ops.image.map_coordinates: first dim of `coordinates` must be the rank of `inputs` and "
                         f"`coordinates` at least rank 2. Received inputs with shape {tuple(inputs.shape)} and "
                         f"coordinates with shape {tuple(coordinates.shape)}")
    if fill_mode not in MAP_FILL_MODES:
        raise ValueError(f"ops.image.map_coordinates: invalid value for argument `fill_mode`. Expected one of "
                         f"{MAP_FILL_MODES}. Received: fill_mode={fill_mode}")
    if order not in (0, 1):
        raise NotImplementedError(f"ops.image.map_coordinates requires order <= 1. Received: order={order}")
    return B.image_map_coordinates(inputs, coordinates, order, fill_mode, fill_value)


def _gaussian(n, s):
    """The normalised 1-D Gaussian of ``n`` taps and std ``s`` (a number or scalar tensor), float64."""
    x = B.arange(n, dtype="float64") - (n - 1) / 2
    k = B.exp(-0.5 * (x / B.cast(s, "float64")) ** 2)
    return k / B.sum(k)


def _gaussian_kernel(kernel_size, sigma, channels, dtype):
    """Keras's depthwise (kh, kw, channels, 1) Gaussian: taps ``kernel_size[1]`` (std ``sigma[1]``) by
    ``kernel_size[0]`` (std ``sigma[0]``), laid out as (kh, kw) also for non-square kernels."""
    kernel = B.reshape(B.outer(_gaussian(kernel_size[1], sigma[1]), _gaussian(kernel_size[0], sigma[0])),
                       (kernel_size[0], kernel_size[1], 1, 1))
    return B.cast(B.tile(kernel, (1, 1, channels, 1)), dtype)


@_op
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur each channel with a (kh, kw) Gaussian of std ``sigma`` (sy, sx), "same" padding with zeros.

    ``sigma`` may hold tensors (e.g. drawn at random); ``kernel_size`` is a pair of odd ints.
    """
    data_format = _data_format(data_format, "gaussian_blur")
    images = _images(images, "gaussian_blur")
    channels = B.shape(images)[-1 if data_format == "channels_last" else -3]
    unbatched = B.ndim(images) == 3
    x = B.expand_dims(images, 0) if unbatched else images
    kernel = _gaussian_kernel(tuple(int(k) for k in kernel_size), sigma, channels, B.dtype(x))
    out = B.depthwise_conv(x, kernel, strides=1, padding="same", data_format=data_format)
    return B.squeeze(out, 0) if unbatched else out


def _points(points, name):
    points = B.cast(B.convert_to_tensor(points), "float32")
    if B.ndim(points) not in (2, 3) or tuple(B.shape(points)[-2:]) != (4, 2):
        raise ValueError(f"ops.image.perspective_transform: invalid {name} shape: expected (4, 2) for a single image "
                         f"or (N, 4, 2) for a batch. Received shape: {tuple(points.shape)}")
    return B.expand_dims(points, 0) if B.ndim(points) == 2 else points


def compute_homography_matrix(start_points, end_points):
    """The (N, 8) projective transforms mapping each of the 4 ``end_points`` (N, 4, 2) to its ``start_points``
    (the inverse warp ``affine_transform`` takes), solved as an 8x8 linear system per image."""
    sx, sy = start_points[..., 0], start_points[..., 1]
    ex, ey = end_points[..., 0], end_points[..., 1]
    zeros, ones = B.zeros_like(ex), B.ones_like(ex)
    x_rows = B.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_rows = B.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    coefficients = B.reshape(B.stack([x_rows, y_rows], axis=2), (-1, 8, 8))
    target = B.reshape(B.stack([sx, sy], axis=-1), (-1, 8, 1))
    return B.reshape(B.solve(coefficients, target), (-1, 8))


@_op
def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0,
                          data_format=None):
    """Warps image(s) so that the 4 ``start_points`` land on the 4 ``end_points``.

    Args:
        images: rank 3 (one image) or rank 4 (batch) tensor.
        start_points: (4, 2) or (N, 4, 2) ``(x, y)`` corners in the input: top-left, top-right,
            bottom-left, bottom-right.
        end_points: the same corners in the output, same shape as ``start_points``.
        interpolation: "bilinear" (default) or "nearest".
        fill_value: value of the points that come from outside the input.
        data_format: "channels_last" or "channels_first".

    >>> corners = np.array([[0, 0], [3, 0], [0, 3], [3, 3]], "float32")
    >>> perspective_transform(np.ones((4, 4, 1)), corners, corners).shape
    (4, 4, 1)
    """
    data_format = _data_format(data_format, "perspective_transform")
    _check_transform_args(interpolation, "constant", "perspective_transform")
    images = _images(images, "perspective_transform")
    start, end = _points(start_points, "start_points"), _points(end_points, "end_points")
    if tuple(start_points.shape) != tuple(end_points.shape):
        raise ValueError("ops.image.perspective_transform: start_points and end_points must have the same shape. "
                         f"Received start_points.shape={tuple(start_points.shape)}, "
                         f"end_points.shape={tuple(end_points.shape)}")
    return affine_transform(images, compute_homography_matrix(start, end), interpolation=interpolation,
                            fill_mode="constant", fill_value=fill_value, data_format=data_format)


def elastic_kernel_size(sigma):
    """Keras's Gaussian window for an elastic displacement field of std ``sigma``: ``6 * int(sigma) | 1``."""
    return 6 * int(sigma) | 1


def elastic_warp(images, dx, dy, alpha, sigma, kernel_size, interpolation, fill_mode, fill_value, data_format):
    """Displace each pixel of a batch ``images`` by ``alpha`` times the noise fields ``dx, dy`` (N, H, W)
    blurred by a ``kernel_size`` Gaussian of std ``sigma``; sample with ``map_coordinates``."""
    x = _channels_last(images, data_format)
    batch, height, width, channels = B.shape(x)
    dtype = B.dtype(x)
    blurred = gaussian_blur(B.stack([dx, dy], axis=-1), (kernel_size, kernel_size), (sigma, sigma),
                            data_format="channels_last")
    grid_y, grid_x = B.meshgrid(B.arange(height, dtype=dtype), B.arange(width, dtype=dtype), indexing="ij")
    alpha = B.cast(alpha, dtype)
    rows = B.broadcast_to(B.expand_dims(grid_y + alpha * blurred[..., 1], -1), (batch, height, width, channels))
    cols = B.broadcast_to(B.expand_dims(grid_x + alpha * blurred[..., 0], -1), (batch, height, width, channels))
    index = B.arange(batch, dtype=dtype)[:, None, None, None] * B.ones_like(rows)
    channel = B.arange(channels, dtype=dtype)[None, None, None, :] * B.ones_like(rows)
    out = map_coordinates(x, B.stack([index, rows, cols, channel], axis=0),
                          order=AFFINE_INTERPOLATIONS.index(interpolation), fill_mode=fill_mode,
                          fill_value=fill_value)
    return _restore(out, data_format)


@_op
def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                      seed=None, data_format=None):
    """Elastic deformation (Simard et al. 2003): each pixel moves by ``alpha`` times a Gaussian noise
    field smoothed by a ``6 * int(sigma) | 1`` Gaussian window of std ``sigma``.

    Args:
        images: rank 3 (one image) or rank 4 (batch) tensor.
        alpha: displacement scale (pixels).
        sigma: std of the smoothing Gaussian (a number).
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "constant", "nearest" or "wrap", as ``map_coordinates``.
        fill_value: value for ``fill_mode="constant"``.
        seed: ``None``, an int or a ``kerasport.random.SeedGenerator``: the noise fields' seed.
        data_format: "channels_last" or "channels_first".

    The horizontal and vertical noise fields are drawn independently (Keras's TensorFlow
    kernel draws both from one seed, so they are equal there).
    """
    data_format = _data_format(data_format, "elastic_transform")
    _check_transform_args(interpolation, fill_mode, "elastic_transform")
    images = _images(images, "elastic_transform")
    dtype = B.dtype(images)
    x = B.cast(images, "float32") if "float" not in dtype else images
    unbatched = B.ndim(x) == 3
    if unbatched:
        x = B.expand_dims(x, 0)
    height, width = _hw(x, data_format)
    shape = (B.shape(x)[0], height, width)
    sigma = float(sigma)
    dx = kr.normal(shape, dtype=B.dtype(x), seed=seed) * sigma
    dy = kr.normal(shape, dtype=B.dtype(x), seed=seed) * sigma
    out = elastic_warp(x, dx, dy, alpha, sigma, elastic_kernel_size(sigma), interpolation, fill_mode, fill_value,
                        data_format)
    if unbatched:
        out = B.squeeze(out, 0)
    return B.cast(B.round(out), dtype) if _is_int(dtype) else out


@_op
def sobel_edges(images, data_format=None):
    """Sobel gradients of each channel of a batch of images (``tf.image.sobel_edges``: 3x3 kernels, reflected
    borders): ``(N, H, W, C, 2)`` (``(N, C, H, W, 2)`` for "channels_first"), the last axis ``[dy, dx]``."""
    data_format = _data_format(data_format, "sobel_edges")
    images = B.convert_to_tensor(images)
    if B.ndim(images) != 4:
        raise ValueError(f"ops.image.sobel_edges: invalid images rank: expected rank 4 (batch of images). "
                         f"Received input with shape: images.shape={tuple(images.shape)}")
    x = _channels_last(images, data_format)
    x = B.cast(x, "float32") if not B.standardize_dtype(B.dtype(x)).startswith(("float", "bfloat")) else x
    channels = B.shape(x)[-1]
    dy = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], "float64")
    kernel = np.tile(np.stack([dy, dy.T], -1)[:, :, None, :], (1, 1, channels, 1))
    padded = B.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    edges = B.depthwise_conv(padded, B.convert_to_tensor(kernel, B.dtype(x)), padding="valid")
    edges = B.reshape(edges, tuple(B.shape(edges)[:3]) + (channels, 2))
    return edges if data_format == "channels_last" else B.transpose(edges, (0, 3, 1, 2, 4))


@_op
def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None):
    """Structural similarity of two images or batches of them (Wang et al. 2004, as Keras computes it): local
    statistics under a ``filter_size`` Gaussian of std ``filter_sigma`` ("valid" windows), averaged over
    the image, then over channels; one value per image (a scalar for rank-3 images), in ``image1``'s dtype."""
    data_format = _data_format(data_format, "ssim")
    image1, image2 = B.convert_to_tensor(image1), B.convert_to_tensor(image2)
    for name, image in (("image1", image1), ("image2", image2)):
        if B.ndim(image) not in (3, 4):
            raise ValueError(f"ops.image.ssim: invalid {name} rank: expected rank 3 (single image) or rank 4 "
                             f"(batch of images). Received input with shape: {name}.shape={tuple(image.shape)}")
    dtype = B.standardize_dtype(B.dtype(image1))
    compute = dtype if dtype.startswith(("float", "bfloat")) else "float32"
    unbatched = B.ndim(image1) == 3
    pair = []
    for image in (image1, image2):
        image = _channels_last(B.cast(image, compute), data_format)
        image = B.expand_dims(image, 0) if unbatched else image
        pair.append(B.reshape(B.transpose(image, (0, 3, 1, 2)), (-1,) + tuple(B.shape(image)[1:3]) + (1,)))
    x, y = pair
    window = _gaussian(filter_size, filter_sigma)
    kernel = B.cast(B.outer(window, window)[:, :, None, None], compute)

    def local_mean(t):
        return B.conv(t, kernel, padding="valid")

    mu_x, mu_y = local_mean(x), local_mean(y)
    var_x, var_y = local_mean(x * x) - mu_x * mu_x, local_mean(y * y) - mu_y * mu_y
    cov = local_mean(x * y) - mu_x * mu_y
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    index = (2.0 * mu_x * mu_y + c1) * (2.0 * cov + c2) / ((mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2))
    channels = B.shape(image1)[-1 if data_format == "channels_last" else -3]
    per_image = B.mean(B.reshape(B.mean(index, axis=(1, 2, 3)), (-1, channels)), axis=-1)
    return B.cast(per_image[0] if unbatched else per_image, dtype)


def _resampling_kernel(method, x):
    """The filter of ``scale_and_translate``'s ``method`` at the distances ``x`` (>= 0)."""
    if method in ("linear", "bilinear", "trilinear"):
        return B.maximum(1.0 - x, 0.0)
    if method in ("cubic", "bicubic", "tricubic"):  # Keys, a = -0.5
        near = ((1.5 * x - 2.5) * x) * x + 1.0
        far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
        return B.where(x >= 2.0, 0.0, B.where(x >= 1.0, far, near))
    radius = 3.0 if method == "lanczos3" else 5.0
    lobes = radius * B.sin(np.pi * x) * B.sin(np.pi * x / radius) / B.where(x > 1e-3, np.pi ** 2 * x * x, 1.0)
    return B.where(x > radius, 0.0, B.where(x > 1e-3, lobes, 1.0))


def _resampling_weights(size_in, size_out, scale, translation, method, antialias):
    """``(size_in, size_out)`` weights taking one axis from input to output samples (JAX's
    ``scale_and_translate``): output pixel ``j``'s centre maps to input ``(j + 0.5 - translation) / scale - 0.5``;
    outputs landing outside the input get no weight."""
    dtype = B.dtype(scale)
    inverse = 1.0 / scale
    sample = (B.arange(size_out, dtype=dtype) + 0.5) * inverse - translation * inverse - 0.5
    spread = B.maximum(inverse, 1.0) if antialias else 1.0
    weights = _resampling_kernel(method, B.abs(sample[None, :] - B.arange(size_in, dtype=dtype)[:, None]) / spread)
    total = B.sum(weights, axis=0, keepdims=True)
    weights = B.where(B.abs(total) > 1000.0 * float(np.finfo(np.float32).eps),
                      weights / B.where(total != 0, total, 1.0), 0.0)
    inside = B.logical_and(sample >= -0.5, sample <= size_in - 0.5)
    return B.where(inside[None, :], weights, 0.0)


@_op
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """Resample ``images`` to ``output_shape`` along ``spatial_dims``, input point ``x`` landing on output point
    ``x * scale + translation`` (per axis, half-pixel centres; ``jax.image.scale_and_translate``).

    Args:
        images: any rank; output_shape: the full output shape; spatial_dims: the K resampled axes;
        scale, translation: K values each; method: "linear" ("bilinear", "trilinear"), "cubic" ("bicubic",
            "tricubic"; Keys), "lanczos3" or "lanczos5"; antialias: widen the filter when downsampling.
    Integer images are rounded and clipped to their own range.
    """
    if method not in SCALE_AND_TRANSLATE_METHODS:
        raise ValueError(f"ops.image.scale_and_translate: `method` must be one of {SCALE_AND_TRANSLATE_METHODS}; "
                         f"received method={method!r}.")
    images = B.convert_to_tensor(images)
    scale, translation = B.convert_to_tensor(scale), B.convert_to_tensor(translation)
    dtype = B.standardize_dtype(B.dtype(B.add(scale, translation)))
    scale, translation = B.cast(scale, dtype), B.cast(translation, dtype)
    integer = _is_int(B.standardize_dtype(B.dtype(images)))
    out = B.cast(images, "float32") if integer else images
    rank = B.ndim(images)
    for i, axis in enumerate(spatial_dims):
        axis %= rank
        weights = _resampling_weights(B.shape(images)[axis], output_shape[axis], scale[i], translation[i], method,
                                      antialias)
        out = B.moveaxis(B.tensordot(out, B.cast(weights, B.dtype(out)), axes=([axis], [0])), -1, axis)
    if integer:
        out = B.cast(B.clip(B.round(out), B.min(images), B.max(images)), B.dtype(images))
    return out
