"""Optical recognition of handwritten digits (UCI; E. Alpaydin, C. Kaynak, 1998).

1,797 grayscale 8x8 images of the digits 0-9, pixel values 0-16, shipped in
``digits.npz`` (from the copy bundled with scikit-learn, BSD-3; the data is
CC BY 4.0). No download is ever made.
"""
import os

import numpy as np

PATH = os.path.join(os.path.dirname(__file__), "digits.npz")


def load_data(test_split=0.2):
    """Returns ``(x_train, y_train), (x_test, y_test)``: uint8 images (n, 8, 8) and uint8 labels (n,).

    The samples are in a fixed shuffled order; the last ``test_split`` of them form the test set.
    """
    if not 0 < test_split < 1:
        raise ValueError(f"test_split must be in (0, 1), received {test_split}.")
    with np.load(PATH) as data:
        x, y = data["x"], data["y"]
    cut = int(round(len(x) * (1 - test_split)))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
