"""Crossentropy, KL divergence, Poisson and hinge metrics equal Keras 3's values."""
import numpy as np
import pytest

from tests.metrics import batches, check_metric

CASES = [
    ("KLDivergence", {}, "categorical"),
    ("Poisson", {}, "positive"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "categorical_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("Hinge", {}, "signs"),
    ("Hinge", {}, "binary"),
    ("SquaredHinge", {}, "signs"),
    ("CategoricalHinge", {}, "categorical"),
]


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_keras(name, kwargs, kind, rng):
    check_metric(name, kwargs, batches(kind, rng, (8, 4)))
    check_metric(name, kwargs, batches(kind, rng, (5, 3, 4), ("none", "full", "sample")))


def test_sparse_crossentropy_ignore_class(rng):
    labels = rng.randint(0, 4, (6, 3))
    labels[0, 0] = labels[2, 1] = 2
    probs = rng.rand(6, 3, 4).astype("float32") + 0.1
    probs /= probs.sum(-1, keepdims=True)
    data = [(labels, probs, None), (labels, probs, rng.rand(6, 3).astype("float32")), (labels, probs, np.ones((6, 1)))]
    check_metric("SparseCategoricalCrossentropy", {"ignore_class": 2}, data)
