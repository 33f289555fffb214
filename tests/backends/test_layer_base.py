"""Layers as TensorFlow trackables (kerasport/backends/tensorflow/layer_base.py), as Keras 3's are on TensorFlow:
``tf.saved_model.save(model)`` with Keras's default ``serving_default`` signature, ``tf.train.Checkpoint`` and a
``tf.Module`` that holds a model. TensorFlow backend only; on torch, ``LayerBase`` is torch's side
(tests/layers/test_torch_module.py)."""
import os

import numpy as np
import pytest

import kerasport
from kerasport import layers

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="TensorFlow trackables: the TensorFlow backend's LayerBase")

X = np.random.RandomState(0).rand(5, 3).astype("float32")


def functional(keras):
    inputs = keras.Input((3,), name="features")
    return keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Dense(4, activation="relu")(inputs)))


def sequential(keras):
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.BatchNormalization(),
                             keras.layers.Dense(2)])


def subclassed(keras):
    class TwoDense(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(4, activation="relu")
            self.out = keras.layers.Dense(2)

        def call(self, x):
            return self.out(self.hidden(x))

    model = TwoDense()
    model(X)
    return model


def two_inputs(keras):
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    return keras.Model([a, b], keras.layers.Dense(2)(keras.layers.concatenate([a, b])))


def dict_inputs(keras):
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    out = keras.layers.Dense(2)(keras.layers.concatenate([a, b]))
    return keras.Model({"a": a, "b": b}, {"score": out, "double": out * 2.0})


INPUTS = {two_inputs: [X, X[:, :2]], dict_inputs: {"a": X, "b": X[:, :2]}}
MODELS = [functional, sequential, subclassed, two_inputs, dict_inputs]


def saved_signature(keras, make, tmp_path, tf):
    model = make(keras)
    x = INPUTS.get(make, X)
    want = model.predict(x, verbose=0)
    tf.saved_model.save(model, str(tmp_path))
    signature = tf.saved_model.load(str(tmp_path)).signatures["serving_default"]
    specs = signature.structured_input_signature[1]  # {"inputs": spec, "inputs_1": spec, ...}
    feed = dict(zip(sorted(specs, key=lambda name: (len(name), name)), map(tf.constant, tf.nest.flatten(x))))
    served = {name: value.numpy() for name, value in signature(**feed).items()}
    inputs = {name: (spec.shape.as_list(), spec.dtype.name) for name, spec in specs.items()}
    return want, served, inputs


@pytest.mark.parametrize("make", MODELS, ids=lambda m: m.__name__)
def test_saved_model_serves_the_model_with_keras_signature(make, tmp_path, keras):
    import tensorflow as tf
    want, served, inputs = saved_signature(kerasport, make, tmp_path / "kerasport", tf)
    flat = list(want.values()) if isinstance(want, dict) else [want]
    names = sorted(want) if isinstance(want, dict) else ["output_0"]
    assert sorted(served) == names
    for name, value in zip(names, flat if not isinstance(want, dict) else [want[n] for n in names]):
        np.testing.assert_allclose(served[name], value, rtol=1e-6, atol=1e-6)
    _, keras_served, keras_inputs = saved_signature(keras, make, tmp_path / "keras", tf)
    assert inputs == keras_inputs  # Keras 3's names, shapes and dtypes
    assert sorted(served) == sorted(keras_served)


def test_a_compiled_and_trained_model_saves_without_its_steps(tmp_path):
    import tensorflow as tf
    model = sequential(kerasport)
    model.compile("adam", "mse", jit_compile=False)
    model.fit(X, np.ones((5, 2), "float32"), epochs=2, verbose=0)
    tf.saved_model.save(model, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    assert list(loaded.signatures) == ["serving_default"]
    got = loaded.signatures["serving_default"](inputs=tf.constant(X))["output_0"].numpy()
    np.testing.assert_allclose(got, model.predict(X, verbose=0), rtol=1e-6, atol=1e-6)
    model.fit(X, np.ones((5, 2), "float32"), epochs=1, verbose=0)  # training goes on after the save


def test_a_layer_saves_its_variables_without_a_signature(tmp_path):
    import tensorflow as tf
    dense = layers.Dense(3)
    dense.build((None, 2))
    tf.saved_model.save(dense, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    assert list(loaded.signatures) == []
    np.testing.assert_array_equal(loaded.bias.numpy(), dense.bias.numpy())
    np.testing.assert_array_equal(loaded._kernel.numpy(), dense.kernel.numpy())


@pytest.mark.parametrize("make", [functional, sequential, subclassed], ids=lambda m: m.__name__)
def test_checkpoint_restores_every_weight_into_a_new_model(make, tmp_path):
    import tensorflow as tf
    model = make(kerasport)
    model.compile("adam", "mse")
    model.fit(X, np.ones((5, 2), "float32"), epochs=2, verbose=0)  # moves the BatchNormalization statistics
    path = tf.train.Checkpoint(model=model).save(os.path.join(tmp_path, "ckpt"))
    fresh = make(kerasport)
    fresh.predict(X, verbose=0)
    assert not np.allclose(fresh.predict(X, verbose=0), model.predict(X, verbose=0))
    # The checkpoint holds the optimizer too (``model.optimizer``); the uncompiled model has none to fill.
    tf.train.Checkpoint(model=fresh).restore(path).assert_existing_objects_matched()
    for got, want in zip(fresh.weights, model.weights):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_a_tf_module_holding_a_model_saves_its_own_signature(tmp_path):
    import tensorflow as tf
    module = tf.Module()
    module.model = functional(kerasport)
    module.serve = tf.function(lambda x: {"doubled": 2.0 * module.model(x)},
                               input_signature=[tf.TensorSpec((None, 3), tf.float32)])
    tf.saved_model.save(module, str(tmp_path), signatures={"serving_default": module.serve.get_concrete_function()})
    got = tf.saved_model.load(str(tmp_path)).signatures["serving_default"](x=tf.constant(X))["doubled"].numpy()
    np.testing.assert_allclose(got, 2.0 * module.model.predict(X, verbose=0), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "mixed_float16"])
def test_checkpoint_with_the_optimizer_resumes_training_exactly(optimizer, tmp_path):
    import tensorflow as tf
    y = np.random.RandomState(1).rand(5, 2).astype("float32")

    def compiled():
        if optimizer == "mixed_float16":  # the LossScaleOptimizer's scale state is in the checkpoint too
            kerasport.mixed_precision.set_global_policy("mixed_float16")
        model = functional(kerasport)
        kerasport.mixed_precision.set_global_policy("float32")
        model.compile("adam" if optimizer == "mixed_float16" else optimizer, "mse")
        return model

    model = compiled()
    model.fit(X, y, epochs=3, verbose=0)
    path = tf.train.Checkpoint(model=model, optimizer=model.optimizer).save(os.path.join(tmp_path, "ckpt"))
    fresh = compiled()
    fresh.fit(X, y, epochs=1, verbose=0)  # builds the optimizer's slots, to be overwritten
    tf.train.Checkpoint(model=fresh, optimizer=fresh.optimizer).restore(path).assert_consumed()
    assert int(fresh.optimizer.iterations.numpy()) == 3
    model.fit(X, y, epochs=2, verbose=0)
    fresh.fit(X, y, epochs=2, verbose=0)
    for got, want in zip(fresh.weights, model.weights):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
