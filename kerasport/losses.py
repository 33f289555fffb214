"""Loss functions and ``Loss`` classes with Keras 3's names, defaults, formulas and reductions.

A loss *function* ``fn(y_true, y_pred, **kwargs)`` returns one value per sample
(usually the last axis reduced). A ``Loss`` object calls it, then weights the
values by ``sample_weight`` and reduces them (``"sum_over_batch_size"`` by default).
"""
from kerasport import backend
from kerasport.backends import B
from kerasport.saving.serialization import deserialize_keras_object, serialize_keras_object
from kerasport.utils import naming, tree

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# ----------------------------------------------------------------------------- shapes, masks, reductions
def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make ranks equal when they differ by a trailing axis of size 1.

    The higher-rank tensor is squeezed, except that a rank-1 partner is expanded
    instead when ``expand_rank_1`` (so ``(B,)`` against ``(B, 1)`` gives ``(B, 1)``).
    """
    r1, r2 = B.ndim(x1), B.ndim(x2)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = B.expand_dims(x2, -1)
        else:
            x1 = B.squeeze(x1, -1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = B.expand_dims(x1, -1)
        else:
            x2 = B.squeeze(x2, -1)
    return x1, x2


def get_mask(x):
    """The boolean mask a layer or a loss attached to ``x`` (``x._keras_mask``), or None."""
    return getattr(x, "_keras_mask", None)


def _set_mask(x, mask):
    x._keras_mask = mask
    return x


def standardize_reduction(reduction):
    """``reduction`` if it is one of ``REDUCTIONS``; a ValueError naming the valid ones otherwise."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`: {reduction!r}. Expected one of {REDUCTIONS}.")
    return reduction


def apply_mask(sample_weight, mask, dtype, reduction):
    """Fold a boolean ``mask`` into ``sample_weight``.

    For the mean reductions the kept entries weigh ``total / valid``, so that
    the mean runs over the unmasked entries only.
    """
    if mask is None:
        return sample_weight
    weight = B.cast(mask, dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        weight = weight * B.divide_no_nan(B.cast(B.size(weight), dtype), B.sum(weight))
    if sample_weight is None:
        return weight
    weight, sample_weight = squeeze_or_expand_to_same_rank(weight, B.cast(sample_weight, dtype))
    return sample_weight * weight


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size", mask=None):
    """Weight per-sample ``values`` by ``sample_weight`` and reduce them.

    Args:
        values: Per-sample (or per-timestep) losses.
        sample_weight: Optional weights of the shape of ``values`` (a trailing axis
            of size 1 is squeezed); per-sample weights of lower rank are broadcast
            over the remaining axes.
        reduction: ``"sum_over_batch_size"``/``"mean"`` (weighted sum divided by the
            number of values), ``"sum"``, ``"mean_with_sample_weight"`` (divided by
            the sum of the weights), or ``"none"``/``None`` (no reduction).
        mask: Optional boolean mask; masked entries are left out of sums and means.

    Returns:
        A scalar, or the weighted values for ``"none"``.
    """
    reduction = standardize_reduction(reduction)
    values = B.convert_to_tensor(values)
    if "float" not in B.dtype(values):
        values = B.cast(values, "float32")
    dtype = B.dtype(values)
    sample_weight = apply_mask(sample_weight, mask, dtype, reduction)
    if sample_weight is not None:
        sample_weight = B.cast(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        if 0 < B.ndim(sample_weight) < B.ndim(values):
            while B.ndim(sample_weight) < B.ndim(values):
                sample_weight = B.expand_dims(sample_weight, -1)
            sample_weight = B.broadcast_to(sample_weight, B.shape(values))
        values = values * sample_weight
    if reduction in ("none", None) or B.ndim(values) == 0 or tuple(values.shape) == (0,):
        return values
    total = B.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return B.divide_no_nan(total, B.sum(sample_weight))
    count = B.size(values)
    # A static count (always on torch) divides by a Python number; a traced one is cast.
    return B.divide(total, max(count, 1)) if isinstance(count, int) else B.divide_no_nan(total, B.cast(count, dtype))


# ----------------------------------------------------------------------------- base classes
class Loss:
    """Base class of losses.

    Subclasses implement ``call(y_true, y_pred)``, returning per-sample losses;
    ``__call__`` converts the inputs to ``dtype``, then applies ``sample_weight``,
    any mask on ``y_pred`` or on the losses, and ``reduction``.

    Args:
        name: Optional name; defaults to the snake-case class name.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        dtype: Dtype of the computation, ``"float32"`` by default.

    Example::

        class MeanSquaredError(Loss):
            def call(self, y_true, y_pred):
                return ops.mean(ops.square(y_pred - y_true), axis=-1)
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self.dtype = dtype or backend.floatx()

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = get_mask(y_pred)
        y_pred = tree.map_structure(lambda x: B.convert_to_tensor(x, self.dtype), y_pred)
        y_true = tree.map_structure(lambda x: B.convert_to_tensor(x, self.dtype), y_true)
        losses = self.call(y_true, y_pred)
        out_mask = get_mask(losses)
        mask = in_mask if out_mask is None else out_mask if in_mask is None else \
            B.logical_and(B.cast(in_mask, "bool"), B.cast(out_mask, "bool"))
        return reduce_weighted_values(losses, sample_weight, self.reduction, mask)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs)`` returning per-sample losses.

    Ranks of ``y_true`` and ``y_pred`` are matched first (a trailing axis of size 1
    is squeezed or added). The keyword arguments are readable as attributes
    (``BinaryCrossentropy(from_logits=True).from_logits``).

    Args:
        fn: The loss function.
        reduction, name, dtype: As for ``Loss``; ``name`` defaults to ``fn.__name__``.
        **kwargs: Passed to ``fn`` on every call.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def __getattr__(self, name):
        kwargs = self.__dict__.get("_fn_kwargs", {})
        if name in kwargs:
            return kwargs[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def call(self, y_true, y_pred):
        if B.is_tensor(y_true) and B.is_tensor(y_pred):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is LossFunctionWrapper:
            config["fn"] = serialize_keras_object(self.fn)
        return config

    @classmethod
    def from_config(cls, config):
        if "fn" in config:
            config = {**config, "fn": deserialize_keras_object(config["fn"], _LOOKUP, printable_module_name="loss")}
        return cls(**config)


# ----------------------------------------------------------------------------- helpers
def _prepare(y_true, y_pred):
    """``y_pred`` as a float tensor, ``y_true`` cast to its dtype, ranks matched."""
    y_pred = B.convert_to_tensor(y_pred)
    if "float" not in B.dtype(y_pred):
        y_pred = B.cast(y_pred, "float32")
    return squeeze_or_expand_to_same_rank(B.cast(y_true, B.dtype(y_pred)), y_pred)


def l2_normalize(x, axis=-1):
    """``x / ||x||`` along ``axis``, as Keras computes it (``x * min(rsqrt(sum(x^2)), 1/eps)``)."""
    inv_norm = B.rsqrt(B.sum(B.square(x), axis=axis, keepdims=True))
    return x * B.minimum(inv_norm, 1.0 / backend.epsilon())


def _smooth_categorical(y_true, label_smoothing):
    num_classes = y_true.shape[-1]
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def _hinge_labels(y_true):
    """Binary 0/1 labels become -1/1; other labels are kept."""
    is_binary = B.all(B.logical_or(B.equal(y_true, 0.0), B.equal(y_true, 1.0)))
    return B.where(is_binary, 2.0 * y_true - 1.0, y_true)


# ----------------------------------------------------------------------------- regression
def mean_squared_error(y_true, y_pred):
    """Mean squared error over the last axis: ``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return B.mean(B.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error over the last axis: ``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return B.mean(B.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    diff = B.abs((y_true - y_pred) / B.maximum(B.abs(y_true), backend.epsilon()))
    return 100.0 * B.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = backend.epsilon()
    return B.mean(B.square(B.log(B.maximum(y_pred, eps) + 1.0) - B.log(B.maximum(y_true, eps) + 1.0)), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along ``axis``: ``-sum(l2_normalize(y_true) * l2_normalize(y_pred))``.

    It lies in [-1, 1]; -1 means the same direction, 0 orthogonal vectors (or a zero vector).
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return -B.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss, mean over the last axis: ``0.5 * e^2`` where ``|e| <= delta``, else ``delta * (|e| - delta / 2)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    error = y_pred - y_true
    abs_error = B.abs(error)
    quadratic = 0.5 * B.square(error)
    linear = delta * abs_error - 0.5 * delta ** 2
    return B.mean(B.where(B.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed stably as ``x + softplus(-2x) - log(2)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    return B.mean(x + B.softplus(x * -2.0) - 0.6931471805599453, axis=-1)


# ----------------------------------------------------------------------------- hinge
def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return B.mean(B.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return B.mean(B.square(B.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``maximum(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)``, ``neg = max((1 - y_true) * y_pred)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = B.sum(y_true * y_pred, axis=-1)
    neg = B.max((1.0 - y_true) * y_pred, axis=-1)
    return B.maximum(neg - pos + 1.0, 0.0)


# ----------------------------------------------------------------------------- probabilistic
def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred), axis=-1)``, both clipped to [eps, 1]."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = B.clip(y_true, backend.epsilon(), 1.0)
    y_pred = B.clip(y_pred, backend.epsilon(), 1.0)
    return B.sum(y_true * B.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """Poisson loss ``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
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
    y_true, y_pred = _prepare(y_true, y_pred)
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
    y_true, y_pred = _prepare(y_true, y_pred)
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
    y_true, y_pred = _prepare(y_true, y_pred)
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
    y_true, y_pred = _prepare(y_true, y_pred)
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
    return _set_mask(B.where(valid, res, B.zeros_like(res)), valid)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross entropy (Zhang & Sabuncu, 2018): ``(1 - p ** q) / q``, ``p`` the true class's probability.

    ``y_true`` holds class indices; ``q`` in (0, 1) moves the loss from
    crossentropy (q -> 0) towards mean absolute error (q -> 1).
    """
    y_pred = B.convert_to_tensor(y_pred)
    one_hot = B.one_hot(B.cast(y_true, "int32"), y_pred.shape[-1], dtype=B.dtype(y_pred))
    p = B.sum(y_pred * one_hot, axis=-1)
    return (1.0 - B.power(p, q)) / q


# ----------------------------------------------------------------------------- segmentation
def dice(y_true, y_pred, axis=None):
    """Dice loss ``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)`` over ``axis``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    intersection = B.sum(y_true * y_pred, axis=axis)
    denominator = B.sum(y_true, axis=axis) + B.sum(y_pred, axis=axis) + backend.epsilon()
    return 1.0 - 2.0 * intersection / denominator


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss ``1 - TP / (TP + alpha * FP + beta * FN + eps)`` (Salehi et al., 2017) over ``axis``.

    With ``alpha = beta = 0.5`` it equals the Dice loss.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    tp = B.sum(y_true * y_pred, axis=axis)
    fp = B.sum((1.0 - y_pred) * y_true, axis=axis)
    fn = B.sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - tp / (tp + fp * alpha + fn * beta + backend.epsilon())


# ----------------------------------------------------------------------------- similarity
def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss (Sun et al., 2020) of L2-normalised embeddings: pulls same-label pairs together, pushes others apart.

    Args:
        y_true: Integer labels, shape ``(batch,)``.
        y_pred: L2-normalised embeddings, shape ``(batch, dim)``.
        ref_labels: Labels of the reference embeddings; ``y_true`` when ``None``.
        ref_embeddings: Reference embeddings; ``y_pred`` when ``None``.
        remove_diagonal: Whether a sample is left out as its own positive.
        gamma: Scale of the similarities. Defaults to 80.
        margin: Relaxation margin. Defaults to 0.4.

    Returns:
        Per-sample losses; samples without any pair giving a loss are masked.
    """
    y_pred = B.convert_to_tensor(y_pred)
    y_true = B.cast(y_true, "int32")
    ref_embeddings = y_pred if ref_embeddings is None else B.convert_to_tensor(ref_embeddings)
    ref_labels = y_true if ref_labels is None else B.cast(ref_labels, "int32")
    distances = B.maximum(1.0 - B.matmul(y_pred, B.transpose(ref_embeddings)), 0.0)
    positive = B.equal(B.reshape(y_true, (-1, 1)), B.reshape(ref_labels, (1, -1)))
    negative = B.logical_not(positive)
    if remove_diagonal:
        positive = B.logical_and(positive, B.logical_not(B.cast(B.eye(*B.shape(distances)), "bool")))
    pos_weights = B.maximum((margin + distances) * B.cast(positive, B.dtype(distances)), 0.0)
    neg_weights = B.maximum((1.0 + margin - distances) * B.cast(negative, B.dtype(distances)), 0.0)
    pos_logits = -gamma * pos_weights * (margin - distances)
    neg_logits = gamma * neg_weights * ((1.0 - margin) - distances)
    p_loss = B.logsumexp(B.where(positive, pos_logits, float("-inf")), axis=1)
    n_loss = B.logsumexp(B.where(negative, neg_logits, float("-inf")), axis=1)
    loss = B.softplus(p_loss + n_loss)
    return _set_mask(loss, B.greater(loss, 0.0))


# ----------------------------------------------------------------------------- classes
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


class Hinge(LossFunctionWrapper):
    """Hinge loss ``mean(maximum(1 - y_true * y_pred, 0))`` for -1/1 (or 0/1) labels.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss ``mean(square(maximum(1 - y_true * y_pred, 0)))`` for -1/1 (or 0/1) labels.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss ``maximum(neg - pos + 1, 0)`` for one-hot labels.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)


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


class Dice(LossFunctionWrapper):
    """Dice loss ``1 - 2 * |y_true . y_pred| / (|y_true| + |y_pred|)`` for segmentation.

    Args:
        axis: Axes the sums run over; ``None`` (default) reduces everything to a scalar.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Tversky(LossFunctionWrapper):
    """Tversky loss ``1 - TP / (TP + alpha * FP + beta * FN)``, a Dice loss weighting FP and FN.

    Args:
        alpha: Weight of false positives. Defaults to 0.5.
        beta: Weight of false negatives. Defaults to 0.5.
        axis: Axes the sums run over; ``None`` (default) reduces everything to a scalar.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None, dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta, axis=axis)


class Circle(LossFunctionWrapper):
    """Circle loss for metric learning on L2-normalised embeddings, labels as integers.

    Args:
        gamma: Scale of the similarities. Defaults to 80.0.
        margin: Relaxation margin. Defaults to 0.4.
        remove_diagonal: Whether a sample is left out as its own positive. Defaults to True.
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size",
                 name="circle", dtype=None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)


def ctc(y_true, y_pred):
    """CTC loss per sample.

    Args:
        y_true: ``(batch, max_label_length)`` int labels; 0 is the blank/padding index and is not a class.
        y_pred: ``(batch, time, num_classes)`` logits (not softmax-normalised).
    """
    if B.ndim(y_true) != 2 or B.ndim(y_pred) != 3:
        raise ValueError("ctc: expected y_true (batch, max_length) int labels and y_pred (batch, time, "
                         f"num_classes) logits; received shapes {B.shape(y_true)} and {B.shape(y_pred)}.")
    batch, time = B.shape(y_pred)[:2]
    label_length = B.cast(B.sum(B.not_equal(y_true, 0), axis=-1), "int32")
    return B.ctc_loss(y_true, y_pred, label_length, B.full((batch,), time, "int32"), mask_index=0)


class CTC(LossFunctionWrapper):
    """Connectionist Temporal Classification loss (``ctc``) on logits; label 0 is the blank.

    Args:
        reduction, name, dtype: See ``Loss``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)


# ----------------------------------------------------------------------------- lookup
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy
logcosh = log_cosh

_CLASSES = (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge,
            KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
            CategoricalFocalCrossentropy, SparseCategoricalCrossentropy, CategoricalGeneralizedCrossEntropy,
            Dice, Tversky, Circle)
_FUNCTIONS = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, hinge, squared_hinge,
              categorical_hinge, kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy,
              categorical_crossentropy, categorical_focal_crossentropy, sparse_categorical_crossentropy,
              categorical_generalized_cross_entropy, dice, tversky, circle)
_LOOKUP = {obj.__name__: obj for obj in _CLASSES + _FUNCTIONS}
_LOOKUP.update(mse=mse, MSE=mse, mae=mae, MAE=mae, mape=mape, MAPE=mape, msle=msle, MSLE=msle, kld=kld, KLD=kld,
               bce=bce, BCE=bce, logcosh=log_cosh, kullback_leibler_divergence=kl_divergence, huber_loss=huber)
_LOOKUP.update(ctc=ctc, CTC=CTC)


def serialize(loss):
    """The Keras config dict of a ``Loss``, or the name record of a loss function."""
    return serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    """A ``Loss`` or loss function from ``serialize``'s output (or a name)."""
    return deserialize_keras_object(config, _LOOKUP, custom_objects, "loss")


def get(identifier):
    """A loss from a name, a config dict, a ``Loss`` class or instance, or a callable.

    Names give Keras's object of that name: ``"mse"`` and ``"categorical_crossentropy"``
    give functions, ``"CategoricalCrossentropy"`` a ``Loss`` instance.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        if identifier not in _LOOKUP:
            raise ValueError(f"Unknown loss: {identifier!r}. Expected one of: "
                             f"{', '.join(sorted(k for k in _LOOKUP if k not in ('Loss', 'LossFunctionWrapper')))}; "
                             f"or a Loss instance or callable.")
        obj = _LOOKUP[identifier]
    else:
        obj = identifier
    if isinstance(obj, type):
        return obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
