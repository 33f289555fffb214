"""Hinge losses for -1/1 (or 0/1) and one-hot labels: hinge, squared hinge, categorical hinge."""
from kerasport.backends import B
from kerasport.losses.loss import LossFunctionWrapper, prepare_inputs


def _hinge_labels(y_true):
    """Binary 0/1 labels become -1/1; other labels are kept."""
    is_binary = B.all(B.logical_or(B.equal(y_true, 0.0), B.equal(y_true, 1.0)))
    return B.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    return B.mean(B.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    return B.mean(B.square(B.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``maximum(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)``, ``neg = max((1 - y_true) * y_pred)``."""
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    pos = B.sum(y_true * y_pred, axis=-1)
    neg = B.max((1.0 - y_true) * y_pred, axis=-1)
    return B.maximum(neg - pos + 1.0, 0.0)


class Hinge(LossFunctionWrapper):
    """Hinge loss ``mean(maximum(1 - y_true * y_pred, 0))`` for -1/1 (or 0/1) labels.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss ``mean(square(maximum(1 - y_true * y_pred, 0)))`` for -1/1 (or 0/1) labels.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss ``maximum(neg - pos + 1, 0)`` for one-hot labels.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)
