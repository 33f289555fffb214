"""Regression metrics equal Keras 3's values over several weighted updates."""
import pytest

from tests.metrics import batches, check_metric

CASES = [
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("RootMeanSquaredError", {}, "regression"),
    ("CosineSimilarity", {}, "regression"),
    ("CosineSimilarity", {"axis": 0}, "regression"),
    ("LogCoshError", {}, "regression"),
]


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_keras(name, kwargs, kind, rng):
    if kwargs.get("axis") == 0:  # one value per feature: weights per sample do not apply
        check_metric(name, kwargs, batches(kind, rng, (8, 3), ("none",) * 3))
        return
    check_metric(name, kwargs, batches(kind, rng, (8, 3)))
    check_metric(name, kwargs, batches(kind, rng, (5, 2, 3), ("none", "full", "sample")))


@pytest.mark.filterwarnings("ignore:More independent predictors")  # Keras warns where it falls back
@pytest.mark.parametrize("kwargs", [{}, {"class_aggregation": "variance_weighted_average"},
                                    {"class_aggregation": None}, {"num_regressors": 2}, {"num_regressors": 30}])
def test_r2_score_matches_keras(kwargs, rng):
    check_metric("R2Score", kwargs, batches("regression", rng, (8, 3), ("none", "sample", "column")))
