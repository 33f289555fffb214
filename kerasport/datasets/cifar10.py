"""CIFAR-10: 50,000 + 10,000 colour 32x32 images in 10 classes (Keras's archive and cache folder)."""
import os

import numpy as np

from kerasport import backend
from kerasport.datasets.cifar import load_batch
from kerasport.utils.file_utils import get_file


def load_data():
    """Load CIFAR-10, downloading and unpacking it into ``~/.keras/datasets`` the first time.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(50000, 32, 32, 3)`` /
        ``(10000, 32, 32, 3)`` (channels first when ``image_data_format()`` is
        ``"channels_first"``) and uint8 labels 0-9 of shape ``(n, 1)``.
    """
    path = get_file(fname="cifar-10-batches-py-target",
                    origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                    extract=True, file_hash="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce")
    path = os.path.join(path, "cifar-10-batches-py")
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts]).astype("uint8")
    y_train = np.concatenate([np.asarray(p[1]) for p in parts]).astype("uint8").reshape(-1, 1)
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    x_test = x_test.astype("uint8")
    y_test = np.asarray(y_test).astype("uint8").reshape(-1, 1)
    if backend.image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
