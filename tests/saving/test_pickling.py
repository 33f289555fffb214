"""Models pickle (and deep-copy) as their ``.keras`` file, as Keras's do: for joblib and multiprocessing."""
import copy
import pickle

import numpy as np

import kerasport
from kerasport import layers


def test_trained_model_pickles_with_weights_compile_and_optimizer_state():
    inputs = kerasport.Input((4,))
    model = kerasport.Model(inputs, layers.Dense(2)(layers.Dense(8, activation="relu")(inputs)))
    model.compile(kerasport.optimizers.Adam(0.01), "mse", metrics=["mae"])
    x, y = np.random.RandomState(0).rand(16, 4), np.random.RandomState(1).rand(16, 2)
    model.fit(x, y, epochs=2, verbose=0)
    for twin in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert twin is not model and twin.compiled and type(twin.optimizer) is kerasport.optimizers.Adam
        assert int(twin.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 2
        for a, b in zip(twin.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(twin.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
        twin.layers[1].kernel.assign(np.zeros((4, 8), "float32"))
        assert np.abs(model.layers[1].kernel.numpy()).sum() > 0
        twin.fit(x, y, epochs=1, verbose=0)


def test_unbuilt_sequential_pickles():
    model = kerasport.Sequential([layers.Dense(3, name="d")])
    twin = pickle.loads(pickle.dumps(model))
    assert [layer.name for layer in twin.layers] == ["d"] and not twin.built
    assert twin(np.ones((2, 5), "float32")).shape == (2, 3)
