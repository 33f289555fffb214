"""The ``Loss`` base class, ``LossFunctionWrapper``, and how per-sample loss values are masked,
weighted by ``sample_weight`` and reduced (``"sum_over_batch_size"`` by default)."""
from kerasport import backend
from kerasport.backends import B
from kerasport.core.serialization import serialize_keras_object
from kerasport.core import nest as tree
from kerasport.core import naming

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
        return scale_loss_for_distribution(B.divide_no_nan(total, B.sum(sample_weight)))
    count = B.size(values)
    # A static count (always on torch) divides by a Python number; a traced one is cast.
    mean = B.divide(total, max(count, 1)) if isinstance(count, int) else B.divide_no_nan(total, B.cast(count, dtype))
    return scale_loss_for_distribution(mean)


def scale_loss_for_distribution(value):
    """``value`` divided by the number of replicas inside an overridden step's replica under a TensorFlow
    distribution (as in Keras: the replicas' gradients are then summed); ``value`` itself elsewhere."""
    replicas = B.replicas_in_sync()
    return value if replicas == 1 else B.multiply(value, B.cast(1.0 / replicas, B.dtype(value)))


def unscale_loss_for_distribution(value):
    """The inverse of ``scale_loss_for_distribution``: a replica's loss as its own batch gives it."""
    replicas = B.replicas_in_sync()
    return value if replicas == 1 else B.multiply(value, B.cast(replicas, B.dtype(value)))


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
            from kerasport.losses import deserialize
            config = {**config, "fn": deserialize(config["fn"])}
        return cls(**config)


# ----------------------------------------------------------------------------- inputs of loss functions
def prepare_inputs(y_true, y_pred, same_rank=True):
    """``y_pred`` as a float tensor, ``y_true`` cast to its dtype, ranks matched unless ``same_rank=False`` (as
    Keras's probabilistic loss functions, which leave a target of another rank to the crossentropy ops'
    ValueError or to broadcasting; a loss object has matched the ranks already)."""
    y_pred = B.convert_to_tensor(y_pred)
    if "float" not in B.dtype(y_pred):
        y_pred = B.cast(y_pred, "float32")
    y_true = B.cast(y_true, B.dtype(y_pred))
    return squeeze_or_expand_to_same_rank(y_true, y_pred) if same_rank else (y_true, y_pred)
