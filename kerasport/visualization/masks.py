"""``draw_segmentation_masks``: segmentation masks painted over a batch of images, as Keras paints them."""
import numpy as np

from kerasport.visualization.images import as_numpy, batched_images


def _color_palette(num_classes):
    """Keras's default class colors: class ``i`` gets ``(i * (2**25 - 1, 2**15 - 1, 2**21 - 1)) % 255``."""
    palette = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * palette) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None, alpha=0.8,
                            blend=True, ignore_index=-1, data_format=None):
    """Draws segmentation masks on images.

    Each pixel of class ``c`` (``0 <= c < num_classes``) takes the class's color, blended with the
    image with opacity ``alpha``; pixels of other values keep the image's color. As in Keras, the
    classes drawn are ``0`` to ``num_classes - 1`` (class 0 too, black by default, unless it is
    ``ignore_index``), and the result is channels-last whatever ``data_format`` is.

    Args:
        images: a batch of images, a 4D tensor or NumPy array ``(batch_size, height, width, channels)``
            (``(batch_size, channels, height, width)`` with ``data_format="channels_first"``), values
            in ``[0, 255]``.
        segmentation_masks: integer class ids, ``(batch_size, height, width)`` or
            ``(batch_size, height, width, 1)`` (``(batch_size, 1, height, width)`` channels-first).
        num_classes: int, the number of classes. Defaults to the largest value of the masks.
        color_mapping: dict mapping each class id ``0 .. num_classes - 1`` to an RGB color. Defaults
            to ``None`` (a fixed palette).
        alpha: float in ``[0, 1]``, the opacity of the masks. Defaults to ``0.8``.
        blend: bool, whether to blend the masks with the images (``uint8`` result). With ``False``
            every pixel of a class takes its color outright, even ``ignore_index``'s (a ``float32``
            result). Defaults to ``True``.
        ignore_index: the mask value whose pixels are left as they are when blending. Defaults to ``-1``.
        data_format: ``"channels_last"`` or ``"channels_first"``. Defaults to
            ``kerasport.config.image_data_format()``.

    Returns:
        A NumPy array ``(batch_size, height, width, channels)``: ``uint8`` with ``blend``, else ``float32``.

    Raises:
        ValueError: if ``images`` is not a 4D tensor/array, or the masks do not match the images.
        TypeError: if the masks are not of an integer dtype.

    Example:

    >>> images = np.full((1, 4, 4, 3), 100, "uint8")
    >>> masks = np.zeros((1, 4, 4, 1), "int32"); masks[0, :2] = 1
    >>> draw_segmentation_masks(images, masks, num_classes=2).shape
    (1, 4, 4, 3)
    """
    images, data_format = batched_images("draw_segmentation_masks", images, data_format)
    masks = as_numpy(segmentation_masks)
    if masks.dtype.kind not in "iu":
        raise TypeError(f"draw_segmentation_masks: `segmentation_masks` must be in integer dtype. "
                        f"Received: segmentation_masks.dtype={masks.dtype}")
    if masks.ndim == 4:
        masks = masks[:, 0] if data_format == "channels_first" else masks[..., 0]
    if masks.shape != images.shape[:3]:
        raise ValueError(f"draw_segmentation_masks: expected masks of shape {images.shape[:3]} (or with a last "
                         f"axis of 1) for images of shape {images.shape}. Received: segmentation_masks.shape="
                         f"{as_numpy(segmentation_masks).shape}")
    images = images.astype("float32")
    if num_classes is None:
        num_classes = int(masks.max())
    if color_mapping is None:
        colors = _color_palette(num_classes)
    else:
        missing = [c for c in range(num_classes) if c not in color_mapping]
        if missing:
            raise ValueError(f"draw_segmentation_masks: `color_mapping` needs a color for each class 0 .. "
                             f"{num_classes - 1}; missing {missing}. Received keys: {sorted(color_mapping)}")
        colors = [color_mapping[c] for c in range(num_classes)]
    painted = images.copy()
    for c, color in enumerate(colors):
        painted[masks == c] = np.asarray(color, "float32")
    if not blend:
        return painted
    blended = images * np.float32(1 - alpha) + painted * np.float32(alpha)
    return np.where((masks != ignore_index)[..., None], blended, images).astype("uint8")
