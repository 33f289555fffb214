"""``Wrapper``: the base of layers that wrap another layer (``SpectralNormalization``, user wrappers)."""
from kerasport.layers.layer import Layer
from kerasport.core.serialization import serialize_keras_object


class Wrapper(Layer):
    """A layer that holds another layer, ``self.layer``, and builds it with its own input shape.

    Subclasses override ``call`` (and usually ``compute_output_shape``). The config stores the
    wrapped layer's serialized form under ``"layer"``, as in Keras.

    Args:
        layer: the ``Layer`` to wrap.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer!r} supplied to {type(self).__name__} isn't a supported layer type. "
                             "Please ensure wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
            self.layer._build_shapes = input_shape
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return self.layer(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasport.layers import deserialize
        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects)
        return super().from_config({**config, "layer": layer})
