"""Probabilistic losses: binary, categorical and sparse crossentropies (focal, generalized), KL divergence, Poisson."""
from kerasport import backend
from kerasport.backends import B
from kerasport.core.masks import set_mask
from kerasport.losses.loss import LossFunctionWrapper, prepare_inputs


def _smooth_categorical(y_true, label_smoothing):
    num_classes = y_true.shape[-1]
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred), axis=-1)``, both clipped to [eps, 1]."""
    y_true, y_pred = prepare_inputs(y_true, y_pred, same_rank=False)
    y_true = B.clip(y_true, backend.epsilon(), 1.0)
    y_pred = B.clip(y_pred, backend.epsilon(), 1.0)
    return B.sum(y_true * B.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """Poisson loss ``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    y_true, y_pred = prepare_inputs(y_true, y_pred, same_rank=False)
    return B.mean(y_pred - y_true * B.log(y_pred + backend.epsilon()), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy averaged over ``axis``.

    Args:
        y_true: 0/1 labels, shape ``(batch, d0, .. dN)``.
        y_pred: Probabilities (or logits with ``from_logits=True``) of the same shape.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; labels are squeezed towards 0.5
            (``y * (1 - s) + 0.5 * s``).
        axis: The axis the mean is taken over.
    """
    y_true, y_pred = prepare_inputs(y_true, y_pred, same_rank=False)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return B.mean(B.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy scaled by the focal factor ``(1 - p_t) ** gamma`` (Lin et al., 2018), mean over ``axis``.

    ``p_t`` is the predicted probability of the true class. With
    ``apply_class_balancing`` class 1 is further weighted by ``alpha`` and class 0
    by ``1 - alpha``. Other arguments as for ``binary_crossentropy``.
    """
    y_true, y_pred = prepare_inputs(y_true, y_pred, same_rank=False)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = B.sigmoid(y_pred)
    bce = B.binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = B.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return B.mean(focal, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical crossentropy of one-hot ``y_true`` against probabilities (or logits) ``y_pred``.

    Args:
        y_true: One-hot labels, shape ``(batch, ..., num_classes)``.
        y_pred: Probabilities (renormalised to sum to 1 along ``axis``) or logits.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; labels become ``y * (1 - s) + s / num_classes``.
        axis: The class axis.
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    y_true, y_pred = prepare_inputs(y_true, y_pred, same_rank=False)
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing)
    return B.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical crossentropy with each class term scaled by ``alpha * (1 - p) ** gamma``.

    ``alpha`` may be a scalar or one weight per class. Other arguments as for
    ``categorical_crossentropy``.
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    y_true, y_pred = prepare_inputs(y_true, y_pred, same_rank=False)
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        y_pred = B.softmax(y_pred, axis=axis)
    eps = backend.epsilon()
    output = B.clip(y_pred / B.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    alpha = alpha if isinstance(alpha, (int, float)) else B.convert_to_tensor(alpha, B.dtype(output))
    focal = B.power(1.0 - output, gamma) * alpha * (-y_true * B.log(output))
    return B.sum(focal, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Crossentropy of integer labels ``y_true`` against probabilities (or logits) ``y_pred``.

    Args:
        y_true: Class indices, shape ``(batch, ...)`` or ``(batch, ..., 1)``.
        y_pred: Probabilities or logits, shape ``(batch, ..., num_classes)``.
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: Optional label (e.g. a "void" class such as -1 or 255) whose
            entries give 0 and are masked out of the reduction.
        axis: The class axis.
    """
    y_pred = B.convert_to_tensor(y_pred)
    y_true = B.convert_to_tensor(y_true)
    if B.ndim(y_true) == B.ndim(y_pred) and y_true.shape[axis] == 1:
        y_true = B.squeeze(y_true, axis)
    if ignore_class is None:
        return B.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    valid = B.not_equal(y_true, B.cast(ignore_class, B.dtype(y_true)))
    y_true = B.where(valid, y_true, B.zeros_like(y_true))
    res = B.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    return set_mask(B.where(valid, res, B.zeros_like(res)), valid)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross entropy (Zhang & Sabuncu, 2018): ``(1 - p ** q) / q``, ``p`` the true class's probability.

    ``y_true`` holds class indices; ``q`` in (0, 1) moves the loss from
    crossentropy (q -> 0) towards mean absolute error (q -> 1).
    """
    y_pred = B.convert_to_tensor(y_pred)
    one_hot = B.one_hot(B.cast(y_true, "int32"), y_pred.shape[-1], dtype=B.dtype(y_pred))
    p = B.sum(y_pred * one_hot, axis=-1)
    return (1.0 - B.power(p, q)) / q


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence ``y_true * log(y_true / y_pred)`` summed over the last axis.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Poisson loss ``mean(y_pred - y_true * log(y_pred))``.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    """Crossentropy between binary labels and predicted probabilities (or logits).

    Args:
        from_logits: Whether ``y_pred`` holds logits. Defaults to False.
        label_smoothing: In [0, 1]; labels are squeezed towards 0.5.
        axis: The axis the mean is taken over. Defaults to -1.
        reduction, name, dtype: See ``Loss``.

    Example::

        loss = BinaryCrossentropy(from_logits=True)
        loss([[0.0], [1.0]], [[-2.3], [1.5]])
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary crossentropy down-weighting easy examples by ``(1 - p_t) ** gamma``.

    Args:
        apply_class_balancing: Whether to weight class 1 by ``alpha`` and class 0 by ``1 - alpha``.
        alpha: The class-1 weight for class balancing. Defaults to 0.25.
        gamma: The focusing parameter; 0 gives plain binary crossentropy. Defaults to 2.0.
        from_logits, label_smoothing, axis: As for ``BinaryCrossentropy``.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction="sum_over_batch_size", name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy between one-hot labels and predicted class probabilities (or logits).

    Args:
        from_logits: Whether ``y_pred`` holds logits. Defaults to False.
        label_smoothing: In [0, 1]; labels become ``y * (1 - s) + s / num_classes``.
        axis: The class axis. Defaults to -1.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical crossentropy with class terms scaled by ``alpha * (1 - p) ** gamma``.

    Args:
        alpha: A scalar or one weight per class. Defaults to 0.25.
        gamma: The focusing parameter. Defaults to 2.0.
        from_logits, label_smoothing, axis: As for ``CategoricalCrossentropy``.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction, dtype=dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy between integer labels and predicted class probabilities (or logits).

    Args:
        from_logits: Whether ``y_pred`` holds logits. Defaults to False.
        ignore_class: Optional label left out of the loss (its entries are masked,
            so a mean runs over the other entries).
        reduction: See ``Loss``.
        axis: The class axis. Defaults to -1.
        name, dtype: See ``Loss``.
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized cross entropy ``(1 - p ** q) / q`` for integer labels, robust to label noise.

    Args:
        q: In (0, 1); near 0 it behaves like crossentropy, near 1 like mean absolute error. Defaults to 0.5.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy",
                 dtype=None):
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1). Received: q={q}")
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction, dtype=dtype, q=q)


kld = KLD = kl_divergence
bce = BCE = binary_crossentropy
