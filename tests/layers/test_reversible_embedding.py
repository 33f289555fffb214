"""ReversibleEmbedding against Keras 3's, on both backends."""
import os

import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import run_layer_test, to_numpy

RNG = np.random.RandomState(0)
IDS = np.array([[0, 3, 1, 5], [2, 0, 0, 4]], dtype="int32")
HIDDEN = RNG.randn(2, 4, 3).astype("float32")


def close(ours, theirs, tol=1e-5):
    np.testing.assert_allclose(to_numpy(ours), np.asarray(theirs), rtol=tol, atol=tol)


def _pair(keras, **kwargs):
    """A Keras layer and ours with the same (scaled-up, so logits are not tiny) weights."""
    theirs = keras.layers.ReversibleEmbedding(6, 3, **kwargs)
    theirs(IDS)
    theirs.set_weights([w * 40 for w in theirs.get_weights()])
    ours = layers.ReversibleEmbedding(6, 3, **kwargs)
    ours(IDS)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


@pytest.mark.parametrize("kwargs", [{}, dict(tie_weights=False), dict(mask_zero=True, logit_soft_cap=2.0),
                                    dict(tie_weights=False, logit_soft_cap=0.5)])
def test_config_and_weights_match_keras(keras, kwargs):
    ours, theirs = _pair(keras, **kwargs)
    config, want = ours.get_config(), theirs.get_config()
    config.pop("name"), want.pop("name")
    assert config == want
    assert [w.path for w in ours.weights] == [w.path.replace(theirs.name, ours.name) for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.trainable_weights] == [tuple(w.shape) for w in theirs.trainable_weights]


@pytest.mark.parametrize("kwargs", [{}, dict(tie_weights=False), dict(mask_zero=True, logit_soft_cap=2.0),
                                    dict(tie_weights=False, logit_soft_cap=0.5)])
def test_forward_and_reverse_match_keras(keras, kwargs):
    ours, theirs = _pair(keras, **kwargs)
    out, want = ours(IDS), theirs(IDS)
    close(out, want)
    if kwargs.get("mask_zero"):
        np.testing.assert_array_equal(to_numpy(out._keras_mask), np.asarray(want._keras_mask))
    else:
        assert getattr(out, "_keras_mask", None) is None
    used = "embeddings" if kwargs.get("tie_weights", True) else "reverse_embeddings"
    kout, kgrads = _reverse_gradients(theirs, [getattr(theirs, used)])
    logits, grads = _reverse_gradients(ours, [getattr(ours, used)])
    assert logits.shape == (2, 4, 6)
    close(logits, kout, 1e-4)
    for got, expected in zip(grads, kgrads):
        close(got, expected, 1e-4)


def _reverse_gradients(layer, weights):
    """The reverse logits for ``HIDDEN`` and the gradients of ``sum(logits * r)`` (``r`` fixed) w.r.t. ``HIDDEN``
    and ``weights``: Keras's layers run on TensorFlow, ours on the backend under test."""
    r = np.random.RandomState(1).randn(2, 4, 6).astype("float32")
    if B.NAME == "torch" and isinstance(layer, layers.Layer):
        import torch
        x = torch.tensor(HIDDEN, requires_grad=True)
        out = layer(x, reverse=True)
        grads = torch.autograd.grad((out * torch.tensor(r)).sum(), [x] + weights)
        return to_numpy(out), [to_numpy(g) for g in grads]
    else:
        import tensorflow as tf
        x = tf.constant(HIDDEN)
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = layer(x, reverse=True)
            loss = tf.reduce_sum(out * r)
        grads = tape.gradient(loss, [x] + weights)
    return out.numpy(), [g.numpy() for g in grads]


def test_soft_cap_bounds_the_logits():
    layer = layers.ReversibleEmbedding(6, 3, logit_soft_cap=0.5, embeddings_initializer="ones")
    logits = to_numpy(layer(HIDDEN * 100, reverse=True))
    assert np.all(np.abs(logits) <= 0.5) and np.abs(logits).max() > 0.49


def test_reverse_dtype():
    layer = layers.ReversibleEmbedding(6, 3, reverse_dtype="float64")
    layer(IDS)
    logits = layer(HIDDEN, reverse=True)
    assert B.standardize_dtype(B.dtype(logits)) == "float64"
    want = HIDDEN.astype("float64") @ to_numpy(layer.embeddings).astype("float64").T
    np.testing.assert_allclose(to_numpy(logits), want, rtol=1e-12)
    assert layer.compute_output_spec(kerasport.KerasTensor((None, 4, 3)), reverse=True).dtype == "float64"


@pytest.mark.parametrize("tie_weights", [True, False])
def test_standard_layer_checks(tie_weights):
    kwargs = dict(input_dim=6, output_dim=3, tie_weights=tie_weights)
    layer, _ = run_layer_test(layers.ReversibleEmbedding, kwargs, (2, 4), "int32", expected_output_shape=(2, 4, 3))
    # run_layer_test's shape check has no call arguments: the reverse call's shapes are checked here.
    assert tuple(layer.compute_output_shape((None, 4, 3), reverse=True)) == (None, 4, 6)
    symbolic = layer(kerasport.Input((4, 3)), reverse=True)
    assert tuple(symbolic.shape) == (None, 4, 6)
    assert tuple(B.shape(layer(HIDDEN, reverse=True))) == (2, 4, 6)


def _language_model(lib):
    tokens = lib.Input((4,), dtype="int32")
    embedding = lib.layers.ReversibleEmbedding(6, 3, tie_weights=False, mask_zero=True, logit_soft_cap=3.0)
    hidden = embedding(tokens)
    hidden = lib.layers.Dense(3, activation="tanh")(hidden)
    return lib.Model(tokens, embedding(hidden, reverse=True))


def test_functional_language_model_fits_and_matches_keras(keras):
    ours, theirs = _language_model(kerasport), _language_model(keras)
    theirs.set_weights([w * 20 for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())
    close(ours.predict(IDS, verbose=0), theirs.predict(IDS, verbose=0), 1e-4)
    ours.compile("adam", "sparse_categorical_crossentropy")
    before = ours.get_weights()
    history = ours.fit(IDS, RNG.randint(0, 6, (2, 4)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert all(not np.allclose(a, b) for a, b in zip(before, ours.get_weights()))


def test_sequential_fits_one_epoch():
    model = kerasport.Sequential([kerasport.Input((4,), dtype="int32"), layers.ReversibleEmbedding(6, 3),
                                  layers.GlobalAveragePooling1D(), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(RNG.randint(0, 6, (8, 4)), RNG.randint(0, 2, 8), batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_keras_files_load_and_ours_load_in_keras(keras, tmp_path):
    theirs = _language_model(keras)
    theirs.set_weights([w * 20 for w in theirs.get_weights()])
    want = theirs.predict(IDS, verbose=0)
    kpath, wpath = os.path.join(tmp_path, "keras.keras"), os.path.join(tmp_path, "keras.weights.h5")
    theirs.save(kpath)
    theirs.save_weights(wpath)
    loaded = kerasport.saving.load_model(kpath)
    close(loaded.predict(IDS, verbose=0), want, 1e-4)
    rebuilt = _language_model(kerasport)
    rebuilt.load_weights(wpath)
    close(rebuilt.predict(IDS, verbose=0), want, 1e-4)
    opath = os.path.join(tmp_path, "ours.keras")
    loaded.save(opath)
    close(kerasport.saving.load_model(opath).predict(IDS, verbose=0), want, 1e-4)
    close(keras.models.load_model(opath).predict(IDS, verbose=0), want, 1e-4)


def test_errors():
    with pytest.raises(ValueError, match="input_dim and output_dim must be positive"):
        layers.ReversibleEmbedding(0, 3)
    with pytest.raises(ValueError, match="logit_soft_cap"):
        layers.ReversibleEmbedding(6, 3, logit_soft_cap=-1.0)
    layer = layers.ReversibleEmbedding(6, 3)
    with pytest.raises(ValueError, match=r"output_dim=3.*\(2, 4, 5\)"):
        layer(np.zeros((2, 4, 5), "float32"), reverse=True)


def test_initial_weights_argument():
    embeddings, reverse = RNG.randn(6, 3).astype("float32"), RNG.randn(3, 6).astype("float32")
    layer = layers.ReversibleEmbedding(6, 3, tie_weights=False, weights=[embeddings, reverse])
    np.testing.assert_array_equal(to_numpy(layer(IDS)), embeddings[IDS])
    np.testing.assert_allclose(to_numpy(layer(HIDDEN, reverse=True)), HIDDEN @ reverse, rtol=1e-5, atol=1e-6)
