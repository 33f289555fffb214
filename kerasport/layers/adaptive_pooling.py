"""Adaptive average and max pooling (1D/2D/3D): a fixed output size whatever the input size.

Output cell ``i`` of a spatial axis of length ``L`` pooled to ``n`` covers input positions
``[floor(i * L / n), ceil((i + 1) * L / n))``, as in Keras (and PyTorch). Both are separable,
so each spatial axis is pooled in turn: averages as one matmul with a fixed ``(L, n)`` weight
matrix, maxima as one gather of each window (short windows repeat their last index) and a max.
"""
import numpy as np

from kerasport import backend
from kerasport.backends import B
from kerasport.layers.core import check_rank
from kerasport.layers.layer import Layer


def adaptive_bins(length, size):
    """``(starts, ends)`` NumPy int arrays of the ``size`` windows over an axis of ``length``."""
    i = np.arange(size)
    return (i * length) // size, -((-(i + 1) * length) // size)


def _average_axis(x, axis, size):
    starts, ends = adaptive_bins(x.shape[axis], size)
    weights = np.zeros((x.shape[axis], size), np.float32)
    for j, (s, e) in enumerate(zip(starts, ends)):
        weights[s:e, j] = 1.0 / (e - s)
    out = B.tensordot(x, B.convert_to_tensor(weights, B.dtype(x)), axes=([axis], [0]))
    return B.moveaxis(out, -1, axis)


def _max_axis(x, axis, size):
    starts, ends = adaptive_bins(x.shape[axis], size)
    width = int((ends - starts).max())
    index = np.minimum(starts[:, None] + np.arange(width)[None, :], ends[:, None] - 1).astype("int32")
    return B.max(B.take(x, B.convert_to_tensor(index), axis=axis), axis=axis + 1)


class _AdaptivePooling(Layer):
    """What the six adaptive pooling layers share: ``output_size``, ``data_format``, shapes and config."""

    _rank = None
    _pool_axis = None

    def __init__(self, output_size, data_format=None, **kwargs):
        n = self._rank
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * n
        elif isinstance(output_size, (tuple, list)) and len(output_size) == n:
            output_size = tuple(output_size)
        else:
            raise TypeError(f"{type(self).__name__}: `output_size` must be an integer or a tuple of {n} integer(s). "
                            f"Received: {output_size!r} of type {type(output_size)}")
        if any(not isinstance(d, int) or d <= 0 for d in output_size):
            raise ValueError(f"{type(self).__name__}: `output_size` must hold positive integers, "
                             f"received {output_size!r}.")
        super().__init__(**kwargs)
        self.output_size = output_size
        self.data_format = data_format or backend.image_data_format()
        if self.data_format not in ("channels_first", "channels_last"):
            raise ValueError(f"Invalid data_format: {self.data_format}. Expected 'channels_first' or "
                             "'channels_last'.")

    def _spatial_axes(self):
        return list(range(1, self._rank + 1)) if self.data_format == "channels_last" else \
            list(range(2, self._rank + 2))

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=self._rank + 2)
        for a in self._spatial_axes():
            if shape[a] is None:
                raise ValueError(f"{type(self).__name__} {self.name!r}: the spatial dims of the input must be "
                                 f"known, received input shape {tuple(shape)}.")

    def call(self, inputs):
        self._check_input_spec(tuple(inputs.shape))
        for axis, size in zip(self._spatial_axes(), self.output_size):
            inputs = type(self)._pool_axis(inputs, axis, size)
        return inputs

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size, "data_format": self.data_format}


def _make(name, rank, pool, what):
    doc = f"""Adaptive {what} pooling over {rank} spatial dim(s) to a fixed ``output_size``.

    Args:
        output_size: an integer or a tuple of {rank} integer(s): the output's spatial size.
        data_format: ``"channels_last"`` (``(batch, *spatial, channels)``, default) or ``"channels_first"``.

    Window ``i`` of an axis of length ``L`` covers ``[floor(i*L/n), ceil((i+1)*L/n))``.
    """
    return type(name, (_AdaptivePooling,), {"_rank": rank, "_pool_axis": staticmethod(pool), "__doc__": doc,
                                            "__module__": __name__})


AdaptiveAveragePooling1D = _make("AdaptiveAveragePooling1D", 1, _average_axis, "average")
AdaptiveAveragePooling2D = _make("AdaptiveAveragePooling2D", 2, _average_axis, "average")
AdaptiveAveragePooling3D = _make("AdaptiveAveragePooling3D", 3, _average_axis, "average")
AdaptiveMaxPooling1D = _make("AdaptiveMaxPooling1D", 1, _max_axis, "max")
AdaptiveMaxPooling2D = _make("AdaptiveMaxPooling2D", 2, _max_axis, "max")
AdaptiveMaxPooling3D = _make("AdaptiveMaxPooling3D", 3, _max_axis, "max")
