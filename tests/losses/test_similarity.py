"""Circle equals Keras 3's value on the same embeddings: each reduction, with and without sample weights."""
import numpy as np
import pytest

from kerasport import losses
from tests.helpers import keras_module
from tests.losses.test_losses import REDUCTIONS
from tests.metrics import close as _close


@pytest.mark.parametrize("kwargs", [{}, {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}])
def test_circle_matches_keras(kwargs, rng):
    keras = keras_module()
    labels = rng.randint(0, 3, 8)
    labels[7] = 5  # a class with one sample: no positive pair
    embeddings = rng.randn(8, 4).astype("float32")
    embeddings /= np.linalg.norm(embeddings, axis=-1, keepdims=True)
    sw = rng.rand(8).astype("float32")
    for reduction in REDUCTIONS:
        ours, theirs = losses.Circle(reduction=reduction, **kwargs), keras.losses.Circle(reduction=reduction, **kwargs)
        _close(ours(labels, embeddings), theirs(labels, embeddings), tol=1e-4)
        _close(ours(labels, embeddings, sample_weight=sw), theirs(labels, embeddings, sample_weight=sw), tol=1e-4)
