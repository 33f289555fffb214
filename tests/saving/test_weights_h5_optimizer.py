"""``.weights.h5`` checkpoints carry the optimizer's state, in Keras 3's layout (``optimizer/vars/i``).

``save_weights`` writes the step count, learning rate and slots; ``load_weights`` restores them into
a compiled model whose optimizer is built, so a resumed ``fit`` equals an uninterrupted one. Files
written by real Keras 3 load into kerasport and the other way round, with the same numbers after.
"""
import h5py
import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from tests.helpers import keras_module


def _data():
    rng = np.random.RandomState(0)
    x = rng.randn(24, 5).astype("float32")
    return x, (x[:, :2].sum(1, keepdims=True) > 0).astype("float32")


def _model(k, optimizer="adam"):
    model = k.Sequential([k.Input((5,)), k.layers.Dense(6, activation="relu"), k.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _numpy(values):
    return [np.asarray(B.convert_to_numpy(v) if B.is_tensor(v) or B.is_variable(v) else v) for v in values]


def _fresh_with_built_optimizer(k, weights, optimizer="adam"):
    model = _model(k, optimizer)
    model.set_weights(weights)
    model.optimizer.build(model.trainable_variables)
    return model


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_resumed_fit_equals_uninterrupted(tmp_path, optimizer):
    x, y = _data()
    whole = _model(kerasport, optimizer)
    initial = whole.get_weights()
    history = whole.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history

    first = _fresh_with_built_optimizer(kerasport, initial, optimizer)
    first.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "ckpt.weights.h5")
    first.save_weights(path)
    with h5py.File(path, "r") as f:
        assert len(f["optimizer/vars"]) == len(first.optimizer.variables) > 2
        assert int(np.asarray(f["optimizer/vars/0"])) == 3  # iterations

    resumed = _fresh_with_built_optimizer(kerasport, [w * 0 for w in initial], optimizer)
    resumed.load_weights(path)
    assert int(B.convert_to_numpy(resumed.optimizer.iterations)) == 3
    rest = resumed.fit(x, y, batch_size=8, epochs=3, initial_epoch=1, shuffle=False, verbose=0).history
    np.testing.assert_allclose(rest["loss"], history["loss"][1:], rtol=1e-5)
    for got, want in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_unbuilt_optimizer_keeps_fresh_state_with_warning(tmp_path):
    x, y = _data()
    model = _model(kerasport)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    path = str(tmp_path / "ckpt.weights.h5")
    model.save_weights(path)
    other = _model(kerasport)
    with pytest.warns(UserWarning, match="not been built"):
        other.load_weights(path)
    assert not other.optimizer.built
    for got, want in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("writer", ["keras", "kerasport"])
def test_optimizer_state_crosses_to_and_from_keras(tmp_path, writer):
    keras = keras_module()
    x, y = _data()
    theirs = _model(keras)
    ours = _model(kerasport)
    ours.set_weights(theirs.get_weights())
    path = str(tmp_path / "ckpt.weights.h5")
    source = theirs if writer == "keras" else ours
    source.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    source.save_weights(path)
    target = _fresh_with_built_optimizer(kerasport if writer == "keras" else keras,
                                         [w * 0 for w in theirs.get_weights()])
    target.load_weights(path)
    got_state, want_state = _numpy(target.optimizer.variables), _numpy(source.optimizer.variables)
    assert [v.shape for v in got_state] == [v.shape for v in want_state]
    for a, b in zip(got_state, want_state):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    want = source.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    got = target.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    np.testing.assert_allclose(got["loss"], want["loss"], rtol=1e-5)
    for a, b in zip(target.get_weights(), source.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
