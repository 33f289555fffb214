"""``Pipeline`` (``kerasport/layers/pipeline.py``) against Keras 3's: config, calls, weights and ``.keras`` files
both ways (its layers' weights live under ``<pipeline>/layers/<layer>`` in the weights file)."""
import os
import zipfile

import h5py
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import run_layer_test, to_numpy
from tests.layers.image_layer_checks import check_fits_one_epoch, needs_tf_data, random_images, tf_data_map

RNG = np.random.RandomState(0)
IMAGES = random_images(RNG, (4, 8, 8, 3))


def _pipeline(L, **kwargs):
    return L.Pipeline([L.RandomFlip("horizontal", seed=1), L.RandomContrast(0.2), L.Rescaling(1 / 255),
                       L.Dense(4), L.Dense(2, activation="tanh")], **kwargs)


def _weight_paths(path):
    with zipfile.ZipFile(path) as z, z.open("model.weights.h5") as f, h5py.File(f, "r") as h:
        found = []
        h.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset) else None)
        return sorted(found)


def test_config_matches_keras(keras):
    ours, theirs = _pipeline(layers, name="augment").get_config(), _pipeline(keras.layers, name="augment").get_config()
    assert list(ours) == list(theirs) == ["layers", "name"]
    assert ours["name"] == theirs["name"] == "augment"
    assert [c["class_name"] for c in ours["layers"]] == [c["class_name"] for c in theirs["layers"]]
    assert [sorted(c["config"]) for c in ours["layers"][:3]] == [sorted(c["config"]) for c in theirs["layers"][:3]]
    rebuilt = layers.Pipeline.from_config(ours)
    assert [type(layer).__name__ for layer in rebuilt.layers] == ["RandomFlip", "RandomContrast", "Rescaling",
                                                                  "Dense", "Dense"]
    assert [layer.name for layer in rebuilt.layers] == [c["config"]["name"] for c in ours["layers"]]


def test_layers_apply_in_order_and_training_reaches_them():
    pipeline = layers.Pipeline([layers.RandomInvert(factor=(1.0, 1.0)), layers.Rescaling(2.0)])
    close = np.testing.assert_allclose
    close(to_numpy(pipeline(IMAGES)), (255 - IMAGES) * 2, rtol=1e-6)
    close(to_numpy(pipeline(IMAGES, training=False)), IMAGES * 2, rtol=1e-6)
    model = kerasport.Sequential([kerasport.Input((8, 8, 3)), pipeline])
    close(model.predict(IMAGES, verbose=0), IMAGES * 2, rtol=1e-6)


def test_masks_pass_through_the_pipeline():
    x = np.array([[1.0, 2.0, 0.0], [3.0, 0.0, 0.0]], "float32")[..., None]
    pipeline = layers.Pipeline([layers.Masking(0.0), layers.LSTM(2, seed=1)])
    lstm = pipeline.layers[1]
    want = to_numpy(lstm(x, mask=np.array([[True, True, False], [True, False, False]])))
    np.testing.assert_allclose(to_numpy(pipeline(x)), want, rtol=1e-5, atol=1e-6)


class _DefaultPipeline(layers.Pipeline):
    """A Pipeline with default layers, for ``run_layer_test`` (which takes a class and its arguments)."""

    def __init__(self, layers=None, name=None):
        super().__init__(layers if layers is not None else _pipeline(kerasport.layers).layers, name=name)


def test_standard_layer_checks():
    layer, out = run_layer_test(_DefaultPipeline, {}, IMAGES.shape, input_data=IMAGES,
                                call_kwargs={"training": False})
    assert len(layer.trainable_weights) == 4 and tuple(B.shape(out)) == (4, 8, 8, 2)


def test_same_weights_same_outputs_as_keras(keras):
    ours, theirs = _pipeline(layers), _pipeline(keras.layers)
    want = np.asarray(theirs(IMAGES, training=False))
    ours(IMAGES, training=False)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(to_numpy(ours(IMAGES, training=False)), want, rtol=1e-5, atol=1e-5)


def test_keras_files_both_ways(keras, tmp_path):
    theirs = keras.Sequential([keras.Input((8, 8, 3)), _pipeline(keras.layers), keras.layers.Flatten(),
                               keras.layers.Dense(1)])
    kpath = os.path.join(tmp_path, "keras.keras")
    theirs.save(kpath)
    assert "layers/pipeline/layers/dense/vars/0" in _weight_paths(kpath)
    loaded = kerasport.saving.load_model(kpath)
    assert type(loaded.layers[0]).__name__ == "Pipeline"
    want = theirs.predict(IMAGES, verbose=0)
    np.testing.assert_allclose(loaded.predict(IMAGES, verbose=0), want, rtol=1e-5, atol=1e-5)
    path = os.path.join(tmp_path, "ours.keras")
    loaded.save(path)
    assert _weight_paths(path) == _weight_paths(kpath)
    np.testing.assert_allclose(keras.models.load_model(path).predict(IMAGES, verbose=0), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(kerasport.saving.load_model(path).predict(IMAGES, verbose=0), want, rtol=1e-5,
                               atol=1e-5)


def test_fits_one_epoch_inside_a_model():
    model = kerasport.Sequential([kerasport.Input((8, 8, 3)), _pipeline(layers), layers.Flatten(), layers.Dense(1)])
    before = check_fits_one_epoch(model, IMAGES, RNG.rand(4, 1).astype("float32"), loss="mse", batch_size=2)
    assert all(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))


@needs_tf_data
def test_runs_inside_tf_data_map():
    pipeline = layers.Pipeline([layers.RandomColorDegeneration((0.5, 0.5)), layers.RandomFlip(seed=3),
                                layers.Rescaling(1 / 255)])
    mapped = np.concatenate(tf_data_map(pipeline, IMAGES, batch_size=2))
    gray = to_numpy(layers.RandomColorDegeneration((0.5, 0.5))(IMAGES)) / 255
    for image, want in zip(mapped, gray):
        assert any(np.allclose(image, w, atol=1e-5) for w in (want, want[::-1], want[:, ::-1], want[::-1, ::-1]))


def test_errors():
    with pytest.raises(ValueError, match="Pipeline.*list of layers.*3"):
        layers.Pipeline([layers.Dense(2), 3])
    with pytest.raises(ValueError, match="Pipeline.*`layers` key.*None"):
        layers.Pipeline.from_config({"name": "p"})
