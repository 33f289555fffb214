"""Preprocessing layers that run inside the model: Rescaling and Normalization (with ``adapt``)."""
import numpy as np

from kerasport import backend
from kerasport.backends import B
from kerasport.layers.layer import Layer
from kerasport.core.serialization import deserialize_keras_object

_EPSILON = 1e-7  # Keras's backend.epsilon(): floor of the standard deviation.


def serialize_value(value):
    """A scale/offset/mean in Keras's config form: numbers and lists as is, arrays as ``__numpy__``."""
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    return value.item() if isinstance(value, np.generic) else value


class Rescaling(Layer):
    """Computes ``inputs * scale + offset``, e.g. ``Rescaling(1 / 255)`` for images in [0, 255].

    Args:
        scale: the scale, a number or an array broadcastable to the inputs (one value per
            channel, say).
        offset: the offset, a number or array (``0.0``).
    """

    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags
    _numbers_are_one_input = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.supports_masking = True

    def build(self, input_shape):
        scale = np.asarray(self.scale, np.float32)
        if scale.ndim and backend.image_data_format() == "channels_first":
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        # Host values, made tensors in each call as Keras does: a tensor made in ``build`` would belong to the
        # TensorFlow graph of the call that built the layer (a ``tf.data`` map, a custom ``train_step``), out of
        # scope in the next one.
        self._scale, self._offset = scale, np.asarray(self.offset, np.float32)
        self.built = True

    def call(self, inputs):
        scale, offset = (float(v) if not v.ndim else B.convert_to_tensor(v, self.compute_dtype)
                         for v in (self._scale, self._offset))
        return B.cast(inputs, self.compute_dtype) * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": serialize_value(self.scale),
                "offset": serialize_value(self.offset)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("scale", "offset"):
            if isinstance(config.get(key), dict):
                config[key] = deserialize_keras_object(config[key])
        return super().from_config(config)


def _first(batch):
    """The inputs of a batch that may be ``(x, y)`` or ``(x, y, sample_weight)`` (a ``DataLoader`` yields lists)."""
    if isinstance(batch, tuple) or (isinstance(batch, list) and batch and
                                    (isinstance(batch[0], np.ndarray) or B.is_tensor(batch[0]))):
        return batch[0]
    return batch


class Normalization(Layer):
    """Standardizes features: ``(inputs - mean) / sqrt(variance)``, with ``mean``/``variance`` given or adapted.

    Statistics are kept per index of ``axis`` and shared over all other axes.

    Args:
        axis: the axis or axes kept (``-1``: one mean per feature); ``None`` for a single
            scalar mean and variance.
        mean, variance: the statistics (broadcastable to the kept axes); when omitted, call
            ``adapt(data)`` before use.
        invert: apply the inverse transformation, ``mean + inputs * sqrt(variance)``.

    Weights (when adapted): ``mean``, ``variance``, ``count`` (non-trainable; ``count`` stays zero, as in
    Keras 3, which keeps it only for files saved by older versions).

    Example::

        norm = kerasport.layers.Normalization()
        norm.adapt(x_train)          # NumPy array, tensor, or iterable of batches
        model = kerasport.Sequential([kerasport.Input((8,)), norm, kerasport.layers.Dense(1)])
    """

    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        self.input_mean, self.input_variance, self.invert = mean, variance, invert
        self.supports_masking = True
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization {self.name!r}: pass both `mean` and `variance` or neither, received "
                             f"mean={mean} and variance={variance}.")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"Normalization {self.name!r}: `mean` and `variance` must have the same shape, "
                                 f"received {np.shape(mean)} and {np.shape(variance)}.")
            if np.ndim(mean) > len(self.axis):
                raise ValueError(f"Normalization {self.name!r}: `mean` has rank {np.ndim(mean)}, more than the "
                                 f"number of kept axes ({len(self.axis)}, axis={self.axis}).")

    def _check_shape(self, shape):
        ndim = len(shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"Normalization {self.name!r}: every axis must be in [-{ndim}, {ndim}) for inputs "
                             f"of shape {tuple(shape)}, received axis={self.axis}.")
        if any(shape[a] is None for a in self.axis):
            raise ValueError(f"Normalization {self.name!r}: the kept axes {self.axis} must have known sizes, "
                             f"received input shape {tuple(shape)}.")

    def build(self, input_shape):
        self._check_shape(input_shape)
        ndim = len(input_shape)
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = [input_shape[d] if d in self._keep_axis else 1 for d in range(ndim)]
        self._stat_shape = tuple(input_shape[d] for d in self._keep_axis)
        self._build_input_shape = tuple(input_shape)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(self._stat_shape, "zeros", name="mean", trainable=False)
            self.adapt_variance = self.add_weight(self._stat_shape, "ones", name="variance", trainable=False)
            self.count = self.add_weight((), "zeros", dtype="int64", name="count", trainable=False)
        else:
            self._mean = B.convert_to_tensor(self._broadcast(self.input_mean), self.compute_dtype)
            self._variance = B.convert_to_tensor(self._broadcast(self.input_variance), self.compute_dtype)
        self.built = True

    def _broadcast(self, value):
        """Given statistics, aligned on the trailing kept axes, broadcast to the inputs' rank."""
        value = np.asarray(value, np.float32)
        expanded = [1] * len(self._broadcast_shape)
        for i in range(1, value.ndim + 1):
            expanded[self._keep_axis[-i]] = value.shape[-i]
        return np.broadcast_to(value.reshape(expanded), self._broadcast_shape)

    @property
    def mean(self):
        """The mean ``call`` uses, broadcast to the inputs' rank (``None`` before the layer is built), as Keras."""
        return self._stat("adapt_mean", "_mean")

    @property
    def variance(self):
        """The variance ``call`` uses, broadcast to the inputs' rank (``None`` before the layer is built)."""
        return self._stat("adapt_variance", "_variance")

    def _stat(self, adapted, given):
        if not self.built:
            return None
        if self.input_mean is not None:
            return getattr(self, given)
        return B.cast(B.reshape(getattr(self, adapted), self._broadcast_shape), self.compute_dtype)

    def adapt(self, data):
        """Compute ``mean`` and ``variance`` from ``data``, replacing earlier values.

        Args:
            data: a NumPy array or tensor holding all samples, or an iterable of batches
                (arrays or tensors, or ``(x, y)`` tuples, as a generator, ``tf.data.Dataset``
                or ``DataLoader`` yields them).
        """
        if self.input_mean is not None:
            raise ValueError(f"Normalization {self.name!r} was given `mean` and `variance`; it cannot be adapted.")
        whole = isinstance(data, np.ndarray) or B.is_tensor(data)
        if not whole and not hasattr(data, "__iter__"):
            raise TypeError(f"Normalization.adapt: expected a NumPy array, a tensor or an iterable of batches, "
                            f"received {type(data).__name__}.")
        mean = variance = None
        total = 0
        for batch in [data] if whole else data:
            batch = np.asarray(B.convert_to_numpy(_first(batch)), np.float64)
            if not self.built:
                self.build(batch.shape)
            if batch.ndim != len(self._build_input_shape) or any(
                    batch.shape[d] != self._build_input_shape[d] for d in self._keep_axis):
                raise ValueError(f"Normalization {self.name!r} was built for inputs of shape "
                                 f"{self._build_input_shape}; adapt() received a batch of shape {batch.shape}.")
            count = int(np.prod([batch.shape[d] for d in self._reduce_axis]))
            b_mean, b_var = batch.mean(axis=self._reduce_axis), batch.var(axis=self._reduce_axis)
            if mean is None:
                mean, variance, total = b_mean, b_var, count
                continue
            # Chan et al.'s parallel update of mean and (biased) variance.
            total += count
            weight = count / total
            new_mean = mean * (1 - weight) + b_mean * weight
            variance = ((variance + (mean - new_mean) ** 2) * (1 - weight)
                        + (b_var + (b_mean - new_mean) ** 2) * weight)
            mean = new_mean
        if mean is None:
            raise ValueError(f"Normalization {self.name!r}: adapt() received no batches.")
        self.adapt_mean.assign(B.convert_to_tensor(mean.astype(np.float32)))
        self.adapt_variance.assign(B.convert_to_tensor(variance.astype(np.float32)))

    def finalize_state(self):
        """Keras's hook after ``adapt_mean`` / ``adapt_variance`` are assigned by hand. Nothing is left to do here:
        ``call`` reads those variables on every call, so their new values apply at once."""

    def call(self, inputs):
        if self.input_mean is None:
            mean = B.reshape(self.adapt_mean, self._broadcast_shape)
            variance = B.reshape(self.adapt_variance, self._broadcast_shape)
        else:
            mean, variance = self._mean, self._variance
        inputs = B.cast(inputs, self.compute_dtype)
        std = B.maximum(B.sqrt(variance), _EPSILON)
        return mean + inputs * std if self.invert else (inputs - mean) / std

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(), "variance": np.array(self.input_variance).tolist()}
