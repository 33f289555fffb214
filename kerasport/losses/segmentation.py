"""Segmentation losses on overlapping masks: Dice and Tversky."""
from kerasport import backend
from kerasport.backends import B
from kerasport.losses.loss import LossFunctionWrapper, prepare_inputs


def dice(y_true, y_pred, axis=None):
    """Dice loss ``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)`` over ``axis``."""
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    intersection = B.sum(y_true * y_pred, axis=axis)
    denominator = B.sum(y_true, axis=axis) + B.sum(y_pred, axis=axis) + backend.epsilon()
    return 1.0 - 2.0 * intersection / denominator


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss ``1 - TP / (TP + alpha * FP + beta * FN + eps)`` (Salehi et al., 2017) over ``axis``.

    With ``alpha = beta = 0.5`` it equals the Dice loss.
    """
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    tp = B.sum(y_true * y_pred, axis=axis)
    fp = B.sum((1.0 - y_pred) * y_true, axis=axis)
    fn = B.sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - tp / (tp + fp * alpha + fn * beta + backend.epsilon())


class Dice(LossFunctionWrapper):
    """Dice loss ``1 - 2 * |y_true . y_pred| / (|y_true| + |y_pred|)`` for segmentation.

    Args:
        axis: Axes the sums run over; ``None`` (default) reduces everything to a scalar.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Tversky(LossFunctionWrapper):
    """Tversky loss ``1 - TP / (TP + alpha * FP + beta * FN)``, a Dice loss weighting FP and FN.

    Args:
        alpha: Weight of false positives. Defaults to 0.5.
        beta: Weight of false negatives. Defaults to 0.5.
        axis: Axes the sums run over; ``None`` (default) reduces everything to a scalar.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None, dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta, axis=axis)
