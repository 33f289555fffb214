"""kerasport's own ``.keras`` archives: layout, round trips that continue training exactly, and Keras 3 loading them."""
import json
import textwrap
import zipfile

import h5py
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from kerasport.saving import configs
from tests.helpers import keras_module
from tests.saving.zoo import run_python


@kerasport.saving.register_keras_serializable(package="kerasport_tests")
class Tower(kerasport.Model):
    """A subclassed model with a constructor argument and get_config."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(6, activation="relu")
        self.head = layers.Dense(units)

    def call(self, x):
        return self.head(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _sequential():
    return kerasport.Sequential([kerasport.Input((4,)), layers.Dense(6, activation="relu"), layers.Dense(2)],
                                name="seq")


def _functional():
    inp = kerasport.Input((4,))
    hidden = layers.Dense(6, activation="tanh")(inp)
    return kerasport.Model(inp, [layers.Dense(2, name="p")(hidden), layers.Dense(1, name="q")(hidden)], name="func")


BUILDERS = {"seq": _sequential, "func": _functional, "tower": Tower}


def _targets(name, x):
    return [x[:, :2], x[:, 2:3]] if name == "func" else x[:, :2]


def _trained(name, x):
    """Model ``name`` compiled with Adam and trained for two steps (its optimizer state matters)."""
    model = BUILDERS[name]()
    if name == "func":
        model.compile(kerasport.optimizers.Adam(0.01), loss=["mse", "mae"], loss_weights=[1.0, 0.5])
    elif name == "seq":  # a function and an object rather than names
        model.compile(kerasport.optimizers.Adam(0.01), kerasport.losses.mean_squared_error,
                      metrics=[kerasport.metrics.MeanAbsoluteError()])
    else:
        model.compile(kerasport.optimizers.Adam(0.01), "mse", metrics=["mae"])
    for _ in range(2):
        model.train_on_batch(x, _targets(name, x))
    return model


def _x():
    return np.random.RandomState(3).rand(8, 4).astype("float32")


def _outputs(preds):
    return preds if isinstance(preds, list) else [preds]


def _loss(logs):
    return float(np.atleast_1d(logs)[0])


@pytest.mark.parametrize("name", list(BUILDERS))
def test_round_trip_continues_training_exactly(tmp_path, name):
    x = _x()
    model = _trained(name, x)
    model.save(tmp_path / "m.keras")
    loaded = kerasport.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model) and [v.shape for v in loaded.weights] == [v.shape for v in model.weights]
    for a, b in zip(_outputs(loaded.predict(x, verbose=0)), _outputs(model.predict(x, verbose=0))):
        np.testing.assert_array_equal(a, b)
    assert configs.compile_config(loaded) == configs.compile_config(model)
    assert int(B.convert_to_numpy(loaded.optimizer.iterations)) == 2
    for _ in range(2):  # the restored Adam moments give the same steps
        assert _loss(loaded.train_on_batch(x, _targets(name, x))) == pytest.approx(
            _loss(model.train_on_batch(x, _targets(name, x))), rel=1e-6)


def test_archive_layout_follows_keras(tmp_path):
    model = _trained("func", _x())
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert z.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        metadata, config = json.loads(z.read("metadata.json")), json.loads(z.read("config.json"))
        z.extract("model.weights.h5", tmp_path)
    assert set(metadata) == {"keras_version", "date_saved"}
    assert (config["module"], config["class_name"]) == ("keras.src.models.functional", "Functional")
    compile_config = config["compile_config"]
    assert compile_config["optimizer"]["module"] == "keras.optimizers"
    assert compile_config["loss"] == ["mse", "mae"] and compile_config["loss_weights"] == [1.0, 0.5]
    with h5py.File(tmp_path / "model.weights.h5", "r") as f:
        assert sorted(f["layers"]) == ["dense", "dense_1", "dense_2"]  # by class, not layer name, as Keras 3
        optimizer = f["optimizer/vars"]
        assert len(optimizer) == len(model.optimizer.variables) == 2 + 2 * 6
        np.testing.assert_array_equal(optimizer["0"], 2)


def test_include_optimizer_false_saves_an_uncompiled_model(tmp_path):
    x = _x()
    model = _trained("seq", x)
    model.save(tmp_path / "m.keras", include_optimizer=False)
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert "compile_config" not in json.loads(z.read("config.json"))
        z.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5", "r") as f:
        assert "optimizer" not in f
    loaded = kerasport.models.load_model(tmp_path / "m.keras")
    assert not loaded.compiled
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_missing_folder_is_created_and_overwrite_false_refuses(tmp_path):
    model = _sequential()
    target = tmp_path / "a" / "b" / "m.keras"
    model.save(target)
    before = target.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite"):
        model.save(target, overwrite=False)
    assert target.read_bytes() == before and sorted(p.name for p in target.parent.iterdir()) == ["m.keras"]


KERAS3_CONTINUES = textwrap.dedent("""
    import sys
    import numpy as np
    import keras
    folder = sys.argv[1]
    x = np.load(f"{folder}/x.npy")
    targets = {"seq": x[:, :2], "func": [x[:, :2], x[:, 2:3]]}
    for name, y in targets.items():
        model = keras.models.load_model(f"{folder}/{name}.keras")
        for i, p in enumerate(keras.tree.flatten(model.predict(x, verbose=0))):
            np.save(f"{folder}/{name}_pred{i}.npy", p)
        np.save(f"{folder}/{name}_losses.npy", [np.atleast_1d(model.train_on_batch(x, y))[0] for _ in range(2)])
""")


def test_keras3_loads_our_archives_and_continues_training(tmp_path):
    pytest.importorskip("keras")
    x = _x()
    np.save(tmp_path / "x.npy", x)
    models = {name: _trained(name, x) for name in ("seq", "func")}
    for name, model in models.items():
        model.save(tmp_path / f"{name}.keras")
    run_python(KERAS3_CONTINUES, tmp_path, KERAS_BACKEND="tensorflow")
    for name, model in models.items():
        for i, pred in enumerate(_outputs(model.predict(x, verbose=0))):
            np.testing.assert_allclose(np.load(tmp_path / f"{name}_pred{i}.npy"), pred, rtol=1e-5, atol=1e-6)
        ours = [_loss(model.train_on_batch(x, _targets(name, x))) for _ in range(2)]
        np.testing.assert_allclose(np.load(tmp_path / f"{name}_losses.npy"), ours, rtol=1e-5)


class ScaledDense(layers.Dense):
    """A Dense layer that keeps a NumPy array outside its variables, saved by overriding the state hooks."""

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.scale = np.full((units,), 1.0, "float32")

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["scale"] = self.scale

    def load_own_variables(self, store):
        self.scale = np.asarray(store["scale"])
        for i, v in enumerate(self.weights):
            v.assign(store[f"{i}"])

    def call(self, inputs):
        return super().call(inputs) * kerasport.ops.convert_to_tensor(self.scale)


def test_overridden_save_and_load_own_variables_write_and_read_the_layer_group(tmp_path):
    with kerasport.saving.custom_object_scope({"ScaledDense": ScaledDense}):
        model = kerasport.Sequential([kerasport.Input((3,)), ScaledDense(2)])
        model.layers[0].scale = np.array([2.0, -1.0], "float32")
        x = np.arange(6, dtype="float32").reshape(2, 3)
        model.save(tmp_path / "m.keras")
        with zipfile.ZipFile(tmp_path / "m.keras") as z, h5py.File(__import__("io").BytesIO(
                z.read("model.weights.h5")), "r") as f:
            assert sorted(f["layers/scaled_dense/vars"]) == ["0", "1", "scale"]
        restored = kerasport.models.load_model(tmp_path / "m.keras")
        np.testing.assert_array_equal(restored.layers[0].scale, [2.0, -1.0])
        np.testing.assert_allclose(B.convert_to_numpy(restored(x)), B.convert_to_numpy(model(x)), rtol=1e-6)
        model.layers[0].scale = np.array([5.0, 5.0], "float32")
        model.save_weights(tmp_path / "m.weights.h5")
        restored.load_weights(tmp_path / "m.weights.h5")
        np.testing.assert_array_equal(restored.layers[0].scale, [5.0, 5.0])


class _CustomCompile(kerasport.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(2)

    def call(self, x):
        return self.dense(x)

    def compile(self, optimizer, loss_fn):
        super().compile(optimizer=optimizer, loss=loss_fn)
        self.model_optimizer, self.loss_fn = optimizer, loss_fn

    def get_compile_config(self):
        return {"model_optimizer": self.model_optimizer, "loss_fn": self.loss_fn}

    def compile_from_config(self, config):
        self.compile(optimizer=kerasport.utils.deserialize_keras_object(config["model_optimizer"]),
                     loss_fn=kerasport.utils.deserialize_keras_object(config["loss_fn"]))


def test_custom_compile_config_is_saved_whole_and_handed_to_compile_from_config(tmp_path):
    with kerasport.saving.custom_object_scope({"_CustomCompile": _CustomCompile}):
        model = _CustomCompile()
        model.compile(optimizer="sgd", loss_fn="mse")
        model(np.zeros((1, 3), "float32"))
        model.save(tmp_path / "m.keras")
        with zipfile.ZipFile(tmp_path / "m.keras") as z:
            assert json.loads(z.read("config.json"))["compile_config"] == {"model_optimizer": "sgd",
                                                                           "loss_fn": "mse"}
        restored = kerasport.models.load_model(tmp_path / "m.keras")
        assert (restored.model_optimizer, restored.loss_fn) == ("sgd", "mse")
        assert restored.compiled and type(restored.optimizer).__name__ == "SGD"


def test_model_with_custom_compile_but_no_compile_from_config_loads_uncompiled_with_a_warning(tmp_path):
    class CompileOnly(_CustomCompile):
        get_compile_config = kerasport.Model.get_compile_config
        compile_from_config = kerasport.Model.compile_from_config

    with kerasport.saving.custom_object_scope({"CompileOnly": CompileOnly}):
        model = CompileOnly()
        model.compile(optimizer="sgd", loss_fn="mse")
        model(np.zeros((1, 3), "float32"))
        model.save(tmp_path / "m.keras")
        with pytest.warns(UserWarning, match="`compile\\(\\)` was not called as part of model loading"):
            restored = kerasport.models.load_model(tmp_path / "m.keras")
        assert not restored.compiled


def test_subclassed_model_layout_matches_keras(tmp_path):
    """Keras walks a subclassed model's ``layers`` in its alphabetical place among the attributes: a sublayer held
    by ``alpha`` is saved under ``alpha/``, one held by ``top`` under ``layers/dense_1/``."""
    keras = keras_module()

    def make(lib):
        class TwoDense(lib.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.alpha = lib.layers.Dense(3)
                self.top = lib.layers.Dense(2)

            def call(self, x):
                return self.top(self.alpha(x))

        model = TwoDense()
        model(np.ones((1, 4), "float32"))
        return model

    theirs, ours = make(keras), make(kerasport)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    paths = {}
    for name, model in (("keras", theirs), ("ours", ours)):
        path = str(tmp_path / f"{name}.weights.h5")
        model.save_weights(path)
        with h5py.File(path, "r") as f:
            found = []
            f.visititems(lambda n, o: found.append(n) if isinstance(o, h5py.Dataset) else None)
            paths[name] = sorted(found)
    assert paths["ours"] == paths["keras"] == ["alpha/vars/0", "alpha/vars/1", "layers/dense_1/vars/0",
                                              "layers/dense_1/vars/1"]
    fresh = make(kerasport)
    fresh.load_weights(str(tmp_path / "keras.weights.h5"))
    for a, b in zip(fresh.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))


def test_save_without_a_model_extension_and_load_of_a_folder_give_keras_errors(tmp_path):
    """Keras 3's errors for tf.keras habits (the migration guide): no SavedModel from ``save``, none from
    ``load_model`` either (both name the way: ``model.export`` and ``TFSMLayer``)."""
    model = kerasport.Sequential([kerasport.Input((2,)), kerasport.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"^Invalid filepath extension for saving\. Please add either a `\.keras` "
                       r"extension .* Use `model\.export\(filepath\)` .*Received: filepath=.*saved_model\.$"):
        model.save(str(tmp_path / "saved_model"))
    with pytest.raises(ValueError, match=r"^File format not supported: filepath=.* use `keras\.layers\.TFSMLayer\("):
        kerasport.models.load_model(str(tmp_path))


def test_save_format_is_accepted_with_a_warning_as_keras_3(tmp_path):
    """keras.io's tf.keras habit ``model.save("m.h5", save_format="h5")``: Keras 3 warns and saves where the
    file name already gives the format, refuses it otherwise, and refuses any other unknown argument."""
    model = kerasport.Sequential([kerasport.Input((2,)), kerasport.layers.Dense(1)])
    for name, fmt in (("m.h5", "h5"), ("m.keras", "keras")):
        with pytest.warns(UserWarning, match="`save_format` argument is deprecated in Keras 3"):
            model.save(str(tmp_path / name), save_format=fmt)
        loaded = kerasport.models.load_model(str(tmp_path / name))
        np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
    with pytest.raises(ValueError, match="Please remove this argument and pass a file path with either"):
        model.save(str(tmp_path / "m"), save_format="tf")
    with pytest.raises(ValueError, match=r"The following argument\(s\) are not supported: \['signatures'\]"):
        kerasport.models.save_model(model, str(tmp_path / "n.keras"), signatures=None)


def test_to_json_carries_the_compile_config_and_model_from_json_compiles_as_keras():
    """Keras's ``to_json`` of a compiled model holds its ``compile_config`` and ``model_from_json`` compiles
    the model from it; both ways between Keras and kerasport."""
    keras = keras_module()

    def compiled(lib):
        lib.utils.clear_session()  # the optimizer's automatic name ("adam", "adam_1") counts from zero
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"], loss_weights=[0.5])
        return model

    ours, theirs = compiled(kerasport), compiled(keras)
    assert json.loads(ours.to_json())["compile_config"] == json.loads(theirs.to_json())["compile_config"]
    for rebuilt in (kerasport.models.model_from_json(theirs.to_json()),
                    kerasport.models.model_from_json(ours.to_json())):
        assert rebuilt.compiled and isinstance(rebuilt.optimizer, kerasport.optimizers.Adam)
        assert float(rebuilt.optimizer.learning_rate) == pytest.approx(0.01)
        assert rebuilt.loss == "mse"
        rebuilt.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    from_ours = keras.models.model_from_json(ours.to_json())
    assert from_ours.compiled and from_ours.optimizer.get_config() == theirs.optimizer.get_config()
    uncompiled = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(2)])
    assert "compile_config" not in json.loads(uncompiled.to_json())
    assert not kerasport.models.model_from_json(uncompiled.to_json()).compiled


def test_weights_of_a_model_never_built_are_refused_as_in_keras(tmp_path):
    # keras.io's GAN-ADA checkpoints a subclassed model whose call() never runs: Keras refuses to save it.
    keras = keras_module()
    for lib in (kerasport, keras):
        class Pair(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(2)

            def call(self, x):
                return self.dense(x)

        model = Pair()
        path = tmp_path / f"{lib.__name__}.weights.h5"
        with pytest.raises(ValueError, match="You are saving a model that has not yet been built"):
            model.save_weights(path)
        assert not path.exists()
        model(np.ones((1, 3), "float32"))
        model.save_weights(path)
        assert path.exists()
