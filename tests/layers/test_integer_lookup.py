"""IntegerLookup against real Keras 3: adapted vocabularies, and models that train, save and take scalars."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy
from tests.layers.test_index_lookup import _same

INTS = np.array([[1, 2, 3, 2], [1, 2, 5, 7], [9, 9, 1, 42]])


@pytest.mark.parametrize("kwargs", [
    {}, {"mask_token": 0}, {"num_oov_indices": 3}, {"num_oov_indices": 4, "oov_method": "farmhash"},
    {"num_oov_indices": 2, "oov_method": "farmhash", "salt": 11}, {"output_mode": "multi_hot"},
    {"output_mode": "count", "mask_token": 9}, {"output_mode": "tf_idf"}, {"max_tokens": 3},
])
def test_integer_lookup_adapt_matches_keras(kwargs):
    keras = keras_module()
    k, ours = keras.layers.IntegerLookup(**kwargs), layers.IntegerLookup(**kwargs)
    k.adapt(INTS)
    ours.adapt(INTS)
    assert ours.get_vocabulary() == [int(v) for v in k.get_vocabulary()]
    x = np.array([[1, 7, 0, -3], [9, 2, 100, 42]])
    out = ours(B.convert_to_tensor(x))
    expected = k(x)
    assert B.dtype(out) == keras.backend.standardize_dtype(expected.dtype)  # int64, float32 for tf_idf
    assert (ours.dtype, ours.compute_dtype, ours.variable_dtype) == (k.dtype, k.compute_dtype, k.variable_dtype)
    _same(out, expected)


def test_integer_lookup_in_a_model_trains_and_saves(tmp_path):
    keras = keras_module()
    lookup = layers.IntegerLookup(max_tokens=6)
    lookup.adapt(INTS)
    model = kerasport.Sequential([kerasport.Input((4,), dtype="int64"), lookup,
                                  layers.Embedding(lookup.vocabulary_size(), 3), layers.GlobalAveragePooling1D(),
                                  layers.Dense(1)])
    assert tuple(model.output_shape) == (None, 1)
    model.compile(optimizer="adam", loss="mse")
    model.fit(INTS, np.ones((3, 1), "float32"), epochs=2, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = kerasport.saving.load_model(path)
    assert loaded.layers[0].get_vocabulary() == lookup.get_vocabulary()
    _same(loaded(B.convert_to_tensor(INTS)), to_numpy(model(B.convert_to_tensor(INTS))))
    k = keras.saving.load_model(path)
    assert [int(v) for v in k.layers[0].get_vocabulary()] == lookup.get_vocabulary()
    np.testing.assert_allclose(k.predict(INTS, verbose=0), to_numpy(model(B.convert_to_tensor(INTS))),
                               rtol=1e-5, atol=1e-6)


def test_scalar_integer_lookup_model_matches_keras():
    keras = keras_module()
    x = np.array([12, 36, 5, 1138], "int64")
    ours = kerasport.Sequential([kerasport.Input((), dtype="int64"), layers.IntegerLookup(vocabulary=[12, 36, 1138]),
                                 layers.Embedding(4, 2)])
    k = keras.Sequential([keras.Input((), dtype="int64"), keras.layers.IntegerLookup(vocabulary=[12, 36, 1138]),
                          keras.layers.Embedding(4, 2)])
    assert tuple(ours.output_shape) == tuple(k.output_shape) == (None, 2)
    ours.set_weights(k.get_weights())
    np.testing.assert_allclose(to_numpy(ours.predict(x, verbose=0)), k.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow", reason="tf.RaggedTensor: TensorFlow only")
@pytest.mark.parametrize("kwargs", [{}, {"mask_token": 0}, {"output_mode": "multi_hot"}, {"output_mode": "count"}])
def test_ragged_rows_adapt_and_look_up_as_keras(kwargs):
    import tensorflow as tf
    keras = keras_module()
    rows = tf.ragged.constant([[1, 2], [3], [1, 3, 0, 1], [2, 99]], dtype=tf.int64)
    k, ours = keras.layers.IntegerLookup(**kwargs), layers.IntegerLookup(**kwargs)
    k.adapt(rows)
    ours.adapt(rows)
    assert ours.get_vocabulary() == [int(v) for v in k.get_vocabulary()]
    got, want = ours(rows), k(rows)
    assert isinstance(got, tf.RaggedTensor) == isinstance(want, tf.RaggedTensor)
    if isinstance(got, tf.RaggedTensor):
        got, want = got.to_tensor(-7), want.to_tensor(-7)
    _same(got, want)
