"""saving.KerasFileEditor on files written by real Keras 3 and by kerasport: inspect, compare, edit, save.

Edited files are loaded back by kerasport and by Keras 3 (in a subprocess); the opened file is
never written unless asked; crafted and corrupt files are clear errors.
"""
import hashlib
import textwrap

import h5py
import numpy as np
import pytest

import kerasport as keras
from kerasport import layers
from kerasport.saving import KerasFileEditor
from tests.saving.crafted_files import edit_h5, read_archive, replace_dataset, write_archive
from tests.saving.zoo import run_python

# Real Keras 3: a trained, compiled MLP with BatchNormalization, saved both ways.
KERAS3_FILES = textwrap.dedent("""
    import sys
    import numpy as np
    import keras
    out = sys.argv[1]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    model.compile("adam", "mse")
    x = np.random.RandomState(0).rand(8, 3).astype("float32")
    model.fit(x, np.ones((8, 2)), epochs=2, verbose=0)
    model.save(f"{out}/k3.keras")
    model.save_weights(f"{out}/k3.weights.h5")
    np.save(f"{out}/x.npy", x)
""")

# Real Keras 3 loads an edited file: ``weights`` into a Dense(4) -> Dense(2) (-> Dense(3)) model, or a whole ``.keras``.
KERAS3_LOADER = textwrap.dedent("""
    import sys
    import numpy as np
    import keras
    kind, path, x, out = sys.argv[1:5]
    if kind == "keras":
        model = keras.saving.load_model(path)
    else:
        stack = [keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)]
        if kind == "weights3":
            stack.append(keras.layers.Dense(3))
        model = keras.Sequential(stack)
        model.load_weights(path)
    np.save(out, model.predict(np.load(x), verbose=0))
""")


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    pytest.importorskip("keras")
    out = tmp_path_factory.mktemp("editor")
    run_python(KERAS3_FILES, out, KERAS_BACKEND="tensorflow")
    return out


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mlp(bn=True, extra=False):
    stack = [keras.Input((3,)), layers.Dense(4, activation="relu")] + ([layers.BatchNormalization()] if bn else [])
    stack += [layers.Dense(2)] + ([layers.Dense(3)] if extra else [])
    return keras.Sequential(stack)


def _keras_predict(kind, path, x_path, tmp_path):
    out = tmp_path / "keras_pred.npy"
    run_python(KERAS3_LOADER, kind, path, x_path, out, KERAS_BACKEND="tensorflow")
    return np.load(out)


@pytest.mark.parametrize("fmt", ["keras", "weights.h5"])
def test_reads_a_keras3_file(keras_files, fmt, capsys):
    path = keras_files / f"k3.{fmt}"
    before = _digest(path)
    editor = KerasFileEditor(str(path))
    printed = capsys.readouterr().out
    assert f"Keras model file '{path}'" in printed
    model = _mlp()
    model.load_weights(path)
    tree = editor.weights_dict
    assert sorted(tree) == ["layers", "optimizer"]
    assert sorted(tree["layers"]) == ["batch_normalization", "dense", "dense_1"]
    expected = {"dense": model.layers[0], "batch_normalization": model.layers[1], "dense_1": model.layers[2]}
    for name, layer in expected.items():
        got = tree["layers"][name]
        assert sorted(got) == [str(i) for i in range(len(layer.weights))]
        for i, w in enumerate(layer.get_weights()):
            np.testing.assert_array_equal(got[str(i)], w)
    assert tree["optimizer"]["0"] == 2  # Adam's iterations after two one-batch epochs
    if fmt == "keras":
        assert editor.metadata["keras_version"].startswith("3.") and editor.config["class_name"] == "Sequential"
        assert f"Saved with Keras {editor.metadata['keras_version']}" in printed
    else:
        assert editor.metadata is None and editor.config is None
    editor.summary()
    summary = capsys.readouterr().out
    assert "Weights structure" in summary and "batch_normalization" in summary
    assert "0: shape=(3, 4), dtype=float32" in summary
    assert _digest(path) == before


def test_compare_with_models(keras_files, capsys):
    editor = KerasFileEditor(str(keras_files / "k3.weights.h5"))
    same = _mlp()
    same.compile("adam", "mse")
    same.fit(np.ones((2, 3)), np.ones((2, 2)), verbose=0)  # builds Adam: its 14 variables are in the file too
    assert editor.compare(same) == {"status": "success", "error_count": 0, "match_count": 8 + 14}
    assert "Comparison successful" in capsys.readouterr().out
    result = editor.compare(_mlp(bn=False))
    printed = capsys.readouterr().out
    assert result == {"status": "error", "error_count": 2, "match_count": 4}
    assert "Object /layers/batch_normalization present in saved file, missing from reference model" in printed
    assert "Object /optimizer present in saved file" in printed
    wider = keras.Sequential([keras.Input((3,)), layers.Dense(5), layers.BatchNormalization(), layers.Dense(2)])
    result = editor.compare(wider)
    assert result["status"] == "error" and "Weight shape mismatch for /layers/dense/0" in capsys.readouterr().out


def test_edit_keras3_weights_for_a_changed_model(keras_files, tmp_path, capsys):
    """Drop BatchNormalization and the optimizer, add a new layer: the file then loads in kerasport and Keras 3."""
    source = keras_files / "k3.weights.h5"
    before = _digest(source)
    editor = KerasFileEditor(str(source))
    editor.delete_object("batch_normalization")
    editor.delete_object("optimizer")
    rng = np.random.RandomState(3)
    new = {"0": rng.randn(2, 3).astype("float32"), "1": rng.randn(3).astype("float32")}
    editor.add_object("layers/dense_2", weights=new)
    target = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(2),
                               layers.Dense(3)])
    assert editor.compare(target)["status"] == "success"
    edited = tmp_path / "edited.weights.h5"
    editor.save(str(edited))
    assert _digest(source) == before
    target.load_weights(edited)
    original = _mlp()
    original.load_weights(source)
    np.testing.assert_array_equal(target.layers[0].get_weights()[0], original.layers[0].get_weights()[0])
    np.testing.assert_array_equal(target.layers[1].get_weights()[0], original.layers[2].get_weights()[0])
    np.testing.assert_array_equal(target.layers[2].get_weights()[0], new["0"])
    x_path = keras_files / "x.npy"
    ours = target.predict(np.load(x_path), verbose=0)
    np.testing.assert_allclose(_keras_predict("weights3", edited, x_path, tmp_path), ours, atol=1e-6)


def test_rename_delete_and_add_weights(keras_files, tmp_path):
    editor = KerasFileEditor(str(keras_files / "k3.weights.h5"))
    editor.rename_object("layers/dense_1", "head")
    assert "head" in editor.weights_dict["layers"] and "dense_1" not in editor.weights_dict["layers"]
    editor.rename_object("head", "dense_1")
    kernel = editor.weights_dict["layers"]["dense_1"]["0"]
    editor.delete_weight("dense_1", "1")
    assert sorted(editor.weights_dict["layers"]["dense_1"]) == ["0"]
    editor.add_weights("layers/dense_1", {"1": np.full((2,), 0.5, "float32")})
    editor.delete_object("layers/batch_normalization")
    editor.save(str(tmp_path / "renamed.weights.h5"))
    model = _mlp(bn=False)
    model.load_weights(tmp_path / "renamed.weights.h5")
    np.testing.assert_array_equal(model.layers[1].get_weights()[0], kernel)
    np.testing.assert_array_equal(model.layers[1].get_weights()[1], [0.5, 0.5])


@pytest.mark.parametrize("writer", ["keras", "kerasport"])
def test_saved_keras_archive_loads_in_keras_and_kerasport(keras_files, tmp_path, writer):
    """A ``.keras`` source saves as a ``.keras`` file: the same config, the edited weights."""
    if writer == "keras":
        source = keras_files / "k3.keras"
    else:
        model = _mlp()
        model.compile("adam", "mse")
        model.fit(np.load(keras_files / "x.npy"), np.ones((8, 2)), verbose=0)
        source = tmp_path / "ours.keras"
        model.save(source)
    before = _digest(source)
    editor = KerasFileEditor(str(source))
    editor.add_weights("layers/dense_1", {"1": np.array([3.0, -3.0], "float32")})  # replaces the bias
    edited = tmp_path / "edited.keras"
    editor.save(str(edited))
    assert _digest(source) == before
    assert sorted(read_archive(edited)) == sorted(read_archive(source))
    original = keras.saving.load_model(source)
    reloaded = keras.saving.load_model(edited)
    np.testing.assert_array_equal(reloaded.layers[2].get_weights()[1], [3.0, -3.0])
    np.testing.assert_array_equal(reloaded.layers[0].get_weights()[0], original.layers[0].get_weights()[0])
    x_path = keras_files / "x.npy"
    ours = reloaded.predict(np.load(x_path), verbose=0)
    np.testing.assert_allclose(ours - original.predict(np.load(x_path), verbose=0),
                               np.tile([3.0, -3.0], (8, 1)) - original.layers[2].get_weights()[1], atol=1e-5)
    np.testing.assert_allclose(_keras_predict("keras", edited, x_path, tmp_path), ours, atol=1e-5)


def test_never_overwrites_the_opened_file_unless_asked(tmp_path):
    model = _mlp()
    source = tmp_path / "m.weights.h5"
    model.save_weights(source)
    before = _digest(source)
    editor = KerasFileEditor(str(source))
    editor.delete_object("batch_normalization")
    with pytest.raises(ValueError, match="Refusing to overwrite the opened file.*overwrite=True"):
        editor.save(str(source))
    assert _digest(source) == before
    editor.save(str(source), overwrite=True)
    assert "batch_normalization" not in KerasFileEditor(str(source)).weights_dict["layers"]
    with pytest.raises(ValueError, match="expected a `.weights.h5` extension. Received: filepath=.*m.keras"):
        editor.save(str(tmp_path / "m.keras"))  # a .keras file needs the config of a .keras source
    with pytest.raises(ValueError, match="expected a `.weights.h5` extension"):
        editor.save(str(tmp_path / "m.h5"))


def test_bad_edits_are_clear_errors(tmp_path):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="d"),
                              keras.Sequential([keras.Input((2,)), layers.Dense(2, name="d2")], name="inner"),
                              layers.Dense(2)])
    model.save_weights(tmp_path / "m.weights.h5")
    editor = KerasFileEditor(str(tmp_path / "m.weights.h5"))
    assert sorted(editor.weights_dict["layers"]) == ["dense", "dense_1", "sequential"]
    assert sorted(editor.weights_dict["layers"]["sequential"]["layers"]) == ["dense"]  # a nested model
    with pytest.raises(ValueError, match="Name 'dense' occurs more than once in the model; try passing a complete"):
        editor.delete_object("dense")
    with pytest.raises(ValueError, match="Source name 'conv' does not appear in the model"):
        editor.delete_object("conv")
    with pytest.raises(ValueError, match="Path 'layers/conv' not found in model"):
        editor.rename_object("layers/conv", "x")
    with pytest.raises(ValueError, match="should be a leaf name, not a full path name"):
        editor.rename_object("layers/dense", "layers/other")
    with pytest.raises(ValueError, match="an object named 'dense_1' is already there"):
        editor.rename_object("layers/dense", "dense_1")
    with pytest.raises(ValueError, match="Weight 7 not found in object layers/dense. Weights found: \\['0', '1'\\]"):
        editor.delete_weight("layers/dense", "7")
    with pytest.raises(ValueError, match="Argument `weights` should be a dict"):
        editor.add_weights("layers/dense", [np.zeros(2)])
    with pytest.raises(ValueError, match="Weight 'name' should be a numeric array"):
        editor.add_object("layers/new", {"name": "text"})
    with pytest.raises(ValueError, match="Path 'missing/deeper' not found"):
        editor.add_object("missing/deeper/new", {"0": np.zeros(2)})
    with pytest.raises(ValueError, match="Object 'layers/dense' already exists"):
        editor.add_object("layers/dense", {"0": np.zeros(2)})
    with pytest.raises(ValueError, match="'layers/dense/0' is a weight, not an object"):
        editor.add_weights("layers/dense/0", {"0": np.zeros(2)})
    with pytest.raises(ValueError, match="Invalid filename: expected a `.keras` `.weights.h5` extension"):
        KerasFileEditor(str(tmp_path / "m.h5"))
    # The nested model's layer edited by path, then loaded back.
    editor.add_weights("layers/sequential/layers/dense", {"1": np.array([7.0, 8.0], "float32")})
    editor.save(str(tmp_path / "nested.weights.h5"))
    model.load_weights(tmp_path / "nested.weights.h5")
    np.testing.assert_array_equal(model.layers[1].layers[0].get_weights()[1], [7.0, 8.0])


@pytest.mark.parametrize("fmt", ["keras", "weights.h5"])
def test_crafted_and_corrupt_files(tmp_path, fmt):
    model = _mlp(bn=False)
    path = tmp_path / f"m.{fmt}"
    model.save(path) if fmt == "keras" else model.save_weights(path)
    good = path.read_bytes()

    def crafted(edit):
        path.write_bytes(good)
        edit_h5(path, fmt, edit)
        return str(path)

    external = tmp_path / "outside.h5"
    with h5py.File(external, "w") as f:
        f["secret"] = np.arange(3.0)
    with pytest.raises(ValueError, match="layers/dense/vars/0 is an HDF5 ExternalLink"):
        KerasFileEditor(crafted(lambda f: (f["layers/dense/vars"].__delitem__("0"),
                                           f["layers/dense/vars"].__setitem__("0", h5py.ExternalLink(
                                               str(external), "secret")))))
    with pytest.raises(ValueError, match="layers/dense is an HDF5 SoftLink"):
        KerasFileEditor(crafted(lambda f: (f["layers"].__delitem__("dense"),
                                           f["layers"].__setitem__("dense", h5py.SoftLink("/layers/dense_1")))))
    with pytest.raises(ValueError, match="has dtype .*expected a numeric"):
        KerasFileEditor(crafted(lambda f: replace_dataset(f, "layers/dense/vars/0", data=np.array([b"x"]))))
    with pytest.raises(ValueError, match="dataset outside a `vars` group"):
        KerasFileEditor(crafted(lambda f: f.create_dataset("layers/dense/stray", data=np.zeros(2))))
    with pytest.raises(ValueError, match="declares shape .* but stores only"):
        KerasFileEditor(crafted(lambda f: replace_dataset(f, "layers/dense/vars/0", shape=(1 << 20, 1 << 12),
                                                          dtype="float32")))
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="not a readable"):
        KerasFileEditor(str(path))
    if fmt == "keras":
        path.write_bytes(good)
        entries = read_archive(path)
        del entries["model.weights.h5"]
        write_archive(path, entries)
        with pytest.raises(ValueError, match="needs \\['model.weights.h5'\\]"):
            KerasFileEditor(str(path))
        path.write_bytes(good)
        entries = read_archive(path)
        entries["metadata.json"] = b"[1, 2]"
        write_archive(path, entries)
        with pytest.raises(ValueError, match="metadata.json should hold a JSON object"):
            KerasFileEditor(str(path))


class ScaledDense(layers.Layer):
    """A layer with its own weight and a sublayer: its file object holds both ``vars`` and ``inner``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(2)

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")
        self.inner.build(input_shape)

    def call(self, x):
        return self.inner(x) * self.scale


def test_object_with_own_variables_and_sublayers_keeps_both(tmp_path):
    model = keras.Sequential([keras.Input((3,)), ScaledDense()])
    model.set_weights([np.array([2.0, 3.0], "float32")] + [np.full(w.shape, 0.25, "float32")
                                                           for w in model.get_weights()[1:]])
    model.save_weights(tmp_path / "m.weights.h5")
    editor = KerasFileEditor(str(tmp_path / "m.weights.h5"))
    obj = editor.weights_dict["layers"]["scaled_dense"]
    assert sorted(obj) == ["0", "inner"] and sorted(obj["inner"]) == ["0", "1"]
    editor.add_weights("layers/scaled_dense/inner", {"1": np.array([1.0, -1.0], "float32")})
    editor.save(str(tmp_path / "edited.weights.h5"))
    model.load_weights(tmp_path / "edited.weights.h5")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model.layers[0].scale), [2.0, 3.0])
    np.testing.assert_array_equal(model.layers[0].inner.get_weights()[1], [1.0, -1.0])
