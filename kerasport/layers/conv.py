"""Convolution layers: Conv1D, Conv2D, Conv3D (channels_last by default, as Keras)."""
from kerasport import activations, constraints, initializers, regularizers
from kerasport.backends import B
from kerasport.layers.core import _ser, check_rank
from kerasport.layers.layer import Layer


def normalize_tuple(value, n, name, layer_name, allow_zero=False):
    """``value`` as an n-tuple of positive ints, or a clear error."""
    out = (value,) * n if isinstance(value, int) else tuple(value)
    if len(out) != n or any(not isinstance(v, int) or v < (0 if allow_zero else 1) for v in out):
        raise ValueError(f"Layer {layer_name!r}: `{name}` must be an int or a tuple of {n} "
                         f"{'non-negative' if allow_zero else 'positive'} ints, received {value!r}.")
    return out


def conv_output_length(length, kernel, padding, stride, dilation=1):
    if length is None:
        return None
    eff = (kernel - 1) * dilation + 1
    if padding == "same":
        return -(-length // stride)
    if padding == "causal":
        return -(-length // stride)
    return (length - eff) // stride + 1


class BaseConv(Layer):
    """Shared logic of the N-d convolutions (``rank`` spatial dims)."""

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        n = self.rank
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"{type(self).__name__} {self.name!r}: `filters` must be a positive int, "
                             f"received {filters!r}.")
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, n, "kernel_size", self.name)
        self.strides = normalize_tuple(strides, n, "strides", self.name)
        self.dilation_rate = normalize_tuple(dilation_rate, n, "dilation_rate", self.name)
        padding = padding.lower() if isinstance(padding, str) else padding
        allowed = ("valid", "same", "causal") if n == 1 else ("valid", "same")
        if padding not in allowed:
            raise ValueError(f"{type(self).__name__} {self.name!r}: `padding` must be one of {allowed}, "
                             f"received {padding!r}.")
        self.padding = padding
        self.data_format = data_format or "channels_last"
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__} {self.name!r}: unknown data_format {data_format!r}.")
        self.groups = groups
        if filters % groups:
            raise ValueError(f"{type(self).__name__} {self.name!r}: `filters` ({filters}) must be divisible by "
                             f"`groups` ({groups}).")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=self.rank + 2)
        channels = shape[self._channel_axis()]
        if channels is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the channel dimension of the input must be "
                             f"known, received shape {tuple(shape)}.")
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} {self.name!r}: input channels ({channels}) must be divisible "
                             f"by `groups` ({self.groups}); input shape {tuple(shape)}.")
        if self.built and channels != self._in_channels:
            raise ValueError(f"{type(self).__name__} {self.name!r}: expected {self._in_channels} input channels, "
                             f"received input of shape {tuple(shape)}.")
        spatial = shape[1:-1] if self.data_format == "channels_last" else shape[2:]
        for size, k, d in zip(spatial, self.kernel_size, self.dilation_rate):
            if self.padding == "valid" and size is not None and size < (k - 1) * d + 1:
                raise ValueError(f"{type(self).__name__} {self.name!r}: kernel_size {self.kernel_size} is larger "
                                 f"than the input's spatial dims {tuple(spatial)} with padding='valid' "
                                 f"(input shape {tuple(shape)}).")

    def build(self, input_shape):
        self._in_channels = input_shape[self._channel_axis()]
        self.kernel = self.add_weight(self.kernel_size + (self._in_channels // self.groups, self.filters),
                                      self.kernel_initializer, name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.built = True

    def call(self, inputs):
        x = inputs
        padding = self.padding
        if padding == "causal":
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            axis = 1 if self.data_format == "channels_last" else 2
            pads = [(0, 0)] * 3
            pads[axis] = (left, 0)
            x = B.pad(x, pads)
            padding = "valid"
        out = B.conv(x, self.kernel, self.strides, padding, self.data_format, self.dilation_rate, bias=self.bias)
        return out if self.activation is activations.linear else self.activation(out)

    def compute_output_shape(self, input_shape):
        cl = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if cl else input_shape[2:]
        out = tuple(conv_output_length(s, k, self.padding, st, d) for s, k, st, d in
                    zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        return (input_shape[0],) + out + (self.filters,) if cl else (input_shape[0], self.filters) + out

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "groups": self.groups,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": _ser(self.kernel_initializer), "bias_initializer": _ser(self.bias_initializer),
                "kernel_regularizer": _ser(self.kernel_regularizer), "bias_regularizer": _ser(self.bias_regularizer),
                "activity_regularizer": _ser(self.activity_regularizer),
                "kernel_constraint": _ser(self.kernel_constraint), "bias_constraint": _ser(self.bias_constraint)}


class Conv1D(BaseConv):
    """1D convolution over ``(batch, steps, channels)``; ``padding`` may also be ``"causal"``."""
    rank = 1


class Conv2D(BaseConv):
    """2D convolution over ``(batch, height, width, channels)``.

    Example: ``Conv2D(32, 3, activation="relu")``; kernel shape ``(kh, kw, in, filters)``.
    """
    rank = 2


class Conv3D(BaseConv):
    """3D convolution over ``(batch, d1, d2, d3, channels)``."""
    rank = 3


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
