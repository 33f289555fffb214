"""``draw_bounding_boxes``: rectangles (and their class labels) drawn on a batch of images, with NumPy.

The rectangles are OpenCV's ``cv2.rectangle`` pixel for pixel (what Keras draws with): a line of
thickness ``t > 1`` covers the pixels within ``(t + 1) // 2`` of the box's edges across them and has
round corners (discs of that radius); thickness 1 (or 0) is the one-pixel outline; a negative thickness
fills the box. Labels are written with Pillow's default font where OpenCV uses its Hershey font.
"""
import numpy as np

from kerasport.utils.bounding_boxes import convert_format
from kerasport.visualization.images import as_numpy, batched_images


def _box_mask(height, width, x1, y1, x2, y2, thickness):
    """The pixels ``cv2.rectangle(image, (x1, y1), (x2, y2), color, thickness)`` paints: the rows and columns
    (slices) of the image around the box, and a boolean mask over them."""
    left, right, top, bottom = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
    half = (thickness + 1) // 2 if thickness > 1 else 0
    rows = slice(min(max(top - half, 0), height), min(max(bottom + half + 1, 0), height))
    cols = slice(min(max(left - half, 0), width), min(max(right + half + 1, 0), width))
    ys, xs = np.arange(rows.start, rows.stop)[:, None], np.arange(cols.start, cols.stop)[None, :]
    in_x, in_y = (xs >= left) & (xs <= right), (ys >= top) & (ys <= bottom)
    if thickness < 0:
        return rows, cols, in_x & in_y
    near_x = (np.abs(xs - x1) <= half) | (np.abs(xs - x2) <= half)
    near_y = (np.abs(ys - y1) <= half) | (np.abs(ys - y2) <= half)
    mask = (in_x & near_y) | (near_x & in_y)
    for cx in (x1, x2):
        for cy in (y1, y2):
            mask |= (xs - cx) ** 2 + (ys - cy) ** 2 <= half * half
    return rows, cols, mask


def _text_location(x, y, font_scale, thickness):
    """Where a label's baseline starts: above the box, or inside it when there is no room above (as Keras)."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def _text_mask(height, width, text, origin, font_scale, thickness):
    """The pixels of ``text`` written with its baseline starting at ``origin``, as a boolean mask."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError("draw_bounding_boxes writes class labels with Pillow: install it with "
                          "`pip install kerasport[image]` (or `pip install pillow`), or pass no `class_mapping`.") from None
    try:
        font = ImageFont.load_default(size=max(1, round(31 * font_scale)))
    except TypeError:  # Pillow < 10.1: the fixed-size bitmap font
        font = ImageFont.load_default()
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    draw.fontmode = "1"
    draw.text(origin, text, fill=255, font=font, anchor="ls", stroke_width=max(0, thickness // 2), stroke_fill=255)
    return np.asarray(canvas) > 0


def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None, color=(128, 128, 128),
                        line_thickness=2, text_thickness=1, font_scale=1.0, data_format=None):
    """Draws bounding boxes on images.

    Draws the boxes of each image of a batch, and, for the classes named in ``class_mapping``, a label
    with the class name (and the confidence, when given) above the box.

    Args:
        images: a batch of images, a 4D tensor or NumPy array ``(batch_size, height, width, channels)``
            (``(batch_size, channels, height, width)`` with ``data_format="channels_first"``).
            Floating-point images with values in ``[0, 1]`` are scaled to ``[0, 255]``.
        bounding_boxes: a dict with the keys:
            - ``boxes``: ``(batch_size, num_boxes, 4)`` box coordinates in ``bounding_box_format``.
            - ``labels``: ``(batch_size, num_boxes)`` class ids; boxes labelled ``-1`` are not drawn.
            - ``confidences`` (optional): ``(batch_size, num_boxes)`` scores shown in the labels.
        bounding_box_format: the format of the boxes, such as ``"xyxy"``, ``"yxyx"``, ``"xywh"``,
            ``"center_xywh"``, ``"center_yxhw"`` or a ``"rel_*"`` one (see
            ``kerasport.utils.bounding_boxes.convert_format``).
        class_mapping: dict mapping class ids (ints) to class names (strings), written next to the
            boxes. Defaults to ``None`` (no labels).
        color: the RGB color of the boxes and labels, such as ``(255, 0, 0)`` for red. Defaults to
            ``(128, 128, 128)``.
        line_thickness: int, the thickness of the box lines; negative fills the boxes. Defaults to ``2``.
        text_thickness: int, the thickness of the labels' strokes. Defaults to ``1``
            (``line_thickness`` when ``None`` or 0).
        font_scale: float, the scale of the labels' font. Defaults to ``1.0``.
        data_format: ``"channels_last"`` or ``"channels_first"``. Defaults to
            ``kerasport.config.image_data_format()``.

    Returns:
        A ``uint8`` NumPy array of the annotated images, of the shape of ``images``.

    Raises:
        ValueError: if ``images`` is not a 4D tensor/array, or ``bounding_boxes`` lacks ``"boxes"`` or
            ``"labels"``.
        TypeError: if ``bounding_boxes`` is not a dict.
        ImportError: if labels are to be written and Pillow is not installed.

    Example:

    >>> images = np.zeros((1, 32, 32, 3), "uint8")
    >>> boxes = {"boxes": np.array([[[4, 4, 20, 20]]]), "labels": np.array([[0]])}
    >>> draw_bounding_boxes(images, boxes, "xyxy", color=(255, 0, 0)).shape
    (1, 32, 32, 3)
    """
    images, data_format = batched_images("draw_bounding_boxes", images, data_format)
    if not isinstance(bounding_boxes, dict):
        raise TypeError(f"draw_bounding_boxes: `bounding_boxes` should be a dict. Received: bounding_boxes="
                        f"{bounding_boxes} of type {type(bounding_boxes)}")
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError("draw_bounding_boxes: `bounding_boxes` should be a dict containing 'boxes' and 'labels' "
                         f"keys. Received keys: {sorted(bounding_boxes)}")
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    batch, height, width, channels = images.shape
    boxes = as_numpy(convert_format(bounding_boxes["boxes"], bounding_box_format, "xyxy", height, width))
    labels = as_numpy(bounding_boxes["labels"])
    confidences = as_numpy(bounding_boxes["confidences"]) if "confidences" in bounding_boxes else None
    if boxes.ndim != 3 or boxes.shape[0] != batch or labels.shape != boxes.shape[:2]:
        raise ValueError(f"draw_bounding_boxes: expected boxes of shape ({batch}, num_boxes, 4) and labels of "
                         f"shape ({batch}, num_boxes) for {batch} images. Received: boxes.shape={boxes.shape}, "
                         f"labels.shape={labels.shape}")
    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    images = images.astype("uint8")
    paint = np.zeros(channels, "uint8")
    paint[:min(channels, len(color))] = np.asarray(color)[:channels]
    for i in range(batch):
        for (x1, y1, x2, y2), label, k in zip(boxes[i].astype("int32"), labels[i].astype("int32"),
                                              range(boxes.shape[1])):
            label = int(label)
            if label == -1:
                continue
            x1, y1, x2, y2 = int(x1), int(y1), int(x2), int(y2)
            rows, cols, mask = _box_mask(height, width, x1, y1, x2, y2, line_thickness)
            images[i, rows, cols][mask] = paint
            if label in class_mapping:
                text = str(class_mapping[label])
                if confidences is not None:
                    text = f"{text} | {confidences[i][k]:.2f}"
                origin = _text_location(x1, y1, font_scale, text_thickness)
                images[i][_text_mask(height, width, text, origin, font_scale, text_thickness)] = paint
    return images.transpose(0, 3, 1, 2) if data_format == "channels_first" else images
