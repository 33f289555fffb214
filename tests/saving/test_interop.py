"""Files moving between kerasport, Keras 3, tf_keras (Keras 2) and kerasport's two backends.

Keras and tf_keras run in subprocesses (one generator run per test session);
each writes its model files, the inputs and its own predictions.
"""
import textwrap

import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.saving.zoo import run_python

GENERATOR = textwrap.dedent("""
    import os, sys
    import numpy as np
    out = sys.argv[1]
    if os.environ.get("TF_USE_LEGACY_KERAS") == "1":
        import tf_keras as keras
        prefix = "k2"
    else:
        import keras
        prefix = "k3"
    keras.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    images = rng.rand(6, 8, 8, 3).astype("float32")
    tokens = rng.randint(0, 20, (6, 5))
    seq = keras.Sequential([
        keras.Input((8, 8, 3)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Dropout(0.3),
        keras.layers.Flatten(),
        keras.layers.Dense(5),
        keras.layers.Activation("tanh"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    seq.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    seq.fit(images, np.eye(3)[rng.randint(0, 3, 6)], epochs=1, verbose=0)
    inp = keras.Input((5,), name="tokens")
    x = keras.layers.Embedding(20, 4, name="embed")(inp)
    x = keras.layers.Reshape((20,), name="reshape")(x)
    a = keras.layers.Dense(3, activation="relu", name="a")(x)
    b = keras.layers.Dense(2, name="b")(keras.layers.Dense(6, activation="sigmoid", name="hidden")(x))
    func = keras.Model(inp, [a, b])
    func.compile("rmsprop", loss=["mse", "mae"], loss_weights=[1.0, 0.3], metrics=[["mse"], ["mae"]])
    func.fit(tokens, [rng.rand(6, 3), rng.rand(6, 2)], epochs=1, verbose=0)
    np.save(f"{out}/images.npy", images)
    np.save(f"{out}/tokens.npy", tokens)
    if prefix == "k3":  # before the .h5 save, which drops the optimizer from Keras 3.15's compile config
        seq.save(f"{out}/k3_seq.keras")
        seq.save_weights(f"{out}/k3_seq.weights.h5")
    seq.save(f"{out}/{prefix}_seq.h5")
    func.save(f"{out}/{prefix}_func.h5")
    np.save(f"{out}/{prefix}_seq_pred.npy", seq.predict(images, verbose=0))
    for i, p in enumerate(func.predict(tokens, verbose=0)):
        np.save(f"{out}/{prefix}_func_pred{i}.npy", p)
    if prefix == "k3":  # a `.keras` file with Adam's state, and the losses of Keras's next two steps
        x = np.random.RandomState(1).rand(8, 4).astype("float32")
        mlp = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"), keras.layers.Dense(2)])
        mlp.compile(keras.optimizers.Adam(0.01), "mse")
        mlp.train_on_batch(x, x[:, :2])
        mlp.save(f"{out}/k3_mlp.keras")
        np.save(f"{out}/mlp_x.npy", x)
        np.save(f"{out}/k3_mlp_losses.npy", [mlp.train_on_batch(x, x[:, :2]) for _ in range(2)])
""")

KERAS3_LOADER = textwrap.dedent("""
    import sys
    import numpy as np
    import keras
    model = keras.models.load_model(sys.argv[1], compile=False)  # Keras 3.15 cannot compile "mse" from .h5
    preds = model.predict(np.load(sys.argv[2]), verbose=0)
    for i, p in enumerate(preds if isinstance(preds, list) else [preds]):
        np.save(f"{sys.argv[3]}{i}.npy", p)
""")

KERASPORT_HALF = textwrap.dedent("""
    import sys
    import numpy as np
    import kerasport
    action, path, x_path, out = sys.argv[1:5]
    if action == "save":
        model = kerasport.Sequential([kerasport.Input((4,)), kerasport.layers.Dense(6, activation="relu"),
                                      kerasport.layers.Dense(2)])
        model.compile("adam", "mse")
        x = np.load(x_path)
        model.train_on_batch(x, x[:, :2])
        model.save(path)
    else:
        model = kerasport.models.load_model(path)
    np.save(out, model.predict(np.load(x_path), verbose=0))
""")


@pytest.fixture(scope="session")
def keras_files(tmp_path_factory):
    """Files written by Keras 3 and by tf_keras, generated once per session."""
    pytest.importorskip("keras")
    pytest.importorskip("tf_keras")
    out = tmp_path_factory.mktemp("keras_files")
    run_python(GENERATOR, out, KERAS_BACKEND="tensorflow")
    run_python(GENERATOR, out, TF_USE_LEGACY_KERAS="1")
    return out


@pytest.mark.parametrize("prefix", ["k3", "k2"])
def test_load_sequential_from_keras(keras_files, prefix):
    model = kerasport.models.load_model(keras_files / f"{prefix}_seq.h5")
    images = np.load(keras_files / "images.npy")
    np.testing.assert_allclose(model.predict(images, verbose=0), np.load(keras_files / f"{prefix}_seq_pred.npy"),
                               rtol=1e-5, atol=1e-5)
    assert model.compiled and type(model.optimizer).__name__ == "Adam"
    assert int(B.convert_to_numpy(model.optimizer.iterations)) == 1
    model.train_on_batch(images, np.eye(3)[[0, 1, 2, 0, 1, 2]])


@pytest.mark.parametrize("prefix", ["k3", "k2"])
def test_load_functional_from_keras(keras_files, prefix):
    model = kerasport.models.load_model(keras_files / f"{prefix}_func.h5")
    tokens = np.load(keras_files / "tokens.npy")
    for i, pred in enumerate(model.predict(tokens, verbose=0)):
        np.testing.assert_allclose(pred, np.load(keras_files / f"{prefix}_func_pred{i}.npy"), rtol=1e-5, atol=1e-5)
    assert model.get_compile_config()["loss_weights"] == [1.0, 0.3]
    assert type(model.optimizer).__name__ == "RMSprop"
    model.train_on_batch(tokens, [np.zeros((6, 3)), np.zeros((6, 2))])


def test_load_keras3_weights_h5_and_keras_archive(keras_files):
    images = np.load(keras_files / "images.npy")
    expected = np.load(keras_files / "k3_seq_pred.npy")
    archive = kerasport.models.load_model(keras_files / "k3_seq.keras")
    np.testing.assert_allclose(archive.predict(images, verbose=0), expected, rtol=1e-5, atol=1e-5)
    assert int(B.convert_to_numpy(archive.optimizer.iterations)) == 1
    fresh = kerasport.models.load_model(keras_files / "k3_seq.h5", compile=False)
    for layer in fresh.layers:
        for v in layer.weights:
            B.assign(v, B.zeros_like(v))
    fresh.load_weights(keras_files / "k3_seq.weights.h5")
    np.testing.assert_allclose(fresh.predict(images, verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_training_continues_from_keras_archive(keras_files):
    x = np.load(keras_files / "mlp_x.npy")
    model = kerasport.models.load_model(keras_files / "k3_mlp.keras")
    losses = [model.train_on_batch(x, x[:, :2]) for _ in range(2)]
    np.testing.assert_allclose(losses, np.load(keras_files / "k3_mlp_losses.npy"), rtol=1e-5)


def test_weights_h5_round_trip_matches_keras_layout(keras_files, tmp_path):
    import h5py
    model = kerasport.models.load_model(keras_files / "k3_seq.h5")
    model.save_weights(tmp_path / "ours.weights.h5")
    with h5py.File(keras_files / "k3_seq.weights.h5", "r") as theirs, h5py.File(tmp_path / "ours.weights.h5") as ours:
        def datasets(f):
            found = []
            f.visititems(lambda name, obj: found.append((name, obj.shape)) if isinstance(obj, h5py.Dataset) else None)
            return sorted(found)
        assert datasets(ours) == datasets(theirs)
    other = kerasport.models.load_model(keras_files / "k3_seq.h5", compile=False)
    other.load_weights(tmp_path / "ours.weights.h5")
    images = np.load(keras_files / "images.npy")
    np.testing.assert_array_equal(other.predict(images, verbose=0), model.predict(images, verbose=0))


def test_keras3_loads_our_files(tmp_path):
    pytest.importorskip("keras")
    rng = np.random.RandomState(1)
    images = rng.rand(4, 8, 8, 3).astype("float32")
    np.save(tmp_path / "images.npy", images)
    seq = kerasport.Sequential([kerasport.Input((8, 8, 3)), layers.Conv2D(4, 3, activation="relu"),
                                layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(0.1), layers.Dense(3)])
    seq.compile("adam", "mse", metrics=["mae"])
    seq.train_on_batch(images, rng.rand(4, 3))
    seq.save(tmp_path / "seq.h5")
    inp = kerasport.Input((8, 8, 3))
    x = layers.Flatten()(layers.Conv2D(2, 3, padding="same")(inp))
    func = kerasport.Model(inp, [layers.Dense(2, name="p")(x), layers.Dense(1, name="q")(x)])
    func.compile("sgd", loss=["mse", "mae"], loss_weights=[1.0, 0.5])
    func.save(tmp_path / "func.h5")
    for name, model in (("seq", seq), ("func", func)):
        run_python(KERAS3_LOADER, tmp_path / f"{name}.h5", tmp_path / "images.npy", tmp_path / f"{name}_keras",
             KERAS_BACKEND="tensorflow")
        preds = model.predict(images, verbose=0)
        for i, pred in enumerate(preds if isinstance(preds, list) else [preds]):
            np.testing.assert_allclose(np.load(tmp_path / f"{name}_keras{i}.npy"), pred, rtol=1e-5, atol=1e-5)


def test_models_move_between_backends(tmp_path):
    other = "tensorflow" if B.NAME == "torch" else "torch"
    x = np.random.RandomState(2).rand(5, 4).astype("float32")
    np.save(tmp_path / "x.npy", x)
    # Saved by the other backend, loaded here.
    run_python(KERASPORT_HALF, "save", tmp_path / "theirs.h5", tmp_path / "x.npy", tmp_path / "theirs.npy",
         KERASPORT_BACKEND=other)
    loaded = kerasport.models.load_model(tmp_path / "theirs.h5")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), np.load(tmp_path / "theirs.npy"), rtol=1e-6, atol=1e-6)
    # Saved here, loaded by the other backend.
    model = loaded
    model.train_on_batch(x, x[:, :2])
    model.save(tmp_path / "ours.h5")
    run_python(KERASPORT_HALF, "load", tmp_path / "ours.h5", tmp_path / "x.npy", tmp_path / "back.npy",
         KERASPORT_BACKEND=other)
    np.testing.assert_allclose(np.load(tmp_path / "back.npy"), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
