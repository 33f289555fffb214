"""ContrastLimitedAdaptiveHistogramEqualization against Keras 3's, on both backends (a deterministic layer)."""
import os

import numpy as np
import pytest

import kerasport
from kerasport import layers
from tests.helpers import to_numpy
from tests.layers.image_layer_checks import (
    check_file_round_trip, check_fits_one_epoch, check_standard_layer, layer_input, needs_tf_data, plain_config,
    random_images, tf_data_map)

RNG = np.random.RandomState(3)
IMAGES = random_images(RNG, (2, 21, 18, 3))
CLAHE = "ContrastLimitedAdaptiveHistogramEqualization"

CASES = [dict(), dict(tile_grid_size=(4, 3), clip_limit=2.0), dict(tile_grid_size=(3, 5), clip_limit=0.0),
         dict(value_range=(0, 1), tile_grid_size=(7, 6)), dict(data_format="channels_first", tile_grid_size=(2, 2))]


@pytest.mark.parametrize("kwargs", CASES)
def test_matches_keras(keras, kwargs):
    x = layer_input(kwargs, IMAGES)
    assert plain_config(layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs).get_config()) == \
        plain_config(getattr(keras.layers, CLAHE)(**kwargs).get_config())
    for data in (x, x[0]):
        for training in (True, False):
            np.testing.assert_allclose(
                to_numpy(layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)(data, training=training)),
                np.asarray(getattr(keras.layers, CLAHE)(**kwargs)(data)), rtol=1e-4, atol=1e-3)


def test_uint8_images_and_the_equalizing_effect(keras):
    x = RNG.randint(100, 140, (2, 16, 16, 1)).astype("uint8")  # a low-contrast image
    ours = to_numpy(layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))(x))
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours, np.asarray(getattr(keras.layers, CLAHE)(tile_grid_size=(2, 2))(x)))
    assert ours.std() > 2 * x.std()
    flat = np.full((1, 8, 8, 1), 50.0, "float32")  # one level everywhere; unclipped, its map sends it to 255
    np.testing.assert_allclose(to_numpy(layers.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=0)(flat)), 255)
    np.testing.assert_allclose(to_numpy(layers.ContrastLimitedAdaptiveHistogramEqualization()(flat)),
                               np.asarray(getattr(keras.layers, CLAHE)()(flat)), rtol=1e-5)


def test_standard_checks_model_and_files(keras, tmp_path):
    check_standard_layer(CLAHE, dict(tile_grid_size=(3, 3)), IMAGES)
    model = kerasport.Sequential([kerasport.Input((21, 18, 3)),
                                  layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(3, 3)),
                                  layers.Rescaling(1 / 255), layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(1)])
    check_fits_one_epoch(model, IMAGES, np.ones((2, 1)), loss="mse")
    check_file_round_trip(keras, model, IMAGES, tmp_path)
    theirs = keras.Sequential([keras.Input((21, 18, 3)), getattr(keras.layers, CLAHE)(clip_limit=3.0)])
    theirs.save(os.path.join(tmp_path, "keras.keras"))
    loaded = kerasport.saving.load_model(os.path.join(tmp_path, "keras.keras"))
    np.testing.assert_allclose(loaded.predict(IMAGES, verbose=0), theirs.predict(IMAGES, verbose=0), atol=1e-3)


def test_errors():
    with pytest.raises(ValueError, match="ContrastLimitedAdaptiveHistogramEqualization.*tile_grid_size"):
        layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=8)
    with pytest.raises(ValueError, match="ContrastLimitedAdaptiveHistogramEqualization.*value_range"):
        layers.ContrastLimitedAdaptiveHistogramEqualization(value_range=(1, 0))


@needs_tf_data
def test_runs_inside_tf_data_map():
    layer = layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(3, 3))
    mapped = np.concatenate(tf_data_map(layer, IMAGES, batch_size=1))
    np.testing.assert_allclose(mapped, to_numpy(layer(IMAGES)), rtol=1e-5, atol=1e-4)
