"""ConvLSTM1D/2D/3D: Keras's weights, outputs and gradients, the RNN options, config and clear errors."""
import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, keras_oracle, run_layer_test, to_numpy


@pytest.mark.parametrize("name,kwargs,shape", [
    ("ConvLSTM1D", {"filters": 3, "kernel_size": 3}, (2, 3, 7, 2)),
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same", "return_sequences": True},
     (2, 4, 7, 3)),
    ("ConvLSTM2D", {"filters": 3, "kernel_size": 3, "padding": "same", "return_sequences": True}, (2, 3, 5, 5, 2)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": (2, 3), "dilation_rate": 2, "go_backwards": True,
                    "activation": "relu", "recurrent_activation": "hard_sigmoid"}, (2, 3, 6, 7, 2)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 3, "use_bias": False, "unit_forget_bias": False},
     (1, 2, 5, 5, 3)),
    ("ConvLSTM3D", {"filters": 2, "kernel_size": 2, "padding": "same", "return_sequences": True},
     (1, 2, 4, 4, 3, 2)),
])
def test_matches_keras(name, kwargs, shape):
    keras = keras_module()
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs = getattr(keras.layers, name)(**kwargs)
    ours = getattr(layers, name)(**kwargs)
    keras_oracle(ours, theirs, x, atol=2e-5)
    assert [w.path.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]


def test_return_state_and_mask_match_keras():
    keras = keras_module()
    x = np.random.RandomState(1).randn(2, 4, 5, 2).astype("float32")
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    theirs = keras.layers.ConvLSTM1D(3, 3, padding="same", return_state=True)
    ours = layers.ConvLSTM1D(3, 3, padding="same", return_state=True)
    expected = theirs(x, mask=mask)
    ours(B.convert_to_tensor(x))
    ours.set_weights(theirs.get_weights())
    got = ours(B.convert_to_tensor(x), mask=B.convert_to_tensor(mask))
    assert len(got) == 3
    for g, e in zip(got, expected):
        np.testing.assert_allclose(to_numpy(g), e.numpy(), atol=2e-5, rtol=1e-4)
    assert ours.compute_output_shape((None, 4, 5, 2)) == ((None, 5, 3), (None, 5, 3), (None, 5, 3))


def test_channels_first_matches_channels_last():
    x = np.random.RandomState(2).randn(2, 3, 5, 6, 2).astype("float32")
    last = layers.ConvLSTM2D(3, 3, return_sequences=True)
    first = layers.ConvLSTM2D(3, 3, return_sequences=True, data_format="channels_first")
    want = to_numpy(last(B.convert_to_tensor(x)))
    first(B.convert_to_tensor(np.transpose(x, (0, 1, 4, 2, 3))))
    first.set_weights(last.get_weights())
    got = to_numpy(first(B.convert_to_tensor(np.transpose(x, (0, 1, 4, 2, 3)))))
    np.testing.assert_allclose(np.transpose(got, (0, 1, 3, 4, 2)), want, atol=1e-5)


@pytest.mark.parametrize("kwargs", [{"filters": 2, "kernel_size": 3, "padding": "same"},
                                    {"filters": 2, "kernel_size": 2, "return_sequences": True, "dropout": 0.3,
                                     "recurrent_dropout": 0.3, "seed": 1}])
def test_standard_checks(kwargs):
    run_layer_test(layers.ConvLSTM2D, kwargs, (2, 3, 5, 5, 2))


def test_dropout_changes_training_output_only():
    x = B.convert_to_tensor(np.random.RandomState(3).randn(2, 3, 6, 2).astype("float32"))
    layer = layers.ConvLSTM1D(4, 3, dropout=0.5, recurrent_dropout=0.5, seed=3)
    a, b = to_numpy(layer(x)), to_numpy(layer(x))
    np.testing.assert_allclose(a, b)
    assert not np.allclose(to_numpy(layer(x, training=True)), a)


def test_stateful_carries_states():
    x = np.random.RandomState(4).randn(2, 3, 5, 2).astype("float32")
    layer = layers.ConvLSTM1D(2, 3, stateful=True)
    first = to_numpy(layer(B.convert_to_tensor(x)))
    second = to_numpy(layer(B.convert_to_tensor(x)))
    assert not np.allclose(first, second)
    layer.reset_states()
    np.testing.assert_allclose(to_numpy(layer(B.convert_to_tensor(x))), first, atol=1e-6)


def test_config_round_trip_matches_keras_keys():
    keras = keras_module()
    ours = layers.ConvLSTM2D(4, (3, 3), padding="same", return_sequences=True)
    config = ours.get_config()
    assert layers.ConvLSTM2D.from_config(config).get_config() == config
    theirs = keras.layers.ConvLSTM2D(4, (3, 3), padding="same", return_sequences=True).get_config()
    assert set(theirs) <= set(config), set(theirs) - set(config)
    for key in ("filters", "kernel_size", "strides", "padding", "dilation_rate", "unit_forget_bias"):
        assert tuple(np.atleast_1d(config[key])) == tuple(np.atleast_1d(theirs[key])), key
    assert ours.filters == 4 and ours.kernel_size == (3, 3)


@pytest.mark.parametrize("kwargs,shape,match", [
    ({"filters": 0, "kernel_size": 3}, None, "filters"),
    ({"filters": 2, "kernel_size": 3, "padding": "full"}, None, "padding"),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, None, "dilation_rate"),
    ({"filters": 2, "kernel_size": (3, 3, 3)}, None, "kernel_size"),
    ({"filters": 2, "kernel_size": 3}, (2, 3, 5, 2), "expected ndim=5"),
])
def test_clear_errors(kwargs, shape, match):
    with pytest.raises(ValueError, match=match):
        layers.ConvLSTM2D(**kwargs)(np.zeros(shape or (1, 2, 5, 5, 1), "float32"))
