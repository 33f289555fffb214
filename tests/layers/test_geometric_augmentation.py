"""RandomShear, RandomPerspective and RandomElasticTransform against Keras 3's, on both backends.

Images are compared on Keras's own transformation (its ``get_random_transformation`` fed to
both ``transform_images``), on factors that pin the draw, and statistically where only the
distribution can match (RandomElasticTransform draws its noise inside Keras's op).
"""
import functools

import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import to_numpy
from tests.layers import image_layer_checks
from tests.layers.image_layer_checks import (
    augmented_classifier, check_config_matches_keras, check_file_round_trip, check_fits_one_epoch,
    check_inference_passthrough, check_keras_file_loads, check_seeds, check_standard_layer,
    check_transform_matches_keras, layer_input, named_cases, needs_tf_data, random_images, tf_data_map)

RNG = np.random.RandomState(2)
IMAGES = random_images(RNG, (3, 10, 12, 3))
close = functools.partial(image_layer_checks.close, tol=1e-3)  # resampled pixels agree to 1e-3


CASES = named_cases([
    ("RandomShear", dict(x_factor=0.3, seed=1)),
    ("RandomShear", dict(x_factor=(0.1, 0.4), y_factor=0.2, fill_mode="constant", fill_value=9.0,
                         interpolation="nearest", data_format="channels_first")),
    ("RandomPerspective", dict(seed=2)),
    ("RandomPerspective", dict(factor=(0.5, 1.0), scale=0.4, interpolation="nearest", fill_value=3.0,
                               data_format="channels_first")),
    ("RandomPerspective", dict(scale=0.2, bounding_box_format="xyxy")),
    ("RandomElasticTransform", dict(seed=3)),
    ("RandomElasticTransform", dict(factor=(0.5, 1.0), scale=(0.2, 0.6), fill_mode="constant", fill_value=4.0,
                                    interpolation="nearest", value_range=(0, 1), data_format="channels_first")),
])
DETERMINISTIC = [c for c in CASES if c.values[0] != "RandomElasticTransform"]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_config_matches_keras(keras, name, kwargs):
    check_config_matches_keras(keras, name, kwargs)


@pytest.mark.parametrize("name,kwargs", DETERMINISTIC)
def test_transform_matches_keras_on_the_same_transformation(keras, name, kwargs):
    for x in (layer_input(kwargs, IMAGES), layer_input(kwargs, IMAGES)[0]):
        check_transform_matches_keras(keras, name, kwargs, x, tol=1e-3)


def test_shear_with_a_pinned_draw_is_one_of_two_keras_shears(keras):
    """``x_factor=(s, s)`` pins the shear up to Keras's random sign."""
    ours = to_numpy(layers.RandomShear(x_factor=(0.3, 0.3), y_factor=(0.1, 0.1), seed=4)(IMAGES))
    theirs = keras.layers.RandomShear(x_factor=(0.3, 0.3), y_factor=(0.1, 0.1))
    options = [np.asarray(theirs.transform_images(IMAGES, {"shear_factor": np.full((3, 2), [0.3, 0.1], "float32")
                                                           * sign})) for sign in (1.0, -1.0)]
    for i in range(3):
        assert min(np.abs(ours[i] - option[i]).max() for option in options) < 1e-3


def test_perspective_at_scale_zero_and_elastic_at_factor_zero_are_identities(keras):
    close(layers.RandomPerspective(factor=1.0, scale=0.0)(IMAGES), IMAGES)
    close(layers.RandomElasticTransform(factor=0.0)(IMAGES), IMAGES)
    close(layers.RandomElasticTransform(scale=0.0)(IMAGES), IMAGES)
    close(layers.RandomShear()(IMAGES), keras.layers.RandomShear()(IMAGES))


def test_elastic_transform_matches_keras_statistically(keras):
    """Same probability of changing an image, similar displacement sizes, values kept in range."""
    x = (RNG.rand(200, 16, 16, 1) * 255).astype("float32")
    kwargs = dict(factor=(0.5, 0.5), scale=(0.8, 0.8))
    ours = to_numpy(layers.RandomElasticTransform(seed=5, **kwargs)(x))
    theirs = np.asarray(keras.layers.RandomElasticTransform(seed=5, **kwargs)(x))
    ours_changed = np.any(np.abs(ours - x) > 1e-3, axis=(1, 2, 3))
    theirs_changed = np.any(np.abs(theirs - x) > 1e-3, axis=(1, 2, 3))
    assert 0.35 < ours_changed.mean() < 0.65 and 0.35 < theirs_changed.mean() < 0.65
    assert ours.min() >= 0 and ours.max() <= 255
    ours_step = np.abs(ours - x)[ours_changed].mean()
    theirs_step = np.abs(theirs - x)[theirs_changed].mean()
    assert 0.5 < ours_step / theirs_step < 2.0


@pytest.mark.parametrize("name,kwargs", CASES)
def test_standard_layer_checks(name, kwargs):
    check_standard_layer(name, kwargs, layer_input(kwargs, IMAGES))


@pytest.mark.parametrize("name,kwargs", CASES)
def test_pass_through_in_inference_and_seeds(name, kwargs):
    x = layer_input(kwargs, IMAGES)
    check_inference_passthrough(getattr(layers, name)(**kwargs), x, tol=1e-3)
    check_seeds(name, kwargs, x, draws=6)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_segmentation_masks_get_the_same_warp(name, kwargs):
    x = layer_input(kwargs, IMAGES)
    kwargs = {k: v for k, v in kwargs.items() if k != "value_range"}
    masks = layer_input(kwargs, np.repeat(RNG.randint(0, 4, (3, 10, 12, 1)), 3, -1).astype("float32"))
    layer = getattr(layers, name)(**{**kwargs, "interpolation": "nearest"})
    out = layer({"images": masks, "labels": np.eye(3), "segmentation_masks": masks})
    close(out["segmentation_masks"], out["images"])
    close(out["labels"], np.eye(3))
    assert set(np.unique(to_numpy(out["segmentation_masks"]))) <= {0.0, 1.0, 2.0, 3.0, 4.0, 9.0}


def test_errors():
    with pytest.raises(ValueError, match="RandomShear.*x_factor.*1.5"):
        layers.RandomShear(x_factor=1.5)
    with pytest.raises(ValueError, match="RandomShear.*y_factor"):
        layers.RandomShear(y_factor=(-1.2, 0.1))
    with pytest.raises(NotImplementedError, match="RandomShear.*fill_mode"):
        layers.RandomShear(fill_mode="mirror")
    with pytest.raises(ValueError, match="RandomPerspective.*scale"):
        layers.RandomPerspective(scale=2.0)
    with pytest.raises(NotImplementedError, match="RandomPerspective.*interpolation"):
        layers.RandomPerspective(interpolation="bicubic")
    with pytest.raises(ValueError, match="RandomElasticTransform.*factor"):
        layers.RandomElasticTransform(factor=3)
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        layers.RandomShear()(np.zeros((2, 3), "float32"))


def _model():
    return augmented_classifier([layers.RandomShear((0.0, 0.2), (0.1, 0.2), seed=1), layers.RandomPerspective(seed=2),
                                 layers.RandomElasticTransform(seed=3)])


def test_layers_fit_in_a_sequential_model():
    x = random_images(RNG, (16, 16, 16, 3))
    check_fits_one_epoch(_model(), x, RNG.randint(0, 2, 16))


def test_save_load_round_trip_and_keras_files(keras, tmp_path):
    x = random_images(RNG, (4, 16, 16, 3))
    check_file_round_trip(keras, _model(), x, tmp_path)
    theirs = keras.Sequential([
        keras.Input((16, 16, 3)), keras.layers.RandomShear(x_factor=0.1, fill_mode="wrap"),
        keras.layers.RandomPerspective(factor=0.5, scale=0.2),
        keras.layers.RandomElasticTransform(scale=(0.1, 0.3), fill_mode="nearest"),
        keras.layers.Flatten(), keras.layers.Dense(1)])
    # Keras cannot reload the file: its RandomShear rejects the x_factor [-0.1, 0.1] it wrote.
    check_keras_file_loads(theirs, x, tmp_path, ["RandomShear", "RandomPerspective", "RandomElasticTransform"],
                           tol=1e-3)


@needs_tf_data
def test_layers_run_inside_tf_data_map():
    pipeline = [layers.RandomShear(0.2, 0.2, seed=1), layers.RandomPerspective(seed=2),
                layers.RandomElasticTransform(seed=3)]

    def augment(images):
        for layer in pipeline:
            images = layer(images, training=True)
        return images

    batches = tf_data_map(augment, IMAGES, batch_size=2)
    assert [tuple(b.shape) for b in batches] == [(2, 10, 12, 3), (1, 10, 12, 3)]
    assert all(np.all(np.isfinite(b)) for b in batches)
    assert any(not np.allclose(b, IMAGES[i * 2:i * 2 + 2]) for i, b in enumerate(batches))


@pytest.mark.parametrize("batched", [True, False])
def test_perspective_moves_bounding_boxes_as_keras(keras, batched):
    corners = RNG.uniform(0, 6, (3, 4, 2)).astype("float32")
    boxes = {"boxes": np.concatenate([corners, corners + RNG.uniform(1, 5, (3, 4, 2)).astype("float32")], -1),
             "labels": np.arange(12, dtype="int32").reshape(3, 4)}
    x = IMAGES
    if not batched:
        x, boxes = x[0], {k: v[0] for k, v in boxes.items()}
    kwargs = dict(factor=(0.5, 1.0), scale=0.6, bounding_box_format="xyxy")
    theirs = keras.layers.RandomPerspective(**kwargs)
    transformation = theirs.get_random_transformation({"images": x}, training=True)
    want = theirs.transform_bounding_boxes(
        {k: np.array(v)[None] if not batched else np.array(v) for k, v in boxes.items()}, transformation)
    ours = {k: B.convert_to_tensor(np.asarray(v)) if k != "input_shape" else tuple(x.shape)
            for k, v in transformation.items()}
    got = layers.RandomPerspective(**kwargs).transform_bounding_boxes(
        {k: B.convert_to_tensor(v) for k, v in boxes.items()}, ours)
    squeeze = (lambda t: np.asarray(t)) if batched else (lambda t: np.asarray(t)[0])
    close(got["boxes"], squeeze(want["boxes"]))
    np.testing.assert_array_equal(to_numpy(got["labels"]), squeeze(want["labels"]))
    out = layers.RandomPerspective(**kwargs)({"images": x, "bounding_boxes": boxes})
    assert tuple(out["bounding_boxes"]["boxes"].shape) == boxes["boxes"].shape
    as_xywh = to_numpy(kerasport.utils.bounding_boxes.convert_format(boxes["boxes"], "xyxy", "xywh"))
    xywh = layers.RandomPerspective(**{**kwargs, "bounding_box_format": "xywh", "seed": 1})(
        {"images": x, "bounding_boxes": {**boxes, "boxes": as_xywh}})
    assert np.all(to_numpy(xywh["bounding_boxes"]["boxes"])[..., 2:] >= 0)  # widths and heights, in xywh
