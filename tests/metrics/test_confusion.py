"""Thresholded metrics (TP/FP/TN/FN, Precision, Recall, "X at Y", AUC) equal Keras 3's values."""
import numpy as np
import pytest

from kerasport import metrics
from tests.metrics import batches, check_metric

COUNTS = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"]
THRESHOLDS = [None, 0.3, [0.1, 0.45, 0.8], [0.0, 0.25, 0.5, 0.75, 1.0]]  # the last is evenly spaced


@pytest.mark.parametrize("thresholds", THRESHOLDS, ids=["default", "scalar", "list", "even"])
@pytest.mark.parametrize("name", COUNTS)
def test_counts_match_keras(name, thresholds, rng):
    check_metric(name, {"thresholds": thresholds}, batches("binary", rng, (8, 3), ("none", "sample", "full")))


PR_CASES = [{}, {"thresholds": [0.2, 0.5, 0.9]}, {"thresholds": [0.0, 0.5, 1.0]}, {"top_k": 2}, {"class_id": 1},
            {"top_k": 2, "class_id": 2}, {"thresholds": 0.7, "class_id": 0}]


@pytest.mark.parametrize("kwargs", PR_CASES, ids=[str(k) for k in PR_CASES])
@pytest.mark.parametrize("name", ["Precision", "Recall"])
def test_precision_recall_match_keras(name, kwargs, rng):
    check_metric(name, kwargs, batches("binary", rng, (10, 4), ("none", "sample", "column")))


@pytest.mark.parametrize("name,value", [("SensitivityAtSpecificity", 0.6), ("SpecificityAtSensitivity", 0.4),
                                        ("PrecisionAtRecall", 0.5), ("RecallAtPrecision", 0.55)])
@pytest.mark.parametrize("extra", [{}, {"num_thresholds": 1}, {"num_thresholds": 7, "class_id": 1}])
def test_constrained_metrics_match_keras(name, value, extra, rng):
    arg = {"SensitivityAtSpecificity": "specificity", "SpecificityAtSensitivity": "sensitivity",
           "PrecisionAtRecall": "recall", "RecallAtPrecision": "precision"}[name]
    data = batches("binary", rng, (16, 3), ("none", "sample", "sample"))
    data[0][1][:2, 0] = [0.0, 1.0]  # predictions at the end points
    check_metric(name, {arg: value, **extra}, data)


AUC_CASES = [{}, {"curve": "PR"}, {"curve": "PRGAIN"}, {"summation_method": "minoring"},
             {"curve": "PR", "summation_method": "majoring"}, {"num_thresholds": 13},
             {"thresholds": [0.1, 0.4, 0.45, 0.9]}, {"thresholds": [0.25, 0.5, 0.75]},
             {"multi_label": True}, {"multi_label": True, "num_labels": 3, "curve": "PR"},
             {"multi_label": True, "label_weights": [0.2, 0.5, 0.3]}, {"label_weights": [0.2, 0.5, 0.3]},
             {"from_logits": True}]


@pytest.mark.parametrize("kwargs", AUC_CASES, ids=[str(k) for k in AUC_CASES])
def test_auc_matches_keras(kwargs, rng):
    kind = "logits" if kwargs.get("from_logits") else "binary"
    data = batches(kind, rng, (12, 3), ("none", "sample", "column"))
    if not kwargs.get("from_logits"):
        data[0][1][:2, 0] = [0.0, 1.0]
    check_metric("AUC", kwargs, data)


def test_auc_thresholds_and_invalid_arguments():
    assert metrics.AUC(num_thresholds=3).thresholds == [-1e-7, 0.5, 1 + 1e-7]
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="LIFT")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="num_labels"):
        metrics.AUC(num_labels=3)


def test_thresholded_counts_are_exact(rng):
    y_true = np.array([0, 1, 1, 0, 1], "float32")
    y_pred = np.array([0.2, 0.6, 0.4, 0.9, 0.5], "float32")
    m = metrics.TruePositives(thresholds=[0.0, 0.45, 0.5, 1.0])
    m.update_state(y_true, y_pred, sample_weight=[1, 2, 3, 4, 5])
    np.testing.assert_array_equal(np.asarray(m.result()), [10, 7, 2, 0])
