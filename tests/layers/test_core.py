"""Core layers: shared checks, Keras as the oracle, and clear errors for bad input."""
import re

import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, run_layer_test, to_numpy


@pytest.mark.parametrize("kwargs", [{"units": 4}, {"units": 3, "activation": "relu", "use_bias": False},
                                    {"units": 2, "activation": "softmax", "kernel_regularizer": "l2"}])
def test_dense_standard_checks(kwargs):
    run_layer_test(layers.Dense, kwargs, (3, 5))


def test_dense_on_3d_inputs():
    run_layer_test(layers.Dense, {"units": 4}, (2, 3, 5), expected_output_shape=(2, 3, 4))


@pytest.mark.parametrize("layer_cls,kwargs,shape,dtype", [
    (layers.Activation, {"activation": "gelu"}, (2, 5), "float32"),
    (layers.Dropout, {"rate": 0.5}, (2, 5), "float32"),
    (layers.Flatten, {}, (2, 3, 4), "float32"),
    (layers.Reshape, {"target_shape": (4, 3)}, (2, 3, 4), "float32"),
    (layers.Reshape, {"target_shape": (-1, 2)}, (2, 3, 4), "float32"),
    (layers.Embedding, {"input_dim": 6, "output_dim": 3}, (2, 4), "int32"),
    (layers.Identity, {}, (2, 3), "float32"),
])
def test_shared_checks(layer_cls, kwargs, shape, dtype):
    run_layer_test(layer_cls, kwargs, shape, input_dtype=dtype)


def _gradients(fn, x, weights):
    """d(sum(fn(x)))/d(x, weights) with the active framework's autograd."""
    if B.NAME == "torch":
        import torch
        x = torch.tensor(x, requires_grad=True)
        grads = torch.autograd.grad(fn(x).sum(), [x] + list(weights))
        return [g.numpy() for g in grads]
    import tensorflow as tf
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.reduce_sum(fn(x))
    return [g.numpy() for g in tape.gradient(out, [x] + list(weights))]


def _keras_gradients(keras_layer, x):
    import tensorflow as tf
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.reduce_sum(keras_layer(x))
    return [g.numpy() for g in tape.gradient(out, [x] + keras_layer.trainable_weights)]


@pytest.mark.parametrize("name,kwargs,shape", [
    ("Dense", {"units": 4, "activation": "tanh"}, (3, 5)),
    ("Dense", {"units": 2, "activation": "gelu"}, (2, 3, 5)),
    ("Conv2D", {"filters": 3, "kernel_size": 3, "padding": "same", "strides": 2}, (2, 7, 7, 2)),
    ("Conv2D", {"filters": 4, "kernel_size": (2, 3), "activation": "relu"}, (2, 6, 6, 3)),
])
def test_outputs_and_gradients_match_keras(name, kwargs, shape):
    keras = keras_module()
    x = np.random.RandomState(1).randn(*shape).astype("float32")
    theirs = getattr(keras.layers, name)(**kwargs)
    expected = theirs(x).numpy()
    ours = getattr(layers, name)(**kwargs)
    ours.build(shape)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(to_numpy(ours(B.convert_to_tensor(x))), expected, rtol=1e-4, atol=1e-5)
    for g, e in zip(_gradients(ours, x, ours.trainable_weights), _keras_gradients(theirs, x)):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


def test_pooling_and_flatten_match_keras():
    keras = keras_module()
    x = np.random.RandomState(2).randn(2, 7, 7, 3).astype("float32")
    for name, kwargs in [("MaxPooling2D", {}), ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}),
                         ("Flatten", {})]:
        expected = getattr(keras.layers, name)(**kwargs)(x).numpy()
        got = to_numpy(getattr(layers, name)(**kwargs)(B.convert_to_tensor(x)))
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_embedding_matches_keras_and_makes_a_mask():
    keras = keras_module()
    idx = np.array([[1, 2, 0], [4, 0, 0]], "int32")
    theirs = keras.layers.Embedding(5, 3, mask_zero=True)
    expected = theirs(idx).numpy()
    ours = layers.Embedding(5, 3, mask_zero=True)
    ours.build(None)
    ours.set_weights(theirs.get_weights())
    out = ours(B.convert_to_tensor(idx))
    np.testing.assert_allclose(to_numpy(out), expected)
    np.testing.assert_array_equal(to_numpy(out._keras_mask), idx != 0)


def test_activations_match_keras():
    keras = keras_module()
    x = np.linspace(-4, 4, 33).astype("float32").reshape(3, 11)
    for name in ["relu", "sigmoid", "softmax", "tanh", "gelu", "silu", "swish", "elu", "selu", "softplus",
                 "softsign", "leaky_relu", "relu6", "linear", "exponential", "hard_sigmoid", "hard_silu", "mish",
                 "log_softmax"]:
        expected = keras.ops.convert_to_numpy(keras.activations.get(name)(x))
        got = to_numpy(kerasport.activations.get(name)(B.convert_to_tensor(x)))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=name)


def test_dropout_scales_kept_units_and_is_identity_in_inference():
    x = B.ones((200, 50))
    out = to_numpy(layers.Dropout(0.25)(x, training=True))
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.2 < (out == 0).mean() < 0.3
    np.testing.assert_array_equal(to_numpy(layers.Dropout(0.25)(x)), to_numpy(x))


def test_bad_arguments_and_shapes_give_clear_errors():
    with pytest.raises(ValueError, match="units"):
        layers.Dense(-3)
    with pytest.raises(ValueError, match="Unknown activation: 'relux'"):
        layers.Dense(3, activation="relux")
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2D(3, 3, padding="full")
    dense = layers.Dense(3)
    dense(B.ones((2, 4)))
    with pytest.raises(ValueError, match=r"dense.*expected axis -1 to have value 4.*\(2, 5\)"):
        dense(B.ones((2, 5)))
    conv = layers.Conv2D(2, 5)
    with pytest.raises(ValueError, match=r"kernel_size \(5, 5\).* is larger"):
        conv(B.ones((1, 3, 3, 1)))
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3"):
        layers.Conv2D(2, 3)(B.ones((1, 3, 3)))
    with pytest.raises(ValueError, match="cannot reshape|must equal"):
        layers.Reshape((5,))(kerasport.Input((2, 3)))


def test_dense_still_names_an_incompatible_input():
    dense = layers.Dense(2, name="head")
    dense(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"head.*expected axis -1 to have value 3.*\(1, 4\)"):
        dense(np.zeros((1, 4), "float32"))


@pytest.mark.parametrize("shape,message", [
    ((-3,), "Negative dimensions are not allowed"), ([2, -1], "Negative dimensions are not allowed"),
    ((2.5,), "Found invalid dimension '2.5' of type '<class 'float'>'"),
    (("a",), "Found invalid dimension 'a' of type '<class 'str'>'"), (5, "Cannot convert '5' to a shape")])
def test_input_refuses_what_is_not_a_shape_as_keras(shape, message):
    keras = keras_module()
    with pytest.raises(ValueError, match=re.escape(message)):
        keras.Input(shape)
    with pytest.raises(ValueError, match=re.escape(message)):
        kerasport.Input(shape)
    assert kerasport.Input((np.int64(3), None)).shape == keras.Input((np.int64(3), None)).shape == (None, 3, None)


def test_dense_takes_integer_inputs_as_keras():
    keras = keras_module()
    x = np.arange(6, dtype="int32").reshape(2, 3)
    ours, theirs = layers.Dense(2, kernel_initializer="ones"), keras.layers.Dense(2, kernel_initializer="ones")
    out = ours(x)
    assert B.dtype(out) == "float32"
    np.testing.assert_allclose(to_numpy(out), keras.ops.convert_to_numpy(theirs(x)))


def test_unknown_keyword_arguments_are_keras_value_error():
    with pytest.raises(ValueError, match=re.escape("Unrecognized keyword arguments passed to Dense: {'foo': 1}")):
        layers.Dense(2, foo=1)
    with pytest.raises(ValueError, match="Only instances of `keras.Layer` can be added to a Sequential model"):
        kerasport.Sequential().add(3)


def test_an_activation_set_to_none_after_building_is_linear_as_keras():
    x = np.random.RandomState(0).randn(2, 5, 5, 3).astype("float32")
    for layer in (layers.Dense(4, activation="softmax"), layers.Conv2D(2, 3, activation="relu"),
                  layers.EinsumDense("abcd,de->abce", output_shape=(5, 5, 2), activation="relu")):
        layer(x)
        layer.activation = None   # keras.io's Grad-CAM removes the classifier's softmax so
        linear = B.dense(B.convert_to_tensor(x), layer.kernel, layer.bias) if isinstance(layer, layers.Dense) else None
        out = to_numpy(layer(x))
        assert out.min() < 0
        if linear is not None:
            np.testing.assert_allclose(out, to_numpy(linear), rtol=1e-6)
