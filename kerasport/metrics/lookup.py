"""Metrics by Keras name: ``get``, ``serialize``, ``deserialize`` and the tables they read."""
from kerasport import losses
from kerasport.metrics import accuracy_metrics, base, confusion, correlation, f_score, iou, probabilistic, regression
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object
from kerasport.core.naming import to_snake_case

_CLASSES = (base.Metric, base.Mean, base.Sum, base.MeanMetricWrapper, regression.MeanSquaredError,
            regression.RootMeanSquaredError, regression.MeanAbsoluteError, regression.MeanAbsolutePercentageError,
            regression.MeanSquaredLogarithmicError, regression.CosineSimilarity, regression.LogCoshError,
            regression.R2Score, confusion.AUC, confusion.FalseNegatives, confusion.FalsePositives, confusion.Precision,
            confusion.PrecisionAtRecall, confusion.Recall, confusion.RecallAtPrecision,
            confusion.SensitivityAtSpecificity, confusion.SpecificityAtSensitivity, confusion.TrueNegatives,
            confusion.TruePositives, correlation.ConcordanceCorrelation, correlation.PearsonCorrelation,
            probabilistic.Hinge, probabilistic.SquaredHinge, probabilistic.CategoricalHinge,
            probabilistic.KLDivergence, probabilistic.Poisson, probabilistic.BinaryCrossentropy,
            probabilistic.CategoricalCrossentropy, probabilistic.SparseCategoricalCrossentropy,
            accuracy_metrics.Accuracy, accuracy_metrics.BinaryAccuracy, accuracy_metrics.CategoricalAccuracy,
            accuracy_metrics.SparseCategoricalAccuracy, accuracy_metrics.TopKCategoricalAccuracy,
            accuracy_metrics.SparseTopKCategoricalAccuracy, f_score.F1Score, f_score.FBetaScore, iou.IoU,
            iou.BinaryIoU, iou.MeanIoU, iou.OneHotIoU, iou.OneHotMeanIoU)
_FUNCTIONS = (accuracy_metrics.accuracy, accuracy_metrics.binary_accuracy, accuracy_metrics.categorical_accuracy,
              accuracy_metrics.sparse_categorical_accuracy, accuracy_metrics.top_k_categorical_accuracy,
              accuracy_metrics.sparse_top_k_categorical_accuracy, losses.mean_squared_error,
              losses.mean_absolute_error, losses.mean_absolute_percentage_error, losses.mean_squared_logarithmic_error,
              losses.hinge, losses.squared_hinge, losses.categorical_hinge, losses.kl_divergence, losses.poisson,
              losses.binary_crossentropy, losses.binary_focal_crossentropy, losses.categorical_crossentropy,
              losses.categorical_focal_crossentropy, losses.sparse_categorical_crossentropy, losses.huber,
              losses.log_cosh, correlation.pearson_correlation, correlation.concordance_correlation)
# Keras's lookup: class names and their snake-case forms give classes (so "mse" is a
# MeanSquaredError metric); names of functions without a class give the function.
FUNCTIONS_BY_NAME = {f.__name__: f for f in _FUNCTIONS}
_LOOKUP = dict(FUNCTIONS_BY_NAME)
_LOOKUP.update({name: cls for cls in _CLASSES for name in (cls.__name__, to_snake_case(cls.__name__))})
_LOOKUP.update(bce=probabilistic.BinaryCrossentropy, BCE=probabilistic.BinaryCrossentropy,
               mse=regression.MeanSquaredError, MSE=regression.MeanSquaredError, mae=regression.MeanAbsoluteError,
               MAE=regression.MeanAbsoluteError, mape=regression.MeanAbsolutePercentageError,
               MAPE=regression.MeanAbsolutePercentageError, msle=regression.MeanSquaredLogarithmicError,
               MSLE=regression.MeanSquaredLogarithmicError, logcosh=regression.LogCoshError,
               kld=probabilistic.KLDivergence, KLD=probabilistic.KLDivergence, mean_iou=iou.MeanIoU, iou=iou.IoU,
               binary_iou=iou.BinaryIoU, one_hot_iou=iou.OneHotIoU, one_hot_mean_iou=iou.OneHotMeanIoU)
_ABSTRACT = ("Metric", "metric", "MeanMetricWrapper", "mean_metric_wrapper")


def serialize(metric):
    """The Keras config dict of a ``Metric``, or the name record of a metric function."""
    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """A ``Metric`` or metric function from ``serialize``'s output (or a name)."""
    return deserialize_keras_object(config, _LOOKUP, custom_objects, "metric")


def get(identifier):
    """A ``Metric`` for a name, config dict, ``Metric`` class or instance, or function.

    A name gives Keras's metric of that name, with its class's own name, as in Keras
    (``"mse"`` gives a ``MeanSquaredError`` called ``"mean_squared_error"``;
    ``compile(metrics=["mse"])`` then renames it ``"mse"``); a function is returned as it is, and None
    gives None, as in Keras (``compile`` wraps a function in ``MeanMetricWrapper``). Classes needing arguments
    (``MeanIoU``, ``IoU``, the "X at Y" family) must be passed as instances.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if identifier is None or isinstance(identifier, base.Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _LOOKUP or identifier in _ABSTRACT:
            valid = sorted(set(_LOOKUP) - set(_ABSTRACT) | {"accuracy", "acc", "crossentropy", "ce"})
            raise ValueError(f"Unknown metric: {identifier!r}. Expected one of: {', '.join(valid)}; "
                             "or a Metric instance or function.")
        obj = _LOOKUP[identifier]
        return obj() if isinstance(obj, type) else base.MeanMetricWrapper(obj)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
