"""Every layer family through ``.h5`` and ``.weights.h5`` files, between kerasport, Keras 3 and tf_keras.

The models are ``zoo``'s. Keras 3 and tf_keras each build, train one step and
save all of them in one subprocess per session; Keras 3 loads all of
kerasport's files in one more.
"""
import os
import textwrap

import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from tests.saving import zoo
from tests.saving.zoo import run_python

ZOO = os.path.dirname(zoo.__file__)
NAMES = list(zoo.BUILDERS)
WEIGHTS_H5 = ["normalization", "wrappers", "cells", "attention", "nested"]  # .weights.h5 both ways

GENERATOR = textwrap.dedent("""
    import os, sys
    import numpy as np
    zoo_dir, out, prefix = sys.argv[1:4]
    sys.path.insert(0, zoo_dir)
    import zoo
    if prefix == "k2":
        import tf_keras as k
    else:
        import keras as k
    k.utils.set_random_seed(0)
    for name in zoo.BUILDERS:
        model, xs = zoo.build(k, name)
        model.compile(k.optimizers.Adam(0.01), "mse", metrics=["mae"], run_eagerly=True)
        model.train_on_batch(xs, np.zeros((len(xs[0]), *model.output.shape[1:])))
        model.save(f"{out}/{prefix}_{name}.h5")
        if prefix == "k3":
            model.save_weights(f"{out}/k3_{name}.weights.h5")
        np.save(f"{out}/{prefix}_{name}.npy", np.asarray(model(xs, training=False)))
""")

KERAS3_LOADER = textwrap.dedent("""
    import sys
    import numpy as np
    zoo_dir, folder = sys.argv[1:3]
    sys.path.insert(0, zoo_dir)
    import keras, zoo
    for name in zoo.BUILDERS:
        model = keras.models.load_model(f"{folder}/{name}.h5", compile=False)
        xs = zoo.inputs(name)
        np.save(f"{folder}/{name}_keras.npy", np.asarray(model(xs, training=False)))
        model, xs = zoo.build(keras, name)
        try:
            model.load_weights(f"{folder}/{name}.weights.h5")
        except FileNotFoundError:
            continue
        np.save(f"{folder}/{name}_weights_keras.npy", np.asarray(model(xs, training=False)))
""")


def _predict(model, xs):
    """Eager inference (cheaper than tracing ``predict`` for each of many tiny models)."""
    return B.convert_to_numpy(model([B.convert_to_tensor(x) for x in xs], training=False))


def _targets(xs, model):
    return np.zeros((len(xs[0]), *model.outputs[0].shape[1:]), "float32")


@pytest.fixture(scope="session")
def keras_zoo(tmp_path_factory):
    """Every zoo model saved by Keras 3 (``k3_*``) and tf_keras (``k2_*``), with its predictions."""
    pytest.importorskip("keras")
    pytest.importorskip("tf_keras")
    out = tmp_path_factory.mktemp("keras_zoo")
    run_python(GENERATOR, ZOO, out, "k3", KERAS_BACKEND="tensorflow")
    run_python(GENERATOR, ZOO, out, "k2", TF_USE_LEGACY_KERAS="1")
    return out


@pytest.mark.parametrize("prefix", ["k3", "k2"])
@pytest.mark.parametrize("name", NAMES)
def test_load_keras_model(keras_zoo, prefix, name):
    model = kerasport.models.load_model(keras_zoo / f"{prefix}_{name}.h5")
    xs = zoo.inputs(name)
    np.testing.assert_allclose(_predict(model, xs), np.load(keras_zoo / f"{prefix}_{name}.npy"), rtol=1e-5,
                               atol=1e-5)
    assert type(model.optimizer).__name__ == "Adam" and int(B.convert_to_numpy(model.optimizer.iterations)) == 1
    assert np.isfinite(model.train_on_batch(xs, _targets(xs, model))).all()


@pytest.mark.parametrize("prefix", ["k3", "k2"])
@pytest.mark.parametrize("name", NAMES)
def test_load_keras_weights_by_order_and_by_name(keras_zoo, prefix, name):
    expected = np.load(keras_zoo / f"{prefix}_{name}.npy")
    path = keras_zoo / f"{prefix}_{name}.h5"
    model, xs = zoo.build(kerasport, name)
    model.load_weights(path)
    np.testing.assert_allclose(_predict(model, xs), expected, rtol=1e-5, atol=1e-5)
    named = kerasport.models.load_model(path, compile=False)  # the file's layer names
    for v in named.weights:
        B.assign(v, B.zeros_like(v))
    named.load_weights(path, by_name=True)
    np.testing.assert_allclose(_predict(named, xs), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", WEIGHTS_H5)
def test_load_keras3_weights_h5(keras_zoo, name):
    model, xs = zoo.build(kerasport, name)
    model.load_weights(keras_zoo / f"k3_{name}.weights.h5")
    np.testing.assert_allclose(_predict(model, xs), np.load(keras_zoo / f"k3_{name}.npy"), rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def keras_loads_ours(tmp_path_factory):
    """Every zoo model built with random weights and saved by kerasport, then loaded by Keras 3: ``{name: preds}``.

    Random weights (moving statistics included, all positive) make any two weights swapped in the file show.
    """
    pytest.importorskip("keras")
    out = tmp_path_factory.mktemp("ours")
    rng = np.random.RandomState(3)
    expected = {}
    for name in NAMES:
        model, xs = zoo.build(kerasport, name)
        model.set_weights([rng.uniform(0.1, 0.5, w.shape).astype(w.dtype) for w in model.get_weights()])
        model.compile(kerasport.optimizers.Adam(0.01), "mse", metrics=["mae"])
        model.save(out / f"{name}.h5")
        if name in WEIGHTS_H5:
            model.save_weights(out / f"{name}.weights.h5")
        expected[name] = _predict(model, xs)
    run_python(KERAS3_LOADER, ZOO, out, KERAS_BACKEND="tensorflow")
    return out, expected


@pytest.mark.parametrize("name", NAMES)
def test_keras3_loads_our_model(keras_loads_ours, name):
    out, expected = keras_loads_ours
    np.testing.assert_allclose(np.load(out / f"{name}_keras.npy"), expected[name], rtol=1e-5, atol=1e-5)
    if name in WEIGHTS_H5:
        np.testing.assert_allclose(np.load(out / f"{name}_weights_keras.npy"), expected[name], rtol=1e-5,
                                   atol=1e-5)
