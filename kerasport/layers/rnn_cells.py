"""Recurrent cells, one time step each: ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``, ``StackedRNNCells``,
their per-sequence dropout masks (``DropoutCell``), and how ``RNN`` asks any cell for its sizes and step."""
from kerasport import activations, constraints, initializers, regularizers
from kerasport.backends import B
from kerasport.layers.layer import Layer
from kerasport.core.serialization import serialize_keras_object, serialized
from kerasport.core import nest as tree


def _check_units(layer, units):
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: `units` must be a positive integer, "
                         f"received {units!r}.")


class DropoutCell:
    """Dropout masks for a cell: made once per sequence (``RNN`` calls ``_make_dropout_masks``
    before the loop and ``_reset_dropout_masks`` after), reused at every step.

    With ``recurrent_dropout`` a gated cell gets one mask per gate for both inputs and states, as in Keras.
    """

    _dropout_mask = None
    _recurrent_dropout_mask = None

    def _set_dropout(self, dropout, recurrent_dropout, seed):
        """The rates (clipped to [0, 1], as Keras does), the seed and the generator of the masks."""
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.seed = seed
        self._generator = B.make_generator(seed)

    def _masks(self, shape, rate, count=None):
        """``count`` dropout masks of ``shape`` (a single mask when ``count`` is None)."""
        ones = B.ones(shape, dtype=self.compute_dtype)
        if count is None:
            return B.dropout(ones, rate, generator=self._generator)
        return [B.dropout(ones, rate, generator=self._generator) for _ in range(count)]

    def _make_dropout_masks(self, batch_size, input_dim):
        count = self._gates if self.recurrent_dropout and self._gates > 1 else None
        if self.dropout > 0:
            self._dropout_mask = self._masks((batch_size, input_dim), self.dropout, count)
        if self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._masks((batch_size, self.units), self.recurrent_dropout, count)

    def _reset_dropout_masks(self):
        self._dropout_mask = self._recurrent_dropout_mask = None

    def _per_gate(self, x, masks, training):
        """One copy of ``x`` per gate, each times its own mask when training."""
        if training and masks is not None:
            return [x * m for m in masks]
        return [x] * self._gates


class _Cell(Layer, DropoutCell):
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
        self._set_dropout(dropout, recurrent_dropout, seed)
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
                  "use_bias": self.use_bias, "kernel_initializer": serialized(self.kernel_initializer),
                  "recurrent_initializer": serialized(self.recurrent_initializer),
                  "bias_initializer": serialized(self.bias_initializer),
                  "kernel_regularizer": serialized(self.kernel_regularizer),
                  "recurrent_regularizer": serialized(self.recurrent_regularizer),
                  "bias_regularizer": serialized(self.bias_regularizer), "kernel_constraint": serialized(self.kernel_constraint),
                  "recurrent_constraint": serialized(self.recurrent_constraint),
                  "bias_constraint": serialized(self.bias_constraint), "dropout": self.dropout,
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
        return cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        return [cell_initial_state(c, batch_size, self.compute_dtype) for c in self.cells]

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
            input_shape = (input_shape[0], cell_output_size(cell))
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, state in zip(self.cells, states):
            nested = isinstance(state, (list, tuple))
            inputs, new = call_cell(cell, inputs, list(state) if nested else [state], training)
            new = tree.flatten(new)
            new_states.append(new if nested or len(new) > 1 else new[0])
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_keras_object(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        from kerasport.layers import deserialize
        return cls([deserialize(c) for c in config.pop("cells")], **config)


def cell_output_size(cell):
    """The size of a cell's output: its ``output_size``, else its (first) ``state_size``."""
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    return cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size


def cell_initial_state(cell, batch_size, dtype):
    """A cell's zero state: a list of ``(batch, size)`` tensors (or the cell's ``get_initial_state``)."""
    if hasattr(cell, "get_initial_state"):
        return cell.get_initial_state(batch_size=batch_size)
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    return [B.zeros((batch_size, d), dtype=dtype) for d in sizes]


def call_cell(cell, inputs, states, training):
    """One step of ``cell``: ``(output, new_states)``, passing ``training`` when its ``call`` takes it."""
    if isinstance(cell, Layer) and cell._call_has_training:
        return cell.call(inputs, states, training=training)
    return cell.call(inputs, states)
