"""IoU metrics equal Keras 3's values (integer and float confusion matrices)."""
import numpy as np
import pytest

from tests.metrics import check_metric

# Keras warns that float weights are truncated by the default integer confusion matrix.
pytestmark = pytest.mark.filterwarnings("ignore:You are passing weight")


def _sparse(rng, n=12, classes=4):
    return [(rng.randint(0, classes, n), rng.randint(0, classes, n), sw)
            for sw in (None, rng.randint(0, 3, n), rng.rand(n))]


@pytest.mark.parametrize("dtype", [None, "float32"])
def test_mean_iou_and_iou(dtype, rng):
    check_metric("MeanIoU", {"num_classes": 4, "dtype": dtype}, _sparse(rng))
    check_metric("MeanIoU", {"num_classes": 4, "ignore_class": 0, "dtype": dtype}, _sparse(rng))
    check_metric("IoU", {"num_classes": 4, "target_class_ids": [0, 2], "dtype": dtype}, _sparse(rng))


def test_out_of_range_and_multi_dimensional_labels(rng):
    labels, preds = rng.randint(-1, 5, (3, 4)), rng.randint(0, 4, (3, 4))
    check_metric("MeanIoU", {"num_classes": 4}, [(labels, preds, None), (labels, preds, np.ones((3, 4)))])


def test_dense_inputs(rng):
    probs = [rng.rand(10, 3).astype("float32") for _ in range(3)]
    one_hot = [np.eye(3, dtype="float32")[rng.randint(0, 3, 10)] for _ in range(3)]
    weights = [None, rng.rand(10), None]
    check_metric("OneHotIoU", {"num_classes": 3, "target_class_ids": [1, 2], "dtype": "float32"},
                 list(zip(one_hot, probs, weights)))
    check_metric("OneHotMeanIoU", {"num_classes": 3}, list(zip(one_hot, probs, weights)))
    check_metric("MeanIoU", {"num_classes": 3, "sparse_y_true": False, "sparse_y_pred": False},
                 list(zip(one_hot, probs, weights)))


@pytest.mark.parametrize("kwargs", [{}, {"target_class_ids": [1], "threshold": 0.3}])
def test_binary_iou(kwargs, rng):
    data = [(rng.randint(0, 2, 10), rng.rand(10).astype("float32"), sw) for sw in (None, rng.randint(0, 3, 10))]
    check_metric("BinaryIoU", kwargs, data)
    check_metric("BinaryIoU", {**kwargs, "dtype": "float32"}, data + [(data[0][0], data[0][1], rng.rand(10))])
