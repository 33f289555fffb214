"""HashedCrossing against real Keras 3: string and integer features, as columns or not."""
import numpy as np
import pytest

from kerasport import layers
from tests.helpers import keras_module
from tests.layers.test_hashing import _random_strings
from tests.layers.test_index_lookup import _same


@pytest.mark.parametrize("features,kwargs", [
    ("ii", {"num_bins": 5}), ("is", {"num_bins": 1000}), ("ssi", {"num_bins": 7}),
    ("ii", {"num_bins": 3, "output_mode": "one_hot"}),
])
@pytest.mark.parametrize("column", [False, True])
def test_hashed_crossing_matches_keras(features, kwargs, column):
    keras = keras_module()
    rng = np.random.RandomState(0)
    inputs = [rng.randint(-50, 50, 40) if f == "i" else np.array(_random_strings(40, seed=i)) for i, f in
              enumerate(features)]
    if column:
        inputs = [x[:, None] for x in inputs]
    want = keras.layers.HashedCrossing(**kwargs)(inputs)
    _same(layers.HashedCrossing(**kwargs)(inputs), want)
    assert tuple(layers.HashedCrossing(**kwargs).compute_output_shape([x.shape for x in inputs])) == \
        tuple(want.shape)
    with pytest.raises(ValueError, match="at least two"):
        layers.HashedCrossing(3)(inputs[:1])


@pytest.mark.parametrize("output_mode", ["int", "one_hot"])
def test_hashed_crossing_in_a_model_matches_keras(output_mode):
    """Inside ``predict`` (a traced step on TensorFlow: the ``tf.sparse.cross_hashed`` path) the bins are Keras's."""
    import kerasport
    keras = keras_module()
    rng = np.random.RandomState(3)
    strings = np.array(_random_strings(30, seed=5), dtype=object)[:, None]
    ints = rng.randint(-50, 50, (30, 1))
    want = keras.layers.HashedCrossing(11, output_mode=output_mode)([strings, ints])
    s_in, i_in = kerasport.Input((1,), dtype="string"), kerasport.Input((1,), dtype="int64")
    model = kerasport.Model([s_in, i_in], layers.HashedCrossing(11, output_mode=output_mode)([s_in, i_in]))
    _same(model.predict([strings, ints], batch_size=8, verbose=0), want)
