"""F-scores: FBetaScore and F1Score, per class or averaged (micro, macro, weighted)."""
from kerasport import backend
from kerasport.backends import B
from kerasport.metrics.base import Metric


class FBetaScore(Metric):
    """F-beta score ``(1 + beta^2) * precision * recall / (beta^2 * precision + recall)``.

    Inputs are ``(batch, classes)``; the state is built on the first update. It
    works for multi-class and multi-label classification.

    Args:
        average: ``None`` (default; one score per class), ``"micro"`` (from counts
            summed over classes), ``"macro"`` (mean of the class scores) or
            ``"weighted"`` (mean weighted by each class's number of true instances).
        beta: The weight of recall, a float > 0. Defaults to 1.0.
        threshold: Predictions above it count as positive; when ``None`` (default)
            the largest prediction of each sample is the positive one.
        name, dtype: See ``Metric``.
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                             f"'weighted'}}. Received: average={average}")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value: it should be a Python float > 0. Received: beta={beta}")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError("Invalid `threshold` argument value: it should be a Python float with "
                             f"0 < threshold <= 1. Received: threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for name in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"):
            setattr(self, name, self.add_variable(shape, name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = B.cast(y_true, self.dtype)
        y_pred = B.cast(y_pred, self.dtype)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        if self.threshold is None:
            # The row maximum is positive, unless the whole row is 0.
            top = B.greater_equal(y_pred, B.max(y_pred, axis=-1, keepdims=True))
            y_pred = B.logical_and(top, B.greater(B.abs(y_pred), 1e-9))
        else:
            y_pred = B.greater(y_pred, self.threshold)
        y_pred = B.cast(y_pred, self.dtype)
        weight = None if sample_weight is None else B.expand_dims(B.cast(sample_weight, self.dtype), 1)

        def weighted_sum(values):
            return B.sum(values if weight is None else values * weight, axis=self.axis)

        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (1.0 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1.0 - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        eps = backend.epsilon()
        tp = self.true_positives + 0
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        beta2 = self.beta ** 2
        score = precision * recall / (beta2 * precision + recall + eps) * (1.0 + beta2)
        if self.average == "weighted":
            weights = self.intermediate_weights / (B.sum(self.intermediate_weights) + eps)
            return B.sum(score * weights)
        if self.average is not None:
            return B.mean(score)
        return score

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """F1 score, the harmonic mean of precision and recall (``FBetaScore`` with ``beta=1``).

    Args:
        average: ``None``, ``"micro"``, ``"macro"`` or ``"weighted"``; see ``FBetaScore``.
        threshold: Predictions above it count as positive; ``None`` takes each row's maximum.
        name, dtype: See ``Metric``.

    Example::

        m = F1Score(threshold=0.5)
        m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
                       [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
        m.result()  # [0.5, 0.8, 0.6666667]
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
