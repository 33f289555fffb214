"""Lambda (and Masking in the shared layer checks): Keras as the oracle, output shapes, arguments,
config formats and safe-mode loading."""
import numpy as np
import pytest

import kerasport
from kerasport import activations, layers, ops
from kerasport.backends import B
from kerasport.saving import register_keras_serializable
from kerasport.core.serialization import safe_mode_scope
from tests.helpers import keras_module, run_layer_test, to_numpy


@register_keras_serializable(package="test_misc")
def double(x, factor=2.0):
    return x * factor


@pytest.mark.parametrize("layer_cls,kwargs,shape", [
    (layers.Masking, {"mask_value": 0.5}, (2, 3, 4)),
    (layers.Lambda, {"function": double, "arguments": {"factor": 3.0}}, (2, 5)),
    (layers.Lambda, {"function": ops.square, "output_shape": (5,)}, (2, 5)),
])
def test_shared_checks(layer_cls, kwargs, shape):
    run_layer_test(layer_cls, kwargs, shape, train=False)


def test_lambda_output_shapes():
    layer = layers.Lambda(lambda t: B.concatenate([t, t], axis=-1))
    assert layer.compute_output_shape((None, 3)) == (None, 6)
    assert layers.Lambda(double, output_shape=(2, 3)).compute_output_shape((None, 6)) == (None, 2, 3)
    assert layers.Lambda(double, output_shape=lambda s: s[:1]).compute_output_shape((4, 6)) == (4,)
    split = layers.Lambda(lambda t: [t[:, :1], t[:, 1:]], output_shape=[(1,), (2,)])
    assert split.compute_output_shape((None, 3)) == [(None, 1), (None, 2)]
    sym = layers.Lambda(lambda t: B.sum(t, axis=1))(kerasport.Input((None, 5)))
    assert sym.shape == (None, 5)


def test_lambda_arguments_training_and_mask():
    seen = {}

    def fn(x, training=None, offset=0.0):
        seen["training"] = training
        return x + offset

    layer = layers.Lambda(fn, arguments={"offset": 1.0}, mask=lambda inputs, mask: B.greater(inputs, 1.5))
    out = layer(B.convert_to_tensor(np.array([[0.0, 1.0]], "float32")), training=True)
    assert seen["training"] is True
    np.testing.assert_array_equal(to_numpy(out), [[1.0, 2.0]])
    np.testing.assert_array_equal(to_numpy(out._keras_mask), [[False, False]])


def test_lambda_configs_match_keras():
    """Keras's config of the same Python lambda (bytecode format); Keras's configs of named functions load."""
    keras = keras_module()
    keras.saving.register_keras_serializable(package="test_misc")(double)
    fn = lambda t, scale=2.0: t * scale  # noqa: E731
    ours = layers.Lambda(fn, output_shape=(3,), name="l").get_config()
    theirs = keras.layers.Lambda(fn, output_shape=(3,), name="l").get_config()
    assert ours["function"] == theirs["function"] and set(ours) == set(theirs)
    assert layers.Lambda.from_config(keras.layers.Lambda(double).get_config()).function is double
    relu_config = keras.layers.Lambda(keras.activations.relu).get_config()
    assert layers.Lambda.from_config(relu_config).function is activations.relu
    assert layers.Lambda(activations.relu).get_config()["function"] == relu_config["function"]
    keras.layers.Lambda.from_config(layers.Lambda(ops.square).get_config())  # found as keras.ops.square


def test_lambda_from_config_refuses_bytecode_unless_unsafe():
    keras = keras_module()
    scale = 3.0
    config = keras.layers.Lambda(lambda t: t * scale + 1, name="l").get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.deserialize({"class_name": "Lambda", "config": config})
    x = B.convert_to_tensor(np.array([[1.0, 2.0]], "float32"))
    with safe_mode_scope(False):
        loaded = layers.deserialize({"class_name": "Lambda", "config": config})
    np.testing.assert_allclose(to_numpy(loaded(x)), [[4.0, 7.0]])
    loaded = layers.Lambda.from_config(layers.Lambda(lambda t: t - 1).get_config(), safe_mode=False)
    np.testing.assert_allclose(to_numpy(loaded(x)), [[0.0, 1.0]])
    with safe_mode_scope(False), safe_mode_scope(True), pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(config)


def test_lambda_named_functions_load_by_name():
    restored = layers.Lambda.from_config(layers.Lambda(double, arguments={"factor": 4.0}).get_config())
    assert restored.function is double and restored.arguments == {"factor": 4.0}
    assert layers.Lambda.from_config(layers.Lambda(ops.relu).get_config()).function is ops.relu

    def local(x):
        return x

    with pytest.raises(ValueError, match="local"):
        layers.Lambda.from_config(layers.Lambda(local).get_config())
    assert layers.Lambda.from_config(layers.Lambda(local).get_config(), custom_objects={"local": local}).function \
        is local


def test_bad_inputs():
    with pytest.raises(TypeError, match="callable"):
        layers.Lambda(3)


@pytest.mark.skipif(B.NAME != "tensorflow", reason="tf.gradients runs only in a TensorFlow graph")
def test_lambda_that_runs_only_in_a_graph_gets_its_shape_traced():
    # keras.io's "Neural Eikonal Solver" takes ``tf.gradients`` in a Lambda: Keras infers its shape in a graph.
    import tensorflow as tf
    inputs = [kerasport.Input((1,)), kerasport.Input((1,))]
    y = layers.Lambda(lambda x: x[0] ** 2 * x[1])(inputs)
    grads = layers.Lambda(lambda x: tf.gradients(x[0], x[1], unconnected_gradients="zero"))([y, inputs])
    assert [tuple(g.shape) for g in grads] == [(None, 1), (None, 1)]
    model = kerasport.Model(inputs, layers.Concatenate()(grads))
    a, b = np.array([[1.0], [2.0], [3.0]]), np.array([[4.0], [5.0], [6.0]])
    np.testing.assert_allclose(model.predict([a, b], verbose=0), np.concatenate([2 * a * b, a ** 2], 1), rtol=1e-6)
    with pytest.raises(RuntimeError, match="tf.gradients is not supported when eager"):
        layers.Lambda(lambda x: tf.gradients(x[0], x[1]))([tf.constant(a), [tf.constant(b)]])
