"""Stateful metrics: ``update_state`` accumulates in backend variables, ``result`` reads them.

State lives in native variables updated with ``assign``/``assign_add``, so a
metric updates inside the compiled TensorFlow step and without autograd on torch.
"""
from kerasport import backend, initializers
from kerasport import losses as losses_mod
from kerasport.backends import B
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object
from kerasport.core import naming


class Metric:
    """Base class of metrics.

    Subclasses create state with ``add_variable`` in ``__init__`` (or on the first
    update, when its shape depends on the data) and implement
    ``update_state(y_true, y_pred, sample_weight=None)`` and ``result()``.

    Args:
        name: Optional name; defaults to the snake-case class name.
        dtype: Dtype of the state and the result, ``"float32"`` by default.
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        self.dtype = B.standardize_dtype(dtype) if dtype else backend.floatx()
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A non-trainable variable of ``shape``, reset to ``initializer`` by ``reset_state``."""
        init = initializers.get(initializer)
        dtype = dtype or self.dtype
        var = B.variable(init(tuple(shape), dtype), dtype=dtype, trainable=False, name=name)
        var.path = f"{self.name}/{name}"
        self._variables.append((var, init, dtype))
        return var

    add_weight = add_variable

    @property
    def variables(self):
        return [v for v, _, _ in self._variables]

    def reset_state(self):
        """Set every state variable back to its initial value."""
        for var, init, dtype in self._variables:
            var.assign(init(tuple(var.shape), dtype))

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def __call__(self, *args, **kwargs):
        """Update the state with one batch and return the result so far."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Keras's reduction of ``values`` (and weights) to one value (and weight) per sample.

    Weights broadcast against ``values``; axes of ``values`` beyond the weights'
    rank are reduced first, then all non-batch axes, with ``reduce_fn``.
    """
    mask = losses_mod.get_mask(values)
    values = B.cast(values, dtype)
    if sample_weight is not None:
        sample_weight = losses_mod.apply_mask(B.cast(sample_weight, dtype), mask, dtype, "sum")
        values, sample_weight = losses_mod.squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = B.ndim(sample_weight), B.ndim(values)
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = B.broadcast_to(sample_weight, B.shape(values))
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if B.ndim(values) > 1:
        values = reduce_fn(values, axis=tuple(range(1, B.ndim(values))))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values seen.

    For values ``[1, 3, 5, 7]`` the sum is 16; with ``sample_weight=[1, 1, 0, 0]`` it is 4.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, B.sum, self.dtype)
        self.total.assign_add(B.sum(values))

    def result(self):
        return B.convert_to_tensor(self.total) + 0


class Mean(Metric):
    """The (weighted) mean of the values seen: ``total / count``.

    For values ``[1, 3, 5, 7]`` the mean is 4; with ``sample_weight=[1, 1, 0, 0]`` it is 2.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        if type(sample_weight) in (int, float) and B.is_tensor(values) and B.ndim(values) == 0 and \
                losses_mod.get_mask(values) is None:  # a batch's mean loss weighed by its sample count
            self.total.assign_add(B.cast(values, self.dtype) * sample_weight)
            self.count.assign_add(sample_weight)
            return
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, B.mean, self.dtype)
        self.total.assign_add(B.sum(values))
        if sample_weight is not None:
            count = B.sum(sample_weight)
        else:
            count = B.shape(values)[0] if B.ndim(values) else 1
        self.count.assign_add(B.cast(count, self.dtype))

    def result(self):
        return B.divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean of a stateless metric ``fn(y_true, y_pred, **kwargs)`` over all samples seen.

    Args:
        fn: Function returning one value per sample (or per element).
        name: Optional name; ``"mean_metric_wrapper"`` (made unique) by default, as in Keras.
        dtype: See ``Metric``.
        **kwargs: Passed to ``fn`` on every call.

    Example::

        def squared(y_true, y_pred):
            return (y_true - y_pred) ** 2

        metric = MeanMetricWrapper(squared)
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def __getattr__(self, name):
        kwargs = self.__dict__.get("_fn_kwargs", {})
        if name in kwargs:
            return kwargs[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = losses_mod.get_mask(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        sample_weight = losses_mod.apply_mask(sample_weight, mask, self.dtype, "sum")
        super().update_state(values, sample_weight)

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = serialize_keras_object(self._fn)
        return config

    @classmethod
    def from_config(cls, config):
        if "fn" in config:
            from kerasport.metrics.lookup import FUNCTIONS_BY_NAME
            fn = deserialize_keras_object(config["fn"], FUNCTIONS_BY_NAME, printable_module_name="metric function")
            config = {**config, "fn": fn}
        return cls(**config)
