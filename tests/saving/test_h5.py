"""kerasport's own legacy HDF5 files: round trips, optimizer state, weights-only files, custom objects, bad files."""
import json

import h5py
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.saving import h5


def _data(n=16, d=4, out=2):
    rng = np.random.RandomState(0)
    return rng.rand(n, d).astype("float32"), rng.rand(n, out).astype("float32")


def _sequential():
    return kerasport.Sequential([kerasport.Input((4,)), layers.Dense(8, activation="relu"), layers.Dropout(0.2),
                                 layers.Dense(2)])


def _functional():
    inp = kerasport.Input((4,), name="inp")
    hidden = layers.Dense(8, activation="tanh", name="hidden")(inp)
    a = layers.Dense(2, name="a")(hidden)
    b = layers.Dense(1, name="b")(hidden)
    return kerasport.Model(inp, [a, b])


class MLP(kerasport.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(8, activation="relu")
        self.out = layers.Dense(2)

    def call(self, x):
        return self.out(self.hidden(x))


def test_sequential_round_trip_continues_training_exactly(tmp_path):
    x, y = _data()
    model = kerasport.Sequential([kerasport.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(2)])
    model.compile(kerasport.optimizers.Adam(0.01), "mse", metrics=["mae"])
    for _ in range(3):
        model.train_on_batch(x, y)
    model.save(tmp_path / "m.h5")
    loaded = kerasport.models.load_model(tmp_path / "m.h5")
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations.numpy()) == 3
    # The next steps use the restored Adam moments: identical losses and weights.
    for _ in range(2):
        np.testing.assert_allclose(loaded.train_on_batch(x, y), model.train_on_batch(x, y), rtol=1e-6)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_file_layout_follows_keras(tmp_path):
    x, y = _data()
    model = _sequential()
    model.compile("adam", "mse", metrics=["mae"])
    model.train_on_batch(x, y)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert {"keras_version", "backend", "model_config", "training_config"} <= set(f.attrs)
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        training = json.loads(f.attrs["training_config"])
        assert training["loss"] == "mse" and training["metrics"] == ["mae"]
        assert training["optimizer_config"]["class_name"] == "Adam"
        group = f["model_weights"]
        assert h5.load_attributes(group, "layer_names") == [l.name for l in model.layers]
        dense = model.layers[0]
        assert h5.load_attributes(group[dense.name], "weight_names") == [v.path for v in dense.weights]
        np.testing.assert_array_equal(group[dense.name][dense.kernel.path], dense.get_weights()[0])
        names = h5.load_attributes(f["optimizer_weights"], "weight_names")
        assert len(names) == len(model.optimizer.variables) == 2 + 2 * 4


def test_functional_round_trip_with_compile_config(tmp_path):
    x, _ = _data()
    model = _functional()
    model.compile("sgd", loss=["mse", "mae"], loss_weights=[1.0, 0.5], metrics=[["mae"], ["mse"]])
    model.save(tmp_path / "f.h5")
    loaded = kerasport.models.load_model(tmp_path / "f.h5")
    for a, b in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_array_equal(a, b)
    config = loaded.get_compile_config()
    assert config["loss"] == ["mse", "mae"] and config["loss_weights"] == [1.0, 0.5]
    assert type(loaded.optimizer).__name__ == "SGD"


def test_include_optimizer_false_and_compile_false(tmp_path):
    x, y = _data()
    model = _sequential()
    model.compile("adam", "mse")
    model.train_on_batch(x, y)
    model.save(tmp_path / "plain.h5", include_optimizer=False)
    with h5py.File(tmp_path / "plain.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    assert not kerasport.models.load_model(tmp_path / "plain.h5").compiled
    model.save(tmp_path / "full.h5")
    loaded = kerasport.models.load_model(tmp_path / "full.h5", compile=False)
    assert not loaded.compiled
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("build", [_sequential, _functional, MLP])
def test_save_and_load_weights(tmp_path, build):
    x, _ = _data()
    model, other = build(), build()
    for m in (model, other):
        m.predict(x[:1], verbose=0)
    model.save_weights(tmp_path / "w.h5")
    other.load_weights(tmp_path / "w.h5")
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_by_name_and_skip_mismatch(tmp_path):
    inp = kerasport.Input((4,))
    source = kerasport.Model(inp, layers.Dense(3, name="keep")(layers.Dense(5, name="first")(inp)))
    source.save_weights(tmp_path / "w.h5")
    inp = kerasport.Input((4,))
    target = kerasport.Model(inp, layers.Dense(2, name="other")(layers.Dense(5, name="first")(inp)))
    before = target.get_layer("other").get_weights()
    target.load_weights(tmp_path / "w.h5", by_name=True)
    np.testing.assert_array_equal(target.get_layer("first").get_weights()[0], source.get_layer("first").get_weights()[0])
    np.testing.assert_array_equal(target.get_layer("other").get_weights()[0], before[0])

    inp = kerasport.Input((4,))
    mismatched = kerasport.Model(inp, layers.Dense(2, name="keep")(layers.Dense(5, name="first")(inp)))
    keep_before = mismatched.get_layer("keep").get_weights()
    with pytest.raises(ValueError, match=r"w\.h5.*keep.*\(5, 2\).*\(5, 3\)"):
        mismatched.load_weights(tmp_path / "w.h5")
    with pytest.warns(UserWarning, match="Skipped"):
        mismatched.load_weights(tmp_path / "w.h5", skip_mismatch=True)
    np.testing.assert_array_equal(mismatched.get_layer("first").get_weights()[0],
                                  source.get_layer("first").get_weights()[0])
    np.testing.assert_array_equal(mismatched.get_layer("keep").get_weights()[0], keep_before[0])


def test_large_name_lists_are_split_into_chunks(tmp_path):
    names = [f"layer_{i:05d}_{'x' * 40}".encode() for i in range(3000)]
    with h5py.File(tmp_path / "a.h5", "w") as f:
        h5.save_attributes(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs and "layer_names1" in f.attrs
        assert h5.load_attributes(f, "layer_names") == [n.decode() for n in names]


def test_wide_model_round_trip(tmp_path):
    inp = kerasport.Input((2,))
    outs = [layers.Dense(1, name=f"branch_{i:04d}_{'y' * 50}")(inp) for i in range(1200)]
    model = kerasport.Model(inp, outs)
    model.save_weights(tmp_path / "wide.h5")
    with h5py.File(tmp_path / "wide.h5", "r") as f:
        assert "layer_names0" in f.attrs
    other = kerasport.Model.from_config(model.get_config())
    other.load_weights(tmp_path / "wide.h5")
    np.testing.assert_array_equal(other.get_weights()[-1], model.get_weights()[-1])


# ---------------------------------------------------------------------------- custom objects
def scaled_tanh(x):
    return kerasport.ops.tanh(x) * 2.0


def custom_loss(y_true, y_pred):
    return kerasport.ops.mean(kerasport.ops.abs(y_true - y_pred), axis=-1)


@kerasport.saving.register_keras_serializable(package="test_h5")
class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), "ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_custom_layer_activation_loss_and_metric(tmp_path):
    x, y = _data()
    model = kerasport.Sequential([kerasport.Input((4,)), layers.Dense(3, activation=scaled_tanh), Scale(3.0),
                                  layers.Dense(2)])
    model.compile("adam", loss=custom_loss, metrics=[custom_loss])
    model.train_on_batch(x, y)
    model.save(tmp_path / "c.h5")
    with pytest.raises(ValueError, match="scaled_tanh"):
        kerasport.models.load_model(tmp_path / "c.h5")
    objects = {"scaled_tanh": scaled_tanh, "custom_loss": custom_loss}
    loaded = kerasport.models.load_model(tmp_path / "c.h5", custom_objects=objects)
    assert isinstance(loaded.layers[1], Scale) and loaded.layers[1].factor == 3.0
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(loaded.train_on_batch(x, y), model.train_on_batch(x, y), rtol=1e-6)


def test_custom_layer_without_get_config_says_what_to_add(tmp_path):
    class NoConfig(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

    model = kerasport.Sequential([kerasport.Input((4,)), NoConfig(3)])
    with pytest.raises(NotImplementedError, match=r"get_config.*\n.*def get_config"):
        model.save(tmp_path / "n.h5")
    assert list(tmp_path.iterdir()) == []


def test_safe_mode_refuses_lambda_bytecode(tmp_path):
    model = _sequential()
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"].insert(2, {"class_name": "Lambda", "config": {
            "name": "lam", "function": ["4wAAAAAAAAAAAAAAAAEAAAADAAAA", None, None], "function_type": "lambda",
            "module": "__main__", "output_shape": None, "output_shape_type": "raw", "arguments": {}}})
        f.attrs["model_config"] = json.dumps(config)
    with pytest.raises(ValueError, match=r"m\.h5.*Lambda layer 'lam'.*safe_mode=False"):
        kerasport.models.load_model(tmp_path / "m.h5")


# ---------------------------------------------------------------------------- files
def test_missing_folder_is_created_and_overwrite_false_refuses(tmp_path):
    model = _sequential()
    target = tmp_path / "a" / "b" / "m.h5"
    model.save(target)
    assert target.exists()
    with pytest.raises(FileExistsError, match="overwrite"):
        model.save(target, overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite"):
        model.save_weights(target, overwrite=False)
    assert sorted(p.name for p in target.parent.iterdir()) == ["m.h5"]


def _corrupt(tmp_path, kind):
    model = _sequential()
    model.save(tmp_path / "good.h5")
    path = tmp_path / f"{kind}.h5"
    data = (tmp_path / "good.h5").read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "random":
        path.write_bytes(np.random.RandomState(0).bytes(4096))
    elif kind == "text":
        path.write_text("this is not an HDF5 file\n")
    else:
        path.write_bytes(data)
        with h5py.File(path, "a") as f:
            if kind == "no_weights_group":
                del f["model_weights"]
            elif kind == "no_layer_group":
                del f["model_weights"][model.layers[0].name]
            elif kind == "no_dataset":
                del f["model_weights"][model.layers[-1].name][model.layers[-1].kernel.path]
    return path


@pytest.mark.parametrize("kind", ["truncated", "random", "text", "no_weights_group", "no_layer_group",
                                  "no_dataset"])
def test_bad_files_give_clear_errors_and_leave_weights_alone(tmp_path, kind):
    path = _corrupt(tmp_path, kind)
    with pytest.raises(ValueError, match=kind):
        kerasport.models.load_model(path)
    model = _sequential()
    before = model.get_weights()
    with pytest.raises(ValueError, match=kind):
        model.load_weights(path)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_layer_count_and_shape_mismatch_assign_nothing(tmp_path):
    x, _ = _data()
    model = _sequential()
    model.save_weights(tmp_path / "w.h5")
    fewer = kerasport.Sequential([kerasport.Input((4,)), layers.Dense(8)])
    with pytest.raises(ValueError, match=r"w\.h5.*layer count mismatch.*2 layer.*1 layer"):
        fewer.load_weights(tmp_path / "w.h5")
    wider = kerasport.Sequential([kerasport.Input((4,)), layers.Dense(8), layers.Dense(3)])
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r"dense.*\(8, 3\).*\(8, 2\)"):
        wider.load_weights(tmp_path / "w.h5")
    for a, b in zip(wider.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_a_missing_file_is_the_value_error_keras_raises_and_a_file_not_found_error(tmp_path):
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(1)])
    for load in (lambda p: kerasport.saving.load_model(p), model.load_weights):
        for kind in (ValueError, FileNotFoundError):
            with pytest.raises(kind, match=f"No such file: {tmp_path}"):
                load(str(tmp_path / "missing.keras"))
