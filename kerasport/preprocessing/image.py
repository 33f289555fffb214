"""``kerasport.preprocessing.image``: Keras's ``keras.preprocessing.image``, with ``smart_resize``."""
import numpy as np

from kerasport import ops_image
from kerasport.backends import B
from kerasport.utils.image_utils import array_to_img, img_to_array, load_img, save_img  # noqa: F401


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resize images to a target size without aspect ratio distortion.

    Takes the largest centered crop of each image with the aspect ratio of ``size``, then resizes that crop to
    ``size``: a ``(340, 500)`` image resized to ``(200, 200)`` is cropped to its central ``(340, 340)`` first.

    Args:
        x: an image ``(height, width, channels)`` or a batch ``(batch_size, height, width, channels)``
            (channels first with ``data_format="channels_first"``), as a tensor or NumPy array.
        size: ``(height, width)``, the target size.
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``, ``"lanczos3"`` or ``"lanczos5"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The resized image(s): a NumPy array for a NumPy input, else a backend tensor. Integer images come back
        as Keras gives them on each backend: float32 on TensorFlow (``tf.image.resize``'s type), rounded to
        their own dtype on torch.
    """
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    rank = len(np.shape(x))
    if rank not in (3, 4):
        raise ValueError("Expected an image array with shape `(height, width, channels)`, or `(batch_size, height, "
                         f"width, channels)`, but got input with incorrect rank, of shape {tuple(np.shape(x))}.")
    images = B.convert_to_tensor(x)
    if B.NAME == "tensorflow" and "int" in B.standardize_dtype(images.dtype):
        images = B.cast(images, "float32")
    images = ops_image.resize(images, size, interpolation=interpolation, crop_to_aspect_ratio=True,
                              data_format=data_format)
    return B.convert_to_numpy(images) if isinstance(x, np.ndarray) else images
