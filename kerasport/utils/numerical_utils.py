"""NumPy helpers on labels and arrays: ``to_categorical`` and ``normalize``."""
import numpy as np

from kerasport.backends import B
from kerasport.core.settings import floatx


def to_categorical(x, num_classes=None):
    """Converts a class vector (integers) to a binary class matrix, as Keras.

    Args:
        x: array-like of class values (integers from 0 to ``num_classes - 1``); a trailing axis of size 1 is
            dropped. A backend tensor is one-hot encoded on the backend (``floatx``).
        num_classes: total number of classes; ``None`` infers ``max(x) + 1``.

    Returns:
        For array-like input, a float64 NumPy array (as Keras) with the class axis last.
    """
    if B.is_tensor(x):
        if len(x.shape) > 1 and x.shape[-1] == 1:
            x = B.reshape(x, tuple(x.shape[:-1]))
        return B.one_hot(x, num_classes, dtype=floatx())
    x = np.asarray(x, dtype="int64")
    shape = x.shape[:-1] if x.ndim > 1 and x.shape[-1] == 1 else x.shape
    x = x.reshape(-1)
    num_classes = int(x.max()) + 1 if not num_classes else num_classes
    out = np.zeros((x.size, num_classes))
    out[np.arange(x.size), x] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms left alone); NumPy in, NumPy out."""
    if not isinstance(x, np.ndarray):
        return B.normalize(x, axis=axis, order=order)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
