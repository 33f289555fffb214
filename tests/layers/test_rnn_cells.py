"""The recurrent cells against Keras 3: stacked cells, ``RNN`` of each cell, and a custom cell."""
import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy
from tests.layers.test_rnn import BATCH, STEPS, _x, check_oracle


def test_stacked_cells_match_keras(rng):
    keras = keras_module()
    ours = layers.RNN([layers.LSTMCell(4), layers.GRUCell(3), layers.SimpleRNNCell(2)], return_sequences=True)
    ref = keras.layers.RNN([keras.layers.LSTMCell(4), keras.layers.GRUCell(3), keras.layers.SimpleRNNCell(2)],
                           return_sequences=True)
    check_oracle(ours, ref, _x(rng))


@pytest.mark.parametrize("cell", ["LSTMCell", "GRUCell", "SimpleRNNCell"])
def test_rnn_of_cell_matches_keras(cell, rng):
    keras = keras_module()
    check_oracle(layers.RNN(getattr(layers, cell)(5), go_backwards=True),
                 keras.layers.RNN(getattr(keras.layers, cell)(5), go_backwards=True), _x(rng))


class MinimalCell(layers.Layer):
    """A custom cell: ``h = tanh(x @ w + h_prev)``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = units

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1], self.units), name="w")

    def call(self, inputs, states):
        h = B.tanh(B.matmul(inputs, self.w) + states[0])
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_custom_cell(rng):
    x = _x(rng)
    layer = layers.RNN(MinimalCell(3), return_sequences=True)
    out = to_numpy(layer(B.convert_to_tensor(x)))
    w, h = to_numpy(layer.cell.w), np.zeros((BATCH, 3), "float32")
    for t in range(STEPS):
        h = np.tanh(x[:, t] @ w + h)
        np.testing.assert_allclose(out[:, t], h, atol=1e-5)
