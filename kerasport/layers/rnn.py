"""``RNN``: runs a cell over the time axis of a sequence (``B.rnn``), with masks, initial and stateful
states, dropout masks made once per sequence, and ``return_sequences``/``return_state``."""
from kerasport import regularizers
from kerasport.backends import B
from kerasport.layers.core import check_rank
from kerasport.layers.layer import Layer
from kerasport.layers.rnn_cells import (DropoutCell, StackedRNNCells, call_cell, cell_initial_state,
                                       cell_output_size)
from kerasport.core.serialization import serialize_keras_object
from kerasport.core import nest as tree


def _dropout_cells(cell):
    if isinstance(cell, StackedRNNCells):
        return [c for sub in cell.cells for c in _dropout_cells(sub)]
    return [cell] if isinstance(cell, DropoutCell) else []


def _make_dropout_masks(cell, batch_size, input_dim):
    if isinstance(cell, StackedRNNCells):
        for c in cell.cells:
            _make_dropout_masks(c, batch_size, input_dim)
            input_dim = cell_output_size(c)
    elif isinstance(cell, DropoutCell):
        cell._make_dropout_masks(batch_size, input_dim)


class RNN(Layer):
    """Runs a cell over the time axis of a sequence.

    Args:
        cell: an RNN cell (a layer with ``state_size``, optionally ``output_size``, and
            ``call(inputs, states)`` returning ``(output, new_states)``), or a list of cells
            (wrapped in ``StackedRNNCells``).
        return_sequences: return every step's output ``(B, T, units)`` instead of the last ``(B, units)``.
        return_state: also return the final states: ``[output, *states]``.
        go_backwards: process the sequence from last step to first (the outputs then are in that order).
        stateful: keep the final states of a batch as the initial states of the next one
            (needs a fixed batch size; ``reset_states()`` zeroes them).
        unroll: unroll the loop in the graph (TensorFlow) instead of a ``tf.while_loop``.
        zero_output_for_mask: output zeros at masked steps instead of repeating the previous output.

    Call arguments:
        sequences: ``(B, T, ...)``.
        initial_state: list of initial state tensors (zeros by default).
        mask: ``(B, T)`` bool: masked steps keep the previous states and output.
        training: whether dropout is active.

    Example::

        x = kerasport.Input((10, 8))
        y = kerasport.layers.RNN(kerasport.layers.LSTMCell(16))(x)  # (None, 16)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        super().__init__(**kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"{type(self).__name__} {self.name!r}: `cell` needs a `call` method, received {cell!r}.")
        state_size = getattr(cell, "state_size", None)
        if not isinstance(state_size, (int, list, tuple)):
            raise ValueError(f"{type(self).__name__} {self.name!r}: the cell needs a `state_size` (an integer or "
                             f"a list of integers), received {state_size!r}.")
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.state_size = [state_size] if isinstance(state_size, int) else list(state_size)
        self.supports_masking = True
        self.states = None

    def _check_input_spec(self, shape):
        check_rank(self, shape, min_rank=3)

    def build(self, sequences_shape, initial_state_shape=None):
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((sequences_shape[0],) + tuple(sequences_shape[2:]))
            self.cell.built = True
        if self.stateful and self.states is None:
            if sequences_shape[0] is None:
                raise ValueError(f"{type(self).__name__} {self.name!r}: a stateful RNN needs a fixed batch size, "
                                 f"received input shape {tuple(sequences_shape)}.")
            self.states = [B.variable(s, dtype=self.dtype, trainable=False, name="rnn_state")
                           for s in tree.flatten(self.get_initial_state(sequences_shape[0]))]
        self.built = True

    def get_initial_state(self, batch_size):
        """The zero states for ``batch_size`` sequences, as the cell defines them."""
        return cell_initial_state(self.cell, batch_size, self.compute_dtype)

    def reset_states(self):
        """Zero the states of a stateful RNN."""
        for v in self.states or []:
            v.assign(B.zeros_like(v))

    reset_state = reset_states

    def _initial_states(self, sequences, initial_state):
        """The initial states, as a flat list."""
        if initial_state is not None:
            initial_state = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
            flat = [B.convert_to_tensor(s, self.compute_dtype) for s in tree.flatten(initial_state)]
            expected = len(tree.flatten(self.state_size))
            if len(flat) != expected:
                raise ValueError(f"{type(self).__name__} {self.name!r} expects {expected} initial state tensor(s), "
                                 f"received {len(flat)}.")
            return flat
        if self.stateful:
            if sequences.shape[0] != self.states[0].shape[0]:
                raise ValueError(f"{type(self).__name__} {self.name!r} is stateful with batch size "
                                 f"{self.states[0].shape[0]}, received a batch of {sequences.shape[0]}.")
            # Copies: the state variables are overwritten in place after the loop.
            return [B.add(v, B.zeros_like(v)) for v in self.states]
        return tree.flatten(self.get_initial_state(B.shape(sequences)[0]))

    def _loop(self, sequences, states, mask, training):
        """``(last_output, outputs or None, new flat states)`` over the sequence; ``LSTM``/``GRU`` fuse it."""
        structure = self.state_size

        def step(x, flat):
            output, new_states = call_cell(self.cell, x, tree.pack_as(structure, flat), training)
            return output, tree.flatten(new_states)

        return B.rnn(step, sequences, states, go_backwards=self.go_backwards, mask=mask, unroll=self.unroll,
                     zero_output_for_mask=self.zero_output_for_mask, return_all_outputs=self.return_sequences)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if self.unroll and sequences.shape[1] is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: cannot unroll over an unknown number of "
                             f"time steps; give the input a fixed length.")
        states = self._initial_states(sequences, initial_state)
        if training:
            _make_dropout_masks(self.cell, B.shape(sequences)[0], sequences.shape[-1])
        try:
            last, outputs, states = self._loop(sequences, states, mask, training)
        finally:
            for cell in _dropout_cells(self.cell):
                cell._reset_dropout_masks()
        if self.stateful:
            for v, s in zip(self.states, states):
                v.assign(s)
        output = outputs if self.return_sequences else last
        if self.return_state:
            return (output, *tree.pack_as(self.state_size, states))
        return output

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch = sequences_shape[0]
        size = cell_output_size(self.cell)
        output = (batch, sequences_shape[1], size) if self.return_sequences else (batch, size)
        if not self.return_state:
            return output
        return (output, *tree.map_structure(lambda d: (batch, d), self.state_size))

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        return [output_mask] + [None] * len(self.state_size) if self.return_state else output_mask

    def get_config(self):
        return {**super().get_config(), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize_keras_object(self.cell)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        from kerasport.layers import deserialize
        cell = deserialize(config.pop("cell"))
        return super().from_config({**config, "cell": cell})
