"""The base of the augmentation layers that also take Keras's dict inputs.

Keras's image layers accept either images or a dict ``{"images": ..., "labels": ...,
"segmentation_masks": ..., "bounding_boxes": {"boxes": ..., "labels": ...}}``; one random
transformation is drawn for the images and applied to every entry (``transform_labels``,
``transform_segmentation_masks``, ``transform_bounding_boxes``), and a dict comes back.
"""
from kerasport.backends import B
from kerasport.layers.image_preprocessing import BaseImagePreprocessingLayer

_KEYS = ("images", "labels", "segmentation_masks", "bounding_boxes")


class AugmentationLayer(BaseImagePreprocessingLayer):
    """An image layer whose ``call`` also takes ``{"images", "labels", "segmentation_masks"}`` dicts.

    Subclasses define ``get_random_transformation`` and ``transform_images`` (or the base's
    ``_transform_images`` on rank-4 images), and override ``transform_labels`` /
    ``transform_segmentation_masks`` where those change (both return their input by default).
    Bounding boxes are supported only by layers that define ``transform_bounding_boxes`` and
    take a ``bounding_box_format``.
    """

    bounding_box_format = None

    def _images(self, data):
        """The images of ``data`` (a dict or the images themselves) as a tensor."""
        return B.convert_to_tensor(data["images"] if isinstance(data, dict) else data)

    def transform_labels(self, labels, transformation, training=True):
        """``labels`` after ``transformation`` (unchanged unless the layer mixes images)."""
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """``segmentation_masks`` after ``transformation`` (unchanged unless the layer moves pixels)."""
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """``bounding_boxes`` (``{"boxes": (N, M, 4), "labels": (N, M)}``) after ``transformation``."""
        raise NotImplementedError

    def _check_dict(self, data):
        unknown = sorted(set(data) - set(_KEYS))
        if "images" not in data or unknown:
            raise ValueError(f"{type(self).__name__} {self.name!r}: a dict input needs an 'images' key and may hold "
                             f"'labels', 'segmentation_masks' and 'bounding_boxes'. Received keys: {sorted(data)}")
        if "bounding_boxes" in data:
            boxes = data["bounding_boxes"]
            if not isinstance(boxes, dict) or set(boxes) != {"boxes", "labels"}:
                raise ValueError(f"{type(self).__name__} {self.name!r}: 'bounding_boxes' must be a dict with the keys "
                                 f"'boxes' and 'labels'. Received: {boxes!r}"[:400])
            if type(self).transform_bounding_boxes is AugmentationLayer.transform_bounding_boxes:
                raise NotImplementedError(f"{type(self).__name__} {self.name!r}: 'bounding_boxes' inputs are not "
                                          "supported by this kerasport layer yet.")
            if not self.bounding_box_format:
                raise ValueError(f"{type(self).__name__} {self.name!r}: you passed an input with a 'bounding_boxes' "
                                 "key, but no bounding box format. Pass a `bounding_box_format` argument to the "
                                 "layer, e.g. `bounding_box_format='xyxy'`.")

    def call(self, inputs, training=True):
        if not isinstance(inputs, dict):
            return super().call(inputs, training=training)
        self._check_dict(inputs)
        data = {key: {k: B.convert_to_tensor(v) for k, v in value.items()} if key == "bounding_boxes"
                else B.convert_to_tensor(value) for key, value in inputs.items()}
        self._check_rank(data["images"])
        transformation = self.get_random_transformation(data, training=training)
        out = {"images": self.transform_images(data["images"], transformation, training=training)}
        if "labels" in data:
            out["labels"] = self.transform_labels(data["labels"], transformation, training=training)
        if "segmentation_masks" in data:
            out["segmentation_masks"] = self.transform_segmentation_masks(data["segmentation_masks"], transformation,
                                                                          training=training)
        if "bounding_boxes" in data:
            out["bounding_boxes"] = self.transform_bounding_boxes(data["bounding_boxes"], transformation,
                                                                  training=training)
        return out

    def compute_output_shape(self, input_shape):
        return dict(input_shape) if isinstance(input_shape, dict) else tuple(input_shape)
