"""The checks and conversions the drawing functions share: batched images as NumPy, channels last."""
import numpy as np

from kerasport.backends import B
from kerasport.core.settings import image_data_format


def as_numpy(x):
    """``x`` (a NumPy array, a list or a backend tensor) as a NumPy array."""
    return x if isinstance(x, np.ndarray) else np.asarray(B.convert_to_numpy(x))


def batched_images(fn_name, images, data_format):
    """``images`` as a NumPy ``(batch, height, width, channels)`` array, and the data format it came in."""
    data_format = data_format or image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{fn_name}: `data_format` must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    images = as_numpy(images)
    if images.ndim != 4:
        raise ValueError(f"{fn_name}: `images` must be batched 4D tensor. Received: images.shape={images.shape}")
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    return images, data_format
