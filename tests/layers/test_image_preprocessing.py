"""Image preprocessing / augmentation layers against Keras 3's, on both backends.

Deterministic layers are compared output for output; random layers are compared on
the same transformation (Keras's ``get_random_transformation`` fed to both
``transform_images``), and their sampling is checked for ranges, seeds and the
inference passthrough.
"""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from tests.helpers import to_numpy
from tests.layers.image_layer_checks import (
    augmented_classifier, check_config_matches_keras, check_file_round_trip, check_fits_one_epoch,
    check_inference_passthrough, check_keras_file_loads, check_seeds, check_standard_layer,
    check_transform_matches_keras, close, in_layout, named_cases, random_images)

RNG = np.random.RandomState(0)
IMAGES = random_images(RNG, (3, 10, 12, 3))


CASES = named_cases([
    ("Resizing", dict(height=5, width=7)),
    ("Resizing", dict(height=6, width=4, interpolation="bicubic", crop_to_aspect_ratio=True)),
    ("Resizing", dict(height=6, width=4, pad_to_aspect_ratio=True, fill_value=3.0, data_format="channels_first")),
    ("CenterCrop", dict(height=6, width=8)),
    ("CenterCrop", dict(height=14, width=8)),
    ("RandomCrop", dict(height=6, width=8, seed=3)),
    ("RandomFlip", dict(mode="horizontal", seed=1)),
    ("RandomFlip", dict(seed=2, data_format="channels_first")),
    ("RandomRotation", dict(factor=0.2, seed=1)),
    ("RandomRotation", dict(factor=(-0.3, 0.1), fill_mode="constant", fill_value=9.0, interpolation="nearest")),
    ("RandomZoom", dict(height_factor=0.3, seed=4)),
    ("RandomZoom", dict(height_factor=(-0.4, 0.2), width_factor=0.5, fill_mode="wrap",
                        data_format="channels_first")),
    ("RandomTranslation", dict(height_factor=0.2, width_factor=(-0.3, 0.1), fill_mode="nearest")),
    ("RandomContrast", dict(factor=0.5, seed=5)),
    ("RandomContrast", dict(factor=(0.2, 0.6), value_range=(0, 1))),
    ("RandomBrightness", dict(factor=0.3, seed=6)),
    ("RandomBrightness", dict(factor=(-0.2, 0.5), value_range=(0, 1))),
    ("RandomGrayscale", dict(factor=0.7, seed=7)),
    ("Solarization", dict(addition_factor=0.3, threshold_factor=(0.2, 0.8), seed=8)),
    ("AutoContrast", dict(value_range=(0, 255))),
])


@pytest.mark.parametrize("name,kwargs", CASES)
def test_config_matches_keras(keras, name, kwargs):
    # Keras's RandomCrop stores a drawn seed.
    check_config_matches_keras(keras, name, kwargs, ignore=("seed",) if kwargs.get("seed") is None else ())


@pytest.mark.parametrize("name,kwargs", CASES)
def test_transform_matches_keras_on_the_same_transformation(keras, name, kwargs):
    check_transform_matches_keras(keras, name, kwargs, in_layout(kwargs, IMAGES))


@pytest.mark.parametrize("name,kwargs", [c for c in CASES if c.values[0] in ("Resizing", "CenterCrop", "AutoContrast")])
def test_deterministic_layers_match_keras(keras, name, kwargs):
    x = in_layout(kwargs, IMAGES)
    close(getattr(layers, name)(**kwargs)(x), getattr(keras.layers, name)(**kwargs)(x))
    close(getattr(layers, name)(**kwargs)(x[0]), getattr(keras.layers, name)(**kwargs)(x[0]))


@pytest.mark.parametrize("name,kwargs", CASES)
def test_standard_layer_checks(name, kwargs):
    check_standard_layer(name, kwargs, in_layout(kwargs, IMAGES))


RANDOM = [c for c in CASES if c.values[0].startswith("Random") or c.values[0] == "Solarization"]


@pytest.mark.parametrize("name,kwargs", RANDOM)
def test_random_layers_pass_through_in_inference(name, kwargs):
    x = in_layout(kwargs, IMAGES)
    want = kerasport.ops.image.resize(x, (6, 8), crop_to_aspect_ratio=True) if name == "RandomCrop" else x
    check_inference_passthrough(getattr(layers, name)(**kwargs), x, want)


@pytest.mark.parametrize("name,kwargs", RANDOM)
def test_seeds_reproduce_and_streams_advance(name, kwargs):
    check_seeds(name, kwargs, in_layout(kwargs, IMAGES))


def test_sampling_ranges():
    x = np.zeros((400, 4, 4, 1), "float32")
    angles = to_numpy(layers.RandomRotation((-0.1, 0.05), seed=1).get_random_transformation(x)["angle"])
    assert angles.min() >= -36 and angles.max() <= 18 and angles.std() > 5
    zoom = layers.RandomZoom((-0.2, 0.3), seed=1).get_random_transformation(x)
    hz = to_numpy(zoom["height_zoom"])
    assert hz.min() >= 0.8 and hz.max() <= 1.3 and np.array_equal(hz, to_numpy(zoom["width_zoom"]))
    t = to_numpy(layers.RandomTranslation(0.25, (0.0, 0.5), seed=1).get_random_transformation(x)["translations"])
    assert t[:, 1].min() >= -1 and t[:, 1].max() <= 1 and t[:, 0].min() >= 0 and t[:, 0].max() <= 2
    flips = to_numpy(layers.RandomFlip(seed=1).get_random_transformation(x)["flips"])
    assert 0.35 < flips.mean() < 0.65
    c = to_numpy(layers.RandomContrast((0.2, 0.4), seed=1).get_random_transformation(x)["contrast_factor"])
    assert c.min() >= 0.8 and c.max() <= 1.4
    d = to_numpy(layers.RandomBrightness(0.1, value_range=(0, 2), seed=1).get_random_transformation(x)["rgb_delta"])
    assert d.min() >= -0.2 and d.max() <= 0.2
    g = to_numpy(layers.RandomGrayscale(0.25, seed=1).get_random_transformation(x))
    assert 0.15 < g.mean() < 0.35


def test_identity_at_factor_zero():
    x = IMAGES
    for layer in [layers.RandomRotation(0.0), layers.RandomTranslation(0.0, 0.0), layers.RandomZoom(0.0),
                  layers.RandomContrast(0.0), layers.RandomBrightness(0.0)]:
        close(layer(x, training=True), x)


def test_random_crop_and_flip_details():
    x = np.arange(2 * 6 * 6 * 1, dtype="float32").reshape(2, 6, 6, 1)
    out = to_numpy(layers.RandomCrop(3, 4, seed=1)(x, training=True))
    assert out.shape == (2, 3, 4, 1)
    windows = {tuple(x[0, i:i + 3, j:j + 4, 0].ravel()) for i in range(4) for j in range(3)}
    assert tuple(out[0, :, :, 0].ravel()) in windows
    assert np.array_equal(out[1] - out[0], np.full_like(out[0], 36))  # one window for the whole batch
    flipped = to_numpy(layers.RandomFlip("horizontal", seed=3)(x, training=True))
    for img, src in zip(flipped, x):
        assert np.array_equal(img, src) or np.array_equal(img, src[:, ::-1])


def test_errors():
    with pytest.raises(ValueError, match="RandomRotation.*factor"):
        layers.RandomRotation(1.5)
    with pytest.raises(ValueError, match="RandomZoom.*height_factor"):
        layers.RandomZoom(-1.0)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        layers.RandomTranslation(0.1, 0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="RandomFlip.*mode"):
        layers.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="RandomBrightness.*value_range"):
        layers.RandomBrightness(0.1, value_range=3)
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        layers.RandomFlip()(np.zeros((2, 3), "float32"))


def test_augmented_model_fits_in_the_compiled_step():
    x = random_images(RNG, (16, 32, 32, 3))
    model = augmented_classifier([layers.RandomFlip("horizontal", seed=1), layers.RandomRotation(0.1, seed=2),
                                  layers.RandomZoom(0.1, seed=3)], input_shape=(32, 32, 3))
    check_fits_one_epoch(model, x, RNG.randint(0, 2, 16))


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_save_load_round_trip_and_keras_interop(keras, tmp_path, ext):
    x = random_images(RNG, (4, 32, 32, 3))
    model = kerasport.Sequential([
        kerasport.Input((32, 32, 3)), layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
        layers.RandomContrast(0.2), layers.Resizing(16, 16), layers.CenterCrop(12, 12), layers.Rescaling(1 / 255),
        layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(1)])
    check_file_round_trip(keras, model, x, tmp_path, ext)
    if ext == ".h5":
        return  # Keras 3.15 cannot write these layers to .h5 itself (its legacy saver deep-copies a module)
    theirs = keras.Sequential([
        keras.Input((32, 32, 3)), keras.layers.RandomFlip("vertical"), keras.layers.RandomZoom(0.1),
        keras.layers.RandomTranslation(0.1, 0.1), keras.layers.RandomBrightness(0.1), keras.layers.Resizing(8, 8),
        keras.layers.Conv2D(2, 3), keras.layers.Flatten(), keras.layers.Dense(1)])
    check_keras_file_loads(theirs, x, tmp_path, ["RandomFlip", "RandomZoom", "RandomTranslation", "RandomBrightness",
                                                 "Resizing"], ext=ext)


def test_resizing_keeps_integer_dtypes_as_keras(keras):
    # keras.io's FCN example resizes uint8 images and masks: Keras rounds and saturates back to the input's
    # integer dtype (so vgg19.preprocess_input then wraps around in uint8), under any dtype policy.
    rng = np.random.RandomState(0)
    for dtype in ("uint8", "int32"):
        x = rng.randint(0, 256, (2, 9, 7, 3)).astype(dtype)
        for kwargs in (dict(height=5, width=4), dict(height=12, width=11, interpolation="bicubic")):
            got, want = layers.Resizing(**kwargs)(x), keras.layers.Resizing(**kwargs)(x)
            assert kerasport.backend.standardize_dtype(got.dtype) == dtype == want.dtype.name
            # (torch's interpolation can land a half-way value one float32 step away: rounded one apart)
            np.testing.assert_allclose(to_numpy(got).astype("int64"), to_numpy(want).astype("int64"), atol=1)
    x = rng.randint(0, 256, (2, 9, 7, 3)).astype("uint8")
    np.testing.assert_array_equal(to_numpy(kerasport.applications.vgg19.preprocess_input(layers.Resizing(4, 4)(x))),
                                  to_numpy(keras.applications.vgg19.preprocess_input(keras.layers.Resizing(4, 4)(x))))
    kerasport.mixed_precision.set_global_policy("mixed_float16")
    try:
        assert kerasport.backend.standardize_dtype(layers.Resizing(4, 4)(x).dtype) == "uint8"
        assert kerasport.backend.standardize_dtype(layers.Resizing(4, 4)(x.astype("float32")).dtype) == "float16"
    finally:
        kerasport.mixed_precision.set_global_policy("float32")
