"""Every layer family through ``.h5`` and ``.weights.h5`` files, between kerasport, Keras 3 and tf_keras.

The models are ``zoo``'s. Keras 3 and tf_keras each build, train one step and
save all of them in one subprocess per session; Keras 3 loads all of
kerasport's files in one more. EinsumDense, RMS/SpectralNormalization, ConvLSTM and adaptive pooling also go
through ``.keras`` files, in this process: Keras 3 reads the files kerasport writes, and kerasport reads Keras's;
predictions and, for ``.keras``, Lamb/Adafactor slots must agree.
"""
import os
import textwrap

import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from tests.helpers import keras_module
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


def _dense_family(k, L, x):
    y = L.EinsumDense("abc,cd->abd", (None, 4), bias_axes="d", activation="relu", name="einsum")(x)
    y = L.RMSNormalization(name="rms")(y)
    y = L.SpectralNormalization(L.Dense(2), name="spectral")(y)
    return L.AdaptiveAveragePooling1D(2, name="adaptive_avg")(y)


def _conv_lstm(k, L, x):
    y = L.ConvLSTM2D(3, 3, padding="same", return_sequences=True, name="clstm2")(x)
    y = L.ConvLSTM2D(2, 2, name="clstm2b")(y)
    y = L.AdaptiveMaxPooling2D((2, 3), name="adaptive_max")(y)
    return L.Flatten()(y)


def _conv_lstm_1d_3d(k, L, x):
    y = L.ConvLSTM1D(2, 3, return_sequences=True, go_backwards=True, name="clstm1")(x)
    y = L.Reshape((3, 5, 1, 1, 2))(y)
    y = L.ConvLSTM3D(4, (2, 1, 1), name="clstm3")(y)
    return L.Flatten()(L.AdaptiveAveragePooling2D(2)(L.Reshape((4, 4, 1))(y)))


MODELS = {"dense_family": (_dense_family, (5, 3)), "conv_lstm": (_conv_lstm, (3, 6, 6, 2)),
          "conv_lstm_1d_3d": (_conv_lstm_1d_3d, (3, 7, 2))}


def _build(k, name, optimizer):
    """The model, compiled, with its optimizer's slots set by one ``apply`` of fixed gradients (no traced step)."""
    fn, shape = MODELS[name]
    x = k.Input(shape)
    model = k.Model(x, fn(k, k.layers, x))
    model.compile(optimizer=getattr(k.optimizers, optimizer)(0.01), loss="mse")
    rng = np.random.RandomState(1)
    grads = [rng.randn(*w.shape).astype("float32") for w in model.trainable_weights]
    if k is kerasport:
        grads = [B.convert_to_tensor(g) for g in grads]
    model.optimizer.apply(grads, model.trainable_weights)
    return model, np.random.RandomState(0).rand(4, *shape).astype("float32")


def _ours(model, x):
    return B.convert_to_numpy(model(B.convert_to_tensor(x), training=False))


@pytest.mark.parametrize("ext", ["keras", "h5"])
@pytest.mark.parametrize("name", list(MODELS))
def test_keras_reads_ours_and_we_read_keras(tmp_path, name, ext):
    keras = keras_module()
    # (Keras's legacy .h5 writer fails on Adafactor's same-named slots; .h5 files get Adam.)
    optimizer = "Adam" if ext == "h5" else "Lamb" if name == "dense_family" else "Adafactor"
    ours, x = _build(kerasport, name, optimizer)
    ours.save(tmp_path / f"ours.{ext}")
    # (The .h5 compile config is the zoo's business: tests/saving/test_interop_layers.py.)
    theirs = keras.models.load_model(tmp_path / f"ours.{ext}", compile=ext == "keras")
    np.testing.assert_allclose(theirs(x, training=False).numpy(), _ours(ours, x), rtol=1e-5, atol=1e-5)
    if ext == "keras":
        assert type(theirs.optimizer).__name__ == optimizer
        for a, b in zip(theirs.optimizer.variables, ours.optimizer.variables):
            np.testing.assert_allclose(np.asarray(a.numpy(), "float64"),
                                       np.asarray(B.convert_to_numpy(b), "float64"), rtol=1e-6)

    keras_model, _ = _build(keras, name, optimizer)
    keras_model.save(tmp_path / f"theirs.{ext}")
    loaded = kerasport.models.load_model(tmp_path / f"theirs.{ext}")
    np.testing.assert_allclose(_ours(loaded, x), keras_model(x, training=False).numpy(), rtol=1e-5, atol=1e-5)
    assert [w.path.split("/")[-1] for w in loaded.weights] == [w.path.split("/")[-1] for w in keras_model.weights]
    if ext == "keras":
        assert type(loaded.optimizer).__name__ == optimizer
        for a, b in zip(loaded.optimizer.variables, keras_model.optimizer.variables):
            np.testing.assert_allclose(np.asarray(B.convert_to_numpy(a), "float64"),
                                       np.asarray(b.numpy(), "float64"), rtol=1e-6)
    if name == "dense_family":
        assert np.isfinite(loaded.train_on_batch(x, np.zeros((4, *loaded.outputs[0].shape[1:]), "float32")))
