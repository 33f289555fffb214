"""Pooling layers: MaxPooling1D/2D/3D and AveragePooling1D/2D/3D."""
from kerasport.backends import B
from kerasport.layers.conv import conv_output_length, normalize_tuple
from kerasport.layers.core import check_rank
from kerasport.layers.layer import Layer


class BasePooling(Layer):
    """Shared logic of max and average pooling over ``rank`` spatial dims."""

    rank = None
    kind = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        n = self.rank
        self.pool_size = normalize_tuple(pool_size, n, "pool_size", self.name)
        self.strides = normalize_tuple(strides if strides is not None else self.pool_size, n, "strides", self.name)
        padding = padding.lower()
        if padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__} {self.name!r}: `padding` must be 'valid' or 'same', "
                             f"received {padding!r}.")
        self.padding = padding
        self.data_format = data_format or "channels_last"

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=self.rank + 2)

    def call(self, inputs):
        fn = B.max_pool if self.kind == "max" else B.average_pool
        return fn(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape):
        cl = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if cl else input_shape[2:]
        out = tuple(conv_output_length(s, k, self.padding, st) for s, k, st in
                    zip(spatial, self.pool_size, self.strides))
        return (input_shape[0],) + out + (input_shape[-1],) if cl else tuple(input_shape[:2]) + out

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format}


def _pool_class(name, rank, kind, doc):
    return type(name, (BasePooling,), {"rank": rank, "kind": kind, "__doc__": doc})


MaxPooling1D = _pool_class("MaxPooling1D", 1, "max", "Max pooling over steps: (batch, steps, channels).")
MaxPooling2D = _pool_class("MaxPooling2D", 2, "max", "Max pooling over (batch, height, width, channels).")
MaxPooling3D = _pool_class("MaxPooling3D", 3, "max", "Max pooling over (batch, d1, d2, d3, channels).")
AveragePooling1D = _pool_class("AveragePooling1D", 1, "avg", "Average pooling over steps.")
AveragePooling2D = _pool_class("AveragePooling2D", 2, "avg", "Average pooling over height and width.")
AveragePooling3D = _pool_class("AveragePooling3D", 3, "avg", "Average pooling over three spatial dims.")
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
