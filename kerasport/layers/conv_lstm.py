"""Convolutional LSTMs (Shi et al., 2015): ``ConvLSTM1D/2D/3D``, a ``ConvLSTMCell`` run by the generic ``RNN`` loop.

The gates are convolutions of the input (``kernel``, with the layer's strides, padding and
dilation) and of the previous ``h`` (``recurrent_kernel``, stride 1, ``"same"`` padding); weights
and gate order (i, f, c, o) are Keras's, so weights copy across with ``set_weights``.
"""
import math

from kerasport import activations, backend, constraints, initializers, regularizers
from kerasport.backends import B
from kerasport.core.serialization import serialized
from kerasport.layers.core import check_rank
from kerasport.layers.layer import Layer
from kerasport.layers.rnn import RNN
from kerasport.layers.rnn_cells import DropoutCell


def _tuple(value, rank, name, owner):
    out = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(out) != rank or any(not isinstance(v, int) or v < 0 for v in out):
        raise ValueError(f"{owner}: `{name}` must be an integer or a tuple of {rank} non-negative integers, "
                         f"received {value!r}.")
    return out


def conv_output_length(length, kernel, stride, padding, dilation):
    """Spatial length after a convolution (Keras's formula)."""
    if length is None:
        return None
    if padding == "same":
        return math.ceil(length / stride)
    return (length - dilation * (kernel - 1) - 1) // stride + 1


class ConvLSTMCell(Layer, DropoutCell):
    """One step of a convolutional LSTM.

    Args:
        rank: number of spatial dims (1, 2 or 3).
        filters: channels of the output and of each state.
        kernel_size, strides, dilation_rate: int or tuple of ``rank`` ints (of the input convolution).
        padding: ``"valid"`` or ``"same"`` (of the input convolution; the recurrent one is ``"same"``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        activation: ``"tanh"``; recurrent_activation: ``"sigmoid"`` (the gates).
        use_bias, unit_forget_bias: as in ``LSTMCell``.
        kernel_initializer, recurrent_initializer, bias_initializer, regularizers, constraints: per weight.
        dropout, recurrent_dropout: fractions of the inputs / previous ``h`` dropped in training
            (one mask per gate, made once per sequence).
        seed: seed of the dropout masks.

    Call: ``cell(x (B, *S, C), [h, c])`` -> ``(h, [h, c])``, ``h`` and ``c`` of shape ``(B, *S', filters)``.
    """

    _gates = 4

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} {self.name!r}"
        if rank not in (1, 2, 3):
            raise ValueError(f"{owner}: rank {rank} convolutions are not implemented; rank must be 1, 2 or 3.")
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"{owner}: `filters` must be a positive integer, received {filters!r}.")
        self.rank, self.filters = rank, filters
        self.kernel_size = _tuple(kernel_size, rank, "kernel_size", owner)
        self.strides = _tuple(strides, rank, "strides", owner)
        self.dilation_rate = _tuple(dilation_rate, rank, "dilation_rate", owner)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{owner}: `padding` must be 'valid' or 'same', received {padding!r}.")
        self.data_format = data_format or backend.image_data_format()
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{owner}: `data_format` must be 'channels_last' or 'channels_first', "
                             f"received {data_format!r}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("Specifying `strides > 1` is not compatible with `dilation_rate > 1`. Please provide "
                             f"`strides=1` or `dilation_rate=1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = use_bias, unit_forget_bias
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
        self.state_size = [filters, filters]
        self.output_size = filters

    def build(self, inputs_shape):
        inputs_shape = tuple(inputs_shape)
        channels_last = self.data_format == "channels_last"
        spatial = inputs_shape[1:-1] if channels_last else inputs_shape[2:]
        channels = inputs_shape[-1] if channels_last else inputs_shape[1]
        if len(spatial) != self.rank or None in spatial or channels is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: ConvLSTM layers need a step input of rank "
                             f"{self.rank + 2} with known spatial and channel dims, received {inputs_shape}.")
        self.spatial_dims, self.input_dim = tuple(spatial), channels
        self.kernel = self.add_weight(self.kernel_size + (channels, 4 * self.filters), self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(self.kernel_size + (self.filters, 4 * self.filters),
                                                self.recurrent_initializer, name="recurrent_kernel",
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            init, f = self.bias_initializer, self.filters
            if self.unit_forget_bias:
                def bias_init(_, dtype=None):
                    return B.concatenate([B.convert_to_tensor(init((f,), dtype)), B.ones((f,), dtype or "float32"),
                                          B.convert_to_tensor(init((2 * f,), dtype))])
            else:
                bias_init = init
            self.bias = self.add_weight((4 * f,), bias_init, name="bias", regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def state_shape(self, batch_size=None):
        """The shape of ``h`` and ``c``: the input convolution's output shape."""
        spatial = tuple(conv_output_length(n, k, s, self.padding, d) for n, k, s, d in
                        zip(self.spatial_dims, self.kernel_size, self.strides, self.dilation_rate))
        return (batch_size, *spatial, self.filters) if self.data_format == "channels_last" else \
            (batch_size, self.filters, *spatial)

    def get_initial_state(self, batch_size=None):
        shape = self.state_shape(batch_size)
        return [B.zeros(shape, dtype=self.compute_dtype), B.zeros(shape, dtype=self.compute_dtype)]

    def _make_dropout_masks(self, batch_size, input_dim):
        step = (self.spatial_dims + (self.input_dim,)) if self.data_format == "channels_last" else \
            ((self.input_dim,) + self.spatial_dims)
        if 0 < self.dropout < 1:
            self._dropout_mask = self._masks((batch_size,) + step, self.dropout, 4)
        if 0 < self.recurrent_dropout < 1:
            self._recurrent_dropout_mask = self._masks(self.state_shape(batch_size), self.recurrent_dropout, 4)

    def _input_conv(self, x, kernel, bias):
        return B.conv(x, kernel, self.strides, self.padding, self.data_format, self.dilation_rate, bias=bias)

    def _recurrent_conv(self, h, kernel):
        return B.conv(h, kernel, 1, "same", self.data_format)

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        axis = -1 if self.data_format == "channels_last" else 1
        masked_x = training and self._dropout_mask is not None
        masked_h = training and self._recurrent_dropout_mask is not None
        if masked_x or masked_h:  # per-gate masks: one convolution per gate, as in Keras
            ks = B.split(self.kernel, 4, axis=-1)
            rks = B.split(self.recurrent_kernel, 4, axis=-1)
            bs = B.split(self.bias, 4, axis=0) if self.bias is not None else [None] * 4
            xs = [inputs * m for m in self._dropout_mask] if masked_x else [inputs] * 4
            hs = [h_tm1 * m for m in self._recurrent_dropout_mask] if masked_h else [h_tm1] * 4
            z = [self._input_conv(x, k, b) + self._recurrent_conv(h, rk) for x, h, k, rk, b in zip(xs, hs, ks, rks, bs)]
        else:  # one convolution for the four gates
            z = self._input_conv(inputs, self.kernel, self.bias) + self._recurrent_conv(h_tm1, self.recurrent_kernel)
            z = B.split(z, 4, axis=axis)
        i, f, g, o = z
        c = self.recurrent_activation(f) * c_tm1 + self.recurrent_activation(i) * self.activation(g)
        h = self.recurrent_activation(o) * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias, "kernel_initializer": serialized(self.kernel_initializer),
                "recurrent_initializer": serialized(self.recurrent_initializer),
                "bias_initializer": serialized(self.bias_initializer), "unit_forget_bias": self.unit_forget_bias,
                "kernel_regularizer": serialized(self.kernel_regularizer),
                "recurrent_regularizer": serialized(self.recurrent_regularizer),
                "bias_regularizer": serialized(self.bias_regularizer),
                "kernel_constraint": serialized(self.kernel_constraint),
                "recurrent_constraint": serialized(self.recurrent_constraint),
                "bias_constraint": serialized(self.bias_constraint), "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}


_CELL_ARGS = frozenset(["filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
                        "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
                        "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
                        "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
                        "recurrent_dropout", "seed"])


class ConvLSTM(RNN):
    """The N-D convolutional LSTM layer behind ``ConvLSTM1D/2D/3D``: an ``RNN`` over a ``ConvLSTMCell``."""

    _rank = None

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        cell = ConvLSTMCell(rank, filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                            recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                            bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
                            bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                            recurrent_dropout, seed, name="conv_lstm_cell", dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, activity_regularizer=activity_regularizer,
                         **kwargs)

    def __getattr__(self, name):
        # The cell's arguments read through the layer: ``layer.filters``, ``layer.kernel_size``, ...
        cell = self.__dict__.get("cell")
        if cell is None or name not in _CELL_ARGS:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}.")
        return getattr(cell, name)

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=self.cell.rank + 3)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch = sequences_shape[0]
        if not self.cell.built:
            self.cell.build((batch,) + tuple(sequences_shape[2:]))
        state = self.cell.state_shape(batch)
        output = (batch, sequences_shape[1]) + state[1:] if self.return_sequences else state
        return (output, state, state) if self.return_state else output

    def get_config(self):
        config = {k: v for k, v in self.cell.get_config().items() if k not in ("name", "trainable", "dtype")}
        base = super().get_config()
        del base["cell"]
        return {**base, **config, "activity_regularizer": serialized(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config):
        return Layer.from_config.__func__(cls, config)


def _make(rank):
    name = f"ConvLSTM{rank}D"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        ConvLSTM.__init__(self, rank, filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                          recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                          bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
                          bias_regularizer, activity_regularizer, kernel_constraint, recurrent_constraint,
                          bias_constraint, dropout, recurrent_dropout, seed, return_sequences, return_state,
                          go_backwards, stateful, **kwargs)

    shapes = {1: "(B, T, W, C)", 2: "(B, T, H, W, C)", 3: "(B, T, D, H, W, C)"}[rank]
    doc = f"""{rank}D convolutional LSTM: an LSTM whose input and recurrent transforms are {rank}D convolutions.

    Args:
        filters: output channels.
        kernel_size, strides, dilation_rate: int or tuple of {rank} int(s), of the input convolution.
        padding: ``"valid"`` (default) or ``"same"``; data_format: ``"channels_last"`` or ``"channels_first"``.
        activation, recurrent_activation, use_bias, unit_forget_bias, initializers, regularizers, constraints,
            dropout, recurrent_dropout, seed: as in ``ConvLSTMCell``.
        activity_regularizer: penalty on the output.
        return_sequences, return_state, go_backwards, stateful: as in ``RNN``.

    Weights: ``kernel (*kernel_size, C, 4*filters)``, ``recurrent_kernel (*kernel_size, filters, 4*filters)``,
    ``bias (4*filters,)``, gates in the order i, f, c, o.

    Shapes (channels_last): ``{shapes}`` -> ``(B, *S', filters)``, or ``(B, T, *S', filters)`` with
    ``return_sequences``; ``return_state`` adds ``h`` and ``c``.
    """
    return type(name, (ConvLSTM,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


ConvLSTM1D = _make(1)
ConvLSTM2D = _make(2)
ConvLSTM3D = _make(3)
