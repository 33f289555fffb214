"""Metrics by Keras name: ``get``, ``serialize``, ``deserialize`` and the tables they read."""
from kerasport.losses import (binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
                              categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence,
                              log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                              mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)
from kerasport.metrics.accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                                        SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy,
                                        binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                        sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from kerasport.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from kerasport.metrics.confusion import (AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
                                         RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
                                         TrueNegatives, TruePositives)
from kerasport.metrics.correlation import (ConcordanceCorrelation, PearsonCorrelation, concordance_correlation,
                                           pearson_correlation)
from kerasport.metrics.f_score import F1Score, FBetaScore
from kerasport.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from kerasport.metrics.probabilistic import (BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, Hinge,
                                             KLDivergence, Poisson, SparseCategoricalCrossentropy, SquaredHinge)
from kerasport.metrics.regression import (CosineSimilarity, LogCoshError, MeanAbsoluteError,
                                          MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError,
                                          R2Score, RootMeanSquaredError)
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object
from kerasport.core.naming import to_snake_case

_CLASSES = (Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
            AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall, RecallAtPrecision,
            SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives, TruePositives, ConcordanceCorrelation,
            PearsonCorrelation, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy, Accuracy, BinaryAccuracy, CategoricalAccuracy,
            SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, F1Score, FBetaScore,
            IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU)
_FUNCTIONS = (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
              top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mean_squared_error, mean_absolute_error,
              mean_absolute_percentage_error, mean_squared_logarithmic_error, hinge, squared_hinge,
              categorical_hinge, kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy,
              categorical_crossentropy, categorical_focal_crossentropy, sparse_categorical_crossentropy, huber,
              log_cosh, pearson_correlation, concordance_correlation)
# Keras's lookup: class names and their snake-case forms give classes (so "mse" is a
# MeanSquaredError metric); names of functions without a class give the function.
FUNCTIONS_BY_NAME = {f.__name__: f for f in _FUNCTIONS}
_LOOKUP = dict(FUNCTIONS_BY_NAME)
_LOOKUP.update({name: cls for cls in _CLASSES for name in (cls.__name__, to_snake_case(cls.__name__))})
_LOOKUP.update(bce=BinaryCrossentropy, BCE=BinaryCrossentropy, mse=MeanSquaredError, MSE=MeanSquaredError,
               mae=MeanAbsoluteError, MAE=MeanAbsoluteError, mape=MeanAbsolutePercentageError,
               MAPE=MeanAbsolutePercentageError, msle=MeanSquaredLogarithmicError, MSLE=MeanSquaredLogarithmicError,
               logcosh=LogCoshError, kld=KLDivergence, KLD=KLDivergence, mean_iou=MeanIoU, iou=IoU,
               binary_iou=BinaryIoU, one_hot_iou=OneHotIoU, one_hot_mean_iou=OneHotMeanIoU)
_ABSTRACT = ("Metric", "metric", "MeanMetricWrapper", "mean_metric_wrapper")


def serialize(metric):
    """The Keras config dict of a ``Metric``, or the name record of a metric function."""
    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """A ``Metric`` or metric function from ``serialize``'s output (or a name)."""
    return deserialize_keras_object(config, _LOOKUP, custom_objects, "metric")


def get(identifier):
    """A ``Metric`` for a name, config dict, ``Metric`` class or instance, or function.

    A name gives Keras's metric of that name, named as given (``"mse"`` gives a
    ``MeanSquaredError`` called ``"mse"``, as in ``compile(metrics=["mse"])``); a
    function is wrapped in ``MeanMetricWrapper``. Classes needing arguments
    (``MeanIoU``, ``IoU``, the "X at Y" family) must be passed as instances.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _LOOKUP or identifier in _ABSTRACT:
            valid = sorted(set(_LOOKUP) - set(_ABSTRACT) | {"accuracy", "acc", "crossentropy", "ce"})
            raise ValueError(f"Unknown metric: {identifier!r}. Expected one of: {', '.join(valid)}; "
                             "or a Metric instance or function.")
        obj = _LOOKUP[identifier]
        return obj(name=identifier) if isinstance(obj, type) else MeanMetricWrapper(obj, name=identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
