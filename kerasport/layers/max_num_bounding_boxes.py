"""Keras's ``MaxNumBoundingBoxes``: a fixed number of bounding boxes per image."""
from kerasport.backends import B
from kerasport.layers.augmentation_base import BaseImagePreprocessingLayer

__all__ = ["MaxNumBoundingBoxes"]


class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Pads or truncates the bounding boxes of each image to ``max_number``.

    Called on ``{"images": ..., "bounding_boxes": {"boxes": (N, M, 4), "labels": (N, M)}}`` (or
    unbatched ``(M, 4)`` / ``(M,)``), it keeps the first ``max_number`` boxes and labels and pads
    with ``fill_value`` up to ``max_number``; images, labels and segmentation masks pass
    through. Boxes must be dense (pad ragged lists first).

    Args:
        max_number: int, the number of boxes per image in the output.
        fill_value: int, the value of the padded boxes and labels (-1). As in Keras it is not
            part of the config, so a reloaded layer pads with -1.
        bounding_box_format: the boxes' format, e.g. "xyxy" (needed for ``bounding_boxes`` inputs).

    Example:

    >>> boxes = {"boxes": np.zeros((2, 3, 4)), "labels": np.zeros((2, 3))}
    >>> out = MaxNumBoundingBoxes(5, bounding_box_format="xyxy")({"images": np.zeros((2, 8, 8, 3)),
    ...                                                           "bounding_boxes": boxes})
    >>> out["bounding_boxes"]["boxes"].shape
    (2, 5, 4)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, **kwargs):
        super().__init__(bounding_box_format=bounding_box_format, **kwargs)
        if isinstance(max_number, bool) or not isinstance(max_number, int) or max_number < 1:
            raise ValueError(f"MaxNumBoundingBoxes {self.name!r}: `max_number` must be a positive int. Received: "
                             f"max_number={max_number!r}")
        self.max_number, self.fill_value = int(max_number), int(fill_value)

    def transform_images(self, images, transformation=None, training=True):
        return images

    def _fit(self, values, axis):
        """``values`` cut or padded with ``fill_value`` to ``max_number`` along ``axis``."""
        values = values[:, :self.max_number] if axis == 1 else values[:self.max_number]
        missing = self.max_number - B.shape(values)[axis]
        if isinstance(missing, int) and missing == 0:
            return values
        width = [(0, 0)] * B.ndim(values)
        width[axis] = (0, missing)
        return B.pad(values, width, constant_values=self.fill_value)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
        if B.ndim(boxes) not in (2, 3) or B.shape(boxes)[-1] != 4 or B.ndim(labels) != B.ndim(boxes) - 1:
            raise ValueError(f"MaxNumBoundingBoxes {self.name!r}: expected boxes of shape (N, M, 4) or (M, 4) with "
                             f"labels (N, M) or (M,). Received: boxes.shape={tuple(boxes.shape)}, "
                             f"labels.shape={tuple(labels.shape)}")
        axis = B.ndim(boxes) - 2
        return {"boxes": self._fit(boxes, axis), "labels": self._fit(labels, axis)}

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, dict) or "bounding_boxes" not in input_shape:
            return super().compute_output_shape(input_shape)
        out = dict(input_shape)
        boxes, labels = list(input_shape["bounding_boxes"]["boxes"]), list(input_shape["bounding_boxes"]["labels"])
        boxes[-2], labels[-1] = self.max_number, self.max_number
        out["bounding_boxes"] = {"boxes": tuple(boxes), "labels": tuple(labels)}
        return out

    def get_config(self):
        return {**super().get_config(), "max_number": self.max_number}
