"""Recurrent layers against Keras 3: outputs and gradients, fused and step-loop paths, masks, states."""
import importlib

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


OPTIONS = [{}, {"go_backwards": True, "return_sequences": True}, {"use_bias": False},
           {"recurrent_activation": "hard_sigmoid", "return_sequences": True}, {"unroll": True, "activation": "relu"}]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "default")
@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_gated_matches_keras(name, options, rng):
    keras = keras_module()
    check_oracle(getattr(layers, name)(5, **options), getattr(keras.layers, name)(5, **options), _x(rng))


@pytest.mark.parametrize("options", [{}, {"return_sequences": True, "go_backwards": True}, {"use_bias": False}])
def test_gru_reset_before_matches_keras(options, rng):
    keras = keras_module()
    check_oracle(layers.GRU(5, reset_after=False, **options), keras.layers.GRU(5, reset_after=False, **options),
                 _x(rng))


@pytest.mark.parametrize("options", [{}, {"return_sequences": True, "go_backwards": True}, {"activation": "relu"}])
def test_simple_rnn_matches_keras(options, rng):
    keras = keras_module()
    check_oracle(layers.SimpleRNN(5, **options), keras.layers.SimpleRNN(5, **options), _x(rng))


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_fused_and_step_loop_agree(name, rng):
    x = B.convert_to_tensor(_x(rng))
    fused = getattr(layers, name)(5, return_sequences=True, return_state=True)
    loop = getattr(layers, name)(5, return_sequences=True, return_state=True, use_cudnn=False)
    fused(x)
    loop(x)
    loop.set_weights(fused.get_weights())
    for a, b in zip(fused(x), loop(x)):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), atol=1e-6)


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


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
def test_dropout_trains_and_is_off_at_inference(name, rng):
    x = B.convert_to_tensor(_x(rng))
    layer = getattr(layers, name)(5, dropout=0.5, recurrent_dropout=0.3, seed=1)
    plain = to_numpy(layer(x))
    np.testing.assert_allclose(to_numpy(layer(x, training=False)), plain)
    assert not np.allclose(to_numpy(layer(x, training=True)), plain)
    fused_dropout = getattr(layers, name)(5, dropout=0.5, seed=1)
    assert not np.allclose(to_numpy(fused_dropout(x, training=True)), to_numpy(fused_dropout(x)))


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


def test_time_distributed_matches_keras(rng):
    keras = keras_module()
    check_oracle(layers.TimeDistributed(layers.Dense(3)), keras.layers.TimeDistributed(keras.layers.Dense(3)),
                 _x(rng))


def test_time_distributed_batch_norm_steps_like_keras(rng):
    """Keras runs the wrapped layer once per step: BatchNormalization takes per-step statistics
    in training and updates its moving averages once per step."""
    keras = keras_module()
    x = rng.randn(4, 3, 5).astype("float32")
    ours = kerasport.Sequential([kerasport.Input((3, 5)), layers.TimeDistributed(layers.BatchNormalization())])
    ref = keras.Sequential([keras.Input((3, 5)), keras.layers.TimeDistributed(keras.layers.BatchNormalization())])
    np.testing.assert_allclose(to_numpy(ours(x, training=True)), np.asarray(ref(x, training=True)), atol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_time_distributed_custom_layer_sees_each_step(rng):
    class Center(layers.Layer):
        def call(self, x):
            return x - kerasport.ops.mean(x, axis=0, keepdims=True)

        def compute_output_shape(self, shape):
            return shape

    x = rng.randn(4, 3, 5).astype("float32")
    y = to_numpy(layers.TimeDistributed(Center())(x))
    np.testing.assert_allclose(y, x - x.mean(axis=0, keepdims=True), atol=1e-6)


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


def _cudnn_reference(input, input_h, input_c, params, is_training, rnn_mode, sequence_lengths, time_major):
    """cuDNN's documented RNN formulas on its parameter layout (per-gate ``W`` (U, I), ``R`` (U, U),
    then input and recurrent biases), in plain TensorFlow: stands in for ``CudnnRNNV3`` on a CPU."""
    import tensorflow as tf
    assert not time_major and int(sequence_lengths[0]) == input.shape[1]
    gates, (units, features) = (4 if rnn_mode == "lstm" else 3), (input_h.shape[-1], input.shape[-1])
    sizes = [units * features] * gates + [units * units] * gates + [units] * 2 * gates
    parts = tf.split(params, sizes)
    w = [tf.transpose(tf.reshape(p, (units, features))) for p in parts[:gates]]
    r = [tf.transpose(tf.reshape(p, (units, units))) for p in parts[gates:2 * gates]]
    bw, br = parts[2 * gates:3 * gates], parts[3 * gates:]
    h, c, outputs = input_h[:, 0], None if rnn_mode == "gru" else input_c[:, 0], []
    for t in range(input.shape[1]):
        x = input[:, t]
        pre = [x @ w[g] + bw[g] for g in range(gates)]
        rec = [h @ r[g] + br[g] for g in range(gates)]
        if rnn_mode == "lstm":
            i, f, o = (tf.sigmoid(pre[g] + rec[g]) for g in (0, 1, 3))
            c = f * c + i * tf.tanh(pre[2] + rec[2])
            h = o * tf.tanh(c)
        else:
            reset, update = tf.sigmoid(pre[0] + rec[0]), tf.sigmoid(pre[1] + rec[1])
            h = (1 - update) * tf.tanh(pre[2] + reset * rec[2]) + update * h
        outputs.append(h)
    return tf.stack(outputs, 1), h[:, None], (c if c is not None else h)[:, None], None, None


@pytest.mark.skipif(B.NAME != "tensorflow", reason="torch's fused LSTM/GRU pick cuDNN on their own")
@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU])
@pytest.mark.parametrize("kwargs", [{}, {"go_backwards": True, "return_sequences": True, "return_state": True},
                                    {"use_bias": False, "return_sequences": True}])
def test_cudnn_path_lays_out_weights_as_cudnn_expects(rng, monkeypatch, cls, kwargs):
    """With a GPU, unmasked LSTM/GRU call cuDNN; here cuDNN's formulas stand in for it, and the
    results (outputs, states, gradients) must equal the step loop's."""
    tf_rnn = importlib.import_module("kerasport.backends.tensorflow.rnn")  # the package's ``rnn`` is the function
    x = _x(rng)
    looped = cls(3, use_cudnn=False, **kwargs)
    expected = looped(x)
    calls = []
    monkeypatch.setattr(tf_rnn, "_gpu_available", lambda: True)
    monkeypatch.setattr(tf_rnn, "_cudnn_rnn", lambda **kw: calls.append(kw["rnn_mode"]) or _cudnn_reference(**kw))
    fused = cls(3, **kwargs)
    check_oracle(fused, looped, x, pick=lambda o: o[0] if isinstance(o, (list, tuple)) else o)
    assert calls and calls[0] == ("lstm" if cls is layers.LSTM else "gru")
    for a, b in zip(kerasport.core.nest.flatten(fused(x)), kerasport.core.nest.flatten(expected)):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), atol=1e-5)
