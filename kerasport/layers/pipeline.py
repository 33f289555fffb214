"""``Pipeline``: Keras 3's plain layer that applies a list of layers in order."""
from kerasport.core.masks import get_mask
from kerasport.core.serialization import serialize_keras_object
from kerasport.layers.layer import Layer

__all__ = ["Pipeline"]


class Pipeline(Layer):
    """Applies a series of layers to an input, in order.

    Unlike a ``Sequential`` model, a ``Pipeline`` is a plain layer, not a ``Model``: it is meant for
    preprocessing (in particular image augmentation) and runs inside ``tf.data.Dataset.map`` when
    its layers do. ``training`` is passed to each layer whose ``call`` takes it, masks are passed
    along, and the weights of its layers are its weights (saved under ``layers/<layer>`` in a
    ``.keras`` file, as Keras does).

    Args:
        layers: the list of layers to apply.
        name: the layer's name.

    Example:

    >>> pipeline = kerasport.layers.Pipeline([
    ...     kerasport.layers.AutoContrast(),
    ...     kerasport.layers.RandomZoom(0.2),
    ...     kerasport.layers.RandomRotation(0.2),
    ... ])
    >>> augmented = dataset.map(pipeline)  # a tf.data.Dataset of images
    """

    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, Layer) for layer in layers):
            raise ValueError(f"Pipeline {self.name!r}: `layers` must be a list of layers. Received: layers={layers!r}")
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        """The layers of the pipeline, in the order they are applied."""
        return self._pipeline_layers

    def call(self, inputs, training=True, mask=None):
        outputs = inputs
        for layer in self._pipeline_layers:
            kwargs = {}
            if layer._call_has_mask:
                kwargs["mask"] = mask
            if layer._call_has_training and training is not None:
                kwargs["training"] = training
            outputs = layer(inputs, **kwargs)
            inputs = outputs
            mask = get_mask(outputs)
        return outputs

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasport.layers import deserialize
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError("`Pipeline` config must contain a `layers` key mapping to a list of serialized layers. "
                             f"Received config with layers={layers}.")
        return cls(**{**config, "layers": [deserialize(layer, custom_objects) for layer in layers]})

    def get_config(self):
        return {"layers": [serialize_keras_object(layer) for layer in self._pipeline_layers], "name": self.name}
