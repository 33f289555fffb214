"""Regression metrics: mean errors, RootMeanSquaredError, CosineSimilarity, LogCoshError, R2Score."""
from kerasport import losses
from kerasport.backends import B
from kerasport.metrics.base import Mean, MeanMetricWrapper, Metric


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity along ``axis``: ``sum(l2_normalize(y_true) * l2_normalize(y_pred))``."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


class MeanSquaredError(MeanMetricWrapper):
    """Mean of ``square(y_true - y_pred)`` over all samples seen.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean of ``abs(y_true - y_pred)`` over all samples seen.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean of ``100 * abs((y_true - y_pred) / y_true)`` over all samples seen.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Mean of ``square(log(y_true + 1) - log(y_pred + 1))`` over all samples seen.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity between labels and predictions (1 means the same direction).

    Args:
        name, dtype: See ``Metric``.
        axis: The axis the similarity is computed along. Defaults to -1.
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class LogCoshError(MeanMetricWrapper):
    """Mean of ``log(cosh(y_pred - y_true))`` over all samples seen.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt(mean(square(y_true - y_pred)))`` over all values seen.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = B.cast(y_pred, self.dtype)
        y_true, y_pred = losses.squeeze_or_expand_to_same_rank(B.cast(y_true, self.dtype), y_pred)
        super().update_state(B.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return B.sqrt(super().result())


class R2Score(Metric):
    """The coefficient of determination, ``1 - SS_res / SS_tot``, per output then aggregated.

    Inputs are ``(batch, outputs)``; the state is built on the first update.

    Args:
        class_aggregation: ``"uniform_average"`` (default, the mean over outputs),
            ``"variance_weighted_average"`` (weighted by each output's variance)
            or ``None`` (one score per output).
        num_regressors: Number of independent regressors; when > 0 the adjusted
            score ``1 - (1 - R2) * (n - 1) / (n - p - 1)`` is returned, falling back
            to the plain score while ``n - 1 <= p``.
        name, dtype: See ``Metric``.
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of "
                             "(None, 'uniform_average', 'variance_weighted_average'). "
                             f"Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError(f"Invalid value for argument `num_regressors`: expected a value >= 0. "
                             f"Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                             f"shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}.")
        n = y_pred_shape[-1]
        self.squared_sum = self.add_variable((n,), name="squared_sum")
        self.sum = self.add_variable((n,), name="sum")
        self.total_mse = self.add_variable((n,), name="residual")
        self.count = self.add_variable((n,), name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = B.cast(y_pred, self.dtype)
        y_true, y_pred = losses.squeeze_or_expand_to_same_rank(B.cast(y_true, self.dtype), y_pred)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        sample_weight = B.cast(1.0 if sample_weight is None else sample_weight, self.dtype)
        if B.ndim(sample_weight) == 1:
            sample_weight = B.expand_dims(sample_weight, 1)
        sample_weight = B.broadcast_to(sample_weight, B.shape(y_true))
        weighted_y_true = y_true * sample_weight
        self.sum.assign_add(B.sum(weighted_y_true, axis=0))
        self.squared_sum.assign_add(B.sum(y_true * weighted_y_true, axis=0))
        self.total_mse.assign_add(B.sum(B.square(y_true - y_pred) * sample_weight, axis=0))
        self.count.assign_add(B.sum(sample_weight, axis=0))
        self.num_samples.assign_add(B.cast(B.size(y_true), self.dtype))

    def result(self):
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw_scores = 1.0 - self.total_mse / total
        raw_scores = B.where(B.isinf(raw_scores), 0.0, raw_scores)
        if self.class_aggregation == "uniform_average":
            score = B.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            score = B.sum(total * raw_scores) / B.sum(total)
        else:
            score = raw_scores
        if self.num_regressors == 0:
            return score
        n, p = self.num_samples + 0, float(self.num_regressors)
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / B.maximum(n - p - 1.0, 1.0)
        return B.where(B.greater(n - 1.0, p), adjusted, score)

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
