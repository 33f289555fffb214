"""EinsumDense: Keras's shapes, weights, outputs and gradients, config round trip and clear errors."""
import numpy as np
import pytest

from kerasport import layers
from tests.helpers import keras_module, keras_oracle, run_layer_test

CASES = [
    ("ab,bc->ac", 4, "c", (2, 5)),
    ("abc,cd->abd", (None, 3), "d", (2, 6, 5)),
    ("abc,cde->abde", (None, 3, 2), "de", (2, 4, 5)),
    ("...b,bc->...c", 3, None, (2, 3, 4, 5)),
    ("abc,cd->abd", (4, 3), "bd", (2, 4, 5)),
    ("ab...,bc->ac...", (3,), "c", (2, 5, 4)),
    ("abcd,cde->abe", (4, 6), "e", (2, 4, 3, 5)),
]


@pytest.mark.parametrize("equation,output_shape,bias_axes,shape", CASES)
def test_matches_keras(equation, output_shape, bias_axes, shape):
    keras = keras_module()
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    kwargs = dict(equation=equation, output_shape=output_shape, bias_axes=bias_axes, activation="tanh")
    theirs = keras.layers.EinsumDense(**kwargs)
    ours = layers.EinsumDense(**kwargs)
    keras_oracle(ours, theirs, x)
    assert [w.path.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    want = theirs.compute_output_shape((None,) + shape[1:])
    got = ours.compute_output_shape((None,) + shape[1:])
    assert len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want)), (got, want)
    assert ours.get_config()["output_shape"] == theirs.get_config()["output_shape"]


def test_standard_checks():
    run_layer_test(layers.EinsumDense, {"equation": "abc,cd->abd", "output_shape": (None, 3), "bias_axes": "d",
                                        "kernel_regularizer": "l2"}, (2, 4, 5), expected_output_shape=(2, 4, 3))


def test_kernel_fans_follow_input_and_output_axes():
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 8, 16),
                               kernel_initializer={"class_name": "VarianceScaling",
                                                   "config": {"scale": 1.0, "mode": "fan_in",
                                                              "distribution": "uniform", "seed": 1}})
    layer.build((None, 4, 32))
    kernel = layer.get_weights()[0]
    assert kernel.shape == (32, 8, 16)
    limit = np.sqrt(3.0 / 32)  # fan_in is the contracted axis only
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit


def test_config_round_trip_and_keras_reads_it():
    keras = keras_module()
    layer = layers.EinsumDense("ab,bc->ac", 4, bias_axes="c", activation="relu")
    config = layer.get_config()
    again = layers.EinsumDense.from_config(config)
    assert again.get_config() == config
    theirs = keras.layers.EinsumDense.from_config({k: v for k, v in config.items() if k != "dtype"})
    assert theirs.partial_output_shape == (4,)


@pytest.mark.parametrize("kwargs,shape,match", [
    ({"equation": "ab->ac", "output_shape": 3}, (2, 4), "invalid einsum equation"),
    ({"equation": "ab,bc->ad", "output_shape": 3}, (2, 4), "dimension 'd'"),
    ({"equation": "ab,bcx->ac", "output_shape": 3}, (2, 4), "weight dimension 'x'"),
    ({"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "z"}, (2, 4), "bias dimension 'z'"),
    ({"equation": "abc,cd->abd", "output_shape": (5, 3)}, (2, 4, 6), "shared dimension 'b'"),
    ({"equation": "abc,cd->abd", "output_shape": (None, 3)}, (2, 4), "needs at least 3 dims"),
])
def test_clear_errors(kwargs, shape, match):
    with pytest.raises(ValueError, match=match):
        layers.EinsumDense(**kwargs)(np.zeros(shape, "float32"))
