"""Metrics: stateful ``Metric`` objects and metric functions, by Keras name."""
from kerasport import losses as _losses
from kerasport.metrics.accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                                        SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy,
                                        binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                        sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from kerasport.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from kerasport.saving.serialization import deserialize_keras_object, serialize_keras_object


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_losses.mean_absolute_error, name=name, dtype=dtype)


mean_squared_error = mse = _losses.mean_squared_error
mean_absolute_error = mae = _losses.mean_absolute_error

_CLASSES = {c.__name__: c for c in (Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy,
                                    CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
                                    SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError)}
_FUNCTIONS = {f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                      top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)}
# Names accepted in compile(metrics=[...]) -> metric class.
_STRING_METRICS = {"mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
                   "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
                   "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
                   "sparse_categorical_accuracy": SparseCategoricalAccuracy,
                   "top_k_categorical_accuracy": TopKCategoricalAccuracy,
                   "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy}
_LOOKUP = {**_CLASSES, **_FUNCTIONS}


def get(identifier):
    """A ``Metric`` for a name, class, config, ``Metric`` or function (wrapped in ``MeanMetricWrapper``)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in _STRING_METRICS:
            return _STRING_METRICS[identifier](name=identifier)
        if identifier in _LOOKUP:
            obj = _LOOKUP[identifier]
            return obj() if isinstance(obj, type) else MeanMetricWrapper(obj, name=identifier)
        raise ValueError(f"Unknown metric: {identifier!r}. Expected one of: "
                         f"{', '.join(sorted(set(_STRING_METRICS) | set(_LOOKUP) | {'accuracy', 'acc'}))}, "
                         f"a Metric instance or a function.")
    if isinstance(identifier, dict):
        return deserialize_keras_object(identifier, _LOOKUP, printable_module_name="metric")
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(f"Could not interpret metric: {identifier!r}")


serialize = serialize_keras_object


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, _LOOKUP, custom_objects, "metric")
