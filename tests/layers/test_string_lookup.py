"""StringLookup against real Keras 3: adapted vocabularies, ties, and adapted layers read from Keras's archives."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from tests.helpers import keras_module
from tests.layers.test_index_lookup import STRINGS, _same


@pytest.mark.parametrize("kwargs", [
    {}, {"mask_token": "e"}, {"num_oov_indices": 3}, {"num_oov_indices": 3, "salt": 5}, {"max_tokens": 4},
    {"output_mode": "one_hot"}, {"output_mode": "multi_hot", "mask_token": "b"}, {"output_mode": "count"},
    {"output_mode": "tf_idf"}, {"output_mode": "multi_hot", "pad_to_max_tokens": True, "max_tokens": 10},
    {"output_mode": "tf_idf", "pad_to_max_tokens": True, "max_tokens": 10},
])
def test_string_lookup_adapt_matches_keras(kwargs):
    keras = keras_module()
    k, ours = keras.layers.StringLookup(**kwargs), layers.StringLookup(**kwargs)
    k.adapt(STRINGS)
    ours.adapt(STRINGS)
    assert ours.get_vocabulary() == k.get_vocabulary()
    assert ours.get_vocabulary(False) == k.get_vocabulary(False)
    assert ours.vocabulary_size() == k.vocabulary_size()
    x = np.array(["a", "zz", "d"]) if kwargs.get("output_mode") == "one_hot" else \
        np.array([["a", "zz", "e", "q"], ["b", "b", "c", "f"]])
    out, expected = ours(x), k(x)
    assert kerasport.ops.dtype(out) == keras.backend.standardize_dtype(expected.dtype)  # int64; tf_idf float32
    assert (ours.dtype, ours.compute_dtype, ours.variable_dtype) == (k.dtype, k.compute_dtype, k.variable_dtype)
    _same(out, expected)
    _same(ours([b"a", b"f"] if kwargs.get("output_mode") != "one_hot" else ["a", "f"]),
          k(np.array([b"a", b"f"]) if kwargs.get("output_mode") != "one_hot" else np.array(["a", "f"])))


def test_string_lookup_ties_break_like_keras():
    keras = keras_module()
    data = np.array(["b", "a", "c", "é", "B", "aa", "a", "c"])
    k, ours = keras.layers.StringLookup(), layers.StringLookup()
    k.adapt(data)
    ours.adapt(data)
    assert ours.get_vocabulary() == k.get_vocabulary()


def test_adapted_string_lookup_archive_from_keras(tmp_path):
    keras = keras_module()
    lookup = keras.layers.StringLookup(num_oov_indices=2)
    lookup.adapt(STRINGS)
    path = str(tmp_path / "s.keras")
    keras.Sequential([keras.Input((4,), dtype="string"), lookup]).save(path)
    loaded = kerasport.saving.load_model(path)
    assert loaded.layers[0].get_vocabulary() == lookup.get_vocabulary()
    _same(loaded.layers[0](STRINGS), lookup(STRINGS))


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow", reason="tf.RaggedTensor: TensorFlow only")
@pytest.mark.parametrize("kwargs", [{}, {"mask_token": "b"}, {"num_oov_indices": 2}, {"output_mode": "multi_hot"},
                                    {"output_mode": "count", "mask_token": "b"}, {"output_mode": "tf_idf"}])
def test_ragged_rows_adapt_and_look_up_as_keras(kwargs):
    """A tf.RaggedTensor of label lists (keras.io's multi-label classification): adapted as rows, looked up
    eagerly and inside tf.data's map; "int" gives a ragged tensor of the same rows, the others encode each row."""
    import tensorflow as tf
    keras = keras_module()
    rows = tf.ragged.constant([["a", "b"], ["c"], ["a", "c", "d", "a"], ["b", "zz"]])
    k, ours = keras.layers.StringLookup(**kwargs), layers.StringLookup(**kwargs)
    k.adapt(rows)
    ours.adapt(rows)
    assert ours.get_vocabulary() == k.get_vocabulary()
    got, want = ours(rows), k(rows)
    assert isinstance(got, tf.RaggedTensor) == isinstance(want, tf.RaggedTensor)
    _same(got.to_tensor(-7) if isinstance(got, tf.RaggedTensor) else got,
          want.to_tensor(-7) if isinstance(want, tf.RaggedTensor) else want)
    batches = tf.data.Dataset.from_tensor_slices(rows).ragged_batch(3)
    for got, want in zip(batches.map(ours), batches.map(k)):
        _same(got.to_tensor(-7) if isinstance(got, tf.RaggedTensor) else got,
              want.to_tensor(-7) if isinstance(want, tf.RaggedTensor) else want)
