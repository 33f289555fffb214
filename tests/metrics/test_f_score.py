"""F1Score and FBetaScore equal Keras 3's values for every averaging and threshold."""
import pytest

from kerasport import metrics
from tests.metrics import batches, check_metric


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.4])
def test_f1_matches_keras(average, threshold, rng):
    check_metric("F1Score", {"average": average, "threshold": threshold}, batches("binary", rng, (10, 4)))


@pytest.mark.parametrize("beta", [0.5, 2.0])
def test_fbeta_matches_keras(beta, rng):
    data = batches("categorical", rng, (10, 4))
    check_metric("FBetaScore", {"beta": beta, "average": "macro"}, data)
    check_metric("FBetaScore", {"beta": beta, "threshold": 0.3}, data)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="average"):
        metrics.F1Score(average="samples")
    with pytest.raises(ValueError, match="beta"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="threshold"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="2D"):
        metrics.F1Score().update_state([1.0, 0.0], [0.3, 0.6])
