"""The accuracy family: Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, top-k."""
from kerasport.backends import B
from kerasport.losses import squeeze_or_expand_to_same_rank
from kerasport.metrics.base import MeanMetricWrapper


def _float_tensor(x):
    x = B.convert_to_tensor(x)
    return x if "float" in B.dtype(x) else B.cast(x, "float32")


def _flatten_for_top_k(y_true, y_pred):
    """``y_pred`` as ``(samples, classes)`` and ``y_true`` as ``(samples,)``, plus ``y_true``'s shape."""
    shape = tuple(y_true.shape)
    if B.ndim(y_pred) > 2:
        y_pred = B.reshape(y_pred, (-1, y_pred.shape[-1]))
    if B.ndim(y_true) > 1:
        y_true = B.reshape(y_true, (-1,))
    return y_true, y_pred, shape


def in_top_k(targets, predictions, k):
    """Whether each target class is among the ``k`` highest predictions (ties count as inside)."""
    target_scores = B.take_along_axis(predictions, B.expand_dims(B.cast(targets, "int32"), -1), axis=-1)
    return B.less(B.sum(B.cast(B.greater(predictions, target_scores), "int32"), axis=-1), k)


def accuracy(y_true, y_pred):
    """1.0 where ``y_pred`` equals ``y_true`` exactly, else 0.0 (elementwise)."""
    y_pred = B.convert_to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(B.cast(y_true, B.dtype(y_pred)), y_pred)
    return B.cast(B.equal(y_true, y_pred), "float32")


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_pred > threshold`` matches the binary label, else 0.0 (elementwise)."""
    y_pred = B.convert_to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(B.convert_to_tensor(y_true), y_pred)
    y_pred = B.cast(B.greater(y_pred, threshold), B.dtype(y_true))
    return B.cast(B.equal(y_true, y_pred), "float32")


def categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of ``y_pred`` is the argmax of the one-hot ``y_true``, else 0.0."""
    return B.cast(B.equal(B.argmax(y_true, axis=-1), B.argmax(y_pred, axis=-1)), "float32")


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of ``y_pred`` equals the integer label, else 0.0."""
    y_pred = B.convert_to_tensor(y_pred)
    y_true = B.convert_to_tensor(y_true)
    if B.ndim(y_true) == B.ndim(y_pred) and y_true.shape[-1] == 1:
        y_true = B.squeeze(y_true, -1)
    dtype = B.dtype(y_pred)
    return B.cast(B.equal(B.cast(y_true, dtype), B.cast(B.argmax(y_pred, axis=-1), dtype)), "float32")


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the ``k`` highest predictions, else 0.0."""
    y_true, y_pred, shape = _flatten_for_top_k(B.argmax(y_true, axis=-1), _float_tensor(y_pred))
    return B.reshape(B.cast(in_top_k(y_true, y_pred, k), "float32"), shape)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the ``k`` highest predictions, else 0.0.

    With ``from_sorted_ids`` ``y_pred`` already holds class ids sorted by score
    and the label is looked up among its first ``k`` columns.
    """
    y_pred = _float_tensor(y_pred)
    y_true = B.cast(y_true, B.dtype(y_pred) if from_sorted_ids else "int32")
    y_true, y_pred, shape = _flatten_for_top_k(y_true, y_pred)
    if from_sorted_ids:
        matches = B.any(B.equal(B.expand_dims(y_true, 1), y_pred[:, :k]), axis=1)
    else:
        matches = in_top_k(y_true, y_pred, k)
    return B.reshape(B.cast(matches, "float32"), shape)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels.

    Args:
        name, dtype: See ``Metric``.
        threshold: Predictions above it count as 1. Defaults to 0.5.
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of predictions matches the argmax of one-hot labels.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of predictions matches integer labels.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the ``k`` highest predictions.

    Args:
        k: How many top predictions count. Defaults to 5.
        name, dtype: See ``Metric``.
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions.

    Args:
        k: How many top predictions count. Defaults to 5.
        name, dtype: See ``Metric``.
        from_sorted_ids: Whether ``y_pred`` holds class ids sorted by score
            instead of scores.
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
