"""Metric-learning losses on embeddings: the Circle loss."""
from kerasport.backends import B
from kerasport.core.masks import set_mask
from kerasport.losses.loss import LossFunctionWrapper


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss (Sun et al., 2020) of L2-normalised embeddings: pulls same-label pairs together, pushes others apart.

    Args:
        y_true: Integer labels, shape ``(batch,)``.
        y_pred: L2-normalised embeddings, shape ``(batch, dim)``.
        ref_labels: Labels of the reference embeddings; ``y_true`` when ``None``.
        ref_embeddings: Reference embeddings; ``y_pred`` when ``None``.
        remove_diagonal: Whether a sample is left out as its own positive.
        gamma: Scale of the similarities. Defaults to 80.
        margin: Relaxation margin. Defaults to 0.4.

    Returns:
        Per-sample losses; samples without any pair giving a loss are masked.
    """
    y_pred = B.convert_to_tensor(y_pred)
    y_true = B.cast(y_true, "int32")
    ref_embeddings = y_pred if ref_embeddings is None else B.convert_to_tensor(ref_embeddings)
    ref_labels = y_true if ref_labels is None else B.cast(ref_labels, "int32")
    distances = B.maximum(1.0 - B.matmul(y_pred, B.transpose(ref_embeddings)), 0.0)
    positive = B.equal(B.reshape(y_true, (-1, 1)), B.reshape(ref_labels, (1, -1)))
    negative = B.logical_not(positive)
    if remove_diagonal:
        positive = B.logical_and(positive, B.logical_not(B.cast(B.eye(*B.shape(distances)), "bool")))
    pos_weights = B.maximum((margin + distances) * B.cast(positive, B.dtype(distances)), 0.0)
    neg_weights = B.maximum((1.0 + margin - distances) * B.cast(negative, B.dtype(distances)), 0.0)
    pos_logits = -gamma * pos_weights * (margin - distances)
    neg_logits = gamma * neg_weights * ((1.0 - margin) - distances)
    p_loss = B.logsumexp(B.where(positive, pos_logits, float("-inf")), axis=1)
    n_loss = B.logsumexp(B.where(negative, neg_logits, float("-inf")), axis=1)
    loss = B.softplus(p_loss + n_loss)
    return set_mask(loss, B.greater(loss, 0.0))


class Circle(LossFunctionWrapper):
    """Circle loss for metric learning on L2-normalised embeddings, labels as integers.

    Args:
        gamma: Scale of the similarities. Defaults to 80.0.
        margin: Relaxation margin. Defaults to 0.4.
        remove_diagonal: Whether a sample is left out as its own positive. Defaults to True.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size",
                 name="circle", dtype=None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)
