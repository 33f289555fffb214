"""Metrics that average a loss function: crossentropies, KL divergence, Poisson and the hinges."""
from kerasport import losses
from kerasport.metrics.base import MeanMetricWrapper


class KLDivergence(MeanMetricWrapper):
    """Mean Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))``.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """Mean Poisson loss ``y_pred - y_true * log(y_pred)``.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(losses.poisson, name=name, dtype=dtype)


class BinaryCrossentropy(MeanMetricWrapper):
    """Mean binary crossentropy.

    Args:
        name, dtype: See ``Metric``.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; labels are squeezed towards 0.5.
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    """Mean categorical crossentropy of one-hot labels.

    Args:
        name, dtype: See ``Metric``.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; labels become ``y * (1 - s) + s / num_classes``.
        axis: The class axis. Defaults to -1.
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Mean crossentropy of integer labels.

    Args:
        name, dtype: See ``Metric``.
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: Optional label whose entries give 0 (and, with sample
            weights, are left out of the mean).
        axis: The class axis. Defaults to -1.
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None,
                 axis=-1):
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)


class Hinge(MeanMetricWrapper):
    """Mean hinge loss ``maximum(1 - y_true * y_pred, 0)`` for -1/1 (or 0/1) labels.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(losses.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """Mean squared hinge loss ``square(maximum(1 - y_true * y_pred, 0))``.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """Mean categorical hinge loss ``maximum(neg - pos + 1, 0)`` for one-hot labels.

    Args:
        name, dtype: See ``Metric``.
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)
