"""``Bidirectional``: runs a recurrent layer forwards and a copy of it backwards, and merges the outputs."""
from kerasport.backends import B
from kerasport.layers.layer import Layer
from kerasport.layers.time_distributed import ShapeOnly
from kerasport.core.serialization import serialize_keras_object


def _merge(merge_mode, y, y_rev):
    if merge_mode == "concat":
        return B.concatenate([y, y_rev], axis=-1)
    if merge_mode == "sum":
        return y + y_rev
    if merge_mode == "ave":
        return (y + y_rev) / 2
    if merge_mode == "mul":
        return y * y_rev
    return [y, y_rev]


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    Args:
        layer: an ``RNN`` (``LSTM``, ``GRU``, ...): the forward layer is built from its config.
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"``, or ``None`` (a list of both outputs).
        backward_layer: the backward ``RNN`` (by default a copy of ``layer`` with ``go_backwards`` flipped).

    With ``return_sequences`` the backward outputs are flipped back to the input's time order.
    With ``return_state`` the result is ``[output, *forward_states, *backward_states]``.
    The weights are the forward layer's, then the backward layer's.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional needs a Layer instance, received {layer!r}.")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"Bidirectional: `backward_layer` must be a Layer instance, received {backward_layer!r}.")
        if merge_mode not in ("sum", "mul", "ave", "concat", None):
            raise ValueError(f"Bidirectional: invalid merge_mode {merge_mode!r}; expected one of "
                             f"'sum', 'mul', 'ave', 'concat' or None.")
        super().__init__(**kwargs)
        self.forward_layer = _copy_layer(layer, name=f"forward_{layer.name.removeprefix('forward_')}")
        if backward_layer is None:
            backward_layer = _copy_layer(layer, name=f"backward_{layer.name.removeprefix('backward_')}",
                                         go_backwards=not layer.go_backwards)
        self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError("Bidirectional: the forward and backward layers need different `go_backwards` values, "
                             f"both have {self.forward_layer.go_backwards}.")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(self.forward_layer, attr) != getattr(self.backward_layer, attr):
                raise ValueError(f"Bidirectional: the forward and backward layers need the same `{attr}`, received "
                                 f"{getattr(self.forward_layer, attr)} and {getattr(self.backward_layer, attr)}.")
        for rnn in (self.forward_layer, self.backward_layer):
            if hasattr(rnn, "zero_output_for_mask"):
                rnn.zero_output_for_mask = rnn.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self._initial_weights = weights

    def _check_input_spec(self, shape):
        self.forward_layer._check_input_spec(shape)

    def build(self, sequences_shape, initial_state_shape=None):
        for rnn in (self.forward_layer, self.backward_layer):
            if not rnn.built:
                rnn._maybe_build([ShapeOnly(sequences_shape)])
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, sequences, initial_state=None, mask=None, training=False):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, mask=mask, training=training)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, mask=mask, training=training)
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = B.flip(y_rev, axis=1)
        output = _merge(self.merge_mode, y, y_rev)
        if self.return_state:
            return (*output, *states) if self.merge_mode is None else (output, *states)
        return output

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states = ()
        if self.return_state:
            shape, states = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (None if shape[-1] is None else 2 * shape[-1],)
        if self.merge_mode is None:
            return (shape, shape, *states, *states) if self.return_state else [shape, shape]
        return (shape, *states, *states) if self.return_state else shape

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        outputs = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            return outputs + [None] * (2 * len(self.forward_layer.state_size))
        return outputs if self.merge_mode is None else output_mask

    def reset_states(self):
        """Zero the states of both directions (stateful layers only)."""
        if not self.stateful:
            raise AttributeError(f"Bidirectional {self.name!r}: the layer must be stateful to reset its states.")
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    @property
    def states(self):
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states + self.backward_layer.states)
        return None

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_keras_object(self.forward_layer),
                "backward_layer": serialize_keras_object(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        from kerasport.layers import deserialize
        config["layer"] = deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"])
        return super().from_config(config)


def _copy_layer(layer, **overrides):
    """A new layer (with new weights) from ``layer``'s config, with some arguments replaced."""
    config = serialize_keras_object(layer)
    config["config"] = {**config["config"], **overrides}
    from kerasport.layers import deserialize
    return deserialize(config)
