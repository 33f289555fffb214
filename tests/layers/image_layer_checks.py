"""The standard checks of an image preprocessing layer, shared by the tests of the image layers.

A layer is named by its Keras class name and arguments (``name, kwargs``, as the test files' ``CASES`` list
them) or passed built, with the images to run it on. The checks assert what every image layer owes: Keras's
config, Keras's output on Keras's own random transformation, ``run_layer_test``'s checks on batched and
unbatched images, the inference passthrough, seeds that reproduce and streams that advance, one epoch of ``fit``
in a ``Sequential`` model, ``.keras`` files both ways (ours read back by us and by Keras, Keras's read by us) and
the layer inside ``tf.data.Dataset.map``. Around them: test images made and laid out as a layer takes them,
and the ``close`` comparison.
"""
import os

import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import run_layer_test, to_numpy

CF = (0, 3, 1, 2)  # channels_last -> channels_first
needs_tf_data = pytest.mark.skipif(B.NAME != "tensorflow", reason="tf.data exists in a TensorFlow process only")


def named_cases(cases):
    """``(name, kwargs)`` cases as ``pytest.param``s with the ids ``{name}-{index}``, which a subset keeps."""
    return [pytest.param(name, kwargs, id=f"{name}-{i}") for i, (name, kwargs) in enumerate(cases)]


def random_images(rng, shape):
    """float32 pixels in [0, 255) of ``shape``, drawn from ``rng`` (a ``np.random.RandomState``)."""
    return (rng.rand(*shape) * 255).astype("float32")


def in_layout(kwargs, images):
    """``images`` (channels_last) in the layout ``kwargs["data_format"]`` asks for."""
    return images if kwargs.get("data_format") != "channels_first" else np.transpose(images, CF)


def layer_input(kwargs, images):
    """``images`` (pixels in [0, 255], channels_last) as the layer made with ``kwargs`` takes them: scaled to
    [0, 1] for ``value_range=(0, 1)`` and in its ``data_format``."""
    return in_layout(kwargs, images / 255.0 if kwargs.get("value_range") == (0, 1) else images)


def close(ours, theirs, tol=1e-4):
    """``ours`` (a tensor of ours or an array) equals ``theirs`` to ``tol``, relative and absolute."""
    np.testing.assert_allclose(to_numpy(ours), np.asarray(theirs), rtol=tol, atol=tol)


def plain_config(config):
    """``config`` without its ``name``, its tuples as lists (as a ``.keras`` file gives them back)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items() if k != "name"}


def to_ours(transformation):
    """Keras's (nested) transformation with its tensors as ours."""
    if isinstance(transformation, dict):
        return {k: to_ours(v) for k, v in transformation.items()}
    if isinstance(transformation, (list, tuple)):
        return type(transformation)(to_ours(v) for v in transformation)
    if transformation is None or isinstance(transformation, (str, int, float)):
        return transformation
    return B.convert_to_tensor(np.asarray(transformation))


def augmented_classifier(augmenting, input_shape=(16, 16, 3)):
    """A ``Sequential`` model: the layers ``augmenting`` on images of ``input_shape``, then a small convolutional
    two-class classifier of the pixels rescaled to [0, 1]."""
    return kerasport.Sequential([kerasport.Input(input_shape)] + list(augmenting) + [
        layers.Rescaling(1 / 255), layers.Conv2D(4, 3, activation="relu"), layers.GlobalAveragePooling2D(),
        layers.Dense(2, activation="softmax")])


def check_config_matches_keras(keras, name, kwargs, ignore=()):
    """Our ``name(**kwargs)`` has Keras's config keys, and its values but for the name and the keys in ``ignore``."""
    ours = getattr(layers, name)(**kwargs).get_config()
    theirs = getattr(keras.layers, name)(**kwargs).get_config()
    assert set(ours) == set(theirs)
    assert {k: v for k, v in plain_config(ours).items() if k not in ignore} == \
        {k: v for k, v in plain_config(theirs).items() if k not in ignore}


def check_transform_matches_keras(keras, name, kwargs, x, tol=1e-4):
    """Keras's ``name(**kwargs)`` draws a transformation for ``x``; ours transforms ``x`` by it as Keras does.
    Returns our layer, Keras's and the transformation (Keras's and ours), to check more by it."""
    theirs = getattr(keras.layers, name)(**kwargs)
    transformation = theirs.get_random_transformation(x, training=True)
    ours, ours_t = getattr(layers, name)(**kwargs), to_ours(transformation)
    close(ours.transform_images(B.convert_to_tensor(x), ours_t, training=True),
          theirs.transform_images(x, transformation, training=True), tol)
    return ours, theirs, transformation, ours_t


def check_standard_layer(name, kwargs, x):
    """``run_layer_test`` (inference calls) on the batch ``x``; one unbatched image gives one image's output, the
    shape ``compute_output_shape`` gives for it."""
    layer, out = run_layer_test(getattr(layers, name), kwargs, x.shape, train=False, input_data=x,
                                call_kwargs={"training": False})
    unbatched = getattr(layers, name)(**kwargs)(B.convert_to_tensor(x[0]))
    assert tuple(B.shape(unbatched)) == tuple(B.shape(out))[1:]
    assert tuple(layer.compute_output_shape(x.shape[1:])) == tuple(B.shape(unbatched))
    return layer, out


def check_inference_passthrough(layer, x, want=None, tol=1e-4):
    """Called with ``training`` False or None, and inside a ``Sequential`` model's ``predict``, ``layer`` gives
    ``want`` (by default ``x`` itself)."""
    want = x if want is None else want
    for training in (False, None):
        close(layer(x, training=training), want, tol)
    close(kerasport.Sequential([kerasport.Input(x.shape[1:]), layer]).predict(x, verbose=0), want, tol)


def check_seeds(name, kwargs, x, draws=4, changes_input=True):
    """Two layers with the same seed draw the same first output; the next ``draws`` calls of one of them draw
    something else at least once; with ``changes_input``, at least one output differs from ``x``."""
    kwargs = {**kwargs, "seed": 42}
    a, b = getattr(layers, name)(**kwargs), getattr(layers, name)(**kwargs)
    first = to_numpy(a(x))
    np.testing.assert_array_equal(first, to_numpy(b(x)))
    outs = [to_numpy(a(x)) for _ in range(draws)]
    if changes_input:
        assert any(o.shape != x.shape or not np.allclose(o, x, atol=1e-3) for o in [first] + outs), \
            "the layer changed nothing in training"
    assert any(not np.allclose(o, first) for o in outs), "the layer's random stream did not advance"


def check_fits_one_epoch(model, x, y, loss="sparse_categorical_crossentropy", batch_size=8):
    """``model`` (with its augmenting layers) compiles with Adam, fits one epoch to a finite loss and changes its
    weights; its ``predict`` runs no augmentation (two calls agree). Returns the weights before ``fit``."""
    model.compile("adam", loss)
    before = model.get_weights()
    history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights())), "fit changed no weight"
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    return before


def check_file_round_trip(keras, model, x, folder, ext=".keras", keras_loads=True):
    """``model`` saved to ``folder`` loads back with the same layers (names, configs) and the very same outputs, and
    Keras loads the file to the same outputs (to 1e-4) unless ``keras_loads`` is False."""
    want = model.predict(x, verbose=0)
    path = os.path.join(folder, "ours" + ext)
    model.save(path)
    loaded = kerasport.saving.load_model(path)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert [plain_config(layer.get_config()) for layer in loaded.layers] == \
        [plain_config(layer.get_config()) for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), want)
    if keras_loads:
        close(keras.models.load_model(path).predict(x, verbose=0), want, 1e-4)


def check_keras_file_loads(theirs, x, folder, names, tol=1e-4, ext=".keras"):
    """``theirs`` (a Keras model) saved to ``folder`` loads as ours: its first layers are ``names``, with Keras's
    configs, and the model gives Keras's outputs on ``x``. Returns the loaded model."""
    path = os.path.join(folder, "keras" + ext)
    theirs.save(path)
    loaded = kerasport.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers][:len(names)] == list(names)
    for ours, ref in zip(loaded.layers[:len(names)], theirs.layers):
        assert plain_config(ours.get_config()) == plain_config(ref.get_config())
    close(loaded.predict(x, verbose=0), theirs.predict(x, verbose=0), tol)
    return loaded


def tf_data_map(fn, data, batch_size):
    """The batches of ``tf.data.Dataset.from_tensor_slices(data).batch(batch_size).map(fn)``, as numpy arrays (in
    ``fn``'s output structure)."""
    import tensorflow as tf
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(batch_size).map(fn)
    return [tf.nest.map_structure(lambda t: t.numpy(), batch) for batch in dataset]


def check_tf_data_map(layer, x, batch_size, tol=1e-4):
    """``layer`` maps the batches of ``x`` to batches of its shape, and to ``x`` itself with ``training=False``.
    Returns the batches it maps in training, joined."""
    mapped = np.concatenate(tf_data_map(layer, x, batch_size))
    assert mapped.shape == x.shape
    close(np.concatenate(tf_data_map(lambda images: layer(images, training=False), x, batch_size)), x, tol)
    return mapped
