"""Image files and arrays (``load_img``, ``save_img``, ``img_to_array``, ``array_to_img``), as in Keras.

These need Pillow (``pip install pillow``); without it they raise an ``ImportError`` saying so.
"""
import io
import pathlib
import warnings

import numpy as np

_RESAMPLE = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_module(fn_name):
    """``PIL.Image``, or an ``ImportError`` naming ``fn_name`` when Pillow is not installed."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"`{fn_name}` needs Pillow to read and write images: `pip install pillow`.") from None
    return Image


def resample_filter(interpolation):
    """Pillow's resampling filter for Keras's ``interpolation`` name."""
    if interpolation not in _RESAMPLE:
        raise ValueError(f"Invalid interpolation method {interpolation!r} specified. Supported methods are "
                         f"{', '.join(_RESAMPLE)}")
    return getattr(pil_module("load_img").Resampling, interpolation.upper())


def _floatx():
    from kerasport import backend
    return backend.floatx()


def _data_format(data_format):
    from kerasport import backend
    data_format = data_format or backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', received {data_format!r}.")
    return data_format


def fit_aspect_ratio(img, ratio, pad=False):
    """Centre-crop (or zero-pad with ``pad=True``) a PIL image to the width/height ``ratio``."""
    width, height = img.size
    if pad:
        new_w, new_h = max(width, round(height * ratio)), max(height, round(width / ratio))
        canvas = pil_module("image_dataset_from_directory").new(img.mode, (new_w, new_h))
        canvas.paste(img, ((new_w - width) // 2, (new_h - height) // 2))
        return canvas
    crop_w, crop_h = min(width, round(height * ratio)), min(height, round(width / ratio))
    left, top = (width - crop_w) // 2, (height - crop_h) // 2
    return img.crop((left, top, left + crop_w, top + crop_h))


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image (or array) as a 3-D NumPy array ``(height, width, channels)`` of ``dtype`` (``floatx()``).

    ``data_format="channels_first"`` gives ``(channels, height, width)``; a
    grayscale image gets a channel axis of size 1.
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or _floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[..., None]
    raise ValueError(f"img_to_array: unsupported image shape {x.shape}; expected 2 or 3 dimensions.")


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array (one image) as a PIL image: RGBA, RGB or grayscale by its channel count.

    Args:
        x: array ``(height, width, channels)`` (or channels first).
        data_format: layout of ``x`` (``image_data_format()`` by default).
        scale: rescale the values to 0-255 (min to 0, max to 255) first.
        dtype: dtype to read ``x`` as (``floatx()`` by default).
    """
    image = pil_module("array_to_img")
    data_format = _data_format(data_format)
    x = np.array(x, dtype=dtype or _floatx())
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image.fromarray(x.astype("uint8"), "RGBA" if channels == 4 else "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: unsupported channel number {channels}; expected 1, 3 or 4.")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save a 3-D array as an image file; the format comes from ``file_format`` or the file's suffix.

    ``**kwargs`` go to ``PIL.Image.save``. RGBA images are saved as RGB to JPEG (with a warning).
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Load an image file as a PIL image.

    Args:
        path: a path (str, bytes, ``pathlib.Path``) or an ``io.BytesIO``.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        target_size: ``(height, width)`` to resize to, or ``None`` to keep the size.
        interpolation: resampling used to resize (``"nearest"``, ``"bilinear"``, ...).
        keep_aspect_ratio: crop the centre to the target aspect ratio before resizing.
    """
    image = pil_module("load_img")
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"load_img: path should be path-like or io.BytesIO, not {type(path)}")
    wanted = {"grayscale": ("L", "I;16", "I"), "rgba": ("RGBA",), "rgb": ("RGB",)}
    if color_mode not in wanted:
        raise ValueError(f'load_img: color_mode must be "grayscale", "rgb", or "rgba", received {color_mode!r}.')
    if img.mode not in wanted[color_mode]:
        img = img.convert(wanted[color_mode][0])
    if target_size is not None and img.size != (target_size[1], target_size[0]):
        resample = resample_filter(interpolation)
        size = (target_size[1], target_size[0])
        if keep_aspect_ratio:
            width, height = img.size
            crop_h = min(height, (width * size[1]) // size[0])
            crop_w = min(width, (height * size[0]) // size[1])
            top, left = (height - crop_h) // 2, (width - crop_w) // 2
            img = img.resize(size, resample, box=[left, top, left + crop_w, top + crop_h])
        else:
            img = img.resize(size, resample)
    return img
