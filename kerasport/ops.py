"""``kerasport.ops``: Keras's op names and semantics on the active backend.

A custom layer written with these functions runs unchanged on PyTorch and
TensorFlow; ``kerasport/backends/contract/`` types and documents them.
Each op calls the backend module's function directly; only when one of its
arguments is a symbolic ``KerasTensor`` (a Functional model being wired) does it
add an ``OpLayer`` to the graph instead. Library layers call the backend module
itself and skip even that check.
"""
import builtins as _builtins
import sys as _sys

import numpy as _np

from kerasport.backends import B as _B
from kerasport.backends.contract import OPS as _OPS
from kerasport.core.keras_tensor import KerasTensor as _KerasTensor


def _symbolic(values):
    for v in values:
        if isinstance(v, _KerasTensor) or isinstance(v, (list, tuple)) and _builtins.any(
                isinstance(t, _KerasTensor) for t in v):
            return True
    return False


def _host_to_tensor(v):
    """NumPy arrays, NumPy and Python numbers (also inside a list or tuple) as backend tensors; anything else
    unchanged."""
    if isinstance(v, (_np.ndarray, _np.generic, int, float)):
        return _B.convert_to_tensor(v)
    if isinstance(v, (list, tuple)) and _builtins.any(isinstance(t, (_np.ndarray, _np.generic)) for t in v):
        return type(v)(_host_to_tensor(t) for t in v)
    return v


def _bind(name, fn):
    def op(*args, **kwargs):
        if _symbolic(args) or kwargs and _symbolic(kwargs.values()):
            from kerasport.layers.op_layer import symbolic_op
            return symbolic_op(name, args, kwargs)
        try:
            return fn(*args, **kwargs)
        except TypeError as error:
            # Keras's ops take NumPy values and Python numbers anywhere a tensor goes; torch's kernels reject them.
            converted = [_host_to_tensor(a) for a in args]
            converted_kw = {k: _host_to_tensor(v) for k, v in kwargs.items()}
            if _builtins.all(c is a for c, a in zip(converted, args)) and _builtins.all(
                    converted_kw[k] is v for k, v in kwargs.items()):
                raise
            try:
                return fn(*converted, **converted_kw)
            except Exception:
                raise error from None

    op.__name__ = op.__qualname__ = name
    op.__doc__ = fn.__doc__
    op.__wrapped__ = fn
    return op


_PASSTHROUGH = {"convert_to_tensor", "convert_to_numpy", "is_tensor", "ndim", "dtype", "cond"}
globals().update({_name: getattr(_B, _name) if _name in _PASSTHROUGH else _bind(_name, getattr(_B, _name))
                  for _name in _OPS})
__all__ = sorted(_OPS)


def shape(x):
    """The shape of ``x`` as a tuple (``None`` for dims unknown in a Functional model)."""
    return x.shape if isinstance(x, _KerasTensor) else _B.shape(x)

from kerasport import ops_image as image  # noqa: E402  (kerasport.ops.image: Keras's keras.ops.image)
_sys.modules[f"{__name__}.image"] = image


def _namespace(name, doc, names):
    """``kerasport.ops.<name>``: a module of these ops, importable as Keras's (``from kerasport.ops.nn import relu``)."""
    import types
    module = types.ModuleType(f"{__name__}.{name}", doc)
    module.__dict__.update({n: globals()[n] for n in names})
    module.__all__ = sorted(names)
    _sys.modules[module.__name__] = module
    return module


# keras.ops.nn / numpy / linalg / core as namespaces of the same functions (see contract.EXTRA_*).
from kerasport.backends import contract as _contract  # noqa: E402

nn = _namespace("nn", "Neural-network ops (keras.ops.nn).", _contract.NN + _contract.EXTRA_NN + ["one_hot"])
numpy = _namespace("numpy", "NumPy-style ops (keras.ops.numpy).", [
    n for n in _contract.CREATION + _contract.MATH + _contract.REDUCTIONS + _contract.SHAPES + _contract.LINALG
    + _contract.EXTRA_NUMPY + ["tanh", "slogdet"]
    if n not in ("top_k", "segment_sum", "one_hot", "cast", "convert_to_tensor", "convert_to_numpy", "is_tensor",
                 "stop_gradient", "cond", "dtype", "slice", "unstack", "norm")])
linalg = _namespace("linalg", "Linear algebra (keras.ops.linalg).", _contract.EXTRA_LINALG + ["norm"])
core = _namespace("core", "Control flow, scatter and casting (keras.ops.core).", _contract.EXTRA_CORE + [
    "slice", "unstack", "stop_gradient", "shape", "dtype", "cast", "convert_to_tensor", "convert_to_numpy",
    "cond", "is_tensor"])
