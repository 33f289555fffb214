"""Bidirectional against Keras 3: every merge mode, the backward layer, states and masks."""
import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy
from tests.layers.test_rnn import _padded_tokens, _x, check_oracle


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_matches_keras(merge_mode, rng):
    keras = keras_module()
    ours = layers.Bidirectional(layers.LSTM(4, return_sequences=True), merge_mode=merge_mode)
    ref = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), merge_mode=merge_mode)
    check_oracle(ours, ref, _x(rng), pick=(lambda o: o[0] - 2 * o[1]) if merge_mode is None else (lambda o: o))


def test_bidirectional_backward_layer_states_and_mask(rng):
    keras = keras_module()
    ours = layers.Bidirectional(layers.GRU(3, return_state=True),
                                backward_layer=layers.GRU(3, return_state=True, go_backwards=True, reset_after=False))
    ref = keras.layers.Bidirectional(keras.layers.GRU(3, return_state=True),
                                     backward_layer=keras.layers.GRU(3, return_state=True, go_backwards=True,
                                                                     reset_after=False))
    check_oracle(ours, ref, _x(rng), pick=lambda o: o[0])
    tokens = _padded_tokens(rng, True)
    emb, ref_emb = layers.Embedding(10, 4, mask_zero=True), keras.layers.Embedding(10, 4, mask_zero=True)
    ref_out = ref(ref_emb(tokens))
    emb(B.convert_to_tensor(tokens))
    emb.set_weights(ref_emb.get_weights())
    out = ours(emb(B.convert_to_tensor(tokens)))
    assert len(out) == 3
    for a, b in zip(out, ref_out):
        np.testing.assert_allclose(to_numpy(a), np.asarray(b), atol=1e-5)
