"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization.

Weights, names, defaults and formulas follow Keras 3, so weights copy across with
``get_weights``/``set_weights`` and outputs agree with Keras to float precision.
"""
from kerasport import constraints, initializers, regularizers
from kerasport.backends import B
from kerasport.core.serialization import serialized
from kerasport.layers.layer import Layer, may_overwrite_input, returns_fresh_outputs

_MASK_EPSILON = 1e-7  # Keras's backend.epsilon(), guarding the masked-moments division.


def _axes_list(axis):
    return [axis] if isinstance(axis, int) else list(axis)


def check_axes(layer, shape, axes, known=True, expected=None):
    """Raise a clear error when ``axes`` are out of range for ``shape`` or have an unexpected size."""
    for a in axes:
        if not -len(shape) <= a < len(shape):
            raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}): axis {a} is out of bounds for "
                             f"input shape {tuple(shape)} (axis={layer.axis}).")
        if known and shape[a] is None:
            raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}): axis {a} of the input must have a "
                             f"known size, received input shape {tuple(shape)}.")
    if expected is not None:
        got = tuple(shape[a] for a in axes)
        if len(shape) != expected[0] or got != expected[1]:
            raise ValueError(f"Input 0 of layer {layer.name!r} ({type(layer).__name__}) is incompatible: expected "
                             f"ndim={expected[0]} with size {expected[1]} on axis {layer.axis}, received input of "
                             f"shape {tuple(shape)}.")


class _GammaBeta(Layer):
    """Shared arguments and config of the layers with ``gamma``/``beta`` weights."""

    _statistics_in_float32 = True  # as Keras: float32 inputs, weights and statistics under mixed policies

    def __init__(self, center=True, scale=True, beta_initializer="zeros", gamma_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = self.beta = None
        self.supports_masking = True

    def _add_gamma(self, shape):
        self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma",
                                     regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)

    def _add_beta(self, shape):
        self.beta = self.add_weight(shape, self.beta_initializer, name="beta",
                                    regularizer=self.beta_regularizer, constraint=self.beta_constraint)

    def compute_output_shape(self, input_shape):
        check_axes(self, input_shape, _axes_list(self.axis), known=False)
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "beta_initializer": serialized(self.beta_initializer),
                "gamma_initializer": serialized(self.gamma_initializer),
                "beta_regularizer": serialized(self.beta_regularizer),
                "gamma_regularizer": serialized(self.gamma_regularizer),
                "beta_constraint": serialized(self.beta_constraint),
                "gamma_constraint": serialized(self.gamma_constraint)}


class BatchNormalization(_GammaBeta):
    """Normalizes each feature with the batch's statistics in training, moving averages in inference.

    In training (``training=True`` and the layer trainable) the output is
    ``gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta`` over the batch (and all
    axes but ``axis``), and the moving statistics are updated as
    ``moving = moving * momentum + batch_statistic * (1 - momentum)``. In inference, and
    whenever ``trainable=False`` (as in Keras 3, for fine-tuning), it uses ``moving_mean``
    and ``moving_variance`` instead.

    Args:
        axis: the features axis (``-1``, channels_last).
        momentum: momentum of the moving averages.
        epsilon: small float added to the variance.
        center, scale: whether to learn ``beta`` and ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer:
            ``"zeros"``, ``"ones"``, ``"zeros"``, ``"ones"`` by default.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: for ``beta``/``gamma``.
        synchronized: under a TensorFlow distribution, compute the batch statistics over all the
            replicas (all-reduced), so they and the moving statistics are those of the global batch;
            without it each replica normalizes with its own share's statistics and keeps its own
            moving statistics (as in Keras). Nothing changes on one device.
        renorm: whether to use Batch Renormalization (extra weights ``moving_stddev``,
            ``renorm_mean``, ``renorm_stddev``).
        renorm_clipping: dict with optional ``"rmax"``, ``"rmin"``, ``"dmax"`` clipping the corrections.
        renorm_momentum: momentum of the renorm statistics.

    Call arguments: ``inputs``, ``training``, ``mask`` (one dim less than the inputs; masked
    positions are left out of the batch statistics).

    Weights: ``gamma``, ``beta`` (trainable), ``moving_mean``, ``moving_variance``.
    """

    _uses_batch_statistics = True  # samples interact in training (TimeDistributed steps it)

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(center, scale, beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
                         beta_constraint, gamma_constraint, **kwargs)
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.synchronized = synchronized
        self.renorm, self.renorm_momentum = renorm, renorm_momentum
        if renorm:
            renorm_clipping = renorm_clipping or {}
            unknown = set(renorm_clipping) - {"rmax", "rmin", "dmax"}
            if unknown:
                raise ValueError(f"BatchNormalization {self.name!r}: unknown `renorm_clipping` keys "
                                 f"{sorted(unknown)}; expected 'rmax', 'rmin', 'dmax'.")
            rmax, rmin, dmax = (renorm_clipping.get(k) for k in ("rmax", "rmin", "dmax"))
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError(f"BatchNormalization {self.name!r}: rmax ({rmax}) must be >= rmin ({rmin}).")
            if dmax is not None and dmax < 0:
                raise ValueError(f"BatchNormalization {self.name!r}: dmax must be non-negative, received {dmax}.")
        self.renorm_clipping = renorm_clipping
        self.moving_mean = self.moving_variance = None

    def _check_input_spec(self, shape):
        check_axes(self, shape, [self.axis])

    def build(self, input_shape):
        shape = (input_shape[self.axis],)
        if self.scale:
            self._add_gamma(shape)
        if self.center:
            self._add_beta(shape)
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer, name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer, name="moving_variance",
                                               trainable=False)
        if self.renorm:
            def stddev_init(shape, dtype=None):
                return B.sqrt(self.moving_variance_initializer(shape, dtype))
            self.moving_stddev = self.add_weight(shape, stddev_init, name="moving_stddev", trainable=False)
            self.renorm_mean = self.add_weight(shape, self.moving_mean_initializer, name="renorm_mean",
                                               trainable=False)
            self.renorm_stddev = self.add_weight(shape, stddev_init, name="renorm_stddev", trainable=False)
        self._spec = (len(input_shape), shape)
        self._reduction_axes = [i for i in range(len(input_shape)) if i != self.axis % len(input_shape)]
        self.built = True

    @returns_fresh_outputs
    @may_overwrite_input
    def call(self, inputs, training=None, mask=None):
        check_axes(self, tuple(inputs.shape), [self.axis], expected=self._spec)
        gamma, beta = self.gamma, self.beta
        if not (training and self.trainable):
            return B.batch_normalization_inference(inputs, self.moving_mean, self.moving_variance, self.axis, beta,
                                                   gamma, self.epsilon, overwrite=self._input_is_scratch)
        if mask is None and not self.renorm and not self.synchronized:
            outputs, mean, variance = B.batch_normalization_training(inputs, self.axis, beta, gamma, self.epsilon)
        else:
            mean, variance = self._moments(inputs, mask)
            if self.renorm:
                gamma, beta = self._renorm_transform(mean, variance, gamma, beta)
            outputs = B.batch_normalization(inputs, mean, variance, self.axis, beta, gamma, self.epsilon)
        with B.no_grad():
            if self.renorm:
                self._update_renorm_statistics(mean, variance)
            else:
                self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
                self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        return outputs

    def _moments(self, inputs, mask):
        if mask is None:
            return B.moments(inputs, self._reduction_axes, synchronized=self.synchronized)
        if len(mask.shape) != len(inputs.shape) - 1:
            raise ValueError(f"BatchNormalization {self.name!r}: the mask must have one dimension less than the "
                             f"inputs, received mask shape {tuple(mask.shape)} for inputs {tuple(inputs.shape)}.")
        weights = B.cast(B.broadcast_to(B.expand_dims(mask, -1), B.shape(inputs)), inputs.dtype)
        count = B.add(B.sum(weights, self._reduction_axes, keepdims=True), _MASK_EPSILON)
        mean = B.divide(B.sum(B.multiply(inputs, weights), self._reduction_axes, keepdims=True), count)
        sq = B.square(B.multiply(B.subtract(inputs, mean), weights))
        variance = B.divide(B.sum(sq, self._reduction_axes, keepdims=True), count)
        channels = (inputs.shape[self.axis],)
        return B.reshape(mean, channels), B.reshape(variance, channels)

    def _renorm_transform(self, mean, variance, gamma, beta):
        """Fold Batch Renormalization's corrections ``r``, ``d`` (no gradient; from the renorm statistics
        before this batch's update) into ``gamma``/``beta``."""
        stddev = B.sqrt(B.add(variance, self.epsilon))
        renorm_stddev = B.maximum(self.renorm_stddev, self.epsilon ** 0.5)
        r = B.stop_gradient(B.divide(stddev, renorm_stddev))
        d = B.stop_gradient(B.divide(B.subtract(mean, self.renorm_mean), renorm_stddev))
        clip = self.renorm_clipping
        if clip.get("rmin") is not None:
            r = B.maximum(r, clip["rmin"])
        if clip.get("rmax") is not None:
            r = B.minimum(r, clip["rmax"])
        if clip.get("dmax") is not None:
            d = B.clip(d, -clip["dmax"], clip["dmax"])
        if gamma is None:
            return r, d if beta is None else B.add(d, beta)
        offset = B.multiply(d, gamma)
        return B.multiply(r, gamma), offset if beta is None else B.add(offset, beta)

    def _update_renorm_statistics(self, mean, variance):
        """Move the renorm statistics and ``moving_stddev`` toward the batch's; ``moving_variance`` follows."""
        stddev = B.sqrt(B.add(variance, self.epsilon))
        m, rm = self.momentum, self.renorm_momentum
        self.renorm_mean.assign(self.renorm_mean * rm + mean * (1.0 - rm))
        self.renorm_stddev.assign(self.renorm_stddev * rm + stddev * (1.0 - rm))
        self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
        new_stddev = self.moving_stddev * m + stddev * (1.0 - m)
        self.moving_stddev.assign(new_stddev)
        self.moving_variance.assign(B.relu(B.subtract(B.square(new_stddev), self.epsilon)))

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum,
                "moving_mean_initializer": serialized(self.moving_mean_initializer),
                "moving_variance_initializer": serialized(self.moving_variance_initializer),
                "synchronized": self.synchronized, "renorm": self.renorm, "renorm_clipping": self.renorm_clipping,
                "renorm_momentum": self.renorm_momentum}


class LayerNormalization(_GammaBeta):
    """Normalizes each sample over ``axis``: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Args:
        axis: the axis or axes to normalize over (``-1``); ``gamma``/``beta`` have their shape.
        epsilon: small float added to the variance.
        center, scale: whether to learn ``beta`` and ``gamma``.
        rms_scaling: (deprecated in Keras, kept for its files) divide by the standard deviation
            without centering; then there is no ``beta``.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer, beta_constraint,
            gamma_constraint: for the two weights.

    Example::

        x = kerasport.ops.ones((2, 3, 8))
        y = kerasport.layers.LayerNormalization()(x)  # per (sample, step), over the 8 features
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, rms_scaling=False, **kwargs):
        super().__init__(center, scale, beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
                         beta_constraint, gamma_constraint, **kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(f"LayerNormalization {self.name!r}: `axis` must be an int or a list of ints, "
                            f"received {axis!r}.")
        self.epsilon = epsilon
        self.rms_scaling = rms_scaling

    def _check_input_spec(self, shape):
        check_axes(self, shape, _axes_list(self.axis))

    def build(self, input_shape):
        self.axis = sorted(_axes_list(self.axis))
        shape = tuple(input_shape[a] for a in self.axis)
        if self.scale or self.rms_scaling:
            self._add_gamma(shape)
        if self.center and not self.rms_scaling:
            self._add_beta(shape)
        self.built = True

    def call(self, inputs):
        return B.layer_normalization(inputs, self.gamma, self.beta, self.axis, self.epsilon, self.rms_scaling)

    def get_config(self):
        return {**super().get_config(), "rms_scaling": self.rms_scaling}


class GroupNormalization(_GammaBeta):
    """Splits the channels into ``groups`` and normalizes each sample's groups separately.

    ``groups=1`` is Layer Normalization over all but the batch axis; ``groups=-1``
    (one channel per group) is Instance Normalization.

    Args:
        groups: number of groups (divides the number of channels), or ``-1``.
        axis: the channels axis (``-1``).
        epsilon, center, scale and the ``beta``/``gamma`` initializers, regularizers and constraints:
            as in ``LayerNormalization``; ``gamma``/``beta`` have one value per channel.
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError("GroupNormalization: `groups` must be a positive integer (or -1 for instance "
                             f"normalization), received {groups!r}.")
        super().__init__(center, scale, beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
                         beta_constraint, gamma_constraint, **kwargs)
        self.groups, self.axis, self.epsilon = groups, axis, epsilon

    def _check_input_spec(self, shape):
        check_axes(self, shape, [self.axis])
        channels = shape[self.axis]
        groups = channels if self.groups == -1 else self.groups
        if channels < groups or channels % groups:
            raise ValueError(f"GroupNormalization {self.name!r}: the number of channels ({channels}, axis "
                             f"{self.axis} of input shape {tuple(shape)}) must be a multiple of, and at least, "
                             f"the number of groups ({groups}).")

    def build(self, input_shape):
        channels = input_shape[self.axis]
        if self.groups == -1:
            self.groups = channels
        if self.scale:
            self._add_gamma((channels,))
        if self.center:
            self._add_beta((channels,))
        rank = len(input_shape)
        axis = self.axis % rank
        # Group view (..., groups, channels // groups, ...): statistics over all but batch and group.
        self._group_axis = axis
        self._reduction_axes = [i for i in range(1, rank + 1) if i != axis]
        self._param_shape = [1] * rank
        self._param_shape[axis] = channels // self.groups
        self._param_shape.insert(axis, self.groups)
        self._spec = (rank, (channels,))
        self.built = True

    def call(self, inputs):
        check_axes(self, tuple(inputs.shape), [self.axis], expected=self._spec)
        shape = B.shape(inputs)
        grouped = list(shape)
        grouped[self._group_axis:self._group_axis + 1] = [self.groups, shape[self._group_axis] // self.groups]
        x = B.reshape(inputs, grouped)
        mean, variance = B.moments(x, self._reduction_axes, keepdims=True)
        inv = B.rsqrt(B.add(variance, self.epsilon))
        if self.gamma is not None:
            inv = B.multiply(inv, B.reshape(self.gamma, self._param_shape))
        shift = B.multiply(B.negative(mean), inv)
        if self.beta is not None:
            shift = B.add(shift, B.reshape(self.beta, self._param_shape))
        return B.reshape(B.add(B.multiply(x, inv), shift), shape)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``: ``x / max(||x||, 1e-12)``.

    Args:
        axis: the axis or axes to normalize over (``-1``).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(f"UnitNormalization {self.name!r}: `axis` must be an int or a list of ints, "
                            f"received {axis!r}.")
        self.supports_masking = True

    def _check_input_spec(self, shape):
        check_axes(self, shape, _axes_list(self.axis), known=False)

    def call(self, inputs):
        return B.normalize(inputs, axis=self.axis, order=2, epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        check_axes(self, input_shape, _axes_list(self.axis), known=False)
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
