"""MixUp, CutMix, RandomErasing and RandomGaussianBlur against Keras 3's, on both backends.

Random draws differ from Keras's, so images are compared on Keras's own transformation
(``get_random_transformation`` fed to both ``transform_images`` / ``transform_labels``), on
factors that pin the draw, and statistically (mixing weights, erased fractions).
"""
import os

import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, run_layer_test, to_numpy

RNG = np.random.RandomState(1)
IMAGES = (RNG.rand(4, 10, 12, 3) * 255).astype("float32")
LABELS = np.eye(4, dtype="float32")
CF = (0, 3, 1, 2)


@pytest.fixture(scope="module")
def keras():
    return keras_module()


def close(ours, theirs, tol=1e-4):
    np.testing.assert_allclose(to_numpy(ours), np.asarray(theirs), rtol=tol, atol=tol)


CASES = [
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
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CASES)]


def _data(kwargs, x=IMAGES):
    return x if kwargs.get("data_format") != "channels_first" else np.transpose(x, CF)


def _plain(config):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items() if k != "name"}


def _ours(transformation):
    return {k: B.convert_to_tensor(np.asarray(v)) for k, v in transformation.items()}


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_config_matches_keras(keras, name, kwargs):
    assert _plain(getattr(layers, name)(**kwargs).get_config()) == \
        _plain(getattr(keras.layers, name)(**kwargs).get_config())


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_images_and_labels_match_keras_on_the_same_transformation(keras, name, kwargs):
    x = _data(kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    transformation = theirs.get_random_transformation(x, training=True)
    ours = getattr(layers, name)(**kwargs)
    ours_t = _ours(transformation)
    close(ours.transform_images(B.convert_to_tensor(x), ours_t), theirs.transform_images(x, transformation))
    close(ours.transform_labels(B.convert_to_tensor(LABELS), ours_t),
          theirs.transform_labels(LABELS, transformation))


def test_gaussian_blur_with_a_pinned_draw_matches_keras(keras):
    kwargs = dict(factor=(1.0, 1.0), kernel_size=5, sigma=(0.8, 0.8), value_range=(20, 230))
    for x in (IMAGES, IMAGES[0]):
        close(layers.RandomGaussianBlur(**kwargs)(x), keras.layers.RandomGaussianBlur(**kwargs)(x))


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_standard_layer_checks(name, kwargs):
    layer, out = run_layer_test(getattr(layers, name), kwargs, _data(kwargs).shape, train=False,
                                input_data=_data(kwargs), call_kwargs={"training": False})
    unbatched = getattr(layers, name)(**kwargs)(B.convert_to_tensor(_data(kwargs)[0]))
    assert tuple(B.shape(unbatched)) == tuple(B.shape(out))[1:]


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_pass_through_in_inference_and_seeds(name, kwargs):
    x = _data(kwargs)
    layer = getattr(layers, name)(**kwargs)
    for training in (False, None):
        close(layer(x, training=training), x)
        out = layer({"images": x, "labels": LABELS}, training=training)
        close(out["images"], x)
        close(out["labels"], LABELS)
    close(kerasport.Sequential([kerasport.Input(x.shape[1:]), layer]).predict(x, verbose=0), x)
    kwargs = {**kwargs, "seed": 42}
    a, b = getattr(layers, name)(**kwargs), getattr(layers, name)(**kwargs)
    first = to_numpy(a(x))
    np.testing.assert_array_equal(first, to_numpy(b(x)))
    assert any(not np.allclose(to_numpy(a(x)), first) for _ in range(6)), "the layer's random stream did not advance"


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
    return kerasport.Sequential([
        kerasport.Input((16, 16, 3)), layers.MixUp(seed=1), layers.CutMix(seed=2), layers.RandomErasing(seed=3),
        layers.RandomGaussianBlur(seed=4), layers.Rescaling(1 / 255), layers.Conv2D(4, 3, activation="relu"),
        layers.GlobalAveragePooling2D(), layers.Dense(2, activation="softmax")])


def test_layers_fit_in_a_sequential_model():
    x = (RNG.rand(16, 16, 16, 3) * 255).astype("float32")
    y = RNG.randint(0, 2, 16)
    model = _model()
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_save_load_round_trip_and_keras_files(keras, tmp_path):
    x = (RNG.rand(4, 16, 16, 3) * 255).astype("float32")
    model = _model()
    want = model.predict(x, verbose=0)
    path = os.path.join(tmp_path, "ours.keras")
    model.save(path)
    close(kerasport.saving.load_model(path).predict(x, verbose=0), want, 1e-5)
    close(keras.models.load_model(path).predict(x, verbose=0), want, 1e-4)
    theirs = keras.Sequential([
        keras.Input((16, 16, 3)), keras.layers.MixUp(alpha=0.4), keras.layers.CutMix(factor=0.5),
        keras.layers.RandomErasing(scale=0.2, fill_value=3.0), keras.layers.RandomGaussianBlur(kernel_size=5),
        keras.layers.Flatten(), keras.layers.Dense(1)])
    kpath = os.path.join(tmp_path, "keras.keras")
    theirs.save(kpath)
    loaded = kerasport.saving.load_model(kpath)
    for ours, ref in zip(loaded.layers[:4], theirs.layers[:4]):
        assert type(ours).__name__ == type(ref).__name__
        assert _plain(ours.get_config()) == _plain(ref.get_config())
    close(loaded.predict(x, verbose=0), theirs.predict(x, verbose=0), 1e-3)


@pytest.mark.skipif(B.NAME != "tensorflow", reason="tf.data exists in a TensorFlow process only")
def test_layers_run_inside_tf_data_map():
    import tensorflow as tf
    pipeline = [layers.MixUp(seed=1), layers.CutMix(seed=2), layers.RandomErasing(seed=3),
                layers.RandomGaussianBlur(seed=4)]

    def augment(images, labels):
        data = {"images": images, "labels": labels}
        for layer in pipeline:
            data = layer(data, training=True)
        return data["images"], data["labels"]

    ds = tf.data.Dataset.from_tensor_slices((IMAGES, LABELS)).batch(3).map(augment)
    batches = list(ds)
    assert [tuple(b[0].shape) for b in batches] == [(3, 10, 12, 3), (1, 10, 12, 3)]
    for images, labels in batches:
        np.testing.assert_allclose(labels.numpy().sum(1), 1.0, rtol=1e-5)
        assert np.all(np.isfinite(images.numpy()))
