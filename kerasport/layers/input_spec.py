"""``InputSpec``: what a layer accepts (rank, dtype, shape, fixed axes), checked on every call.

A layer that sets ``self.input_spec`` (one spec, or one per input) gets its inputs
checked before it builds and before each call, with Keras's error messages.
"""
from kerasport.backends import B
from kerasport.core import nest


class InputSpec:
    """The rank, dtype and shape of one input of a layer (``None`` dims match anything).

    Args:
        dtype: the expected dtype.
        shape: the expected shape, batch included (sets ``ndim``).
        ndim / max_ndim / min_ndim: the expected rank, or its bounds.
        axes: ``{axis: size}`` for axes of fixed size (e.g. ``{-1: 16}``).
        allow_last_axis_squeeze: accept a trailing axis of size 1 more or less than ``shape``.
        name: the input's key when inputs come as a dict.
        optional: accept ``None`` for this input.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = B.standardize_dtype(dtype) if dtype is not None else None
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.name, self.optional = name, optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            self.axes = {int(k): v for k, v in (axes or {}).items()}
        except (ValueError, TypeError, AttributeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: axes={axes}") from None
        rank = self.ndim or self.max_ndim
        if self.axes and rank is not None and max(self.axes) > rank - 1:
            raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed value: {rank - 1}")

    def __repr__(self):
        parts = [f"{k}={getattr(self, k)}" for k in ("dtype", "shape", "ndim", "max_ndim", "min_ndim", "axes")
                 if getattr(self, k)]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes, "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise Keras's ``ValueError`` when ``inputs`` do not match ``input_spec``."""
    specs = nest.flatten(input_spec)
    if isinstance(inputs, dict) and all(s.name for s in specs):
        missing = [s.name for s in specs if s.name not in inputs]
        if missing:
            raise ValueError(f'Missing data for input "{missing[0]}". You passed a data dictionary with keys '
                             f"{list(inputs)}. Expected the following keys: {[s.name for s in specs]}")
        inputs = [inputs[s.name] for s in specs]
    inputs = nest.flatten(inputs)
    if len(inputs) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(inputs)} '
                         f"input tensors. Inputs received: {inputs}")
    for index, (x, spec) in enumerate(zip(inputs, specs)):
        if spec is None or x is None and spec.optional:
            continue
        if not hasattr(x, "shape"):
            raise ValueError(f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input for "
                             f"layer '{layer_name}'.")
        shape = tuple(None if d is None else int(d) for d in x.shape)
        where = f"Input {index} with name '{spec.name}' of layer '{layer_name}' is incompatible with the layer"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and len(shape) != spec.ndim:
            raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={len(shape)}. "
                             f"Full shape received: {shape}")
        if spec.max_ndim is not None and len(shape) > spec.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={len(shape)}")
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={len(shape)}. "
                             f"Full shape received: {shape}")
        if spec.dtype is not None:
            dtype = B.standardize_dtype(x.dtype)
            if dtype != spec.dtype:
                raise ValueError(f"{where}: expected dtype={spec.dtype}, found dtype={dtype}")
        for axis, value in spec.axes.items():
            if value is not None and shape[axis] not in (value, None):
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value {value}, "
                                 f"but received input with shape {shape}")
        if spec.shape is not None:
            got, want = shape, spec.shape
            if spec.allow_last_axis_squeeze:
                got = got[:-1] if got and got[-1] == 1 else got
                want = want[:-1] if want and want[-1] == 1 else want
            if any(a is not None and b is not None and a != b for a, b in zip(want, got)):
                raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")


def rank_adjustment(shape, ref_shape):
    """How Keras fits data of ``shape`` to a model ``Input`` of ``ref_shape``: ``-1`` drops a last axis
    of size 1 (one rank too many), ``1`` adds one (one rank short of an ``Input`` ending in 1), else ``0``."""
    if len(shape) == len(ref_shape) + 1 and shape[-1] == 1:
        return -1
    if len(shape) == len(ref_shape) - 1 and ref_shape[-1] == 1:
        return 1
    return 0
