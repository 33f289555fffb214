"""Pearson and concordance correlation metrics equal Keras 3's values."""
import pytest

from tests.metrics import batches, check_metric


@pytest.mark.parametrize("name", ["PearsonCorrelation", "ConcordanceCorrelation"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_matches_keras(name, axis, rng):
    weights = ("none", "sample", "sample") if axis == -1 else ("none",) * 3  # axis 0 gives one value per feature
    check_metric(name, {"axis": axis}, batches("regression", rng, (8, 5), weights), tol=1e-4)
