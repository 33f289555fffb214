"""The backend contract, ``image``: image kernels behind kerasport.ops.image.

Each backend implements these in ``backends/<name>/image.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def image_affine_transform(
        images: ArrayLike,
        transform: ArrayLike,
        interpolation: str = 'bilinear',
        fill_mode: str = 'constant',
        fill_value: float = 0.0,
        data_format: str | None = 'channels_last',
) -> Tensor:
    """Warp a batch of images by projective transforms (N or 1, 8), as TF's ImageProjectiveTransformV3.

    Each row ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps an output pixel (x, y) to the input point
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``; points outside are
    resolved by ``fill_mode`` ("constant", "nearest", "wrap", "reflect"); ``interpolation`` is
    "nearest" or "bilinear". Gradients flow to the images, not to the transform.
    """


def image_hsv_to_rgb(images: ArrayLike) -> Tensor:
    """HSV -> RGB along the last axis (``tf.image.hsv_to_rgb``)."""


def image_map_coordinates(
        inputs: ArrayLike, coordinates: ArrayLike, order, fill_mode: str = 'constant', fill_value: float = 0.0,
) -> Tensor:
    """Sample ``inputs`` at ``coordinates`` (rank(inputs), ...) by spline ``order`` 0 or 1 (as Keras)."""


def image_resize(
        images: ArrayLike,
        size,
        interpolation: str = 'bilinear',
        antialias: bool = False,
        data_format: str | None = 'channels_last',
) -> Tensor:
    """Resize a float batch ``images`` (N, H, W, C) / (N, C, H, W) to ``size`` (height, width).

    ``interpolation``: "bilinear", "nearest", "bicubic", "area", "lanczos3" or "lanczos5", with
    TensorFlow's half-pixel conventions (``tf.image.resize``); ``antialias`` widens the kernel
    when downsampling (ignored for "nearest" and "area", as in TF).
    """


def image_rgb_to_hsv(images: ArrayLike) -> Tensor:
    """RGB -> HSV along the last axis, all in [0, 1] (``tf.image.rgb_to_hsv``)."""
