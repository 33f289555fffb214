"""Convolution layers: plain, transposed, depthwise and separable, in 1D/2D/3D.

Inputs are ``(batch, *spatial, channels)`` (``channels_last``, the default) or
``(batch, channels, *spatial)``; kernels have Keras's shapes, so weights move freely.
"""
from kerasport import activations, backend, constraints, initializers, regularizers
from kerasport.backends import B
from kerasport.core.serialization import serialized
from kerasport.layers.core import check_rank
from kerasport.layers.layer import Layer, returns_fresh_outputs
from kerasport.layers.lora import LoRAKernel


def normalize_tuple(value, n, name, layer_name, allow_zero=False):
    """``value`` as an n-tuple of positive ints (non-negative with ``allow_zero``), or a clear error."""
    out = (value,) * n if isinstance(value, int) else tuple(value)
    if len(out) != n or any(not isinstance(v, int) or v < (0 if allow_zero else 1) for v in out):
        raise ValueError(f"Layer {layer_name!r}: `{name}` must be an int or a tuple of {n} "
                         f"{'non-negative' if allow_zero else 'positive'} ints, received {value!r}.")
    return out


def normalize_data_format(value, layer):
    """``"channels_last"`` / ``"channels_first"`` (default: ``config.image_data_format()``), or a clear error."""
    value = value or backend.image_data_format()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: `data_format` must be 'channels_last' or "
                         f"'channels_first', received {value!r}.")
    return value


def conv_output_length(length, kernel, padding, stride, dilation=1):
    """Output size of a convolution or pooling window along one axis (``None`` stays ``None``)."""
    if length is None:
        return None
    if padding in ("same", "causal"):
        return -(-length // stride)
    return (length - (kernel - 1) * dilation - 1) // stride + 1


def _check_positive_int(layer, name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: `{name}` must be a positive int, "
                         f"received {value!r}.")
    return value


class _Convolution(Layer):
    """Arguments, input checks, bias and activation shared by every convolution layer.

    Subclasses create their weights in ``build`` (setting ``_in_channels``) and say
    how many output channels they make in ``_out_channels``.
    """

    rank = None
    _paddings = ("valid", "same")
    _strides_with_dilation = False
    _needs_kernel_fit = True

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                 bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs):
        super().__init__(**kwargs)
        n, cls = self.rank, type(self).__name__
        self.kernel_size = normalize_tuple(kernel_size, n, "kernel_size", self.name)
        self.strides = normalize_tuple(strides, n, "strides", self.name)
        self.dilation_rate = normalize_tuple(dilation_rate, n, "dilation_rate", self.name)
        if not self._strides_with_dilation and max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{cls} {self.name!r}: `strides > 1` is not supported together with "
                             f"`dilation_rate > 1`, received strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}.")
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in self._paddings:
            raise ValueError(f"{cls} {self.name!r}: `padding` must be one of {self._paddings}, "
                             f"received {padding!r}.")
        self.padding = padding
        self.data_format = normalize_data_format(data_format, self)
        self._channel_axis = -1 if self.data_format == "channels_last" else 1
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)

    def _channels(self, shape):
        return shape[self._channel_axis]

    def _spatial(self, shape):
        return tuple(shape[1:-1] if self.data_format == "channels_last" else shape[2:])

    def _check_input_spec(self, shape):
        cls = type(self).__name__
        check_rank(self, shape, rank=self.rank + 2)
        channels = self._channels(shape)
        if channels is None:
            raise ValueError(f"{cls} {self.name!r}: the channel dimension of the input must be known, "
                             f"received shape {tuple(shape)}.")
        if self.built and channels != self._in_channels:
            raise ValueError(f"{cls} {self.name!r}: expected {self._in_channels} input channels, received "
                             f"input of shape {tuple(shape)} (data_format={self.data_format!r}).")
        if self.padding == "valid" and self._needs_kernel_fit:
            spatial = self._spatial(shape)
            for size, k, d in zip(spatial, self.kernel_size, self.dilation_rate):
                if size is not None and size < (k - 1) * d + 1:
                    raise ValueError(f"{cls} {self.name!r}: kernel_size {self.kernel_size} (dilation_rate "
                                     f"{self.dilation_rate}) is larger than the input's spatial dims {spatial} "
                                     f"with padding='valid'; input shape {tuple(shape)}.")

    def _check_channels(self, inputs):
        shape = inputs.shape
        if len(shape) != self.rank + 2 or shape[self._channel_axis] != self._in_channels:
            self._check_input_spec(tuple(shape))

    def _add_bias_weight(self, size):
        self.bias = self.add_weight((size,), self.bias_initializer, name="bias", regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def _activate(self, outputs):
        return outputs if self.activation in (None, activations.linear) else self.activation(outputs)

    def _output_length(self, size, i):
        return conv_output_length(size, self.kernel_size[i], self.padding, self.strides[i], self.dilation_rate[i])

    def _out_channels(self, in_channels):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        self._check_input_spec(input_shape)
        spatial = tuple(self._output_length(s, i) for i, s in enumerate(self._spatial(input_shape)))
        channels = self._out_channels(self._channels(input_shape))
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (channels,)
        return (input_shape[0], channels) + spatial

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "bias_initializer": serialized(self.bias_initializer),
                "bias_regularizer": serialized(self.bias_regularizer),
                "activity_regularizer": serialized(self.activity_regularizer),
                "bias_constraint": serialized(self.bias_constraint)}


class BaseConv(LoRAKernel, _Convolution):
    """N-d convolution: ``activation(conv(inputs, kernel) + bias)``; kernel ``(*kernel_size, in/groups, filters)``.

    Args:
        filters: number of output channels.
        kernel_size: int or tuple, the window size.
        strides: int or tuple (1 by default); > 1 excludes ``dilation_rate`` > 1.
        padding: ``"valid"``, ``"same"`` (TensorFlow's split, extra on the right) or, in 1D, ``"causal"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: int or tuple, the spacing of the kernel taps.
        groups: split the channels into this many groups, each convolved separately.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: as in ``Dense``.
        lora_rank: when set, the layer enables LoRA with this rank once built (``enable_lora``): the kernel is
            frozen and a trainable low-rank update ``lora_kernel_a @ lora_kernel_b`` is added to it.
        lora_alpha: the update's scale is ``lora_alpha / lora_rank`` (``lora_rank`` by default).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs)
        self.filters = _check_positive_int(self, "filters", filters)
        self.groups = _check_positive_int(self, "groups", groups)
        if filters % groups:
            raise ValueError(f"{type(self).__name__} {self.name!r}: `filters` ({filters}) must be divisible by "
                             f"`groups` ({groups}).")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self._init_lora(lora_rank, lora_alpha)

    def _check_input_spec(self, shape):
        super()._check_input_spec(shape)
        if self._channels(shape) % self.groups:
            raise ValueError(f"{type(self).__name__} {self.name!r}: input channels ({self._channels(shape)}) must "
                             f"be divisible by `groups` ({self.groups}); input shape {tuple(shape)}.")

    def _out_channels(self, in_channels):
        return self.filters

    def build(self, input_shape):
        self._in_channels = self._channels(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (self._in_channels // self.groups, self.filters),
                                      self.kernel_initializer, name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._add_bias_weight(self.filters)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def convolution_op(self, inputs, kernel):
        """The convolution of ``call``, without bias and activation: ``inputs`` convolved with ``kernel``.

        Override it in a subclass to change the convolution (e.g. standardize the kernel first); ``call``
        then adds the bias and applies the activation to what it returns, as in Keras.

        Args:
            inputs: the layer's input tensor.
            kernel: a kernel of ``self.kernel``'s shape, ``(*kernel_size, in_channels // groups, filters)``.
        """
        return self._convolve(inputs, kernel, None)

    def _convolve(self, inputs, kernel, bias):
        padding = self.padding
        if padding == "causal":
            pads = [(0, 0)] * 3
            pads[1 if self.data_format == "channels_last" else 2] = ((self.kernel_size[0] - 1) *
                                                                      self.dilation_rate[0], 0)
            inputs, padding = B.pad(inputs, pads), "valid"
        return B.conv(inputs, kernel, self.strides, padding, self.data_format, self.dilation_rate, bias=bias)

    @returns_fresh_outputs
    def call(self, inputs):
        self._check_channels(inputs)
        if type(self).convolution_op is BaseConv.convolution_op:  # the fused kernel: convolution and bias
            return self._activate(self._convolve(inputs, self.kernel, self.bias))
        outputs = self.convolution_op(inputs, self.kernel)
        if self.use_bias:
            shape = ((1,) * (self.rank + 1) + (self.filters,) if self.data_format == "channels_last"
                     else (1, self.filters) + (1,) * self.rank)
            outputs = outputs + B.reshape(self.bias, shape)
        return self._activate(outputs)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "groups": self.groups,
                "kernel_initializer": serialized(self.kernel_initializer),
                "kernel_regularizer": serialized(self.kernel_regularizer),
                "kernel_constraint": serialized(self.kernel_constraint), **self._lora_config()}


class Conv1D(BaseConv):
    """1D convolution over ``(batch, steps, channels)``; ``padding`` may also be ``"causal"``.

    Example: ``Conv1D(16, 3, padding="causal")``; kernel shape ``(k, in/groups, filters)``.
    """
    rank = 1
    _paddings = ("valid", "same", "causal")


class Conv2D(BaseConv):
    """2D convolution over ``(batch, height, width, channels)``.

    Example: ``Conv2D(32, 3, activation="relu")``; kernel shape ``(kh, kw, in/groups, filters)``.
    """
    rank = 2


class Conv3D(BaseConv):
    """3D convolution over ``(batch, d1, d2, d3, channels)``; kernel ``(k1, k2, k3, in/groups, filters)``."""
    rank = 3


class BaseConvTranspose(_Convolution):
    """N-d transposed convolution (the gradient of a convolution); kernel ``(*kernel_size, filters, in)``.

    Output sizes follow Keras: ``(n - 1) * s + max(k, s)`` for ``"valid"`` and ``n * s`` for
    ``"same"``, unless ``output_padding`` (each entry below the stride) fixes the extra size.

    Args:
        filters, kernel_size, strides, padding (``"valid"``/``"same"``), data_format, dilation_rate:
            as in ``Conv2D``.
        output_padding: int or tuple, the extra size added on the far side of each spatial axis.
        activation, use_bias, and the initializers, regularizers and constraints: as in ``Conv2D``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs)
        self.filters = _check_positive_int(self, "filters", filters)
        self.output_padding = None if output_padding is None else normalize_tuple(
            output_padding, self.rank, "output_padding", self.name, allow_zero=True)
        if self.output_padding is not None and any(p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"{type(self).__name__} {self.name!r}: each `output_padding` must be smaller than "
                             f"the stride, received output_padding={self.output_padding}, "
                             f"strides={self.strides}.")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    _needs_kernel_fit = False

    def _out_channels(self, in_channels):
        return self.filters

    def _output_length(self, size, i):
        if size is None:
            return None
        k, s = (self.kernel_size[i] - 1) * self.dilation_rate[i] + 1, self.strides[i]
        extra = None if self.output_padding is None else self.output_padding[i]
        if self.padding == "valid":
            return (size - 1) * s + k + (max(k, s) - k if extra is None else extra)
        return size * s if extra is None else (size - 1) * s + k % 2 + extra

    def build(self, input_shape):
        self._in_channels = self._channels(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (self.filters, self._in_channels),
                                      self.kernel_initializer, name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._add_bias_weight(self.filters)

    @returns_fresh_outputs
    def call(self, inputs):
        self._check_channels(inputs)
        return self._activate(B.conv_transpose(inputs, self.kernel, self.strides, self.padding,
                                               self.output_padding, self.data_format, self.dilation_rate,
                                               bias=self.bias))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "output_padding": self.output_padding,
                "kernel_initializer": serialized(self.kernel_initializer),
                "kernel_regularizer": serialized(self.kernel_regularizer),
                "kernel_constraint": serialized(self.kernel_constraint)}


class Conv1DTranspose(BaseConvTranspose):
    """1D transposed convolution over ``(batch, steps, channels)``; kernel ``(k, filters, in)``."""
    rank = 1


class Conv2DTranspose(BaseConvTranspose):
    """2D transposed convolution, e.g. ``Conv2DTranspose(16, 3, strides=2, padding="same")`` doubles H and W.

    Kernel shape ``(kh, kw, filters, in)``.
    """
    rank = 2


class Conv3DTranspose(BaseConvTranspose):
    """3D transposed convolution; kernel ``(k1, k2, k3, filters, in)``.

    Takes ``data_format`` before ``output_padding``, as Keras does.
    """
    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 output_padding=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format, **kwargs)


class BaseDepthwiseConv(_Convolution):
    """Depthwise convolution: each input channel is convolved with its own ``depth_multiplier`` filters.

    The kernel has shape ``(*kernel_size, in, depth_multiplier)``; output channel ``c * depth_multiplier + m``
    comes from input channel ``c``. Weights: ``kernel``, ``bias`` (``in * depth_multiplier``), as in Keras 3.

    Args:
        kernel_size, strides, padding (``"valid"``/``"same"``), data_format, dilation_rate: as in ``Conv2D``
            (here strides and dilation may both exceed 1).
        depth_multiplier: output channels per input channel.
        activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
        bias_regularizer, activity_regularizer, depthwise_constraint, bias_constraint.
    """

    _strides_with_dilation = True

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs)
        self.depth_multiplier = _check_positive_int(self, "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _out_channels(self, in_channels):
        return in_channels * self.depth_multiplier

    def build(self, input_shape):
        self._in_channels = self._channels(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (self._in_channels, self.depth_multiplier),
                                      self.depthwise_initializer, name="kernel",
                                      regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)
        self._add_bias_weight(self._in_channels * self.depth_multiplier)

    @returns_fresh_outputs
    def call(self, inputs):
        self._check_channels(inputs)
        return self._activate(B.depthwise_conv(inputs, self.kernel, self.strides, self.padding, self.data_format,
                                               self.dilation_rate, bias=self.bias))

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": serialized(self.depthwise_initializer),
                "depthwise_regularizer": serialized(self.depthwise_regularizer),
                "depthwise_constraint": serialized(self.depthwise_constraint)}


class DepthwiseConv1D(BaseDepthwiseConv):
    """1D depthwise convolution over ``(batch, steps, channels)``; kernel ``(k, in, depth_multiplier)``."""
    rank = 1


class DepthwiseConv2D(BaseDepthwiseConv):
    """2D depthwise convolution; kernel ``(kh, kw, in, depth_multiplier)``.

    Example: ``DepthwiseConv2D(3, padding="same")`` filters each channel with its own 3x3 window.
    """
    rank = 2


class BaseSeparableConv(_Convolution):
    """Depthwise convolution followed by a pointwise (1x1) convolution that mixes channels.

    Weights, in Keras's order: ``depthwise_kernel`` ``(*kernel_size, in, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, ..., in * depth_multiplier, filters)``, ``bias`` ``(filters,)``.

    Args:
        filters: output channels of the pointwise step.
        kernel_size, strides, padding (``"valid"``/``"same"``), data_format, dilation_rate: of the depthwise
            step, as in ``Conv2D`` (strides and dilation may both exceed 1).
        depth_multiplier: depthwise output channels per input channel.
        activation, use_bias, depthwise_/pointwise_/bias_ initializer, regularizer and constraint,
        activity_regularizer.
    """

    _strides_with_dilation = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs)
        self.filters = _check_positive_int(self, "filters", filters)
        self.depth_multiplier = _check_positive_int(self, "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def _out_channels(self, in_channels):
        return self.filters

    def build(self, input_shape):
        self._in_channels = self._channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            self.kernel_size + (self._in_channels, self.depth_multiplier), self.depthwise_initializer,
            name="depthwise_kernel", regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            (1,) * self.rank + (self._in_channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, name="pointwise_kernel", regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self._add_bias_weight(self.filters)

    @returns_fresh_outputs
    def call(self, inputs):
        self._check_channels(inputs)
        return self._activate(B.separable_conv(inputs, self.depthwise_kernel, self.pointwise_kernel, self.strides,
                                               self.padding, self.data_format, self.dilation_rate,
                                               bias=self.bias))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": serialized(self.depthwise_initializer),
                "pointwise_initializer": serialized(self.pointwise_initializer),
                "depthwise_regularizer": serialized(self.depthwise_regularizer),
                "pointwise_regularizer": serialized(self.pointwise_regularizer),
                "depthwise_constraint": serialized(self.depthwise_constraint),
                "pointwise_constraint": serialized(self.pointwise_constraint)}


class SeparableConv1D(BaseSeparableConv):
    """1D separable convolution over ``(batch, steps, channels)``."""
    rank = 1


class SeparableConv2D(BaseSeparableConv):
    """2D separable convolution, e.g. ``SeparableConv2D(64, 3, padding="same")``."""
    rank = 2


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose, Convolution3DTranspose = Conv2DTranspose, Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
