"""layers.TFSMLayer: SavedModels written by kerasport and by real Keras 3 as layers, trained inside models.

TensorFlow backend only (as in Keras); on torch every case checks the error that names the backend.
"""
import textwrap

import numpy as np
import pytest

import kerasport as keras
from kerasport import layers
from kerasport.backends import B
from tests.saving.zoo import run_python

# Real Keras 3 (TensorFlow backend) exports a model and saves its inputs and predictions.
KERAS3_EXPORT = textwrap.dedent("""
    import sys
    import numpy as np
    import keras
    out = sys.argv[1]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,), name="features"), keras.layers.Dense(8, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dropout(0.5), keras.layers.Dense(2)])
    x = np.random.RandomState(0).rand(16, 4).astype("float32")
    model.compile("adam", "mse")
    model.fit(x, np.ones((16, 2)), epochs=2, verbose=0)  # moving statistics away from their initial values
    model.export(f"{out}/k3_saved_model", verbose=False)
    np.save(f"{out}/k3_x.npy", x)
    np.save(f"{out}/k3_pred.npy", model.predict(x, verbose=0))
""")


def _mlp():
    model = keras.Sequential([keras.Input((4,), name="features"), layers.Dense(8, activation="relu"),
                              layers.BatchNormalization(), layers.Dropout(0.5), layers.Dense(2)])
    rng = np.random.RandomState(3)
    model.layers[1].set_weights([rng.rand(8) + 0.5, rng.randn(8), rng.randn(8), rng.rand(8) + 0.5])
    return model


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    """A SavedModel exported by kerasport (from this backend) and one by real Keras 3, with inputs and predictions."""
    pytest.importorskip("keras")
    out = tmp_path_factory.mktemp("tfsm")
    run_python(KERAS3_EXPORT, out, KERAS_BACKEND="tensorflow")
    keras.utils.set_random_seed(5)
    model = _mlp()
    model.export(out / "kp_saved_model", verbose=False)
    x = np.load(out / "k3_x.npy")
    return {"kerasport": (str(out / "kp_saved_model"), x, model.predict(x, verbose=0)),
            "keras": (str(out / "k3_saved_model"), x, np.load(out / "k3_pred.npy"))}


def _refused_on_torch(path, **kwargs):
    """On torch, constructing the layer is an error naming the backend; True when that was checked."""
    if B.NAME != "torch":
        return False
    with pytest.raises(NotImplementedError, match="TFSMLayer is only currently supported with the TensorFlow "
                                                  "backend; this process runs the 'torch' backend"):
        layers.TFSMLayer(path, **kwargs)
    return True


@pytest.mark.parametrize("writer", ["kerasport", "keras"])
def test_layer_gives_the_exported_models_numbers(saved_models, writer):
    path, x, expected = saved_models[writer]
    if _refused_on_torch(path):
        return
    layer = layers.TFSMLayer(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), expected, atol=1e-5, rtol=1e-5)
    assert len(layer.weights) == 8 and len(layer.trainable_weights) == 6 and len(layer.non_trainable_weights) == 2
    assert all(w.path.startswith(f"{layer.name}/") for w in layer.weights)


@pytest.mark.parametrize("writer", ["kerasport", "keras"])
def test_fit_a_model_around_it(saved_models, writer, tmp_path):
    path, x, expected = saved_models[writer]
    if _refused_on_torch(path):
        return
    inputs = keras.Input((4,))
    wrapped = layers.TFSMLayer(path)
    model = keras.Model(inputs, layers.Dense(1)(wrapped(inputs)))
    assert model.output_shape == (None, 1)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    y = np.random.RandomState(1).rand(len(x), 1).astype("float32")
    before = [w.numpy().copy() for w in wrapped.weights]
    losses = model.fit(x, y, epochs=10, batch_size=len(x), verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    changed = [not np.array_equal(b, w.numpy()) for b, w in zip(before, wrapped.weights)]
    assert changed == [True] * 6 + [False] * 2  # the endpoint runs in inference mode: moving statistics stay
    # The trained variables are the ones the SavedModel's function computes with.
    np.testing.assert_allclose(model.predict(x, verbose=0), model(x).numpy(), atol=1e-6)
    assert not np.allclose(keras.ops.convert_to_numpy(wrapped(x)), expected, atol=1e-4)
    # Saved with the model; loading it reads the SavedModel again, so only with safe_mode=False.
    model.save(tmp_path / "wrapped.keras")
    with pytest.raises(ValueError, match="deserialization of a `TFSMLayer`.*safe_mode=False"):
        keras.saving.load_model(tmp_path / "wrapped.keras")
    reloaded = keras.saving.load_model(tmp_path / "wrapped.keras", safe_mode=False)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_frozen_layer_does_not_train(saved_models):
    path, x, expected = saved_models["keras"]
    if _refused_on_torch(path, trainable=False):
        return
    inputs = keras.Input((4,))
    wrapped = layers.TFSMLayer(path, trainable=False)
    assert wrapped.trainable_weights == [] and len(wrapped.non_trainable_weights) == 8
    model = keras.Model(inputs, layers.Dense(1)(wrapped(inputs)))
    model.compile(keras.optimizers.SGD(0.05), "mse")
    model.fit(x, np.ones((len(x), 1)), epochs=2, verbose=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(wrapped(x)), expected, atol=1e-5, rtol=1e-5)


def test_signature_endpoint_and_training_endpoint(saved_models, tmp_path):
    path, x, expected = saved_models["kerasport"]
    if _refused_on_torch(path, call_endpoint="serving_default"):
        return
    # kerasport's SavedModel has a `serving_default` function (positional); Keras's only the signature (keywords).
    served = layers.TFSMLayer(path, call_endpoint="serving_default")(x)
    np.testing.assert_allclose(served["output_0"].numpy(), expected, atol=1e-5, rtol=1e-5)
    k3_path, k3_x, k3_expected = saved_models["keras"]
    by_signature = layers.TFSMLayer(k3_path, call_endpoint="serving_default")
    np.testing.assert_allclose(by_signature({"features": k3_x})["output_0"].numpy(), k3_expected, atol=1e-5,
                               rtol=1e-5)
    model = _mlp()
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model.call, [keras.InputSpec(shape=(None, 4), dtype="float32")])
    archive.add_endpoint("train", lambda t: model(t, training=True), [keras.InputSpec(shape=(None, 4),
                                                                                       dtype="float32")])
    archive.write_out(tmp_path / "archive", verbose=False)
    layer = layers.TFSMLayer(tmp_path / "archive", call_training_endpoint="train")
    inference = layer(x).numpy()
    np.testing.assert_allclose(inference, model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)
    assert not np.allclose(layer(x, training=True).numpy(), inference)  # dropout and batch statistics
    config = layer.get_config()
    assert config["call_endpoint"] == "serve" and config["call_training_endpoint"] == "train"
    with pytest.raises(ValueError, match="deserialization of a `TFSMLayer`"):
        layers.TFSMLayer.from_config(config)
    again = layers.TFSMLayer.from_config(config, safe_mode=False)
    np.testing.assert_allclose(again(x).numpy(), inference, atol=1e-6)


def test_unknown_endpoint_lists_the_available_ones(saved_models):
    path, _, _ = saved_models["keras"]
    if _refused_on_torch(path, call_endpoint="predict"):
        return
    with pytest.raises(ValueError, match="The endpoint 'predict' is neither.*`call_endpoint`.*\\['serve', "
                                         "'serving_default'\\]"):
        layers.TFSMLayer(path, call_endpoint="predict")
    with pytest.raises(ValueError, match="The endpoint 'train' is neither"):
        layers.TFSMLayer(path, call_training_endpoint="train")
