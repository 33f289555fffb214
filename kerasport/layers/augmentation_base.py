"""The base of the augmentation layers that also take Keras's dict inputs.

Keras's image layers accept either images or a dict ``{"images": ..., "labels": ...,
"segmentation_masks": ...}``; one random transformation is drawn for the images and applied to
every entry (``transform_labels``, ``transform_segmentation_masks``), and a dict comes back.
"""
from kerasport.backends import B
from kerasport.layers.image_preprocessing import BaseImagePreprocessingLayer

_KEYS = ("images", "labels", "segmentation_masks", "bounding_boxes")


class AugmentationLayer(BaseImagePreprocessingLayer):
    """An image layer whose ``call`` also takes ``{"images", "labels", "segmentation_masks"}`` dicts.

    Subclasses define ``get_random_transformation`` and ``transform_images`` (or the base's
    ``_transform_images`` on rank-4 images), and override ``transform_labels`` /
    ``transform_segmentation_masks`` where those change (both return their input by default).
    """

    def _images(self, data):
        """The images of ``data`` (a dict or the images themselves) as a tensor."""
        return B.convert_to_tensor(data["images"] if isinstance(data, dict) else data)

    def transform_labels(self, labels, transformation, training=True):
        """``labels`` after ``transformation`` (unchanged unless the layer mixes images)."""
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """``segmentation_masks`` after ``transformation`` (unchanged unless the layer moves pixels)."""
        return segmentation_masks

    def _check_dict(self, data):
        unknown = sorted(set(data) - set(_KEYS))
        if "images" not in data or unknown:
            raise ValueError(f"{type(self).__name__} {self.name!r}: a dict input needs an 'images' key and may hold "
                             f"'labels' and 'segmentation_masks'. Received keys: {sorted(data)}")
        if "bounding_boxes" in data:
            raise NotImplementedError(f"{type(self).__name__} {self.name!r}: 'bounding_boxes' inputs are not "
                                      "supported by kerasport's augmentation layers yet.")

    def call(self, inputs, training=True):
        if not isinstance(inputs, dict):
            return super().call(inputs, training=training)
        self._check_dict(inputs)
        data = {key: B.convert_to_tensor(value) for key, value in inputs.items()}
        self._check_rank(data["images"])
        transformation = self.get_random_transformation(data, training=training)
        out = {"images": self.transform_images(data["images"], transformation, training=training)}
        if "labels" in data:
            out["labels"] = self.transform_labels(data["labels"], transformation, training=training)
        if "segmentation_masks" in data:
            out["segmentation_masks"] = self.transform_segmentation_masks(data["segmentation_masks"], transformation,
                                                                          training=training)
        return out

    def compute_output_shape(self, input_shape):
        return dict(input_shape) if isinstance(input_shape, dict) else tuple(input_shape)
