"""``TimeDistributed``: applies a layer to every time step of a sequence."""
from kerasport.backends import B
from kerasport.layers.core import check_rank
from kerasport.layers.layer import Layer
from kerasport.core.serialization import serialize_keras_object


class ShapeOnly:
    """Stands for a tensor of ``shape`` where a layer only needs the shape to build."""

    def __init__(self, shape):
        self.shape = tuple(shape)


class TimeDistributed(Layer):
    """Applies ``layer`` to every time step: ``(B, T, ...)`` -> ``(B, T, ...)``.

    ``layer``'s weights are shared across steps. Built-in layers that treat each sample on
    its own run once on the steps folded into the batch, ``(B * T, ...)``. Other layers (custom
    ones, and layers with batch statistics such as ``BatchNormalization``) run once per step,
    as in Keras, so that statistics are taken per step; that needs the number of steps known
    (with an unknown one, the steps are folded). A ``(B, T)`` mask is passed on to layers that
    take one.

    Args:
        layer: the layer to apply.

    Example::

        x = kerasport.Input((10, 8))
        y = kerasport.layers.TimeDistributed(kerasport.layers.Dense(4))(x)  # (None, 10, 4)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed needs a Layer instance, received {layer!r}.")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _check_input_spec(self, shape):
        check_rank(self, shape, min_rank=3)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer._maybe_build([ShapeOnly((None,) + tuple(input_shape[2:]))])
        self.built = True

    def _per_step(self):
        """Whether ``layer`` must see each step on its own (Keras's loop) rather than the folded batch."""
        return any(getattr(layer, "_uses_batch_statistics", False) or
                   not type(layer).__module__.startswith("kerasport.")
                   for layer in self.layer._flatten_layers())

    def call(self, inputs, training=None, mask=None):
        shape = B.shape(inputs)
        kwargs = {"training": training} if self.layer._call_has_training else {}
        if isinstance(shape[1], int) and self._per_step():
            steps = []
            for t in range(shape[1]):
                if self.layer._call_has_mask and mask is not None:
                    kwargs["mask"] = mask[:, t]
                steps.append(self.layer.call(inputs[:, t], **kwargs))
            return B.stack(steps, axis=1)
        if self.layer._call_has_mask and mask is not None:
            kwargs["mask"] = B.reshape(mask, (-1,) + tuple(B.shape(mask)[2:]))
        outputs = self.layer.call(B.reshape(inputs, (-1,) + tuple(shape[2:])), **kwargs)
        return B.reshape(outputs, (shape[0], shape[1]) + tuple(B.shape(outputs)[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((input_shape[0],) + tuple(input_shape[2:]))
        return (inner[0], input_shape[1], *inner[1:])

    def get_config(self):
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        from kerasport.layers import deserialize
        return cls(deserialize(config.pop("layer")), **config)
