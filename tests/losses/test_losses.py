"""The ``kerasport.losses`` package: every loss equals Keras 3's value on the same data (each reduction, with and
without sample weights), and ``get`` / ``serialize`` / ``deserialize`` resolve every Keras name and config."""
import numpy as np
import pytest

from kerasport import losses
from tests.helpers import keras_module, to_numpy
from tests.metrics import close as _close
from tests.metrics import make_data as _data

REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]

CASES = [
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("CosineSimilarity", {"axis": 1}, "regression"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.5}, "regression"),
    ("LogCosh", {}, "regression"),
    ("Hinge", {}, "signs"),
    ("Hinge", {}, "binary"),
    ("SquaredHinge", {}, "signs"),
    ("CategoricalHinge", {}, "categorical"),
    ("KLDivergence", {}, "categorical"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "logits"),
    ("BinaryFocalCrossentropy", {}, "binary"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5,
                                 "from_logits": True, "label_smoothing": 0.2}, "logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "categorical_logits"),
    ("CategoricalFocalCrossentropy", {}, "categorical"),
    ("CategoricalFocalCrossentropy", {"alpha": [0.1, 0.2, 0.3, 0.4], "gamma": 1.0, "from_logits": True,
                                      "label_smoothing": 0.1}, "categorical_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 1}, "sparse_logits"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.7}, "sparse"),
    ("Dice", {}, "binary"),
    ("Dice", {"axis": (1, 2)}, "binary"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2)}, "binary"),
]


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_loss_matches_keras(name, kwargs, kind, rng):
    keras = keras_module()
    per_sample_only = name in ("Dice", "Tversky") and "axis" not in kwargs
    for shape in ((5, 3, 4),) if isinstance(kwargs.get("axis"), tuple) else ((6, 4), (5, 3, 4)):
        y_true, y_pred = _data(kind, shape, rng)
        weights = [None] if per_sample_only else [None, rng.rand(shape[0]).astype("float32")]
        if len(shape) == 3 and not per_sample_only:
            weights.append(rng.rand(*shape[:2]).astype("float32"))  # per timestep
        values_shape = np.shape(to_numpy(getattr(losses, name)(reduction="none", **kwargs)(y_true, y_pred)))
        # Keras does not broadcast per-sample weights over timesteps (tested below).
        weights = [sw for sw in weights if sw is None or sw.shape == values_shape]
        for reduction in REDUCTIONS:
            ours = getattr(losses, name)(reduction=reduction, **kwargs)
            theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
            for sw in weights:
                _close(ours(y_true, y_pred, sample_weight=sw), theirs(y_true, y_pred, sample_weight=sw))


@pytest.mark.parametrize("name,kwargs,kind", CASES[::3], ids=[c[0] for c in CASES[::3]])
def test_loss_functions_match_keras(name, kwargs, kind, rng):
    keras = keras_module()
    fn_name = getattr(losses, name)(**kwargs).fn.__name__
    y_true, y_pred = _data(kind, (6, 4), rng)
    _close(getattr(losses, fn_name)(y_true, y_pred, **kwargs), getattr(keras.losses, fn_name)(y_true, y_pred, **kwargs))


def test_get_resolves_every_keras_name():
    keras = keras_module()
    names = [k for k in keras.src.losses.ALL_OBJECTS_DICT
             if k not in ("CTC", "ctc", "Loss", "LossFunctionWrapper")]
    for name in names + ["logcosh", "kl_divergence", "kullback_leibler_divergence", "huber_loss"]:
        obj = losses.get(name)
        assert callable(obj), name
        theirs = keras.losses.get(name) if name in names else None
        if theirs is not None:
            assert isinstance(obj, losses.Loss) == isinstance(theirs, keras.losses.Loss), name
    assert losses.get("mse") is losses.mean_squared_error
    assert isinstance(losses.get("BinaryCrossentropy"), losses.BinaryCrossentropy)
    assert losses.get({"class_name": "Huber", "config": {"delta": 2.0}}).delta == 2.0
    assert losses.get(None) is None


def test_unknown_names_and_bad_arguments_raise():
    with pytest.raises(ValueError, match="Unknown loss: 'mean_sqared_error'.*mean_squared_error"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(ValueError, match="Could not interpret"):
        losses.get(3)


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_config_round_trip(name, kwargs, kind, rng):
    loss = getattr(losses, name)(reduction="sum", name="my_loss", **kwargs)
    config = loss.get_config()
    clone = type(loss).from_config(config)
    assert clone.get_config() == config
    y_true, y_pred = _data(kind, (4, 2, 4), rng)
    _close(clone(y_true, y_pred), loss(y_true, y_pred))
    restored = losses.deserialize(losses.serialize(loss))
    assert type(restored) is type(loss) and restored.get_config() == config


@pytest.mark.parametrize("kind", ["binary", "categorical", "sparse_categorical"])
def test_crossentropy_of_a_saturated_sigmoid_or_softmax(kind):
    """A crossentropy given a sigmoid's / softmax's output: Keras on TensorFlow computes it from the logits it
    keeps on that output (exact where the probabilities saturate), Keras on torch from the probabilities
    clipped to ``[1e-7, 1 - 1e-7]``. kerasport on each backend gives that backend's Keras value."""
    from kerasport import activations, backend, ops
    K = keras_module()
    if kind == "binary":
        logits = np.array([[30.0], [-25.0], [0.5], [-40.0]], "float32")
        y = np.array([[0.0], [1.0], [1.0], [0.0]], "float32")
        probs = (1 / (1 + np.exp(-logits.astype("float64")))).astype("float32")  # clipped in float32, as Keras
        clipped = np.clip(probs, np.float32(1e-7), np.float32(1 - 1e-7))
        torch_keras = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)).mean(-1)
    else:
        logits = np.array([[30.0, -10.0, 0.0], [0.2, 0.1, -0.3], [-20.0, 25.0, 1.0]], "float32")
        labels = np.array([1, 0, 0])
        y = labels if kind == "sparse_categorical" else np.eye(3, dtype="float32")[labels]
        probs = np.exp(logits - logits.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        torch_keras = -np.log(np.clip(probs[np.arange(3), labels], np.float32(1e-7), np.float32(1 - 1e-7)))
    activation = "sigmoid" if kind == "binary" else "softmax"
    ours = getattr(losses, f"{kind}_crossentropy")(y, getattr(activations, activation)(ops.convert_to_tensor(logits)))
    if backend.backend() == "tensorflow":
        want = getattr(K.losses, f"{kind}_crossentropy")(y, getattr(K.activations, activation)(
            K.ops.convert_to_tensor(logits)))
        np.testing.assert_allclose(to_numpy(ours), K.ops.convert_to_numpy(want), rtol=1e-6, atol=1e-6)
        assert not np.allclose(to_numpy(ours), torch_keras, rtol=1e-3)  # the logits were used
    else:
        np.testing.assert_allclose(to_numpy(ours), torch_keras, rtol=1e-5, atol=1e-6)


def test_sparse_crossentropy_of_unnormalized_probabilities():
    """Outputs that are not a distribution (above 1, not summing to 1): Keras on TensorFlow clips them, then
    normalizes through the softmax of their log; Keras on torch normalizes, then clips. kerasport on each
    backend gives that backend's Keras value."""
    from kerasport import backend
    K = keras_module()
    outputs = np.array([[0.2, 1.7, 0.4, 0.1], [2.5, 0.3, 0.9, 1.2], [0.05, 0.6, 0.3, 3.0]], "float32")
    labels = np.array([0, 2, 1])
    ours = to_numpy(losses.sparse_categorical_crossentropy(labels, outputs))
    normalized = outputs / outputs.sum(-1, keepdims=True)
    torch_keras = -np.log(np.clip(normalized[np.arange(3), labels], 1e-7, 1 - 1e-7))
    if backend.backend() == "tensorflow":
        want = K.ops.convert_to_numpy(K.losses.sparse_categorical_crossentropy(labels, outputs))
        np.testing.assert_allclose(ours, want, rtol=1e-6)
        assert not np.allclose(ours, torch_keras, rtol=1e-3)
    else:
        np.testing.assert_allclose(ours, torch_keras, rtol=1e-6)
