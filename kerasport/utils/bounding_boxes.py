"""``kerasport.utils.bounding_boxes``: Keras's bounding box helpers (``keras.utils.bounding_boxes``).

Boxes are tensors or arrays ``(..., 4)``. Formats (case-insensitive): "xyxy" (left, top, right,
bottom), "yxyx", "xywh" (left, top, width, height), "center_xywh", "center_yxhw", and the relative
"rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh" (fractions of the image width and height).
"""
import math

from kerasport.backend import epsilon
from kerasport.backends import B

__all__ = ["convert_format", "clip_to_image_size", "crop", "pad", "affine_transform", "compute_iou", "compute_ciou",
           "encode_box_to_deltas", "decode_deltas_to_boxes"]

FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx", "rel_xywh",
           "rel_center_xywh")


def _columns(boxes):
    return [boxes[..., i:i + 1] for i in range(4)]


def _to_xyxy(boxes, fmt):
    """(x1, y1, x2, y2) columns of ``boxes`` in ``fmt`` (relative formats stay relative)."""
    a, b, c, d = _columns(boxes)
    fmt = fmt.replace("rel_", "", 1)
    if fmt == "xyxy":
        return a, b, c, d
    if fmt == "yxyx":
        return b, a, d, c
    if fmt == "xywh":
        return a, b, a + c, b + d
    if fmt == "center_xywh":
        return a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0
    return b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0  # center_yxhw


def _from_xyxy(x1, y1, x2, y2, fmt):
    fmt = fmt.replace("rel_", "", 1)
    if fmt == "xyxy":
        columns = (x1, y1, x2, y2)
    elif fmt == "yxyx":
        columns = (y1, x1, y2, x2)
    elif fmt == "xywh":
        columns = (x1, y1, x2 - x1, y2 - y1)
    elif fmt == "center_xywh":
        columns = ((x1 + x2) / 2.0, (y1 + y2) / 2.0, x2 - x1, y2 - y1)
    else:  # center_yxhw
        columns = ((y1 + y2) / 2.0, (x1 + x2) / 2.0, y2 - y1, x2 - x1)
    return B.concatenate(list(columns), axis=-1)


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Converts bounding boxes from the ``source`` format to the ``target`` format.

    Args:
        boxes: ``(..., 4)`` tensor or array, or a dict whose ``"boxes"`` entry is one (a dict
            comes back with its boxes converted).
        source: the boxes' format, one of ``FORMATS``.
        target: the format to return.
        height, width: the image size, needed when exactly one of the formats is relative.
        dtype: the dtype of the result ("float32").

    Example:

    >>> convert_format(np.array([[10, 20, 30, 40]]), source="xyxy", target="xywh")
    [[10. 20. 20. 20.]]
    """
    if isinstance(boxes, dict):
        return {**boxes, "boxes": convert_format(boxes["boxes"], source, target, height, width, dtype)}
    boxes = B.convert_to_tensor(boxes)
    if tuple(boxes.shape)[-1:] != (4,):
        raise ValueError("convert_format: `boxes` must be a tensor with the last dimension of 4. "
                         f"Received: boxes.shape={tuple(boxes.shape)}")
    source, target = source.lower(), target.lower()
    if source not in FORMATS or target not in FORMATS:
        raise ValueError(f"convert_format: invalid source or target format. Supported formats: {FORMATS}. "
                         f"Received: source={source!r}, target={target!r}")
    relative = (source.startswith("rel_"), target.startswith("rel_"))
    if any(relative) and (height is None or width is None):
        raise ValueError("convert_format() must receive `height` and `width` transforming between relative and "
                         f"absolute formats. Received source={source!r}, target={target!r}, height={height}, "
                         f"width={width}.")
    boxes = B.cast(boxes, dtype)
    if source == target:
        return boxes
    x1, y1, x2, y2 = _to_xyxy(boxes, source)
    if relative[0] != relative[1]:
        w, h = B.cast(width, dtype), B.cast(height, dtype)
        if relative[0]:
            x1, y1, x2, y2 = x1 * w, y1 * h, x2 * w, y2 * h
        else:
            x1, y1, x2, y2 = x1 / w, y1 / h, x2 / w, y2 / h
    return _from_xyxy(x1, y1, x2, y2, target)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clips boxes to the image; boxes left with no area get the label -1.

    Args:
        bounding_boxes: dict with ``"boxes"`` ``(..., N, 4)`` and optionally ``"labels"`` ``(..., N)``.
        height, width: the image size (needed for "xyxy").
        bounding_box_format: "xyxy" (clipped to [0, width] x [0, height]) or "rel_xyxy" (to [0, 1]).

    Example:

    >>> out = clip_to_image_size({"boxes": np.array([[-10., 5., 150., 20.]]), "labels": np.array([1])},
    ...                          height=100, width=120)
    >>> out["boxes"]
    [[0. 5. 120. 20.]]
    """
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(f"clip_to_image_size supports the 'xyxy' and 'rel_xyxy' formats. Received: "
                                  f"bounding_box_format={bounding_box_format!r}")
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("clip_to_image_size: `height` and `width` must be set if `format='xyxy'`.")
    boxes = B.convert_to_tensor(bounding_boxes["boxes"])
    dtype = B.dtype(boxes)
    high_x, high_y = (1.0, 1.0) if bounding_box_format == "rel_xyxy" else (B.cast(width, dtype),
                                                                            B.cast(height, dtype))
    x1, y1, x2, y2 = _columns(boxes)
    boxes = B.concatenate([B.clip(x1, 0, high_x), B.clip(y1, 0, high_y), B.clip(x2, 0, high_x),
                           B.clip(y2, 0, high_y)], axis=-1)
    result = {**bounding_boxes, "boxes": boxes}
    if bounding_boxes.get("labels") is not None:
        x1, y1, x2, y2 = _columns(boxes)
        area = B.squeeze((x2 - x1) * (y2 - y1), -1)
        labels = B.convert_to_tensor(bounding_boxes["labels"])
        result["labels"] = B.where(area > 0, labels, B.cast(-1, B.dtype(labels)))
    return result


def _check_xyxy(bounding_box_format, fn):
    if bounding_box_format != "xyxy":
        raise NotImplementedError(f"bounding_boxes.{fn} supports the 'xyxy' format only. Received: "
                                  f"bounding_box_format={bounding_box_format!r}")


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """Boxes (``(N, 4)`` or ``(batch, N, 4)``, "xyxy") in the frame of the crop ``(top, left, height, width)``,
    clipped to it.

    >>> crop(np.array([[10., 20., 50., 60.]]), top=10, left=20, height=40, width=30)
    [[0. 10. 30. 40.]]
    """
    _check_xyxy(bounding_box_format, "crop")
    x1, y1, x2, y2 = _columns(B.convert_to_tensor(boxes))
    return B.concatenate([B.clip(x1 - left, 0, width), B.clip(y1 - top, 0, height), B.clip(x2 - left, 0, width),
                          B.clip(y2 - top, 0, height)], axis=-1)


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """Boxes ("xyxy") moved by the ``top`` and ``left`` padding of their image.

    >>> pad(np.array([[10., 20., 50., 60.]]), top=5, left=3)
    [[13. 25. 53. 65.]]
    """
    _check_xyxy(bounding_box_format, "pad")
    x1, y1, x2, y2 = _columns(B.convert_to_tensor(boxes))
    return B.concatenate([x1 + left, y1 + top, x2 + left, y2 + top], axis=-1)


def _inverse_affine(angle, translate_x, translate_y, scale, shear_x, shear_y, height, width, center_x, center_y):
    """The (batch, 2, 3) maps of image points under the inverse of the image-warping affine transform."""
    radians = math.pi / 180.0
    rot, sx, sy = -angle * radians, -shear_x * radians, -shear_y * radians
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    ox, oy = cx - translate_x * (width - 1), cy - translate_y * (height - 1)
    a = B.cos(rot - sy) / B.cos(sy)
    c = -B.sin(rot - sy) / B.cos(sy)
    b = a * B.tan(sx) + B.sin(rot)
    d = B.cos(rot) - c * B.tan(sx)
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    rows = [a0, a1, cx - a0 * ox - a1 * oy, b0, b1, cy - b0 * ox - b1 * oy]
    return B.reshape(B.stack(rows, axis=-1), (-1, 2, 3))


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height, width, center_x=None,
                     center_y=None, bounding_box_format="xyxy"):
    """Boxes moved by the affine warp of their image (as Keras's affine image layers warp), as the
    axis-aligned boxes around their 4 moved corners.

    Args:
        boxes: ``(batch, N, 4)`` boxes ("xyxy").
        angle: ``(batch,)`` rotations in degrees.
        translate_x, translate_y: ``(batch,)`` shifts as fractions of the width and height.
        scale: ``(batch,)`` zoom factors.
        shear_x, shear_y: ``(batch,)`` shear angles in degrees.
        height, width: the image size.
        center_x, center_y: the center of the warp as fractions of the image (0.5).
        bounding_box_format: "xyxy" (the only one).

    >>> affine_transform(np.array([[[10., 10., 20., 30.]]]), np.zeros(1), np.zeros(1), np.zeros(1), np.ones(1),
    ...                  np.zeros(1), np.zeros(1), 64, 64).shape
    (1, 1, 4)
    """
    _check_xyxy(bounding_box_format, "affine_transform")
    args = [B.cast(B.convert_to_tensor(v), "float32") for v in (angle, translate_x, translate_y, scale, shear_x,
                                                                 shear_y)]
    matrix = _inverse_affine(*args, float(height), float(width), 0.5 if center_x is None else center_x,
                             0.5 if center_y is None else center_y)
    x1, y1, x2, y2 = (c[..., 0] for c in _columns(B.cast(B.convert_to_tensor(boxes), "float32")))
    corners = B.stack([B.stack([x1, y1], -1), B.stack([x2, y1], -1), B.stack([x2, y2], -1),
                       B.stack([x1, y2], -1)], axis=2)                                    # (batch, N, 4, 2)
    moved = B.einsum("bnkj,bij->bnki", corners, matrix[:, :, :2]) + matrix[:, None, None, :, 2]
    return B.concatenate([B.min(moved, axis=2), B.max(moved, axis=2)], axis=-1)


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1, image_shape=None):
    """The intersection over union of every box of ``boxes1`` with every box of ``boxes2``.

    Args:
        boxes1: ``(M, 4)`` or ``(batch, M, 4)``.
        boxes2: ``(N, 4)`` or ``(batch, N, 4)``.
        bounding_box_format: the boxes' format (one of ``FORMATS``).
        use_masking: give ``mask_val`` to pairs where either box has all 4 values negative (padding).
        mask_val: the value of masked pairs (-1).
        image_shape: ``(height, width, channels)``, needed for relative formats.

    Returns:
        ``(M, N)``, or ``(batch, M, N)`` when either input is batched.

    >>> compute_iou(np.array([[0., 0., 2., 2.]]), np.array([[1., 1., 3., 3.]]), "xyxy")
    [[0.14285713]]
    """
    boxes1, boxes2 = B.convert_to_tensor(boxes1), B.convert_to_tensor(boxes2)
    for name, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
        if B.ndim(boxes) not in (2, 3):
            raise ValueError(f"compute_iou() expects {name} to be batched (rank 3) or unbatched (rank 2). Received: "
                             f"boxes1.shape={tuple(boxes1.shape)}, boxes2.shape={tuple(boxes2.shape)}")
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError("compute_iou: relative bounding box formats (e.g. `rel_yxyx`) need the `image_shape` "
                         f"argument. Received: image_shape={image_shape}")
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height, width)
    a = _columns(boxes1)                                                      # each (..., M, 1)
    b = [B.swapaxes(c, -1, -2) for c in _columns(boxes2)]                     # each (..., 1, N)
    inter_w = B.maximum(B.minimum(a[2], b[2]) - B.maximum(a[0], b[0]), 0.0)
    inter_h = B.maximum(B.minimum(a[3], b[3]) - B.maximum(a[1], b[1]), 0.0)
    intersection = inter_w * inter_h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - intersection
    iou = intersection / (union + epsilon())
    if not use_masking:
        return iou
    padded = B.logical_or(B.less(B.max(boxes1, axis=-1, keepdims=True), 0.0),
                          B.less(B.swapaxes(B.max(boxes2, axis=-1, keepdims=True), -1, -2), 0.0))
    return B.where(padded, B.cast(mask_val, B.dtype(iou)), iou)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """The Complete IoU of each box of ``boxes1`` with the box at the same place in ``boxes2``: the IoU less the
    squared center distance over the squared diagonal of the enclosing box, less an aspect ratio term.

    Args:
        boxes1, boxes2: ``(..., 4)`` boxes of broadcastable shapes.
        bounding_box_format: the boxes' format (one of ``FORMATS``).
        image_shape: ``(height, width, channels)``, needed for relative formats (which Keras rejects).

    Returns:
        ``(...)``, one value per pair, in [-1, 1].

    >>> compute_ciou(np.array([[0., 0., 2., 2.]]), np.array([[0., 0., 2., 2.]]), "xyxy")
    [1.]
    """
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError("compute_ciou: relative bounding box formats (e.g. `rel_yxyx`) need the `image_shape` "
                         f"argument. Received: image_shape={image_shape}")
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    eps = epsilon()
    x1a, y1a, x2a, y2a = _columns(convert_format(boxes1, bounding_box_format, "xyxy", height, width))
    x1b, y1b, x2b, y2b = _columns(convert_format(boxes2, bounding_box_format, "xyxy", height, width))
    wa, ha, wb, hb = x2a - x1a, y2a - y1a + eps, x2b - x1b, y2b - y1b + eps
    intersection = B.maximum(B.minimum(x2a, x2b) - B.maximum(x1a, x1b), 0.0) * \
        B.maximum(B.minimum(y2a, y2b) - B.maximum(y1a, y1b), 0.0)
    iou = intersection / (wa * ha + wb * hb - intersection + 2 * eps)
    diagonal = (B.maximum(x2a, x2b) - B.minimum(x1a, x1b)) ** 2 + (B.maximum(y2a, y2b) - B.minimum(y1a, y1b)) ** 2
    centers = ((x1a + x2a - x1b - x2b) / 2) ** 2 + ((y1a + y2a - y1b - y2b) / 2) ** 2
    aspect = (4 / math.pi ** 2) * (B.arctan(wb / hb) - B.arctan(wa / ha)) ** 2
    trade_off = aspect / (aspect - iou + (1 + eps))
    return B.squeeze(iou - (centers / (diagonal + eps) + aspect * trade_off), -1)


def _delta_args(variance, encoding, name, image_shape):
    if variance is not None:
        variance = B.convert_to_tensor(variance, "float32")
        if tuple(variance.shape)[-1:] != (4,):
            raise ValueError(f"`variance` must be length 4, got {variance}")
    if encoding not in ("center_xywh", "center_yxhw"):
        raise ValueError(f"`{name}` should be one of 'center_xywh' or 'center_yxhw', got {encoding!r}")
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    return variance, height, width


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format, encoding_format="center_yxhw", variance=None,
                         image_shape=None):
    """The offsets of ``boxes`` from their ``anchors``: center shifts in anchor sizes and log size ratios.

    Args:
        anchors: ``(N, 4)`` anchor boxes in ``anchor_format``.
        boxes: ``(N, 4)`` or ``(batch, N, 4)`` boxes in ``box_format``.
        anchor_format, box_format: formats (see ``FORMATS``).
        encoding_format: "center_yxhw" (default) or "center_xywh": the order of the deltas.
        variance: optional 4 factors the deltas are divided by.
        image_shape: ``(height, width, channels)``, needed for relative formats.

    >>> encode_box_to_deltas(np.array([[0., 0., 2., 2.]]), np.array([[1., 1., 3., 5.]]), "xyxy", "xyxy")
    [[1. 0.5 0.6931472 0.]]
    """
    variance, height, width = _delta_args(variance, encoding_format, "encoding_format", image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height, width)
    boxes = convert_format(boxes, box_format, encoding_format, height, width)
    anchor_size = B.maximum(anchors[..., 2:], epsilon())
    box_size = B.maximum(boxes[..., 2:], epsilon())
    deltas = B.concatenate([(boxes[..., :2] - anchors[..., :2]) / anchor_size, B.log(box_size / anchor_size)],
                           axis=-1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format, encoded_format="center_yxhw",
                           variance=None, image_shape=None):
    """The boxes that ``boxes_delta`` (from ``encode_box_to_deltas``) describe around their ``anchors``.

    Args:
        anchors: ``(N, 4)`` anchors in ``anchor_format``, or a dict of them (one per feature level).
        boxes_delta: ``(N, 4)`` or ``(batch, N, 4)`` deltas, or a dict with the keys of ``anchors``.
        anchor_format: the anchors' format.
        box_format: the format of the returned boxes.
        encoded_format: "center_yxhw" (default) or "center_xywh": the order of the deltas.
        variance: optional 4 factors the deltas are multiplied by first.
        image_shape: ``(height, width, channels)``, needed for relative formats.

    >>> decode_deltas_to_boxes(np.array([[0., 0., 2., 2.]]), np.array([[1., 0.5, 0.6931472, 0.]]), "xyxy", "xyxy")
    [[1. 1. 3. 5.]]
    """
    variance, height, width = _delta_args(variance, encoded_format, "encoded_format", image_shape)

    def decode(anchor, delta):
        anchor = convert_format(anchor, anchor_format, encoded_format, height, width)
        delta = B.convert_to_tensor(delta)
        delta = delta if variance is None else delta * variance
        size = anchor[..., 2:]
        box = B.concatenate([delta[..., :2] * size + anchor[..., :2], B.exp(delta[..., 2:]) * size], axis=-1)
        return convert_format(box, encoded_format, box_format, height, width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)
