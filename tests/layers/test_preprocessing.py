"""Rescaling and Normalization: shared checks, Keras as the oracle (outputs, adapted statistics), errors."""
import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, run_layer_test, to_numpy


def _x(shape, seed=0):
    return (np.random.RandomState(seed).randn(*shape) * 3 + 2).astype("float32")


@pytest.mark.parametrize("layer_cls,kwargs,shape", [
    (layers.Rescaling, {"scale": 1 / 255, "offset": -1.0}, (2, 4)),
    (layers.Rescaling, {"scale": np.array([1.0, 2.0, 3.0], "float32")}, (2, 2, 3)),
    (layers.Normalization, {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]}, (2, 3)),
    (layers.Normalization, {"axis": None, "mean": 2.0, "variance": 4.0, "invert": True}, (2, 3)),
    (layers.Normalization, {"axis": (1, 2)}, (2, 3, 4)),
])
def test_shared_checks(layer_cls, kwargs, shape):
    run_layer_test(layer_cls, kwargs, shape, train=False)


@pytest.mark.parametrize("kwargs", [{"scale": 0.5, "offset": 0.25},
                                    {"scale": np.array([1.0, 0.5, 2.0], "float32"), "offset": 1.0}])
def test_rescaling_matches_keras(kwargs):
    keras = keras_module()
    x = _x((2, 4, 3))
    want = keras.layers.Rescaling(**kwargs)(x).numpy()
    np.testing.assert_allclose(to_numpy(layers.Rescaling(**kwargs)(B.convert_to_tensor(x))), want, rtol=1e-6)
    config = keras.layers.Rescaling(name="r", **kwargs).get_config()
    np.testing.assert_array_equal(layers.Rescaling.from_config(config).scale, kwargs["scale"])
    assert layers.Rescaling(name="r", **kwargs).get_config() == config


def test_rescaling_casts_integer_inputs():
    out = layers.Rescaling(0.5)(B.convert_to_tensor(np.array([[2, 4]], "int32")))
    assert B.dtype(out) == "float32"
    np.testing.assert_array_equal(to_numpy(out), [[1.0, 2.0]])


@pytest.mark.skipif(B.NAME != "tensorflow", reason="tf.data maps trace the layer in a TensorFlow graph")
def test_rescaling_runs_in_two_tf_data_maps():
    """keras.io's Focal Modulation Network maps one ``Sequential([Rescaling, Resizing])`` over two datasets: the
    first map's graph builds the layer, and the second must not reuse a tensor of that graph."""
    import tensorflow as tf
    rescale = layers.Rescaling(1 / 255.0)
    images = np.full((2, 3, 3, 1), 255, "uint8")
    for _ in range(2):
        dataset = tf.data.Dataset.from_tensor_slices(images).map(rescale)
        np.testing.assert_allclose(np.stack(list(dataset.as_numpy_iterator())), np.ones((2, 3, 3, 1)))


@pytest.mark.parametrize("kwargs,shape", [
    ({"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 0.0]}, (4, 3)),
    ({"axis": None, "mean": 2.0, "variance": 4.0}, (4, 3)),
    ({"axis": (1, 2), "mean": [[1.0], [2.0]], "variance": [[3.0], [4.0]], "invert": True}, (4, 2, 3)),
])
def test_normalization_with_given_statistics_matches_keras(kwargs, shape):
    keras = keras_module()
    x = _x(shape)
    want = keras.layers.Normalization(**kwargs)(x).numpy()
    np.testing.assert_allclose(to_numpy(layers.Normalization(**kwargs)(B.convert_to_tensor(x))), want,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis,shape", [(-1, (50, 3)), ((1, 2), (20, 3, 4)), (None, (30, 2)), (1, (10, 4, 5))])
def test_adapt_matches_keras(axis, shape):
    keras = keras_module()
    data = _x(shape, seed=1)
    k, ours = keras.layers.Normalization(axis=axis), layers.Normalization(axis=axis)
    k.adapt(data)
    ours.adapt(data)
    for got, want in zip(ours.get_weights()[:2], k.get_weights()[:2]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(ours(B.convert_to_tensor(data))), k(data).numpy(), rtol=1e-4, atol=1e-5)
    assert ours.get_weights()[2] == k.get_weights()[2] == 0  # Keras 3 leaves ``count`` at zero


def test_adapt_on_batches_equals_adapt_on_the_whole():
    data = _x((100, 4), seed=2)
    whole = layers.Normalization()
    whole.adapt(data)
    batches = [data[i:i + 32] for i in range(0, 100, 32)]
    for source in (batches, ((b, b[:, :1]) for b in batches), B.convert_to_tensor(data)):
        layer = layers.Normalization()
        layer.adapt(source)
        for got, want in zip(layer.get_weights(), whole.get_weights()):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_adapt_again_replaces_statistics_and_weights_load_from_keras():
    keras = keras_module()
    layer = layers.Normalization()
    layer.adapt(_x((10, 2)))
    layer.adapt(np.array([[0.0, 1.0], [2.0, 3.0]], "float32"))
    np.testing.assert_allclose(layer.get_weights()[0], [1.0, 2.0])
    k = keras.layers.Normalization()
    k.adapt(_x((10, 2), seed=5))
    layer.set_weights(k.get_weights())
    x = _x((3, 2), seed=6)
    np.testing.assert_allclose(to_numpy(layer(B.convert_to_tensor(x))), k(x).numpy(), rtol=1e-5, atol=1e-6)


def test_adapted_statistics_assigned_by_hand_apply_after_finalize_state_as_keras():
    norm = layers.Normalization()
    norm.adapt(np.array([[0.0], [2.0]], "float32"))
    norm.adapt_mean.assign(np.array([10.0], "float32"))
    norm.adapt_variance.assign(np.array([4.0], "float32"))
    norm.finalize_state()
    np.testing.assert_allclose(to_numpy(norm(np.array([[14.0]], "float32"))), [[2.0]])


def test_bad_inputs():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    layer = layers.Normalization()
    layer.adapt(_x((10, 3)))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(10, 3\).*\(4, 5\)"):
        layer.adapt(_x((4, 5)))
    with pytest.raises(ValueError, match="axis"):
        layers.Normalization(axis=3)(B.ones((2, 3)))
    with pytest.raises(ValueError, match="cannot be adapted"):
        layers.Normalization(mean=1.0, variance=1.0).adapt(_x((3, 2)))
    with pytest.raises(TypeError, match="iterable of batches"):
        layers.Normalization().adapt(3.0)


@pytest.mark.parametrize("kwargs", [{}, {"axis": None}, {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]}])
def test_normalization_mean_and_variance_attributes_match_keras(kwargs):
    """``layer.mean`` / ``layer.variance``: ``None`` before build, then broadcast to the inputs' rank."""
    keras = keras_module()
    x = _x((6, 3), seed=3)
    ours, ref = layers.Normalization(**kwargs), keras.layers.Normalization(**kwargs)
    assert ours.mean is None and ref.mean is None
    if "mean" in kwargs:
        ours.build(x.shape), ref.build(x.shape)
    else:
        ours.adapt(x), ref.adapt(x)
    for name in ("mean", "variance"):
        np.testing.assert_allclose(to_numpy(getattr(ours, name)), np.asarray(getattr(ref, name)), rtol=1e-6)


@pytest.mark.skipif(B.NAME != "tensorflow", reason="tf.data exists in a TensorFlow process only")
def test_preprocessing_layers_run_inside_tf_data_map_as_eagerly():
    import tensorflow as tf
    lookup = layers.StringLookup(vocabulary=["a", "b"])
    vectorize = layers.TextVectorization(output_sequence_length=3)
    vectorize.adapt(["a b", "c d"])
    normalize = layers.Normalization()
    normalize.adapt(np.arange(6.0).reshape(3, 2))
    for layer, data in ((lookup, np.array(["a", "c", "b", "a"])), (vectorize, np.array(["a c", "d x", "b", "c"])),
                        (normalize, np.arange(8.0, dtype="float32").reshape(4, 2))):
        mapped = [d.numpy() for d in tf.data.Dataset.from_tensor_slices(data).batch(2).map(layer)]
        np.testing.assert_array_equal(np.concatenate(mapped), B.convert_to_numpy(layer(data)))


@pytest.mark.skipif(B.NAME != "tensorflow", reason="a tf.function exists in a TensorFlow process only")
def test_rescaling_first_called_in_a_tf_function_runs_eagerly_after():
    """keras.io's SimCLR calls its augmenter (``Rescaling(1 / 255)`` first) in a custom ``train_step`` before any
    eager call: the layer builds inside that graph, and must not keep the graph's tensors for later calls."""
    import tensorflow as tf
    x = _x((2, 4, 3))
    for scale in (1 / 255, np.array([1.0, 0.5, 2.0], "float32")):
        rescale = layers.Rescaling(scale, offset=1.0)
        traced = tf.function(lambda t: rescale(t))(tf.constant(x))
        np.testing.assert_allclose(to_numpy(rescale(x)), x * scale + 1.0, rtol=1e-6)
        np.testing.assert_allclose(to_numpy(traced), x * scale + 1.0, rtol=1e-6)
