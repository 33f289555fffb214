"""MNIST handwritten digits: 60,000 + 10,000 grayscale 28x28 images (Keras's copy and cache file)."""
import numpy as np

from kerasport.datasets._common import ORIGIN
from kerasport.utils.file_utils import get_file


def load_data(path="mnist.npz"):
    """Load MNIST, downloading ``mnist.npz`` into ``~/.keras/datasets`` the first time (as Keras does).

    Args:
        path: file name of the cached file (relative to ``~/.keras/datasets``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(60000, 28, 28)`` /
        ``(10000, 28, 28)`` with values 0-255 and uint8 labels 0-9.
    """
    path = get_file(fname=path, origin=f"{ORIGIN}mnist.npz",
                    file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
