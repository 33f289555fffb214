"""``kerasport.backend``: which framework runs, and Keras's global backend settings."""
import gc

import numpy as np

from kerasport.backends import B, backend  # noqa: F401
from kerasport.core import naming
from kerasport.core.dtypes import is_float_dtype, is_int_dtype, result_type, standardize_dtype  # noqa: F401
from kerasport.core.keras_tensor import is_keras_tensor  # noqa: F401
from kerasport.core.naming import SCOPES, current_path, get_uid  # noqa: F401
from kerasport.core.settings import (epsilon, floatx, image_data_format, set_epsilon, set_floatx,  # noqa: F401
                                     set_image_data_format)


def clear_session(free_memory=True):
    """Resets the global state kerasport keeps, as ``keras.backend.clear_session`` does.

    Automatic names start again (``dense``, ``dense_1``, ...), and the global mixed-precision dtype
    policy, interactive logging, traceback filtering and flash attention switches return to their
    defaults (``floatx``, ``epsilon`` and the image data format are kept, as in Keras). Call it
    when creating many models in a loop.

    Args:
        free_memory: also run Python's garbage collection (it may take a moment; skip it in a short
            loop).

    Example:

    >>> keras.layers.Dense(10).name
    'dense'
    >>> keras.utils.clear_session()
    >>> keras.layers.Dense(10).name
    'dense'
    """
    from kerasport import config
    naming.reset()
    config.reset_global_switches()
    if free_memory:
        gc.collect()


def device():
    """The device kerasport computes on (``"cpu"``, ``"cuda"``, ``"/GPU:0"``, ...)."""
    return B.device_name()


def is_tensor(x):
    return B.is_tensor(x)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return B.is_variable(obj)


class Variable(metaclass=_VariableMeta):
    """Keras's ``keras.Variable(initializer, shape, dtype, trainable, name)``: makes the backend's native
    variable (a ``torch.nn.Parameter`` subclass on torch, a ``tf.Variable`` on TensorFlow).

    ``isinstance(v, kerasport.Variable)`` is True for every backend variable.

    Args:
        initializer: a value (array, tensor, number), or an initializer (name,
            ``Initializer`` or callable ``(shape, dtype)``), which then needs ``shape``.
        shape: the shape, for an initializer.
        dtype: the dtype; by default the value's, as ``ops.convert_to_tensor`` gives it (a NumPy array's,
            scalar's or tensor's own, Python ints as int32, Python floats as ``floatx()``), or ``floatx()`` for
            an initializer.
        trainable: whether gradients flow to it.
        name: its name (``"variable"``, ``"variable_1"``, ... by default); inside
            ``name_scope`` blocks its ``path`` is prefixed with the scopes.
    """

    def __new__(cls, initializer, shape=None, dtype=None, trainable=True, autocast=True, aggregation="none",
                synchronization="auto", name=None):
        from kerasport import initializers
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"Variable: `name` must be a string without '/', received {name!r}.")
        name = name or naming.uniquify("variable")
        if isinstance(initializer, str) or isinstance(initializer, initializers.Initializer) or callable(initializer):
            if shape is None:
                raise ValueError(f"Variable: when creating a Variable from an initializer, the `shape` argument "
                                 f"should be specified. Received: initializer={initializer} and shape=None")
            dtype = standardize_dtype(dtype)
            value = initializers.get(initializer)(tuple(shape), dtype=dtype)
        else:
            value = B.convert_to_numpy(initializer) if B.is_tensor(initializer) else np.asarray(initializer)
            if dtype is None:  # as Keras: ``convert_to_tensor``'s (Python ints int32, floats floatx, arrays their own)
                dtype = B.dtype(initializer if B.is_tensor(initializer) else B.convert_to_tensor(initializer))
            else:
                dtype = standardize_dtype(dtype)  # Keras's names: "int" is int64 on TensorFlow, int32 on torch
            if shape is not None and tuple(shape) != value.shape:
                raise ValueError(f"Variable: initial value of shape {value.shape} does not match shape={shape}.")
        var = B.variable(value, dtype=dtype, trainable=trainable, name=name)
        parent = current_path()
        var.path = f"{parent}/{name}" if parent else name
        return var


class name_scope:
    """Context manager that prefixes the ``path`` of the variables and layers created inside it.

    Example::

        with kerasport.name_scope("block1"):
            v = kerasport.Variable(np.ones(2), name="w")   # v.path == "block1/w"
    """

    def __init__(self, name, **kwargs):
        if not isinstance(name, str) or not name:
            raise ValueError(f"name_scope: `name` must be a non-empty string, received {name!r}.")
        self.name = name

    def __enter__(self):
        parent = current_path()
        SCOPES.append((self, f"{parent}/{self.name}" if parent else self.name))
        return self

    def __exit__(self, *exc):
        SCOPES.pop()
