"""CategoryEncoding against real Keras 3: modes, count weights, errors, and inside a model after Discretization."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module
from tests.layers.test_index_lookup import _same


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("x", [[[0, 1], [3, 3]], [2, 0, 1], [[1], [3]]])
def test_category_encoding_matches_keras(mode, x):
    keras = keras_module()
    x = np.array(x)
    want = keras.layers.CategoryEncoding(4, output_mode=mode)(x)
    out = layers.CategoryEncoding(4, output_mode=mode)(B.convert_to_tensor(x))
    _same(out, want)
    assert tuple(layers.CategoryEncoding(4, output_mode=mode).compute_output_shape(x.shape)) == tuple(want.shape)


def test_category_encoding_count_weights_and_errors():
    keras = keras_module()
    x, w = np.array([[0, 1, 1], [2, 2, 3]]), np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 3.0]], "float32")
    want = keras.layers.CategoryEncoding(4, output_mode="count")(x, count_weights=w)
    _same(layers.CategoryEncoding(4, output_mode="count")(x, count_weights=w), want)
    with pytest.raises(ValueError, match=r"in \[0, 4\)"):
        layers.CategoryEncoding(4)(np.array([[0, 4]]))
    with pytest.raises(ValueError, match="num_tokens"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match="count_weights"):
        layers.CategoryEncoding(4, output_mode="one_hot")(x, count_weights=w)


def test_discretization_and_category_encoding_in_a_model():
    model = kerasport.Sequential([kerasport.Input((3,)), layers.Discretization([0.0, 1.0]),
                                  layers.CategoryEncoding(3, output_mode="count"), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.RandomState(0).randn(8, 3).astype("float32")
    model.fit(x, np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    assert np.shape(model.predict(x, verbose=0)) == (8, 2)
