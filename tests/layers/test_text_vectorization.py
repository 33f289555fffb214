"""TextVectorization against real Keras 3: outputs, splits, given vocabularies, callables, config and adapted
layers through ``.keras`` archives both ways."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module
from tests.layers.test_index_lookup import _same

TEXTS = ["The cat, sat on the Mat!", "the dog ate my HOMEWORK.", "ÀB cat\xa0dog  x\ty", "", "a-b c.d cat cat"]


@pytest.mark.parametrize("kwargs", [
    {}, {"output_sequence_length": 4}, {"max_tokens": 6}, {"standardize": "lower"},
    {"standardize": "strip_punctuation"}, {"standardize": None, "split": "character"},
    {"ngrams": 2, "output_mode": "count"}, {"ngrams": (1, 3), "output_sequence_length": 12},
    {"output_mode": "multi_hot"}, {"output_mode": "tf_idf", "max_tokens": 8},
    {"output_mode": "multi_hot", "pad_to_max_tokens": True, "max_tokens": 30},
])
def test_text_vectorization_matches_keras(kwargs):
    keras = keras_module()
    k, ours = keras.layers.TextVectorization(**kwargs), layers.TextVectorization(**kwargs)
    k.adapt(TEXTS)
    ours.adapt(TEXTS)
    assert ours.get_vocabulary() == k.get_vocabulary()
    queries = TEXTS + ["unseen words cat", "CAT! dog?"]
    out = ours(queries)
    expected = k(np.array(queries))
    assert B.dtype(out) == keras.backend.standardize_dtype(expected.dtype)  # int64, float32 for tf_idf
    assert (ours.dtype, ours.compute_dtype, ours.variable_dtype) == (k.dtype, k.compute_dtype, k.variable_dtype)
    _same(out, expected)
    _same(ours(np.array(queries)[:, None]), k(np.array(queries)[:, None]))


def test_text_vectorization_split_none_and_given_vocabulary():
    keras = keras_module()
    tokens = np.array([["a", "b"], ["c", "zz"]])
    kwargs = {"split": None, "vocabulary": ["a", "b", "c"], "output_sequence_length": 3}
    _same(layers.TextVectorization(**kwargs)(tokens), keras.layers.TextVectorization(**kwargs)(tokens))
    kwargs = {"split": None, "standardize": None, "vocabulary": ["a", "b", "c"]}
    _same(layers.TextVectorization(**kwargs)(tokens), keras.layers.TextVectorization(**kwargs)(tokens))


def test_text_vectorization_callables():
    keras = keras_module()
    import tensorflow as tf

    def tf_standardize(x):
        return tf.strings.regex_replace(tf.strings.lower(x), "a", "o")

    def np_standardize(x):
        return np.char.replace(np.char.lower(x), "a", "o")

    def tf_split(x):
        return tf.strings.split(x, sep=",")

    def np_split(x):
        return [s.split(",") for s in x]

    data = ["Cat,hat", "bAt,mat,cat"]
    k = keras.layers.TextVectorization(standardize=tf_standardize, split=tf_split)
    mine = (tf_standardize, tf_split) if B.NAME == "tensorflow" else (np_standardize, np_split)
    ours = layers.TextVectorization(standardize=mine[0], split=mine[1])
    k.adapt(data)
    ours.adapt(data)
    assert ours.get_vocabulary() == k.get_vocabulary()
    _same(ours(data), k(np.array(data)))


def test_text_vectorization_config():
    keras = keras_module()
    kwargs = {"max_tokens": 50, "ngrams": (1, 2), "output_sequence_length": 7, "vocabulary": ["x", "y"]}
    kc = keras.layers.TextVectorization(name="tv", **kwargs).get_config()
    oc = layers.TextVectorization(name="tv", **kwargs).get_config()
    kc.pop("dtype")
    oc.pop("dtype")
    assert oc == kc
    clone = layers.TextVectorization.from_config(keras.layers.TextVectorization(name="tv", **kwargs).get_config())
    _same(clone(["x y z"]), keras.layers.TextVectorization(**kwargs)(np.array(["x y z"])))
    with pytest.raises(ValueError, match="ragged"):
        layers.TextVectorization(ragged=True)
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)


@pytest.mark.parametrize("kwargs", [{"max_tokens": 10, "output_mode": "tf_idf"}, {"output_sequence_length": 5}])
def test_adapted_text_vectorization_archive_to_and_from_keras(tmp_path, kwargs):
    keras = keras_module()
    k = keras.layers.TextVectorization(**kwargs)
    k.adapt(TEXTS)
    path = str(tmp_path / "k.keras")
    keras.Sequential([keras.Input((), dtype="string"), k]).save(path)
    loaded = kerasport.saving.load_model(path).layers[0]
    assert loaded.get_vocabulary() == k.get_vocabulary()
    _same(loaded(TEXTS), k(np.array(TEXTS)))
    ours = layers.TextVectorization(**kwargs)
    ours.adapt(TEXTS)
    model = kerasport.Sequential([kerasport.Input((), dtype="string"), ours])
    path = str(tmp_path / "ours.keras")
    model.save(path)
    back = keras.saving.load_model(path).layers[0]
    assert back.get_vocabulary() == ours.get_vocabulary()
    _same(ours(TEXTS), back(np.array(TEXTS)))
    again = kerasport.saving.load_model(path).layers[0]
    _same(again(TEXTS), ours(TEXTS))


@pytest.mark.parametrize("kwargs", [{"output_sequence_length": 5}, {}, {"output_mode": "multi_hot"}])
def test_one_string_gives_one_row_without_batch_axis(kwargs):
    # keras.io's FNet example vectorizes one string at a time, eagerly and in ``Dataset.map`` over single strings.
    keras = keras_module()
    k, ours = keras.layers.TextVectorization(**kwargs), layers.TextVectorization(**kwargs)
    k.adapt(TEXTS)
    ours.adapt(TEXTS)
    want = k(np.array("the cat ate the unseen Mat"))
    _same(ours("the cat ate the unseen Mat"), want)
    _same(ours(np.array("the cat ate the unseen Mat")), want)
    if B.NAME == "tensorflow":
        import tensorflow as tf
        _same(ours(tf.constant("the cat ate the unseen Mat")), want)
        texts = [text for text in TEXTS if text]  # Keras fails on one empty string with output_sequence_length
        mapped = tf.data.Dataset.from_tensor_slices(texts).map(ours)
        for got, text in zip(mapped, texts):
            _same(got, k(np.array(text)))
