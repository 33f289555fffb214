"""Pooling layers: max and average pooling over windows, and over all spatial positions (global)."""
from kerasport.backends import B
from kerasport.layers.conv import conv_output_length, normalize_data_format, normalize_tuple
from kerasport.layers.core import check_rank
from kerasport.layers.layer import Layer


class BasePooling(Layer):
    """Max or average pooling over ``rank`` spatial dims.

    Args:
        pool_size: int or tuple, the window size.
        strides: int or tuple; ``pool_size`` by default.
        padding: ``"valid"`` or ``"same"`` (padded positions never count, as in TensorFlow).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    rank = None
    kind = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        n = self.rank
        self.pool_size = normalize_tuple(pool_size, n, "pool_size", self.name)
        self.strides = normalize_tuple(strides if strides is not None else self.pool_size, n, "strides", self.name)
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__} {self.name!r}: `padding` must be 'valid' or 'same', "
                             f"received {padding!r}.")
        self.padding = padding
        self.data_format = normalize_data_format(data_format, self)

    def _spatial(self, shape):
        return tuple(shape[1:-1] if self.data_format == "channels_last" else shape[2:])

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=self.rank + 2)
        spatial = self._spatial(shape)
        if self.padding == "valid" and any(s is not None and s < p for s, p in zip(spatial, self.pool_size)):
            raise ValueError(f"{type(self).__name__} {self.name!r}: pool_size {self.pool_size} is larger than the "
                             f"input's spatial dims {spatial} with padding='valid'; input shape {tuple(shape)}.")

    def call(self, inputs):
        fn = B.max_pool if self.kind == "max" else B.average_pool
        return fn(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape):
        self._check_input_spec(input_shape)
        out = tuple(conv_output_length(s, k, self.padding, st) for s, k, st in
                    zip(self._spatial(input_shape), self.pool_size, self.strides))
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (input_shape[-1],)
        return tuple(input_shape[:2]) + out

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format}


class BaseGlobalPooling(Layer):
    """Max or average over every spatial position: ``(batch, *spatial, C)`` -> ``(batch, C)``.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: keep the spatial dims with size 1, giving ``(batch, 1, ..., 1, C)``.
    """

    rank = None
    kind = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, self)
        self.keepdims = keepdims
        first = 1 if self.data_format == "channels_last" else 2
        self._axes = tuple(range(first, first + self.rank))

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=self.rank + 2)

    def call(self, inputs):
        fn = B.max if self.kind == "max" else B.mean
        return fn(inputs, axis=self._axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        self._check_input_spec(input_shape)
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if not self.keepdims:
            return (input_shape[0], channels)
        ones = (1,) * self.rank
        return (input_shape[0],) + ones + (channels,) if self.data_format == "channels_last" else \
            (input_shape[0], channels) + ones

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over steps: ``(batch, steps, C)`` -> ``(batch, C)``.

    With a mask (e.g. from ``Embedding(mask_zero=True)``), only the unmasked steps are averaged.
    """

    rank, kind = 1, "avg"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        mask = B.expand_dims(B.cast(mask, "bool"), 2 if self.data_format == "channels_last" else 1)
        total = B.sum(B.where(mask, inputs, B.zeros_like(inputs)), axis=self._axes, keepdims=self.keepdims)
        return total / B.sum(B.cast(mask, B.dtype(inputs)), axis=self._axes, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


def _pool_class(base, name, rank, kind, doc):
    return type(name, (base,), {"rank": rank, "kind": kind, "__doc__": doc, "__module__": __name__})


MaxPooling1D = _pool_class(BasePooling, "MaxPooling1D", 1, "max", "Max pooling over steps: (batch, steps, channels).")
MaxPooling2D = _pool_class(BasePooling, "MaxPooling2D", 2, "max",
                           "Max pooling over (batch, height, width, channels), e.g. ``MaxPooling2D(2)``.")
MaxPooling3D = _pool_class(BasePooling, "MaxPooling3D", 3, "max", "Max pooling over (batch, d1, d2, d3, channels).")
AveragePooling1D = _pool_class(BasePooling, "AveragePooling1D", 1, "avg", "Average pooling over steps.")
AveragePooling2D = _pool_class(BasePooling, "AveragePooling2D", 2, "avg", "Average pooling over height and width.")
AveragePooling3D = _pool_class(BasePooling, "AveragePooling3D", 3, "avg", "Average pooling over three spatial dims.")
GlobalMaxPooling1D = _pool_class(BaseGlobalPooling, "GlobalMaxPooling1D", 1, "max",
                                 "Max over steps: (batch, steps, C) -> (batch, C); masks are ignored, as in Keras.")
GlobalMaxPooling2D = _pool_class(BaseGlobalPooling, "GlobalMaxPooling2D", 2, "max",
                                 "Max over height and width: (batch, H, W, C) -> (batch, C).")
GlobalMaxPooling3D = _pool_class(BaseGlobalPooling, "GlobalMaxPooling3D", 3, "max",
                                 "Max over three spatial dims: (batch, D1, D2, D3, C) -> (batch, C).")
GlobalAveragePooling2D = _pool_class(BaseGlobalPooling, "GlobalAveragePooling2D", 2, "avg",
                                     "Mean over height and width: (batch, H, W, C) -> (batch, C).")
GlobalAveragePooling3D = _pool_class(BaseGlobalPooling, "GlobalAveragePooling3D", 3, "avg",
                                     "Mean over three spatial dims: (batch, D1, D2, D3, C) -> (batch, C).")
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
