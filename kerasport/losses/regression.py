"""Regression losses: squared, absolute, percentage and logarithmic errors, cosine similarity, Huber, log-cosh."""
from kerasport import backend
from kerasport.backends import B
from kerasport.losses.loss import LossFunctionWrapper, prepare_inputs


def l2_normalize(x, axis=-1):
    """``x / ||x||`` along ``axis``, as Keras computes it (``x * min(rsqrt(sum(x^2)), 1/eps)``)."""
    inv_norm = B.rsqrt(B.sum(B.square(x), axis=axis, keepdims=True))
    return x * B.minimum(inv_norm, 1.0 / backend.epsilon())


def mean_squared_error(y_true, y_pred):
    """Mean squared error over the last axis: ``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    return B.mean(B.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error over the last axis: ``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    return B.mean(B.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    diff = B.abs((y_true - y_pred) / B.maximum(B.abs(y_true), backend.epsilon()))
    return 100.0 * B.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    eps = backend.epsilon()
    return B.mean(B.square(B.log(B.maximum(y_pred, eps) + 1.0) - B.log(B.maximum(y_true, eps) + 1.0)), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along ``axis``: ``-sum(l2_normalize(y_true) * l2_normalize(y_pred))``.

    It lies in [-1, 1]; -1 means the same direction, 0 orthogonal vectors (or a zero vector).
    """
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    return -B.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss, mean over the last axis: ``0.5 * e^2`` where ``|e| <= delta``, else ``delta * (|e| - delta / 2)``."""
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    error = y_pred - y_true
    abs_error = B.abs(error)
    quadratic = 0.5 * B.square(error)
    linear = delta * abs_error - 0.5 * delta ** 2
    return B.mean(B.where(B.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed stably as ``x + softplus(-2x) - log(2)``."""
    y_true, y_pred = prepare_inputs(y_true, y_pred)
    x = y_pred - y_true
    return B.mean(x + B.softplus(x * -2.0) - 0.6931471805599453, axis=-1)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squares of errors: ``loss = mean(square(y_true - y_pred))``.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors: ``loss = mean(abs(y_true - y_pred))``.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """``loss = 100 * mean(abs((y_true - y_pred) / y_true))``, the divisor kept at least epsilon.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """``loss = mean(square(log(y_true + 1) - log(y_pred + 1)))``, values below epsilon raised to epsilon.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity: ``loss = -sum(l2_norm(y_true) * l2_norm(y_pred))``.

    Args:
        axis: The axis the similarity is computed along. Defaults to -1.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for errors up to ``delta``, linear beyond.

    Args:
        delta: Where the loss changes from quadratic to linear. Defaults to 1.0.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error: ``loss = mean(log(cosh(y_pred - y_true)))``.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
logcosh = log_cosh
