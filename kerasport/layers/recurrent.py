"""``SimpleRNN``, ``LSTM`` and ``GRU``: an ``RNN`` around its own cell, running the backend's fused
kernel (``B.lstm``, ``B.gru``) when the configuration allows, else the cell's step loop."""
from kerasport import activations
from kerasport.backends import B
from kerasport.layers.core import check_rank
from kerasport.layers.layer import Layer
from kerasport.layers.rnn import RNN
from kerasport.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell
from kerasport.core.serialization import serialize_keras_object
from kerasport.core import naming


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
        return {**base, **config, "activity_regularizer": serialize_keras_object(self.activity_regularizer)}

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
