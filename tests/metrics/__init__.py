"""Shared data and the Keras-oracle check for the loss and metric tests."""
import numpy as np

from kerasport import metrics
from tests.helpers import keras_module, to_numpy


def make_data(kind, shape, rng):
    """(y_true, y_pred) of one kind of problem; ``shape`` is (batch, ..., classes)."""
    if kind == "regression":
        return rng.randn(*shape).astype("float32"), rng.randn(*shape).astype("float32")
    if kind == "positive":
        return rng.rand(*shape).astype("float32") * 3, rng.rand(*shape).astype("float32") * 3 + 0.1
    if kind == "binary":
        return rng.randint(0, 2, shape).astype("float32"), rng.uniform(0.02, 0.98, shape).astype("float32")
    if kind == "signs":
        return rng.choice([-1.0, 1.0], shape).astype("float32"), rng.randn(*shape).astype("float32")
    if kind == "logits":
        return rng.randint(0, 2, shape).astype("float32"), rng.randn(*shape).astype("float32") * 2
    labels = rng.randint(0, shape[-1], shape[:-1])
    probs = rng.rand(*shape).astype("float32") + 0.05
    probs /= probs.sum(-1, keepdims=True)
    if kind == "sparse":
        return labels.astype("int32"), probs
    if kind == "sparse_logits":
        return labels.astype("int32"), rng.randn(*shape).astype("float32") * 2
    one_hot = np.eye(shape[-1], dtype="float32")[labels]
    return one_hot, (probs if kind == "categorical" else rng.randn(*shape).astype("float32") * 2)


def batches(kind, rng, shape=(8, 4), weights=("none", "sample", "sample")):
    """Three ``(y_true, y_pred, sample_weight)`` batches: unweighted, then per-sample weights."""
    out = []
    for w in weights:
        y_true, y_pred = make_data(kind, shape, rng)
        sw = {"none": None, "sample": rng.rand(shape[0]).astype("float32"),
              "column": rng.rand(shape[0], 1).astype("float32"),
              "full": rng.rand(*shape[:-1]).astype("float32")}[w]
        out.append((y_true, y_pred, sw))
    return out


def close(ours, theirs, tol=1e-5):
    np.testing.assert_allclose(to_numpy(ours), np.asarray(theirs), rtol=tol, atol=tol)


def check_metric(name, kwargs, data, tol=1e-5):
    """kerasport's and Keras's ``name(**kwargs)`` agree after each update, after a reset and after a config round trip."""
    keras = keras_module()
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    for y_true, y_pred, sw in data:
        ours.update_state(y_true, y_pred, sample_weight=sw)
        theirs.update_state(y_true, y_pred, sample_weight=sw)
        close(ours.result(), theirs.result(), tol)
    ours.reset_state()
    theirs.reset_state()
    y_true, y_pred, sw = data[-1]
    ours.update_state(y_true, y_pred, sample_weight=sw)
    theirs.update_state(y_true, y_pred, sample_weight=sw)
    close(ours.result(), theirs.result(), tol)
    clone = type(ours).from_config(ours.get_config())
    assert clone.get_config() == ours.get_config()
    clone.update_state(y_true, y_pred, sample_weight=sw)
    close(clone.result(), to_numpy(ours.result()), tol)
    return ours
