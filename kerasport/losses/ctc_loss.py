"""The Connectionist Temporal Classification (CTC) loss of label sequences against per-step logits."""
from kerasport.backends import B
from kerasport.losses.loss import LossFunctionWrapper


def ctc(y_true, y_pred):
    """CTC loss per sample.

    Args:
        y_true: ``(batch, max_label_length)`` int labels; 0 is the blank/padding index and is not a class.
        y_pred: ``(batch, time, num_classes)`` logits (not softmax-normalised).
    """
    if B.ndim(y_true) != 2 or B.ndim(y_pred) != 3:
        raise ValueError("ctc: expected y_true (batch, max_length) int labels and y_pred (batch, time, "
                         f"num_classes) logits; received shapes {B.shape(y_true)} and {B.shape(y_pred)}.")
    batch, time = B.shape(y_pred)[:2]
    label_length = B.cast(B.sum(B.not_equal(y_true, 0), axis=-1), "int32")
    return B.ctc_loss(y_true, y_pred, label_length, B.full((batch,), time, "int32"), mask_index=0)


class CTC(LossFunctionWrapper):
    """Connectionist Temporal Classification loss (``ctc``) on logits; label 0 is the blank.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)
