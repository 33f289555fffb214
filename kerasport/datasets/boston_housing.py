"""Boston Housing prices (13 features, 506 samples; Keras's copy and cache file). Keras warns of its
ethical problem (a feature encoding race): prefer ``california_housing``."""
import numpy as np

from kerasport.datasets._common import ORIGIN, shuffled_split
from kerasport.utils.file_utils import get_file


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Load Boston Housing, shuffled with ``seed`` and split as Keras splits it.

    Args:
        path: cached file name (relative to ``~/.keras/datasets``).
        test_split: fraction of the samples kept for the test set.
        seed: seed of the shuffle before the split.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float arrays ``(n, 13)`` and ``(n,)`` (prices in k$).
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 "
                         "(exclusive of 1).")
    path = get_file(path, origin=f"{ORIGIN}boston_housing.npz",
                    file_hash="f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5")
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return shuffled_split(x, y, test_split, seed)
