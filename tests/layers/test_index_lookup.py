"""The lookup layers' shared machinery (IndexLookup, under StringLookup and IntegerLookup) against real Keras 3:
adapting on ragged lists, batches and datasets, invert, given vocabularies and files, errors, config."""
import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy

STRINGS = np.array([["a", "b", "c", "b"], ["a", "b", "d", "e"], ["a", "e", "e", "f"]])


def _same(ours, want):
    ours, want = to_numpy(ours), np.asarray(want)
    assert ours.shape == want.shape, (ours.shape, want.shape)
    np.testing.assert_allclose(ours, want, rtol=1e-6, atol=1e-6)


def test_adapt_on_ragged_token_lists():
    ours = layers.StringLookup()
    ours.adapt([["a", "b", "b"], ["c"], []])
    assert ours.get_vocabulary() == ["[UNK]", "b", "c", "a"]


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


@pytest.mark.parametrize("layer", [lambda: layers.StringLookup(), lambda: layers.IntegerLookup(),
                                   lambda: layers.TextVectorization()])
def test_a_lookup_without_vocabulary_refuses_to_run(layer):
    data = np.array([1, 2]) if "Integer" in type(layer()).__name__ else np.array(["a b", "c"])
    with pytest.raises(RuntimeError, match="the vocabulary is not set: pass `vocabulary` or call `adapt"):
        layer()(data)
