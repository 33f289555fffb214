"""The accuracy family: Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, top-k."""
from kerasport.backends import B
from kerasport.metrics.base import MeanMetricWrapper


def accuracy(y_true, y_pred):
    y_pred = B.convert_to_tensor(y_pred)
    y_true = B.cast(y_true, B.dtype(y_pred))
    return B.cast(B.equal(y_true, y_pred), "float32")


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_pred = B.convert_to_tensor(y_pred)
    y_true = B.cast(y_true, B.dtype(y_pred))
    if B.ndim(y_true) == B.ndim(y_pred) - 1:
        y_true = B.expand_dims(y_true, -1)
    y_pred = B.cast(B.greater(y_pred, threshold), B.dtype(y_pred))
    return B.mean(B.cast(B.equal(y_true, y_pred), "float32"), axis=-1)


def categorical_accuracy(y_true, y_pred):
    return B.cast(B.equal(B.argmax(y_true, axis=-1), B.argmax(y_pred, axis=-1)), "float32")


def sparse_categorical_accuracy(y_true, y_pred):
    y_true = B.convert_to_tensor(y_true)
    if B.ndim(y_true) == B.ndim(y_pred):
        y_true = B.squeeze(y_true, -1)
    return B.cast(B.equal(B.cast(y_true, "int32"), B.argmax(y_pred, axis=-1)), "float32")


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    return sparse_top_k_categorical_accuracy(B.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    y_true = B.cast(B.convert_to_tensor(y_true), "int32")
    if B.ndim(y_true) == B.ndim(y_pred):
        y_true = B.squeeze(y_true, -1)
    _, idx = B.top_k(y_pred, k)
    return B.cast(B.any(B.equal(B.cast(idx, "int32"), B.expand_dims(y_true, -1)), axis=-1), "float32")


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of predictions matches the argmax of one-hot labels."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of predictions matches integer labels."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the ``k`` highest predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
