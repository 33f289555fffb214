"""Layer subclasses that define no ``__init__`` save and reload, in both directions with Keras 3.

Keras builds their config from the base ``Layer`` arguments (name, trainable, dtype), so
``get_config`` must not ask for one; kerasport writes and reads the same ``.keras`` files.
"""
import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from tests.helpers import keras_module


def _model(k):
    class Twice(k.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    class Scale(k.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs):
            return inputs * self.scale

    inputs = k.Input((3,))
    h = Scale(name="scale")(Twice(name="twice")(inputs))
    return k.Model(inputs, k.layers.Dense(2, name="head")(h)), {"Twice": Twice, "Scale": Scale}


def test_config_has_base_arguments_only():
    keras = keras_module()
    ours, theirs = _model(kerasport)[0], _model(keras)[0]
    for name in ("twice", "scale"):
        got, want = ours.get_layer(name).get_config(), theirs.get_layer(name).get_config()
        assert sorted(got) == sorted(want) and got["name"] == want["name"] == name


@pytest.mark.parametrize("writer", ["kerasport", "keras"])
def test_round_trip_with_keras(tmp_path, writer):
    keras = keras_module()
    x = np.random.RandomState(0).randn(4, 3).astype("float32")
    (ours, our_objects), (theirs, their_objects) = _model(kerasport), _model(keras)
    theirs.get_layer("scale").set_weights([np.array([1.0, -2.0, 0.5], "float32")])
    ours.set_weights(theirs.get_weights())
    path = str(tmp_path / "model.keras")
    if writer == "kerasport":
        ours.save(path)
        loaded = keras.saving.load_model(path, custom_objects=their_objects)
        got = np.asarray(loaded(x))
    else:
        theirs.save(path)
        loaded = kerasport.saving.load_model(path, custom_objects=our_objects)
        got = B.convert_to_numpy(loaded(B.convert_to_tensor(x)))
        assert [type(layer).__name__ for layer in loaded.layers[1:3]] == ["Twice", "Scale"]
    np.testing.assert_allclose(got, np.asarray(theirs(x)), rtol=1e-6)
