"""Utilities: seeding, and helpers users reach for (``to_categorical``, ``plot_history``)."""
import numpy as np

from kerasport.backends import B
from kerasport.utils.plotting import plot_history  # noqa: F401
from kerasport.utils.py_dataset import PyDataset, Sequence  # noqa: F401


def set_random_seed(seed):
    """Seed Python's ``random``, NumPy and the backend framework, so runs repeat exactly."""
    if not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed expects an integer seed, received {seed!r}.")
    B.set_seed_all(int(seed))


def to_categorical(x, num_classes=None):
    """One-hot encode integer labels: ``(n,)`` -> ``(n, num_classes)`` as float32."""
    x = np.asarray(x, dtype="int64")
    shape = x.shape[:-1] if x.ndim > 1 and x.shape[-1] == 1 else x.shape
    x = x.reshape(-1)
    num_classes = int(x.max()) + 1 if num_classes is None else num_classes
    out = np.zeros((x.size, num_classes), np.float32)
    out[np.arange(x.size), x] = 1
    return out.reshape(shape + (num_classes,))
