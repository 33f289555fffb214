"""Correlation metrics: PearsonCorrelation and ConcordanceCorrelation, computed per sample and averaged."""
from kerasport import backend
from kerasport.backends import B
from kerasport.losses import squeeze_or_expand_to_same_rank
from kerasport.metrics.base import MeanMetricWrapper


def _prepare(y_true, y_pred):
    y_pred = B.convert_to_tensor(y_pred)
    return squeeze_or_expand_to_same_rank(B.cast(y_true, B.dtype(y_pred)), y_pred)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson correlation coefficient of ``y_true`` and ``y_pred`` along ``axis``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = y_true - B.mean(y_true, axis=axis, keepdims=True)
    y_pred = y_pred - B.mean(y_pred, axis=axis, keepdims=True)
    y_true = y_true / B.std(y_true, axis=axis, keepdims=True)
    y_pred = y_pred / B.std(y_pred, axis=axis, keepdims=True)
    return B.mean(y_true * y_pred, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation coefficient of ``y_true`` and ``y_pred`` along ``axis``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    true_mean = B.mean(y_true, axis=axis, keepdims=True)
    pred_mean = B.mean(y_pred, axis=axis, keepdims=True)
    true_var = B.var(y_true - true_mean, axis=axis, keepdims=True)
    pred_var = B.var(y_pred - pred_mean, axis=axis, keepdims=True)
    # As Keras computes it: y_true is centred on the prediction mean.
    covar = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + B.square(true_mean - pred_mean)
    return B.mean(2.0 * covar / (norm + backend.epsilon()), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """Mean over samples of the Pearson correlation along ``axis``.

    Args:
        name, dtype: See ``Metric``.
        axis: The axis the correlation is computed along. Defaults to -1.
    """

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(MeanMetricWrapper):
    """Mean over samples of the concordance correlation along ``axis``.

    Args:
        name, dtype: See ``Metric``.
        axis: The axis the correlation is computed along. Defaults to -1.
    """

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
