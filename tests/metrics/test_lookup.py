"""``metrics.get`` resolves every Keras name; metrics work in compile + fit on both backends."""
import re

import numpy as np
import pytest

import kerasport
from kerasport import losses, metrics
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy

NEED_ARGUMENTS = {"IoU", "io_u", "MeanIoU", "mean_io_u", "OneHotIoU", "one_hot_io_u", "OneHotMeanIoU",
                  "one_hot_mean_io_u", "PrecisionAtRecall", "precision_at_recall", "RecallAtPrecision",
                  "recall_at_precision", "SensitivityAtSpecificity", "sensitivity_at_specificity",
                  "SpecificityAtSensitivity", "specificity_at_sensitivity", "Metric", "metric",
                  "MeanMetricWrapper", "mean_metric_wrapper"}


def test_get_resolves_every_keras_name():
    """The class of Keras's metric of each name, with the name Keras gives it: its class's own (``"mse"`` gives
    ``mean_squared_error``), which only ``compile`` replaces with the name given."""
    keras = keras_module()
    for name in keras.src.metrics.ALL_OBJECTS_DICT:
        if name in NEED_ARGUMENTS:
            continue
        metric, want = metrics.get(name), keras.metrics.get(name)
        assert type(metric).__name__ == type(want).__name__, name
        assert re.sub(r"_\d+$", "", metric.name) == re.sub(r"_\d+$", "", want.name), name
    for name in ("logcosh", "kld", "huber", "binary_focal_crossentropy"):
        assert isinstance(metrics.get(name), metrics.Metric)


def test_get_other_identifiers():
    auc = metrics.AUC(curve="PR")
    assert metrics.get(auc) is auc
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    restored = metrics.get(metrics.serialize(metrics.Precision(thresholds=0.3, name="p")))
    assert isinstance(restored, metrics.Precision) and restored.thresholds == [0.3] and restored.name == "p"
    keras = keras_module()
    assert metrics.get(losses.huber) is losses.huber  # as Keras: a function is returned as it is
    assert metrics.get(None) is None is keras.metrics.get(None)
    model = kerasport.Sequential([kerasport.Input((2,)), kerasport.layers.Dense(1)])
    model.compile(loss="mse", metrics=[losses.huber])  # compile wraps it, as Keras's: named as the function
    model.evaluate(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), verbose=0)
    assert model.metrics_names == ["loss", "compile_metrics"]
    assert [m.name for m in model.metrics[1].metrics] == ["huber"]


def test_unknown_names_raise_listing_valid_ones():
    with pytest.raises(ValueError, match="Unknown metric: 'acuracy'.*binary_accuracy"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="Unknown metric: 'Metric'"):
        metrics.get("Metric")
    with pytest.raises(ValueError, match="Could not interpret"):
        metrics.get(42)


def test_compile_fit_evaluate_with_string_and_object_metrics(rng):
    x = rng.randn(64, 5).astype("float32")
    y = (x[:, :1] + 0.3 * rng.randn(64, 1) > 0).astype("float32")
    model = kerasport.Sequential([kerasport.Input((5,)), kerasport.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy",
                  metrics=["accuracy", "auc", "mse", metrics.F1Score(average="macro", threshold=0.5)])
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert {"loss", "accuracy", "auc", "mse", "f1_score"} <= set(history.history)
    results = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    y_pred = to_numpy(model(B.convert_to_tensor(x)))
    for name, metric in [("auc", metrics.AUC()), ("mse", metrics.MeanSquaredError()),
                         ("f1_score", metrics.F1Score(average="macro", threshold=0.5))]:
        metric.update_state(y, y_pred)
        np.testing.assert_allclose(results[name], to_numpy(metric.result()), rtol=1e-4, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(results["accuracy"], np.mean((y_pred > 0.5) == y), rtol=1e-5)
