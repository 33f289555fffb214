"""MixUp, CutMix, RandomErasing and RandomGaussianBlur against Keras 3's, on both backends.

Random draws differ from Keras's, so images are compared on Keras's own transformation
(``get_random_transformation`` fed to both ``transform_images`` / ``transform_labels``), on
factors that pin the draw, and statistically (mixing weights, erased fractions).
"""
import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import to_numpy
from tests.layers.image_layer_checks import (
    augmented_classifier, check_config_matches_keras, check_file_round_trip, check_fits_one_epoch,
    check_inference_passthrough, check_keras_file_loads, check_seeds, check_standard_layer,
    check_transform_matches_keras, close, in_layout, named_cases, needs_tf_data, random_images, tf_data_map)

RNG = np.random.RandomState(1)
IMAGES = random_images(RNG, (4, 10, 12, 3))
LABELS = np.eye(4, dtype="float32")


CASES = named_cases([
    ("MixUp", dict(alpha=0.3, seed=1)),
    ("MixUp", dict(data_format="channels_first")),
    ("CutMix", dict(seed=2)),
    ("CutMix", dict(factor=(0.2, 0.6), data_format="channels_first")),
    ("RandomErasing", dict(factor=1.0, seed=3)),
    ("RandomErasing", dict(factor=(0.3, 0.9), scale=0.5, fill_value=[1.0, 2.0, 300.0], value_range=(0, 255))),
    ("RandomErasing", dict(fill_value=7.0, data_format="channels_first")),
    ("RandomGaussianBlur", dict(seed=4)),
    ("RandomGaussianBlur", dict(factor=(0.5, 1.0), kernel_size=(5, 3), sigma=(0.5, 2.0), value_range=(10, 200),
                                data_format="channels_first")),
])


@pytest.mark.parametrize("name,kwargs", CASES)
def test_config_matches_keras(keras, name, kwargs):
    check_config_matches_keras(keras, name, kwargs)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_images_and_labels_match_keras_on_the_same_transformation(keras, name, kwargs):
    ours, theirs, transformation, ours_t = check_transform_matches_keras(keras, name, kwargs, in_layout(kwargs, IMAGES))
    close(ours.transform_labels(B.convert_to_tensor(LABELS), ours_t),
          theirs.transform_labels(LABELS, transformation))


def test_gaussian_blur_with_a_pinned_draw_matches_keras(keras):
    kwargs = dict(factor=(1.0, 1.0), kernel_size=5, sigma=(0.8, 0.8), value_range=(20, 230))
    for x in (IMAGES, IMAGES[0]):
        close(layers.RandomGaussianBlur(**kwargs)(x), keras.layers.RandomGaussianBlur(**kwargs)(x))


@pytest.mark.parametrize("name,kwargs", CASES)
def test_standard_layer_checks(name, kwargs):
    check_standard_layer(name, kwargs, in_layout(kwargs, IMAGES))


@pytest.mark.parametrize("name,kwargs", CASES)
def test_pass_through_in_inference_and_seeds(name, kwargs):
    x = in_layout(kwargs, IMAGES)
    layer = getattr(layers, name)(**kwargs)
    for training in (False, None):
        out = layer({"images": x, "labels": LABELS}, training=training)
        close(out["images"], x)
        close(out["labels"], LABELS)
    check_inference_passthrough(layer, x)
    check_seeds(name, kwargs, x, draws=6)


def test_mixup_mixes_images_and_labels_by_the_same_weights():
    out = layers.MixUp(alpha=0.5, seed=3)({"images": IMAGES, "labels": LABELS})
    labels = to_numpy(out["labels"])
    np.testing.assert_allclose(labels.sum(1), 1.0, rtol=1e-5)
    assert np.all(labels >= 0) and np.all(labels <= 1)
    close(out["images"], np.einsum("ij,jhwc->ihwc", labels, IMAGES), 1e-3)
    single = layers.MixUp(seed=1)(IMAGES[0])
    close(single, IMAGES[0], 1e-3)  # one image mixes with itself


def test_mixup_weights_follow_beta_alpha_alpha():
    x = np.zeros((2000, 1, 1, 1), "float32")
    for alpha in (0.2, 2.0):
        w = to_numpy(layers.MixUp(alpha=alpha, seed=5).get_random_transformation(x)["mix_weight"])
        assert w.min() >= 0 and w.max() <= 1 and abs(w.mean() - 0.5) < 0.05
        std = np.sqrt(1.0 / (4 * (2 * alpha + 1)))  # Beta(a, a)'s standard deviation
        assert abs(w.std() - std) < 0.03


def test_cutmix_pastes_boxes_and_mixes_labels_by_their_area():
    x = np.arange(4, dtype="float32").reshape(4, 1, 1, 1) * np.ones((4, 20, 24, 3), "float32")
    out = layers.CutMix(seed=7)({"images": x, "labels": LABELS})
    images, labels = to_numpy(out["images"]), to_numpy(out["labels"])
    np.testing.assert_allclose(labels.sum(1), 1.0, rtol=1e-5)
    for i in range(4):
        assert set(np.unique(images[i])) <= {float(i)} | {float(j) for j in np.nonzero(labels[i] > 1e-6)[0]}
        pasted = np.mean(images[i] != i)
        assert abs(pasted - (1.0 - labels[i, i])) < 0.2 or labels[i, i] == 1.0
        rows, cols = np.nonzero(images[i, :, :, 0] != i)
        if rows.size:  # one axis-aligned box
            assert rows.size == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    close(layers.CutMix(seed=1)(x[0]), x[0])  # an unbatched image passes through, as in Keras


def test_erasing_and_blur_probabilities():
    x = np.full((600, 6, 6, 1), 100.0, "float32")
    erased = to_numpy(layers.RandomErasing(factor=(0.5, 0.5), scale=(0.3, 0.3), fill_value=0.0, seed=2)(x))
    changed = np.any(erased != 100.0, axis=(1, 2, 3))
    assert 0.4 < changed.mean() < 0.6
    assert set(np.unique(erased)) == {0.0, 100.0}
    noise = to_numpy(layers.RandomErasing(factor=(1.0, 1.0), value_range=(0, 1), seed=2)(np.full((50, 8, 8, 1), 0.5)))
    assert noise.min() >= 0 and noise.max() <= 1 and np.mean(noise != 0.5) > 0.05
    y = RNG.rand(600, 6, 6, 1).astype("float32") * 255
    blurred = to_numpy(layers.RandomGaussianBlur(factor=(0.25, 0.25), seed=3)(y))
    assert 0.15 < np.any(blurred != y, axis=(1, 2, 3)).mean() < 0.35


def test_segmentation_masks():
    masks = RNG.randint(0, 3, (4, 10, 12, 1)).astype("float32")
    out = layers.CutMix(seed=2)({"images": IMAGES, "segmentation_masks": masks})
    pasted = to_numpy(out["images"])[..., :1] != IMAGES[..., :1]
    assert np.array_equal(to_numpy(out["segmentation_masks"])[~pasted], masks[~pasted])
    out = layers.RandomErasing(seed=2)({"images": IMAGES, "segmentation_masks": masks})
    close(out["segmentation_masks"], masks)


def test_errors():
    with pytest.raises(ValueError, match="MixUp.*alpha.*-1"):
        layers.MixUp(alpha=-1)
    with pytest.raises(ValueError, match="CutMix.*factor.*range \\[0, 1\\]"):
        layers.CutMix(factor=1.5)
    with pytest.raises(ValueError, match="RandomErasing.*scale"):
        layers.RandomErasing(scale=(1.2, 2.0))
    with pytest.raises(ValueError, match="RandomErasing.*fill_value"):
        layers.RandomErasing(fill_value=[1.0, 2.0])
    with pytest.raises(ValueError, match="RandomGaussianBlur.*kernel_size.*4"):
        layers.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match="MixUp.*'images' key"):
        layers.MixUp()({"pixels": IMAGES})
    with pytest.raises(NotImplementedError, match="CutMix.*bounding_boxes"):
        layers.CutMix()({"images": IMAGES,
                         "bounding_boxes": {"boxes": np.zeros((4, 1, 4)), "labels": np.zeros((4, 1))}})
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        layers.MixUp()(np.zeros((2, 3), "float32"))


def _model():
    return augmented_classifier([layers.MixUp(seed=1), layers.CutMix(seed=2), layers.RandomErasing(seed=3),
                                 layers.RandomGaussianBlur(seed=4)])


def test_layers_fit_in_a_sequential_model():
    x = random_images(RNG, (16, 16, 16, 3))
    check_fits_one_epoch(_model(), x, RNG.randint(0, 2, 16))


def test_save_load_round_trip_and_keras_files(keras, tmp_path):
    x = random_images(RNG, (4, 16, 16, 3))
    check_file_round_trip(keras, _model(), x, tmp_path)
    theirs = keras.Sequential([
        keras.Input((16, 16, 3)), keras.layers.MixUp(alpha=0.4), keras.layers.CutMix(factor=0.5),
        keras.layers.RandomErasing(scale=0.2, fill_value=3.0), keras.layers.RandomGaussianBlur(kernel_size=5),
        keras.layers.Flatten(), keras.layers.Dense(1)])
    check_keras_file_loads(theirs, x, tmp_path, ["MixUp", "CutMix", "RandomErasing", "RandomGaussianBlur"], tol=1e-3)


@needs_tf_data
def test_layers_run_inside_tf_data_map():
    pipeline = [layers.MixUp(seed=1), layers.CutMix(seed=2), layers.RandomErasing(seed=3),
                layers.RandomGaussianBlur(seed=4)]

    def augment(images, labels):
        data = {"images": images, "labels": labels}
        for layer in pipeline:
            data = layer(data, training=True)
        return data["images"], data["labels"]

    batches = tf_data_map(augment, (IMAGES, LABELS), batch_size=3)
    assert [tuple(b[0].shape) for b in batches] == [(3, 10, 12, 3), (1, 10, 12, 3)]
    for images, labels in batches:
        np.testing.assert_allclose(labels.sum(1), 1.0, rtol=1e-5)
        assert np.all(np.isfinite(images))
