"""The RNN base against Keras 3: returned and initial states, masks, stateful layers, the shared layer checks,
config and bad inputs; the oracle helpers (outputs and gradients) of every recurrent layer's tests."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, run_layer_test, to_numpy

BATCH, STEPS, FEATURES = 3, 6, 4


def _grads(fn, x, weights):
    """``fn(x)`` and the gradients of ``sum(fn(x) * r)`` w.r.t. ``x`` and ``weights``, with our backend."""
    if B.NAME == "torch":
        import torch
        x = torch.tensor(x, requires_grad=True)
        out = fn(x)
        loss = (out * torch.linspace(-1, 1, out.numel()).reshape(out.shape)).sum()
        grads = torch.autograd.grad(loss, [x] + list(weights), allow_unused=True)
    else:
        import tensorflow as tf
        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = fn(x)
            loss = tf.reduce_sum(out * tf.reshape(tf.linspace(-1.0, 1.0, tf.size(out)), out.shape))
        grads = tape.gradient(loss, [x] + list(weights))
    return to_numpy(out), [to_numpy(g) for g in grads]


def _keras_grads(fn, x, weights):
    import tensorflow as tf
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = fn(x)
        loss = tf.reduce_sum(out * tf.reshape(tf.linspace(-1.0, 1.0, tf.size(out)), out.shape))
    return out.numpy(), [g.numpy() for g in tape.gradient(loss, [x] + list(weights))]


def check_oracle(ours, ref, x, call_kwargs=None, pick=lambda o: o):
    """Same weights in, same outputs and gradients (input and weights) of ``pick(outputs)`` out."""
    call_kwargs = call_kwargs or {}
    ref(x, **call_kwargs)
    ours(B.convert_to_tensor(x), **call_kwargs)
    ours.set_weights(ref.get_weights())
    out, grads = _grads(lambda t: pick(ours(t, **call_kwargs)), x, ours.trainable_weights)
    ref_out, ref_grads = _keras_grads(lambda t: pick(ref(t, **call_kwargs)), x, ref.trainable_weights)
    np.testing.assert_allclose(out, ref_out, atol=1e-5, rtol=1e-4)
    assert len(grads) == len(ref_grads)
    for g, rg in zip(grads, ref_grads):
        np.testing.assert_allclose(g, rg, atol=1e-5, rtol=1e-4)
    return out


def _x(rng, shape=(BATCH, STEPS, FEATURES)):
    return rng.randn(*shape).astype("float32")


def test_return_state_and_initial_state_match_keras(rng):
    keras = keras_module()
    x = _x(rng)
    h0, c0 = rng.randn(BATCH, 5).astype("float32"), rng.randn(BATCH, 5).astype("float32")
    ref = keras.layers.LSTM(5, return_state=True)
    ours = layers.LSTM(5, return_state=True)
    ref_out = ref(x, initial_state=[h0, c0])
    ours(B.convert_to_tensor(x))
    ours.set_weights(ref.get_weights())
    out = ours(B.convert_to_tensor(x), initial_state=[B.convert_to_tensor(h0), B.convert_to_tensor(c0)])
    assert len(out) == 3
    for a, b in zip(out, ref_out):
        np.testing.assert_allclose(to_numpy(a), np.asarray(b), atol=1e-5)


def _padded_tokens(rng, right_padded):
    tokens = rng.randint(1, 9, size=(4, 7))
    tokens[0, 5:] = 0
    tokens[1, 2:] = 0
    tokens[3, 6:] = 0
    if not right_padded:
        tokens[2, 1] = 0
    return tokens


@pytest.mark.parametrize("right_padded", [True, False], ids=["right_padded", "holes"])
@pytest.mark.parametrize("options", [{"return_sequences": True}, {"go_backwards": True, "return_sequences": True},
                                     {"use_cudnn": False}],
                         ids=lambda o: ",".join(o) or "default")
@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_masking_with_embedding_matches_keras(name, options, right_padded, rng):
    keras = keras_module()
    tokens = _padded_tokens(rng, right_padded)

    def model(lib, inputs):
        emb = lib.layers.Embedding(10, 3, mask_zero=True)
        rnn = getattr(lib.layers, name)(4, **options)
        return emb, rnn, rnn(emb(inputs))

    ref_emb, ref_rnn, ref_out = model(keras, tokens)
    emb, rnn, _ = model(kerasport, B.convert_to_tensor(tokens))
    emb.set_weights(ref_emb.get_weights())
    rnn.set_weights(ref_rnn.get_weights())
    out = rnn(emb(B.convert_to_tensor(tokens)))
    np.testing.assert_allclose(to_numpy(out), np.asarray(ref_out), atol=1e-5)
    if options.get("return_sequences"):
        np.testing.assert_array_equal(to_numpy(out._keras_mask), tokens != 0)


def test_zero_output_for_mask(rng):
    tokens = _padded_tokens(rng, True)
    emb = layers.Embedding(10, 3, mask_zero=True)
    out = to_numpy(layers.LSTM(4, return_sequences=True, zero_output_for_mask=True)(emb(B.convert_to_tensor(tokens))))
    assert np.all(out[tokens == 0] == 0) and np.all(np.abs(out[tokens != 0]).sum(-1) > 0)


def test_stateful_carries_states_and_resets(rng):
    x = B.convert_to_tensor(_x(rng))
    layer = layers.LSTM(5, stateful=True)
    first = to_numpy(layer(x))
    second = to_numpy(layer(x))
    assert not np.allclose(first, second)
    layer.reset_states()
    np.testing.assert_allclose(to_numpy(layer(x)), first, atol=1e-6)
    with pytest.raises(ValueError, match="batch"):
        layer(B.convert_to_tensor(_x(rng, (BATCH + 1, STEPS, FEATURES))))


def test_stateful_model_trains():
    model = kerasport.Sequential([kerasport.Input(batch_shape=(2, STEPS, FEATURES)),
                                  layers.GRU(3, stateful=True), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.random.randn(4, STEPS, FEATURES).astype("float32"), np.random.randn(4, 1).astype("float32")
    before = model.get_weights()
    model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    assert not np.allclose(before[0], model.get_weights()[0])
    assert np.abs(to_numpy(model.layers[0].states[0])).sum() > 0


@pytest.mark.parametrize("cls, kwargs, out_shape", [
    (layers.SimpleRNN, {"units": 3}, (2, 3)),
    (layers.LSTM, {"units": 3, "return_sequences": True}, (2, 5, 3)),
    (layers.GRU, {"units": 3, "reset_after": False, "go_backwards": True}, (2, 3)),
    (layers.RNN, {"cell": layers.LSTMCell(3)}, (2, 3)),
    (layers.Bidirectional, {"layer": layers.LSTM(3, return_sequences=True)}, (2, 5, 6)),
    (layers.TimeDistributed, {"layer": layers.Dense(3)}, (2, 5, 3)),
])
def test_standard_layer_checks(cls, kwargs, out_shape):
    run_layer_test(cls, kwargs, (2, 5, 4), expected_output_shape=out_shape)


def test_config_round_trip_with_keras():
    keras = keras_module()
    ours = layers.LSTM(4, return_sequences=True, dropout=0.1)
    ref = keras.layers.LSTM.from_config(ours.get_config())
    assert ref.units == 4 and ref.return_sequences and ref.dropout == 0.1
    clone = layers.GRU.from_config(keras.layers.GRU(4, reset_after=False).get_config())
    assert clone.reset_after is False and clone.units == 4
    stacked = layers.RNN.from_config(layers.RNN([layers.LSTMCell(2), layers.GRUCell(3)]).get_config())
    assert [type(c).__name__ for c in stacked.cell.cells] == ["LSTMCell", "GRUCell"]


def test_bad_input_is_rejected(rng):
    with pytest.raises(ValueError, match="units"):
        layers.LSTM(-1)
    with pytest.raises(ValueError, match="units"):
        layers.GRUCell(0)
    layer = layers.LSTM(3, name="my_lstm")
    with pytest.raises(ValueError, match=r"my_lstm.*ndim=3.*\(2, 4\)"):
        layer(B.convert_to_tensor(rng.randn(2, 4).astype("float32")))
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="initial state"):
        layers.LSTM(3)(B.convert_to_tensor(_x(rng)), initial_state=[B.zeros((BATCH, 3))])


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_cell_call_count_matches_keras(rng, unroll, masked):
    """Keras's loop (``unroll=False``) runs the cell once more on the first step before the loop, its result
    discarded: a cell that records its calls (keras.io's temporal latent bottleneck keeps its attention scores
    and drops the first) sees ``T + 1`` calls, and ``T`` when unrolled."""
    x = _x(rng)
    mask = np.arange(STEPS)[None, :] < np.array([[STEPS], [STEPS - 2], [1]])

    def count(lib, x, mask):
        class Cell(lib.layers.Layer):
            state_size = FEATURES
            calls = 0

            def call(self, inputs, states):
                type(self).calls += 1
                return inputs + states[0], [inputs + states[0]]

        out = lib.layers.RNN(Cell(), unroll=unroll, return_sequences=True)(x, mask=mask if masked else None)
        return Cell.calls, out

    keras = keras_module()
    want, ref = count(keras, x, mask)
    got, out = count(kerasport, B.convert_to_tensor(x), B.convert_to_tensor(mask))
    assert got == want
    np.testing.assert_allclose(to_numpy(out), np.asarray(ref), atol=1e-6)
