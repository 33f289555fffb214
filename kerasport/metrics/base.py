"""Stateful metrics: ``update_state`` accumulates in backend variables, ``result`` reads them.

State lives in native variables updated with ``assign``/``assign_add``, so a
metric updates inside the compiled TensorFlow step and without autograd on torch.
"""
from kerasport.backends import B
from kerasport.utils import naming


class Metric:
    """Base class of metrics.

    Subclasses create state with ``add_variable`` in ``__init__`` and implement
    ``update_state(y_true, y_pred, sample_weight=None)`` and ``result()``.
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or naming.to_snake_case(type(self).__name__)
        self.dtype = dtype or "float32"
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        from kerasport import initializers
        value = initializers.get(initializer)(tuple(shape), dtype or self.dtype)
        var = B.variable(value, dtype=dtype or self.dtype, trainable=False, name=name)
        var.path = f"{self.name}/{name}"
        self._variables.append((var, initializers.get(initializer)))
        return var

    add_weight = add_variable

    @property
    def variables(self):
        return [v for v, _ in self._variables]

    def reset_state(self):
        for var, init in self._variables:
            B.assign(var, init(tuple(var.shape), B.dtype(var) if B.NAME == "torch" else var.dtype))

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _weighted(values, sample_weight):
    """(sum of weighted values, sum of weights) for a batch."""
    values = B.cast(values, "float32")
    if sample_weight is None:
        n = B.size(values)
        return B.sum(values), (n if B.NAME == "torch" else B.cast(n, "float32"))
    sw = B.cast(sample_weight, "float32")
    while B.ndim(sw) > B.ndim(values):
        sw = B.squeeze(sw, -1)
    while B.ndim(sw) < B.ndim(values):
        sw = B.expand_dims(sw, -1)
    sw = B.broadcast_to(sw, B.shape(values))
    return B.sum(B.multiply(values, sw)), B.sum(sw)


class Sum(Metric):
    """The (weighted) sum of the values seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        total, _ = _weighted(values, sample_weight)
        self.total.assign_add(total)

    def result(self):
        return B.convert_to_tensor(self.total) + 0


class Mean(Metric):
    """The (weighted) mean of the values seen: ``total / count``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        total, count = _weighted(values, sample_weight)
        self.total.assign_add(total)
        self.count.assign_add(count)

    def result(self):
        return B.divide(self.total, B.maximum(self.count, 1e-12))


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or fn.__name__, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}
