"""SimpleRNN, LSTM and GRU against Keras 3 (outputs and gradients): every option, the fused and the step-loop
paths, dropout, and the cuDNN weight layout."""
import importlib

import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy
from tests.layers.test_rnn import _x, check_oracle

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


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
def test_dropout_trains_and_is_off_at_inference(name, rng):
    x = B.convert_to_tensor(_x(rng))
    layer = getattr(layers, name)(5, dropout=0.5, recurrent_dropout=0.3, seed=1)
    plain = to_numpy(layer(x))
    np.testing.assert_allclose(to_numpy(layer(x, training=False)), plain)
    assert not np.allclose(to_numpy(layer(x, training=True)), plain)
    fused_dropout = getattr(layers, name)(5, dropout=0.5, seed=1)
    assert not np.allclose(to_numpy(fused_dropout(x, training=True)), to_numpy(fused_dropout(x)))


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
