"""Categorical and text preprocessing layers against real Keras 3: vocabularies, outputs, hashes, configs, saving."""
import random

import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from kerasport.utils import farmhash
from tests.helpers import keras_module, to_numpy

STRINGS = np.array([["a", "b", "c", "b"], ["a", "b", "d", "e"], ["a", "e", "e", "f"]])
INTS = np.array([[1, 2, 3, 2], [1, 2, 5, 7], [9, 9, 1, 42]])
TEXTS = ["The cat, sat on the Mat!", "the dog ate my HOMEWORK.", "ÀB cat\xa0dog  x\ty", "", "a-b c.d cat cat"]


def _same(ours, want):
    ours, want = to_numpy(ours), np.asarray(want)
    assert ours.shape == want.shape, (ours.shape, want.shape)
    np.testing.assert_allclose(ours, want, rtol=1e-6, atol=1e-6)


def _random_strings(n, seed=0):
    rng = random.Random(seed)
    return ["".join(chr(rng.choice([rng.randint(32, 126), rng.randint(160, 4000)]))
                    for _ in range(rng.randint(0, 150))) for _ in range(n)]


# ---------------------------------------------------------------------------- hashes
def test_farmhash_and_siphash_equal_tensorflow():
    keras_module()
    import tensorflow as tf
    strings = _random_strings(400) + [str(i) for i in range(-20, 20)] + ["", "a" * 64, "b" * 65, "c" * 128]
    np.testing.assert_array_equal(farmhash.hash_bucket_fast(strings, 2 ** 61 + 3),
                                  tf.strings.to_hash_bucket_fast(strings, 2 ** 61 + 3).numpy())
    np.testing.assert_array_equal(farmhash.hash_bucket_strong(strings, 1000003, [7, 2 ** 62 + 5]),
                                  tf.strings.to_hash_bucket_strong(strings, 1000003, key=[7, 2 ** 62 + 5]).numpy())


@pytest.mark.parametrize("kwargs", [{"num_bins": 13}, {"num_bins": 5, "mask_value": "b"},
                                    {"num_bins": 9, "salt": 42},
                                    {"num_bins": 6, "salt": [1, 2], "output_mode": "count"},
                                    {"num_bins": 4, "output_mode": "multi_hot"}])
def test_hashing_strings_match_keras(kwargs):
    keras = keras_module()
    x = np.array(_random_strings(300, seed=1) + ["b"] * 4).reshape(-1, 4)
    _same(layers.Hashing(**kwargs)(x), keras.layers.Hashing(**kwargs)(x))


def test_hashing_ints_and_one_hot_match_keras():
    keras = keras_module()
    x = np.random.RandomState(0).randint(-1000, 1000, size=(50, 1))
    for kwargs in ({"num_bins": 10}, {"num_bins": 10, "mask_value": 0}, {"num_bins": 4, "output_mode": "one_hot"}):
        _same(layers.Hashing(**kwargs)(x), keras.layers.Hashing(**kwargs)(x))
    out = layers.Hashing(7)(B.convert_to_tensor(x))
    assert B.dtype(out) == "int64"
    with pytest.raises(ValueError, match="num_bins"):
        layers.Hashing(0)


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


# ---------------------------------------------------------------------------- StringLookup / IntegerLookup
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
    _same(ours(x), k(x))
    _same(ours([b"a", b"f"] if kwargs.get("output_mode") != "one_hot" else ["a", "f"]),
          k(np.array([b"a", b"f"]) if kwargs.get("output_mode") != "one_hot" else np.array(["a", "f"])))


def test_adapt_on_ragged_token_lists():
    ours = layers.StringLookup()
    ours.adapt([["a", "b", "b"], ["c"], []])
    assert ours.get_vocabulary() == ["[UNK]", "b", "c", "a"]


def test_string_lookup_ties_break_like_keras():
    keras = keras_module()
    data = np.array(["b", "a", "c", "é", "B", "aa", "a", "c"])
    k, ours = keras.layers.StringLookup(), layers.StringLookup()
    k.adapt(data)
    ours.adapt(data)
    assert ours.get_vocabulary() == k.get_vocabulary()


def test_adapt_on_batches_and_datasets():
    keras = keras_module()
    import tensorflow as tf
    batches = [STRINGS[:2], STRINGS[2:]]
    k, ours = keras.layers.StringLookup(output_mode="tf_idf"), layers.StringLookup(output_mode="tf_idf")
    k.adapt(tf.data.Dataset.from_tensor_slices(STRINGS).batch(2))
    ours.adapt(iter(batches))
    assert ours.get_vocabulary() == k.get_vocabulary()
    _same(ours(STRINGS), k(STRINGS))
    ours2 = layers.StringLookup(output_mode="tf_idf")
    ours2.adapt(tf.data.Dataset.from_tensor_slices(STRINGS).batch(2))
    _same(ours2(STRINGS), k(STRINGS))


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
    assert B.dtype(out) == ("int64" if ours.output_mode == "int" else "float32")
    _same(out, k(x))


@pytest.mark.parametrize("layer_name,vocab,x", [
    ("IntegerLookup", [12, 36, 1138, 42], [[0, 1, 2, 3], [4, 5, 6, 0]]),
    ("StringLookup", ["a", "b", "c"], [[0, 1, 2], [3, 4, 7]]),
])
@pytest.mark.parametrize("mask", [False, True])
def test_invert_matches_keras(layer_name, vocab, x, mask):
    keras = keras_module()
    kwargs = {"vocabulary": vocab, "invert": True}
    if mask:
        kwargs["mask_token"] = 0 if layer_name == "IntegerLookup" else "[PAD]"
    x = np.array(x)
    want = getattr(keras.layers, layer_name)(**kwargs)(x).numpy()
    got = getattr(layers, layer_name)(**kwargs)(x)
    got = to_numpy(got) if B.is_tensor(got) else got
    if layer_name == "StringLookup":
        want = want.astype(str) if want.dtype.kind != "O" else np.vectorize(lambda s: s.decode())(want)
        got = got.astype(str) if got.dtype.kind != "O" else np.vectorize(lambda s: s.decode())(got)
    np.testing.assert_array_equal(got, want)


def test_given_vocabulary_with_special_tokens_and_file(tmp_path):
    keras = keras_module()
    vocab = ["", "[UNK]", "x", "y"]
    kwargs = {"vocabulary": vocab, "mask_token": ""}
    x = np.array([["x", "", "q", "y"]])
    _same(layers.StringLookup(**kwargs)(x), keras.layers.StringLookup(**kwargs)(x))
    path = tmp_path / "vocab.txt"
    path.write_text("x\ny\nz\n")
    ours = layers.StringLookup(vocabulary=str(path))
    assert ours.get_vocabulary() == keras.layers.StringLookup(vocabulary=str(path)).get_vocabulary()
    _same(ours(x), keras.layers.StringLookup(vocabulary=str(path))(x))
    ints = layers.IntegerLookup()
    ints.set_vocabulary([5, 6])
    _same(ints(np.array([6, 5, 0])), [2, 1, 0])


def test_lookup_errors():
    with pytest.raises(ValueError, match="repeated"):
        layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="all inputs should be in the vocabulary"):
        layers.IntegerLookup(vocabulary=[1, 2], num_oov_indices=0)(np.array([1, 3]))
    with pytest.raises(ValueError, match="all inputs should be in the vocabulary"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(["a", "b"])
    with pytest.raises(RuntimeError, match="vocabulary must be set"):
        layers.StringLookup(output_mode="multi_hot")(["a"])
    with pytest.raises(ValueError, match="idf_weights"):
        layers.StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match="max_tokens"):
        layers.StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(ValueError, match="static vocabulary"):
        layers.StringLookup(vocabulary=["a"]).adapt(["a"])
    with pytest.raises(ValueError, match="sparse"):
        layers.IntegerLookup(output_mode="count", sparse=True)


def test_lookup_config_round_trip_with_keras():
    keras = keras_module()
    for cls, kwargs in [("StringLookup", {"vocabulary": ["a", "b"], "mask_token": "[M]", "num_oov_indices": 2}),
                        ("IntegerLookup", {"vocabulary": [3, 4], "output_mode": "tf_idf", "idf_weights": [0.5, 1.5]}),
                        ("StringLookup", {"max_tokens": 5, "output_mode": "count"})]:
        k = getattr(keras.layers, cls)(name="lk", **kwargs)
        ours = getattr(layers, cls)(name="lk", **kwargs)
        kc, oc = k.get_config(), ours.get_config()
        kc.pop("dtype")
        oc.pop("dtype")
        assert oc == kc
        clone = getattr(layers, cls).from_config(k.get_config())
        assert clone.get_vocabulary() == ours.get_vocabulary()


# ---------------------------------------------------------------------------- TextVectorization
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
    assert B.dtype(out) == ("int64" if ours._output_mode == "int" else "float32")
    _same(out, k(np.array(queries)))
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


# ---------------------------------------------------------------------------- CategoryEncoding / Discretization
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


@pytest.mark.parametrize("kwargs", [{"bin_boundaries": [0.0, 1.0, 2.5]},
                                    {"bin_boundaries": [-1.0], "output_mode": "one_hot"},
                                    {"num_bins": 4}, {"num_bins": 5, "output_mode": "count"},
                                    {"num_bins": 3, "epsilon": 0.1, "output_mode": "multi_hot"}])
def test_discretization_matches_keras(kwargs):
    keras = keras_module()
    data = np.random.RandomState(0).randn(300, 3).astype("float32")
    k, ours = keras.layers.Discretization(**kwargs), layers.Discretization(**kwargs)
    if "num_bins" in kwargs:
        k.adapt(data)
        ours.adapt(data)
        np.testing.assert_allclose(ours.bin_boundaries, k.bin_boundaries, rtol=1e-6)
    x = data[:20, :1] if kwargs.get("output_mode") == "one_hot" else data[:20]
    out = ours(B.convert_to_tensor(x))
    assert B.dtype(out) == ("int32" if ours.output_mode == "int" else "float32")
    _same(out, k(x))
    clone = layers.Discretization.from_config(k.get_config())
    assert clone.bin_boundaries == ours.bin_boundaries


def test_discretization_adapt_on_batches_matches_keras():
    keras = keras_module()
    data = np.random.RandomState(1).rand(500).astype("float32") * 10
    batches = [data[i:i + 128] for i in range(0, 500, 128)]
    k, ours = keras.layers.Discretization(num_bins=6), layers.Discretization(num_bins=6)
    k.adapt(batches)
    ours.adapt(batches)
    np.testing.assert_allclose(ours.bin_boundaries, k.bin_boundaries, rtol=1e-6)


# ---------------------------------------------------------------------------- models and saving
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


def test_discretization_and_category_encoding_in_a_model():
    model = kerasport.Sequential([kerasport.Input((3,)), layers.Discretization([0.0, 1.0]),
                                  layers.CategoryEncoding(3, output_mode="count"), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.RandomState(0).randn(8, 3).astype("float32")
    model.fit(x, np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    assert np.shape(model.predict(x, verbose=0)) == (8, 2)


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


def test_adapted_string_lookup_archive_from_keras(tmp_path):
    keras = keras_module()
    lookup = keras.layers.StringLookup(num_oov_indices=2)
    lookup.adapt(STRINGS)
    path = str(tmp_path / "s.keras")
    keras.Sequential([keras.Input((4,), dtype="string"), lookup]).save(path)
    loaded = kerasport.saving.load_model(path)
    assert loaded.layers[0].get_vocabulary() == lookup.get_vocabulary()
    _same(loaded.layers[0](STRINGS), lookup(STRINGS))
