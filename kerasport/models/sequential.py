"""``Sequential``: a plain stack of layers, each with one input and one output."""
from kerasport import dtype_policies
from kerasport.layers.core import InputLayer
from kerasport.core.masks import set_mask
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.models.functional import sharper_inputs
from kerasport.models.model import Model
from kerasport.core import nest
from kerasport.core.serialization import serialize_keras_object


class Sequential(Model):
    """A linear stack of layers.

    Example::

        model = kerasport.Sequential([
            kerasport.Input(shape=(784,)),
            kerasport.layers.Dense(64, activation="relu"),
            kerasport.layers.Dense(10, activation="softmax"),
        ])

    Without an ``Input`` (or ``input_shape`` on the first layer) the model builds
    on its first call, from the data.
    """

    _functional_submodule = True  # torch: the variables also under ``_functional``, as Keras's inner model

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._input_layer = None
        self._seq = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_graph()

    def add(self, layer, rebuild=True):
        """Append ``layer`` (or an ``Input`` to set the input shape)."""
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise ValueError("Only instances of `keras.Layer` can be added to a Sequential model. Received: "
                             f"{layer!r} (of type {type(layer)})")
        if isinstance(layer, InputLayer):
            if self._seq or self._input_layer is not None:
                raise ValueError("An Input can only be the first entry of a Sequential model.")
            self._input_layer = layer
        else:
            if any(l is layer for l in self._seq):
                raise ValueError(f"Layer {layer.name!r} is already in Sequential model {self.name!r}.")
            self._seq.append(layer)
            self._layers.append(layer)
        self.built = False
        self.__dict__.pop("inputs", None)
        self.__dict__.pop("outputs", None)
        if rebuild:
            self._maybe_build_graph()

    def pop(self):
        """Remove and return the last layer."""
        if not self._seq:
            raise IndexError(f"pop from empty Sequential model {self.name!r}: there are no layers to remove.")
        layer = self._seq.pop()
        self._layers.remove(layer)
        self.built = False
        self._maybe_build_graph()
        return layer

    def _maybe_build_graph(self):
        if self._input_layer is not None:
            self.build(self._input_layer.batch_shape)
        elif self._seq and self._seq[0]._input_shape_arg is not None:
            first = self._seq[0]
            self.build((first._batch_size_arg,) + tuple(first._input_shape_arg))
        elif self._seq and isinstance(self._seq[0], Model) and _single_shape(self._seq[0].input_shape):
            self.build(tuple(self._seq[0].input_shape))  # a built model first knows its input shape, as in Keras

    def build(self, input_shape=None):
        """Wire the layers symbolically from ``input_shape`` (batch dim included)."""
        if input_shape is None:
            raise ValueError(f"Sequential model {self.name!r} needs an input shape to build.")
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list)):
            input_shape = input_shape[0]
        if self._input_layer is None or tuple(self._input_layer.batch_shape) != tuple(input_shape):
            dtype = getattr(self._input_layer, "dtype", None) or "float32"
            self._input_layer = InputLayer(batch_shape=tuple(input_shape), dtype=dtype,
                                           name=self._input_layer.name if self._input_layer else None)
        x = self._input_layer.output_tensor
        self.inputs = [x]
        for layer in self._seq:
            x = layer(x)
        self.outputs = [x]
        self.output_names = [self._seq[-1].name] if self._seq else ["output"]
        self.built = True
        self._build_shapes = tuple(input_shape)

    def _build_from_data(self, x, step="train"):
        if not self.built:
            self.build((None,) + tuple(nest.flatten(x)[0].shape)[1:])

    @property
    def layers(self):
        return list(self._seq)

    @property
    def input_shape(self):
        return self._input_layer.batch_shape if self._input_layer else None

    @property
    def output_shape(self):
        return self.outputs[0].shape if self.built else None

    def call(self, inputs, training=None, mask=None):
        if mask is not None:  # as in Keras, a mask given with the inputs reaches the first layers
            set_mask(inputs, mask)
        x = inputs
        for layer in self._seq:
            x = layer(x, training=training) if training is not None and layer._call_has_training else layer(x)
        return x

    def compute_output_spec(self, *args, **kwargs):
        if args and sharper_inputs(args[0], self.inputs):  # as Keras, e.g. a known height: each layer's spec again
            x = args[0]
            for layer in self._seq:
                x = layer.compute_output_spec(x)
            return x
        return KerasTensor(self.outputs[0].shape, self.outputs[0].dtype)

    def get_config(self):
        layers = [serialize_keras_object(self._input_layer)] if self._input_layer is not None else []
        layers += [serialize_keras_object(layer) for layer in self._seq]
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policies.serialize(self.dtype_policy), "layers": layers}
        if self.built and self._build_shapes is not None:
            config["build_input_shape"] = list(self._build_shapes)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasport import layers as layers_mod
        entries = config["layers"] if isinstance(config, dict) else config
        model = cls(name=config.get("name") if isinstance(config, dict) else None)
        for entry in entries:
            layer = layers_mod.deserialize(entry, custom_objects=custom_objects)
            model.add(layer, rebuild=False)
        if isinstance(config, dict) and config.get("build_input_shape") and model._input_layer is None:
            model.build(tuple(config["build_input_shape"]))
        else:
            model._maybe_build_graph()
        return model


def _single_shape(shape):
    """Whether ``shape`` is one input shape (a tuple of ints and ``None``), not a list of shapes or ``None``."""
    return isinstance(shape, (tuple, list)) and all(d is None or isinstance(d, int) for d in shape)
