"""NumPy helpers on labels and arrays: ``to_categorical`` and ``normalize``."""
import numpy as np

from kerasport.backends import B


def to_categorical(x, num_classes=None):
    """One-hot encode integer labels: ``(n,)`` -> ``(n, num_classes)`` as float32."""
    x = np.asarray(x, dtype="int64")
    shape = x.shape[:-1] if x.ndim > 1 and x.shape[-1] == 1 else x.shape
    x = x.reshape(-1)
    num_classes = int(x.max()) + 1 if num_classes is None else num_classes
    out = np.zeros((x.size, num_classes), np.float32)
    out[np.arange(x.size), x] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms left alone); NumPy in, NumPy out."""
    if not isinstance(x, np.ndarray):
        return B.normalize(x, axis=axis, order=order)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
