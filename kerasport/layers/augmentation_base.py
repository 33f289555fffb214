"""``BaseImagePreprocessingLayer``: the base of every image preprocessing and augmentation layer.

It holds what the layers share, as Keras 3's base class does: factor parsing, ``data_format``,
``value_range``, ``bounding_box_format``, and the call protocol. ``get_random_transformation`` draws
once per call and ``transform_images`` / ``transform_labels`` / ``transform_segmentation_masks`` /
``transform_bounding_boxes`` apply that draw to each entry of Keras's dict inputs
``{"images", "labels", "segmentation_masks", "bounding_boxes"}``.
"""
from kerasport import backend
from kerasport.backends import B
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.utils import bounding_boxes as box_utils


def images_shape(data):
    """The shape of the images ``data`` (or of ``data["images"]``), dynamic dims as scalar tensors in a TF graph."""
    data = data["images"] if isinstance(data, dict) else data
    return B.shape(data) if B.is_tensor(data) else tuple(data.shape)


DICT_KEYS = ("images", "labels", "segmentation_masks", "bounding_boxes")


class BaseImagePreprocessingLayer(Layer):
    """Base of the image layers: factor parsing, data_format, the call protocol.

    ``call`` takes images (rank 3 or 4) or, as Keras, a dict ``{"images": ..., "labels": ...,
    "segmentation_masks": ..., "bounding_boxes": {"boxes": ..., "labels": ...}}`` (only
    ``"images"`` is required). One random transformation is drawn from the images and applied to
    every entry (``transform_images``, ``transform_labels``, ``transform_segmentation_masks``,
    ``transform_bounding_boxes``), and a dict with the same keys comes back. Boxes are dense:
    ``(N, M, 4)`` with labels ``(N, M)`` for a batch (``(M, 4)`` / ``(M,)`` for one image), padded
    with -1 as ``MaxNumBoundingBoxes`` writes them, in the layer's ``bounding_box_format``.

    Args:
        factor: (layers that take one) a number ``f`` (range ``[-f, f]``, clipped to the
            layer's bounds) or a pair ``(lower, upper)``.
        bounding_box_format: the format of ``"bounding_boxes"`` inputs (one of
            ``kerasport.utils.bounding_boxes.FORMATS``, e.g. "xyxy"); needed only for them.
        data_format: "channels_last" or "channels_first" (``kerasport.config.image_data_format()``).
    """

    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags
    _numbers_are_one_input = True

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS = (-1, 1)
    _KEEPS_BOXES = False  # layers that only change pixel values leave boxes as they are

    def __init__(self, factor=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or backend.image_data_format()
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__} {self.name!r}: `data_format` must be 'channels_last' or "
                             f"'channels_first', received data_format={data_format!r}.")
        if bounding_box_format is not None and (not isinstance(bounding_box_format, str)
                                                or bounding_box_format.lower() not in box_utils.FORMATS):
            raise ValueError(f"{type(self).__name__} {self.name!r}: `bounding_box_format` must be one of "
                             f"{box_utils.FORMATS}. Received: bounding_box_format={bounding_box_format!r}")
        self.bounding_box_format = bounding_box_format
        if self._USE_BASE_FACTOR:
            self._set_factor(factor or 0.0)
        elif factor is not None:
            raise ValueError(f"Layer {type(self).__name__} does not take a `factor` argument. Received: "
                             f"factor={factor}")

    def _set_factor(self, factor):
        self.factor = self._factor_range(factor)

    def _factor_range(self, factor, name="factor"):
        """(lower, upper) from a number ``f`` (``[-f, f]`` clipped to the bounds) or a pair, as Keras."""
        low, high = self._FACTOR_BOUNDS
        error = (f"{type(self).__name__} {self.name!r}: the `{name}` argument should be a number (or a list of two "
                 f"numbers) in the range [{low}, {high}]. Received: {name}={factor}")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or factor[0] > high or factor[1] < low:
                raise ValueError(error)
            return tuple(sorted(factor))
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if factor < low or factor > high:
                raise ValueError(error)
            factor = abs(factor)
            return (max(-factor, low), factor)
        raise ValueError(error)

    def _seed(self, seed):
        return self.generator if seed is None else seed

    def _hw(self, shape):
        return (shape[-3], shape[-2]) if self.data_format == "channels_last" else (shape[-2], shape[-1])

    def _check_rank(self, data):
        if B.ndim(data) not in (3, 4):
            raise ValueError(f"{type(self).__name__} {self.name!r}: expected image tensor of rank 3 (single image) "
                             f"or 4 (batch of images). Received: data.shape={tuple(data.shape)}")

    def _batch(self, data):
        shape = images_shape(data)
        return shape[0] if len(shape) == 4 else 1

    def _images(self, data):
        """The images of ``data`` (a dict or the images themselves) as a tensor."""
        return B.convert_to_tensor(data["images"] if isinstance(data, dict) else data)

    def get_random_transformation(self, data, training=True, seed=None):
        """The random parameters for ``data`` (images or a dict of them; ``None`` for deterministic layers)."""
        return None

    def transform_images(self, images, transformation, training=True):
        """Apply ``transformation`` (from ``get_random_transformation``) to rank 3/4 ``images``."""
        images = B.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        unbatched = B.ndim(images) == 3
        out = self._transform_images(B.expand_dims(images, 0) if unbatched else images, transformation)
        return B.squeeze(out, 0) if unbatched else out

    def _transform_images(self, images, transformation):
        raise NotImplementedError

    def _transform_masks(self, masks, transformation, training, **kwargs):
        """``masks`` through ``_transform_images(masks, transformation, **kwargs)`` in the compute dtype, returned
        in their own dtype and rank (unchanged unless ``training``)."""
        if not training or transformation is None:
            return masks
        dtype = B.dtype(masks)
        masks = B.cast(masks, self.compute_dtype)
        unbatched = B.ndim(masks) == 3
        out = self._transform_images(B.expand_dims(masks, 0) if unbatched else masks, transformation, **kwargs)
        return B.cast(B.squeeze(out, 0) if unbatched else out, dtype)

    def transform_labels(self, labels, transformation, training=True):
        """``labels`` after ``transformation`` (unchanged unless the layer mixes images)."""
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """``segmentation_masks`` after ``transformation`` (unchanged unless the layer moves pixels)."""
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """``bounding_boxes`` (``{"boxes": (N, M, 4), "labels": (N, M)}`` in ``bounding_box_format``) after
        ``transformation``; boxes moved out of the image are clipped, and those left with no area get label -1."""
        if self._KEEPS_BOXES:
            return bounding_boxes
        raise NotImplementedError

    def _check_dict(self, data):
        unknown = sorted(set(data) - set(DICT_KEYS))
        if "images" not in data or unknown:
            raise ValueError(f"{type(self).__name__} {self.name!r}: a dict input needs an 'images' key and may hold "
                             f"'labels', 'segmentation_masks' and 'bounding_boxes'. Received keys: {sorted(data)}")
        if "bounding_boxes" not in data:
            return
        boxes = data["bounding_boxes"]
        if not isinstance(boxes, dict) or set(boxes) != {"boxes", "labels"}:
            raise ValueError(f"{type(self).__name__} {self.name!r}: 'bounding_boxes' must be a dict with the keys "
                             f"'boxes' and 'labels'. Received: {boxes!r}"[:400])
        if not self._KEEPS_BOXES and \
                type(self).transform_bounding_boxes is BaseImagePreprocessingLayer.transform_bounding_boxes:
            raise NotImplementedError(f"{type(self).__name__} {self.name!r}: 'bounding_boxes' inputs are not "
                                      "supported by this kerasport layer yet.")
        if not self.bounding_box_format:
            raise ValueError(f"{type(self).__name__} {self.name!r}: you passed an input with a 'bounding_boxes' "
                             "key, but no bounding box format. Pass a `bounding_box_format` argument to the "
                             "layer, e.g. `bounding_box_format='xyxy'`.")

    def _check_boxes(self, data):
        rank = len(data["images"].shape) - 1
        shapes = tuple(tuple(data["bounding_boxes"][k].shape) for k in ("boxes", "labels"))
        if len(shapes[0]) != rank or shapes[0][-1] != 4 or len(shapes[1]) != rank - 1:
            raise ValueError(f"{type(self).__name__} {self.name!r}: with images of rank {rank + 1}, 'bounding_boxes' "
                             f"must hold dense 'boxes' of rank {rank} ending in 4 and 'labels' of rank {rank - 1}. "
                             f"Received: boxes.shape={shapes[0]}, labels.shape={shapes[1]}")

    def _call_dict(self, inputs, training):
        data = {key: {k: B.convert_to_tensor(v) for k, v in value.items()} if key == "bounding_boxes"
                else B.convert_to_tensor(value) for key, value in inputs.items()}
        self._check_rank(data["images"])
        if "bounding_boxes" in data:
            self._check_boxes(data)
        transformation = self.get_random_transformation(data, training=training)
        out = {"images": self.transform_images(data["images"], transformation, training=training)}
        if "labels" in data:
            out["labels"] = self.transform_labels(data["labels"], transformation, training=training)
        if "segmentation_masks" in data:
            out["segmentation_masks"] = self.transform_segmentation_masks(data["segmentation_masks"], transformation,
                                                                          training=training)
        if "bounding_boxes" in data:
            unbatched = B.ndim(data["images"]) == 3
            boxes = {k: B.expand_dims(v, 0) for k, v in data["bounding_boxes"].items()} if unbatched \
                else data["bounding_boxes"]
            boxes = self.transform_bounding_boxes(boxes, transformation, training=training)
            out["bounding_boxes"] = {k: B.squeeze(v, 0) for k, v in boxes.items()} if unbatched else boxes
        return out

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            self._check_dict(inputs)
            return self._call_dict(inputs, training)
        inputs = B.convert_to_tensor(inputs)
        self._check_rank(inputs)
        transformation = self.get_random_transformation(inputs, training=training)
        return self.transform_images(inputs, transformation, training=training)

    def compute_output_shape(self, input_shape):
        return dict(input_shape) if isinstance(input_shape, dict) else tuple(input_shape)

    def compute_output_spec(self, inputs, *args, **kwargs):
        if not isinstance(inputs, dict):
            return super().compute_output_spec(inputs, *args, **kwargs)

        def specs(tensors, shapes):
            return {key: specs(value, shapes[key]) if isinstance(value, dict) else KerasTensor(
                shapes[key], self.compute_dtype if key == "images" else "float32" if key == "boxes" else value.dtype)
                for key, value in tensors.items()}

        shapes = {key: {k: v.shape for k, v in value.items()} if isinstance(value, dict) else value.shape
                  for key, value in inputs.items()}
        return specs(inputs, self.compute_output_shape(shapes))

    def get_config(self):
        config = {**super().get_config(), "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
