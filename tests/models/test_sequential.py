"""Sequential models: from a list or by ``add``, built from data, and their config both ways with Keras 3."""
import numpy as np

import kerasport
from kerasport import layers
from tests.helpers import keras_module
from tests.models.test_model import _mlp


def test_sequential_from_list_and_add_are_the_same_model():
    a = _mlp()
    b = kerasport.Sequential()
    b.add(kerasport.Input((6,)))
    b.add(layers.Dense(8, activation="relu"))
    b.add(layers.Dense(3))
    b.set_weights(a.get_weights())
    x = np.random.rand(5, 6).astype("float32")
    np.testing.assert_allclose(a.predict(x, verbose=0), b.predict(x, verbose=0), rtol=1e-6)
    assert a.output_shape == (None, 3) and len(a.layers) == 2
    popped = b.pop()
    assert popped.units == 3 and b.output_shape == (None, 8)


def test_sequential_builds_from_data_when_no_input_shape():
    model = kerasport.Sequential([layers.Dense(4), layers.Dense(1)])
    assert not model.built
    model.compile("adam", "mse")
    model.fit(np.random.rand(8, 5), np.random.rand(8, 1), verbose=0)
    assert model.built and model.layers[0].kernel.shape[0] == 5


def test_sequential_config_round_trip_and_keras_reads_it():
    keras = keras_module()
    model = _mlp()
    config = model.get_config()
    clone = kerasport.Sequential.from_config(config)
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    theirs = keras.Sequential.from_config(config)
    theirs.set_weights(model.get_weights())
    x = np.random.rand(4, 6).astype("float32")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_a_sequential_on_unknown_image_sizes_called_on_known_ones_gives_known_output_shapes():
    """As Keras: the layers of a ``Sequential`` built on ``Input((None, None, 4))`` run again for 32x32 inputs."""
    model = kerasport.Sequential([layers.Input((None, None, 4)), layers.Conv2D(4, 3, strides=2, padding="same")])
    assert model(layers.Input((32, 32, 4))).shape == (None, 16, 16, 4)
    assert model.output_shape == (None, None, None, 4)
