"""Loss functions and classes with Keras's names, reductions and sample weights.

Each ``Loss`` computes per-sample values in ``call(y_true, y_pred)``; ``__call__``
applies ``sample_weight`` and the ``reduction`` (``"sum_over_batch_size"`` by
default, also ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"``, ``"none"``).
"""
from kerasport.backends import B
from kerasport.saving.serialization import deserialize_keras_object, serialize_keras_object

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None, "auto")


def _float(x):
    x = B.convert_to_tensor(x)
    return x if "float" in B.dtype(x) else B.cast(x, "float32")


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size", mask=None):
    """Weight per-sample ``values`` by ``sample_weight`` (broadcast) and reduce to a scalar."""
    if reduction in ("auto",):
        reduction = "sum_over_batch_size"
    if sample_weight is not None:
        sample_weight = B.cast(sample_weight, B.dtype(values))
        while B.ndim(sample_weight) > B.ndim(values):
            sample_weight = B.squeeze(sample_weight, -1)
        while B.ndim(sample_weight) < B.ndim(values):
            sample_weight = B.expand_dims(sample_weight, -1)
        values = B.multiply(values, sample_weight)
    if reduction in ("none", None):
        return values
    total = B.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return B.divide(total, B.maximum(B.sum(B.broadcast_to(sample_weight, B.shape(values))), 1e-7))
    return B.divide(total, B.cast(B.size(values), B.dtype(values))) if B.NAME != "torch" else \
        B.divide(total, max(values.numel(), 1))


class Loss:
    """Base class of losses: subclass and implement ``call(y_true, y_pred)`` -> per-sample losses."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"Invalid reduction {reduction!r}; expected one of {REDUCTIONS[:5]}.")
        self.name = name or type(self).__name__
        self.reduction = reduction
        self.dtype = dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs)`` -> per-sample losses."""

    def __init__(self, fn, name=None, reduction="sum_over_batch_size", dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


def _match(y_true, y_pred):
    y_pred = _float(y_pred)
    y_true = B.cast(y_true, B.dtype(y_pred))
    if B.ndim(y_true) == B.ndim(y_pred) - 1 and y_pred.shape[-1] == 1:
        y_true = B.expand_dims(y_true, -1)
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _match(y_true, y_pred)
    return B.mean(B.square(B.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _match(y_true, y_pred)
    return B.mean(B.abs(B.subtract(y_pred, y_true)), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = _match(y_true, y_pred)
    err = B.abs(B.subtract(y_pred, y_true))
    quad = B.minimum(err, delta)
    return B.mean(B.add(B.multiply(0.5, B.square(quad)), B.multiply(delta, B.subtract(err, quad))), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _match(y_true, y_pred)
    if label_smoothing:
        y_true = B.add(B.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return B.mean(B.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_pred = _float(y_pred)
    y_true = B.cast(y_true, B.dtype(y_pred))
    if label_smoothing:
        n = y_pred.shape[axis]
        y_true = B.add(B.multiply(y_true, 1.0 - label_smoothing), label_smoothing / n)
    return B.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    y_pred = _float(y_pred)
    if ignore_class is None:
        return B.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    y_true = B.cast(y_true, "int32")
    if B.ndim(y_true) == B.ndim(y_pred):
        y_true = B.squeeze(y_true, -1)
    valid = B.not_equal(y_true, ignore_class)
    safe = B.where(valid, y_true, B.zeros_like(y_true))
    out = B.sparse_categorical_crossentropy(safe, y_pred, from_logits=from_logits, axis=axis)
    return B.multiply(out, B.cast(valid, B.dtype(out)))


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class Huber(LossFunctionWrapper):
    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits = from_logits


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_CLASSES = {c.__name__: c for c in (Loss, MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy,
                                    CategoricalCrossentropy, SparseCategoricalCrossentropy)}
_FUNCTIONS = {f.__name__: f for f in (mean_squared_error, mean_absolute_error, huber, binary_crossentropy,
                                      categorical_crossentropy, sparse_categorical_crossentropy)}
_FUNCTIONS.update(mse=mean_squared_error, mae=mean_absolute_error, MSE=mean_squared_error,
                  MAE=mean_absolute_error, huber_loss=huber)
_LOOKUP = {**_CLASSES, **_FUNCTIONS}


def get(identifier):
    """A loss for a name (``"mse"``, ``"sparse_categorical_crossentropy"``), class, config or callable."""
    if identifier is None or callable(identifier) and not isinstance(identifier, type):
        return identifier
    if isinstance(identifier, str) and identifier not in _LOOKUP:
        raise ValueError(f"Unknown loss: {identifier!r}. Expected one of: "
                         f"{', '.join(sorted(k for k in _LOOKUP if k != 'Loss'))}, or a callable.")
    if isinstance(identifier, type):
        return identifier()
    return deserialize_keras_object(identifier, _LOOKUP, printable_module_name="loss")


def serialize(loss):
    return serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, _LOOKUP, custom_objects, "loss")
