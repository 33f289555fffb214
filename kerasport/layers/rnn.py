"""Recurrent layers: cells, the ``RNN`` loop, ``SimpleRNN``/``LSTM``/``GRU``, ``Bidirectional``, ``TimeDistributed``.

``LSTM`` and ``GRU`` run the backend's fused kernels (``B.lstm``, ``B.gru``) when
their configuration allows; otherwise, and for any other cell, ``B.rnn`` runs
the cell's ``call`` once per time step. Both give the same numbers.
"""
from kerasport import activations, constraints, initializers, regularizers
from kerasport.backends import B
from kerasport.layers.core import check_rank
from kerasport.layers.layer import Layer
from kerasport.saving.serialization import serialize_keras_object
from kerasport.utils import naming, tree


def _ser(obj):
    return serialize_keras_object(obj) if obj is not None else None


def _deserialize(config):
    from kerasport.layers import deserialize
    return deserialize(config)


def _check_units(layer, units):
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: `units` must be a positive integer, "
                         f"received {units!r}.")


class _DropoutCell:
    """Dropout masks for a cell: made once per sequence (``RNN`` calls ``_make_dropout_masks``
    before the loop and ``_reset_dropout_masks`` after), reused at every step.

    With ``recurrent_dropout`` a gated cell gets one mask per gate for both inputs and states, as in Keras.
    """

    _dropout_mask = None
    _recurrent_dropout_mask = None

    def _make_dropout_masks(self, batch_size, input_dim):
        count = self._gates if self.recurrent_dropout and self._gates > 1 else None

        def masks(dim, rate):
            ones = B.ones((batch_size, dim), dtype=self.compute_dtype)
            if count is None:
                return B.dropout(ones, rate, generator=self._generator)
            return [B.dropout(ones, rate, generator=self._generator) for _ in range(count)]

        if self.dropout > 0:
            self._dropout_mask = masks(input_dim, self.dropout)
        if self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = masks(self.units, self.recurrent_dropout)

    def _reset_dropout_masks(self):
        self._dropout_mask = self._recurrent_dropout_mask = None

    def _per_gate(self, x, masks, training):
        """One copy of ``x`` per gate, each times its own mask when training."""
        if training and masks is not None:
            return [x * m for m in masks]
        return [x] * self._gates


class _Cell(Layer, _DropoutCell):
    """What SimpleRNNCell, LSTMCell and GRUCell share: arguments, weights and config."""

    _gates = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        _check_units(self, units)
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.seed = seed
        self._generator = B.make_generator(seed)
        self.output_size = units

    def _bias_shape_and_initializer(self):
        return (self._gates * self.units,), self.bias_initializer

    def build(self, input_shape):
        n = self._gates * self.units
        self.kernel = self.add_weight((input_shape[-1], n), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight((self.units, n), self.recurrent_initializer, name="recurrent_kernel",
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            shape, init = self._bias_shape_and_initializer()
            self.bias = self.add_weight(shape, init, name="bias", regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [B.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes]

    def get_config(self):
        config = {"units": self.units, "activation": activations.serialize(self.activation),
                  "recurrent_activation": activations.serialize(self.recurrent_activation),
                  "use_bias": self.use_bias, "kernel_initializer": _ser(self.kernel_initializer),
                  "recurrent_initializer": _ser(self.recurrent_initializer),
                  "bias_initializer": _ser(self.bias_initializer),
                  "kernel_regularizer": _ser(self.kernel_regularizer),
                  "recurrent_regularizer": _ser(self.recurrent_regularizer),
                  "bias_regularizer": _ser(self.bias_regularizer), "kernel_constraint": _ser(self.kernel_constraint),
                  "recurrent_constraint": _ser(self.recurrent_constraint),
                  "bias_constraint": _ser(self.bias_constraint), "dropout": self.dropout,
                  "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}
        return {**super().get_config(), **config}


class SimpleRNNCell(_Cell):
    """One step of a fully-connected RNN: ``h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)``.

    Args:
        units: size of the output and of the state.
        activation: ``"tanh"`` by default.
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: ``"glorot_uniform"``,
            ``"orthogonal"``, ``"zeros"`` by default; regularizers and constraints likewise per weight.
        dropout: fraction of the inputs dropped (one mask per sequence) in training.
        recurrent_dropout: fraction of the previous state dropped in training.
        seed: seed of the dropout masks.

    Call: ``cell(inputs (B, I), states [(B, units)])`` -> ``(output, [new_state])``.
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation, None, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
                         **kwargs)
        self.state_size = units

    def call(self, sequence, states, training=False):
        prev = states[0] if isinstance(states, (list, tuple)) else states
        if training and self._dropout_mask is not None:
            sequence = sequence * self._dropout_mask
        if training and self._recurrent_dropout_mask is not None:
            prev = prev * self._recurrent_dropout_mask
        output = self.activation(B.dense(sequence, self.kernel, self.bias) + B.matmul(prev, self.recurrent_kernel))
        return output, [output] if isinstance(states, (list, tuple)) else output

    def get_config(self):
        config = super().get_config()
        del config["recurrent_activation"]
        return config


class LSTMCell(_Cell):
    """One step of a Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997); gates i, f, c, o.

    Args:
        units: size of the output and of each state.
        activation: ``"tanh"`` by default; recurrent_activation: ``"sigmoid"`` by default (the gates).
        use_bias: whether to add a bias.
        unit_forget_bias: add 1 to the forget gate's bias at initialization (with ``bias_initializer="zeros"``).
        kernel_initializer, recurrent_initializer, bias_initializer, regularizers, constraints: per weight.
        dropout, recurrent_dropout: fractions of the inputs / previous ``h`` dropped in training.
        seed: seed of the dropout masks.

    Call: ``cell(inputs (B, I), [h (B, units), c (B, units)])`` -> ``(h, [h, c])``.
    """

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [units, units]

    def _bias_shape_and_initializer(self):
        shape = (4 * self.units,)
        if not self.unit_forget_bias:
            return shape, self.bias_initializer
        init, u = self.bias_initializer, self.units

        def forget_bias_initializer(_, dtype=None):
            return B.concatenate([B.convert_to_tensor(init((u,), dtype)), B.ones((u,), dtype or "float32"),
                                  B.convert_to_tensor(init((2 * u,), dtype))])

        return shape, forget_bias_initializer

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        if self.recurrent_dropout:  # Keras's implementation 1: per-gate matmuls and masks
            xs = self._per_gate(inputs, self._dropout_mask, training)
            hs = self._per_gate(h_tm1, self._recurrent_dropout_mask, training)
            ks, rks = B.split(self.kernel, 4, axis=1), B.split(self.recurrent_kernel, 4, axis=1)
            bs = B.split(self.bias, 4, axis=0) if self.bias is not None else [None] * 4
            z = [B.dense(x, k, b) + B.matmul(h, rk) for x, h, k, rk, b in zip(xs, hs, ks, rks, bs)]
        else:
            if training and self._dropout_mask is not None:
                inputs = inputs * self._dropout_mask
            z = B.matmul(inputs, self.kernel) + B.matmul(h_tm1, self.recurrent_kernel)
            z = B.split(z + self.bias if self.bias is not None else z, 4, axis=-1)
        i, f, g, o = z
        c = self.recurrent_activation(f) * c_tm1 + self.recurrent_activation(i) * self.activation(g)
        h = self.recurrent_activation(o) * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_Cell):
    """One step of a Gated Recurrent Unit (Cho et al., 2014); gates z (update), r (reset), h (candidate).

    Args:
        units: size of the output and of the state.
        activation: ``"tanh"`` by default; recurrent_activation: ``"sigmoid"`` by default (the gates).
        use_bias: whether to add biases.
        reset_after: apply the reset gate after the recurrent matmul (``True``, Keras's default and
            cuDNN's/PyTorch's formula; the bias then has shape ``(2, 3 * units)``: input and recurrent
            biases) or before it (``False``; bias shape ``(3 * units,)``).
        kernel_initializer, recurrent_initializer, bias_initializer, regularizers, constraints: per weight.
        dropout, recurrent_dropout: fractions of the inputs / previous state dropped in training.
        seed: seed of the dropout masks.

    Call: ``cell(inputs (B, I), [h (B, units)])`` -> ``(h, [h])``.
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 reset_after=True, seed=None, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)
        self.reset_after = reset_after
        self.state_size = units

    def _bias_shape_and_initializer(self):
        return ((2, 3 * self.units) if self.reset_after else (3 * self.units,)), self.bias_initializer

    def call(self, inputs, states, training=False):
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        if self.bias is None:
            in_bias = rec_bias = None
        elif self.reset_after:
            in_bias, rec_bias = self.bias[0], self.bias[1]
        else:
            in_bias, rec_bias = self.bias, None
        if self.recurrent_dropout:  # Keras's implementation 1: per-gate masks
            xs = self._per_gate(inputs, self._dropout_mask, training)
            hs = self._per_gate(h_tm1, self._recurrent_dropout_mask, training)
        else:
            if training and self._dropout_mask is not None:
                inputs = inputs * self._dropout_mask
            xs, hs = [inputs] * 3, [h_tm1] * 3
        ks, rks = B.split(self.kernel, 3, axis=1), B.split(self.recurrent_kernel, 3, axis=1)
        in_b = B.split(in_bias, 3, axis=0) if in_bias is not None else [None] * 3
        rec_b = B.split(rec_bias, 3, axis=0) if rec_bias is not None else [None] * 3
        x_z, x_r, x_h = (B.dense(x, k, b) for x, k, b in zip(xs, ks, in_b))
        z = self.recurrent_activation(x_z + B.dense(hs[0], rks[0], rec_b[0]))
        r = self.recurrent_activation(x_r + B.dense(hs[1], rks[1], rec_b[1]))
        if self.reset_after:
            recurrent_h = r * B.dense(hs[2], rks[2], rec_b[2])
        else:
            recurrent_h = B.matmul(r * hs[2], rks[2])
        h = z * h_tm1 + (1 - z) * self.activation(x_h + recurrent_h)
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


class StackedRNNCells(Layer):
    """Cells run one after the other at each step, as one cell: ``RNN(StackedRNNCells([c1, c2]))``.

    Args:
        cells: RNN cells (layers with ``state_size`` and ``call(inputs, states)``).

    The state is the list of the cells' states; the output is the last cell's.
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"StackedRNNCells {self.name!r}: every cell needs a `call` method and a "
                                 f"`state_size`, received {cell!r}.")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        return [_initial_state(c, batch_size, self.compute_dtype) for c in self.cells]

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
            input_shape = (input_shape[0], _output_size(cell))
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, state in zip(self.cells, states):
            nested = isinstance(state, (list, tuple))
            inputs, new = _cell_call(cell, inputs, list(state) if nested else [state], training)
            new = tree.flatten(new)
            new_states.append(new if nested or len(new) > 1 else new[0])
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_keras_object(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls([_deserialize(c) for c in config.pop("cells")], **config)


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    return cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size


def _initial_state(cell, batch_size, dtype):
    """A cell's zero state: a list of ``(batch, size)`` tensors (or the cell's ``get_initial_state``)."""
    if hasattr(cell, "get_initial_state"):
        return cell.get_initial_state(batch_size=batch_size)
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    return [B.zeros((batch_size, d), dtype=dtype) for d in sizes]


def _cell_call(cell, inputs, states, training):
    if isinstance(cell, Layer) and cell._call_has_training:
        return cell.call(inputs, states, training=training)
    return cell.call(inputs, states)


def _dropout_cells(cell):
    if isinstance(cell, StackedRNNCells):
        return [c for sub in cell.cells for c in _dropout_cells(sub)]
    return [cell] if isinstance(cell, _DropoutCell) else []


def _make_dropout_masks(cell, batch_size, input_dim):
    if isinstance(cell, StackedRNNCells):
        for c in cell.cells:
            _make_dropout_masks(c, batch_size, input_dim)
            input_dim = _output_size(c)
    elif isinstance(cell, _DropoutCell):
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
        return _initial_state(self.cell, batch_size, self.compute_dtype)

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
            output, new_states = _cell_call(self.cell, x, tree.pack_as(structure, flat), training)
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
        size = _output_size(self.cell)
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
        cell = _deserialize(config.pop("cell"))
        return super().from_config({**config, "cell": cell})


_CELL_ARGS = frozenset(["units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias", "reset_after",
                        "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                        "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
                        "bias_constraint", "dropout", "recurrent_dropout", "seed"])
_LAYER_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "activity_regularizer")


class _CellLayer(RNN):
    """An ``RNN`` that builds its own cell from its arguments and exposes them (``layer.units``)."""

    _cell_class = None
    _fused_kernel = None

    def __init__(self, args):
        args = {k: v for k, v in args.items() if k not in ("self", "__class__")}
        kwargs = args.pop("kwargs")
        self.use_cudnn = args.pop("use_cudnn", "auto")
        layer_args = {k: args.pop(k) for k in _LAYER_ARGS}
        cell = self._cell_class(**args, name=naming.to_snake_case(self._cell_class.__name__),
                                dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True))
        super().__init__(cell, **layer_args, **kwargs)
        if self.use_cudnn not in ("auto", True, False):
            raise ValueError(f"{type(self).__name__} {self.name!r}: `use_cudnn` must be 'auto', True or False, "
                             f"received {self.use_cudnn!r}.")

    def __getattr__(self, name):
        # The cell's arguments read through the layer: ``lstm.units``, ``gru.reset_after``, ...
        cell = self.__dict__.get("cell")
        if cell is None or name not in _CELL_ARGS:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}.")
        return getattr(cell, name)

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=3)

    def _fused(self):
        """Whether the backend's fused kernel computes exactly this layer."""
        c = self.cell
        return (self._fused_kernel is not None and self.use_cudnn in ("auto", True) and not self.unroll and not c.recurrent_dropout
                and c.activation is activations.tanh and c.recurrent_activation is activations.sigmoid)

    def _loop(self, sequences, states, mask, training):
        if self._fused():
            if training and self.cell._dropout_mask is not None:
                sequences = sequences * B.expand_dims(self.cell._dropout_mask, 1)
            c = self.cell
            try:
                return self._fused_kernel(sequences, *states, c.kernel, c.recurrent_kernel, c.bias,
                                          go_backwards=self.go_backwards, mask=mask,
                                          zero_output_for_mask=self.zero_output_for_mask,
                                          return_sequences=self.return_sequences)
            except NotImplementedError:
                pass
        elif self.use_cudnn is True:
            raise ValueError(f"{type(self).__name__} {self.name!r}: use_cudnn=True, but this configuration has no "
                             f"fused kernel; pass use_cudnn='auto'.")
        return super()._loop(sequences, states, mask, training)

    def get_config(self):
        config = {k: v for k, v in self.cell.get_config().items() if k not in ("name", "trainable", "dtype")}
        base = super().get_config()
        del base["cell"]
        return {**base, **config, "activity_regularizer": _ser(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config):
        return Layer.from_config.__func__(cls, config)


class SimpleRNN(_CellLayer):
    """Fully-connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Args:
        units: output size.
        activation, use_bias, initializers, regularizers, constraints, dropout, recurrent_dropout, seed:
            as in ``SimpleRNNCell``.
        activity_regularizer: penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll: as in ``RNN``.

    Shapes: ``(B, T, I)`` -> ``(B, units)``, or ``(B, T, units)`` with ``return_sequences``.
    """

    _cell_class = SimpleRNNCell

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 seed=None, **kwargs):
        super().__init__(locals())


class LSTM(_CellLayer):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    With the default activations, no ``recurrent_dropout`` and ``unroll=False`` it runs the
    backend's fused kernel (PyTorch's LSTM; one ``tf.while_loop`` on TensorFlow); otherwise the
    cell's step loop. Weights: ``kernel (I, 4*units)``, ``recurrent_kernel (units, 4*units)``,
    ``bias (4*units,)``, gates in the order i, f, c, o.

    Args:
        units: output size.
        activation, recurrent_activation, use_bias, unit_forget_bias, initializers, regularizers,
            constraints, dropout, recurrent_dropout, seed: as in ``LSTMCell``.
        activity_regularizer: penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll: as in ``RNN``.
        use_cudnn: ``"auto"`` uses the fused kernel when it applies; ``False`` never; ``True`` requires it.

    Shapes: ``(B, T, I)`` -> ``(B, units)``, or ``(B, T, units)`` with ``return_sequences``;
    ``return_state`` adds ``h`` and ``c``, each ``(B, units)``.

    Example::

        model = kerasport.Sequential([kerasport.Input((40, 32)), kerasport.layers.LSTM(64),
                                      kerasport.layers.Dense(10)])
    """

    _cell_class = LSTMCell
    _fused_kernel = staticmethod(B.lstm)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        super().__init__(locals())


class GRU(_CellLayer):
    """Gated Recurrent Unit (Cho et al., 2014).

    With the default activations, ``reset_after=True``, no ``recurrent_dropout`` and
    ``unroll=False`` it runs the backend's fused kernel (PyTorch's GRU, whose formula is
    ``reset_after=True``; one ``tf.while_loop`` on TensorFlow); otherwise the cell's step loop.
    Weights: ``kernel (I, 3*units)``, ``recurrent_kernel (units, 3*units)``, ``bias (2, 3*units)``
    (``(3*units,)`` when ``reset_after=False``), gates in the order z, r, h.

    Args:
        units: output size.
        activation, recurrent_activation, use_bias, reset_after, initializers, regularizers,
            constraints, dropout, recurrent_dropout, seed: as in ``GRUCell``.
        activity_regularizer: penalty on the output.
        return_sequences, return_state, go_backwards, stateful, unroll: as in ``RNN``.
        use_cudnn: ``"auto"`` uses the fused kernel when it applies; ``False`` never; ``True`` requires it.

    Shapes: ``(B, T, I)`` -> ``(B, units)``, or ``(B, T, units)`` with ``return_sequences``.
    """

    _cell_class = GRUCell
    _fused_kernel = staticmethod(B.gru)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        super().__init__(locals())

    def _fused(self):
        return self.cell.reset_after and super()._fused()


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
                rnn._maybe_build([_ShapeOnly(sequences_shape)])
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
        config["layer"] = _deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = _deserialize(config["backward_layer"])
        return super().from_config(config)


class _ShapeOnly:
    """Stands for a tensor of ``shape`` where a layer only needs the shape to build."""

    def __init__(self, shape):
        self.shape = tuple(shape)


def _copy_layer(layer, **overrides):
    """A new layer (with new weights) from ``layer``'s config, with some arguments replaced."""
    config = serialize_keras_object(layer)
    config["config"] = {**config["config"], **overrides}
    return _deserialize(config)


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
            self.layer._maybe_build([_ShapeOnly((None,) + tuple(input_shape[2:]))])
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
        return cls(_deserialize(config.pop("layer")), **config)
