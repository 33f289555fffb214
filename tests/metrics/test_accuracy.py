"""The accuracy family equals Keras 3's values over several weighted updates."""
import numpy as np
import pytest

from kerasport import metrics
from tests.helpers import keras_module
from tests.metrics import batches, check_metric, close

CASES = [
    ("BinaryAccuracy", {}, "binary", (8, 3)),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary", (8, 1)),
    ("CategoricalAccuracy", {}, "categorical", (8, 4)),
    ("CategoricalAccuracy", {}, "categorical", (6, 3, 4)),
    ("SparseCategoricalAccuracy", {}, "sparse", (8, 4)),
    ("SparseCategoricalAccuracy", {}, "sparse", (6, 3, 4)),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical", (8, 5)),
    ("TopKCategoricalAccuracy", {}, "categorical", (6, 3, 7)),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse", (8, 5)),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse", (6, 3, 7)),
]


@pytest.mark.parametrize("name,kwargs,kind,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_keras(name, kwargs, kind, shape, rng):
    weights = ("none", "sample", "full") if len(shape) == 3 else ("none", "sample", "column")
    check_metric(name, kwargs, batches(kind, rng, shape, weights))


def test_accuracy_and_labels_with_trailing_axis(rng):
    data = [(rng.randint(0, 3, (8, 1)), rng.randint(0, 3, (8,)).astype("float32"), sw)
            for sw in (None, rng.rand(8))]
    check_metric("Accuracy", {}, data)
    labels, probs = rng.randint(0, 4, (8, 1)), rng.rand(8, 4).astype("float32")
    check_metric("SparseCategoricalAccuracy", {}, [(labels, probs, None)])


def test_sparse_top_k_from_sorted_ids(rng):
    ids = np.argsort(-rng.rand(8, 5), axis=-1).astype("float32")
    data = [(rng.randint(0, 5, 8), ids, None), (rng.randint(0, 5, 8), ids, rng.rand(8))]
    check_metric("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True}, data)


def test_functions_match_keras(rng):
    keras = keras_module()
    y_true, y_pred = rng.randint(0, 2, (6, 3)).astype("float32"), rng.rand(6, 3).astype("float32")
    close(metrics.binary_accuracy(y_true, y_pred), keras.metrics.binary_accuracy(y_true, y_pred))
    labels = rng.randint(0, 3, 6)
    close(metrics.sparse_categorical_accuracy(labels, y_pred),
          keras.metrics.sparse_categorical_accuracy(labels, y_pred))
    close(metrics.sparse_top_k_categorical_accuracy(labels, y_pred, k=2),
          keras.metrics.sparse_top_k_categorical_accuracy(labels, y_pred, k=2))
