"""Reshaping layers: Permute, RepeatVector, UpSampling1D/2D/3D, ZeroPadding1D/2D/3D, Cropping1D/2D/3D.

(``Flatten`` and ``Reshape`` live in ``core``.)
"""
import numpy as np

from kerasport.backends import B
from kerasport.layers.conv import normalize_data_format, normalize_tuple
from kerasport.layers.core import check_rank
from kerasport.layers.layer import Layer


def _positive_int(layer, name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: `{name}` must be a positive int, "
                         f"received {value!r}.")
    return value


def _pairs(value, n, name, layer):
    """``value`` (int, n ints, or n pairs of ints) as n ``(before, after)`` pairs of non-negative ints."""
    if isinstance(value, int):
        value = (value,) * n
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: `{name}` must be an int, a tuple of {n} ints or "
                         f"a tuple of {n} (before, after) pairs, received {value!r}.")
    return tuple(normalize_tuple(v, 2, f"{name}[{i}]", layer.name, allow_zero=True) for i, v in enumerate(value))


def _spatial_axes(data_format, rank):
    return tuple(range(1, 1 + rank)) if data_format == "channels_last" else tuple(range(2, 2 + rank))


class Permute(Layer):
    """Permutes the non-batch dims: ``Permute((2, 1))`` swaps the two axes of ``(batch, a, b)``.

    Args:
        dims: a permutation of ``1..ndim-1`` (the batch axis 0 stays in place).
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute {self.name!r}: `dims` must be a permutation of 1..{len(self.dims)}, "
                             f"received {dims!r}.")

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=len(self.dims) + 1)

    def call(self, inputs):
        return B.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        self._check_input_spec(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a vector ``n`` times: ``(batch, features)`` -> ``(batch, n, features)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = _positive_int(self, "n", n)

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=2)

    def call(self, inputs):
        return B.repeat(B.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        self._check_input_spec(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def _resize_linear(x, axis, factor):
    """Bilinear upsampling along one axis by an integer ``factor`` (TensorFlow's half-pixel centres)."""
    size = x.shape[axis]
    src = np.clip((np.arange(size * factor) + 0.5) / factor - 0.5, 0, size - 1)
    lo = np.floor(src).astype("int32")
    hi = np.minimum(lo + 1, size - 1)
    weight = B.convert_to_tensor((src - lo).reshape((-1,) + (1,) * (x.ndim - 1 - axis)), B.dtype(x))
    a = B.take(x, B.convert_to_tensor(lo), axis=axis)
    return a + (B.take(x, B.convert_to_tensor(hi), axis=axis) - a) * weight


class _UpSampling(Layer):
    """Repeats each spatial position ``size`` times along each spatial axis."""

    rank = None

    def __init__(self, size=2, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, self.rank, "size", self.name)
        self.data_format = normalize_data_format(data_format, self)
        self._axes = _spatial_axes(self.data_format, self.rank)

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=self.rank + 2)

    def call(self, inputs):
        for axis, factor in zip(self._axes, self.size):
            inputs = B.repeat(inputs, factor, axis=axis) if factor > 1 else inputs
        return inputs

    def compute_output_shape(self, input_shape):
        self._check_input_spec(input_shape)
        out = list(input_shape)
        for axis, factor in zip(self._axes, self.size):
            out[axis] = None if out[axis] is None else out[axis] * factor
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times: ``(batch, steps, C)`` -> ``(batch, steps * size, C)``.

    Args:
        size: positive int, the upsampling factor.
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, None, **kwargs)
        _positive_int(self, "size", size)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return {**config, "size": self.size[0]}


class UpSampling2D(_UpSampling):
    """Upsamples height and width by ``size``: ``(batch, H, W, C)`` -> ``(batch, H * sh, W * sw, C)``.

    Args:
        size: int or ``(sh, sw)``, the upsampling factors.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        interpolation: ``"nearest"`` (repeat pixels) or ``"bilinear"`` (as ``tf.image.resize``).
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, **kwargs)
        self.interpolation = interpolation.lower()
        if self.interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D {self.name!r}: `interpolation` must be 'nearest' or 'bilinear', "
                             f"received {interpolation!r}.")

    def call(self, inputs):
        if self.interpolation == "nearest":
            return super().call(inputs)
        for axis, factor in zip(self._axes, self.size):
            inputs = _resize_linear(inputs, axis, factor)
        return inputs

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Repeats each voxel ``size`` times along the three spatial dims.

    Args:
        size: int or ``(s1, s2, s3)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)


class _ZeroPadding(Layer):
    """Adds rows of zeros before and after each spatial axis."""

    rank = None

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, self.rank, "padding", self)
        self.data_format = normalize_data_format(data_format, self)
        self._axes = _spatial_axes(self.data_format, self.rank)

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=self.rank + 2)

    def call(self, inputs):
        pads = [(0, 0)] * (self.rank + 2)
        for axis, pair in zip(self._axes, self.padding):
            pads[axis] = pair
        return B.pad(inputs, pads)

    def compute_output_shape(self, input_shape):
        self._check_input_spec(input_shape)
        out = list(input_shape)
        for axis, (lo, hi) in zip(self._axes, self.padding):
            out[axis] = None if out[axis] is None else out[axis] + lo + hi
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Pads steps with zeros: ``(batch, steps, C)`` -> ``(batch, before + steps + after, C)``.

    Args:
        padding: int (both sides) or ``(before, after)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__((padding,), data_format, **kwargs)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding[0]}


class ZeroPadding2D(_ZeroPadding):
    """Pads height and width with zeros.

    Args:
        padding: int, ``(h, w)`` (symmetric) or ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads three spatial dims with zeros.

    Args:
        padding: int, ``(p1, p2, p3)`` or three ``(before, after)`` pairs.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(Layer):
    """Removes positions from the start and end of each spatial axis."""

    rank = None

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping", self)
        self.data_format = normalize_data_format(data_format, self)
        self._axes = _spatial_axes(self.data_format, self.rank)

    def _check_input_spec(self, shape):
        check_rank(self, shape, rank=self.rank + 2)
        for axis, (lo, hi) in zip(self._axes, self.cropping):
            if shape[axis] is not None and lo + hi >= shape[axis]:
                raise ValueError(f"{type(self).__name__} {self.name!r}: cropping {self.cropping} leaves nothing of "
                                 f"axis {axis} of the input of shape {tuple(shape)}.")

    def call(self, inputs):
        index = [slice(None)] * (self.rank + 2)
        for axis, (lo, hi) in zip(self._axes, self.cropping):
            index[axis] = slice(lo, -hi if hi else None)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        self._check_input_spec(input_shape)
        out = list(input_shape)
        for axis, (lo, hi) in zip(self._axes, self.cropping):
            out[axis] = None if out[axis] is None else out[axis] - lo - hi
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class Cropping1D(_Cropping):
    """Crops steps: ``(batch, steps, C)`` -> ``(batch, steps - before - after, C)``.

    Args:
        cropping: int (both sides) or ``(before, after)``.
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__((cropping,), None, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return {**config, "cropping": self.cropping[0]}


class Cropping2D(_Cropping):
    """Crops height and width.

    Args:
        cropping: int, ``(h, w)`` (symmetric) or ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops three spatial dims.

    Args:
        cropping: int, ``(c1, c2, c3)`` or three ``(before, after)`` pairs.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)
