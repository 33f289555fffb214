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


def test_crossentropy_of_a_saturated_softmax_or_sigmoid_output_matches_keras():
    # Keras on TensorFlow computes the crossentropy of a softmax's / sigmoid's output from the logits it
    # keeps (``_keras_logits``), never clipping to 1e-7; Keras on torch clips. Either way, the same numbers.
    import kerasport
    from tests.helpers import keras_module
    keras = keras_module()
    logits = np.array([[40.0, 0.0, -40.0], [0.5, 0.2, -0.1]], "float32")
    onehot = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]], "float32")

    def losses(lib):
        x = lib.ops.convert_to_tensor(logits)
        probs, sig = lib.activations.softmax(x), lib.activations.sigmoid(x)
        return [lib.ops.convert_to_numpy(v) for v in (
            lib.losses.categorical_crossentropy(onehot, probs),
            lib.losses.sparse_categorical_crossentropy(np.array([2, 1]), probs),
            lib.losses.binary_crossentropy(onehot, sig))]

    ours = losses(kerasport)
    theirs = losses(keras) if kerasport.backend.backend() == "tensorflow" else None
    if theirs is None:  # Keras here runs on TensorFlow: on torch, its crossentropy clips the probabilities
        clipped = np.clip(np.exp(logits - logits.max(1, keepdims=True)) /
                          np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True), 1e-7, 1 - 1e-7)
        np.testing.assert_allclose(ours[0], -np.log(clipped[[0, 1], [2, 1]]), rtol=1e-5)
        return
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    assert ours[0][0] > 70  # from the logits: 80, where clipped probabilities give 16.1
