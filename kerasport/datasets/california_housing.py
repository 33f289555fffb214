"""California Housing prices (8 features, 20,640 block groups of the 1990 census; Keras's copy and cache)."""
import numpy as np

from kerasport.datasets._common import ORIGIN, shuffled_split
from kerasport.utils.file_utils import get_file


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Load California Housing, shuffled with ``seed`` and split as Keras splits it.

    Args:
        version: ``"large"`` (all 20,640 samples) or ``"small"`` (the first 600).
        path: cached file name (relative to ``~/.keras/datasets``).
        test_split: fraction of the samples kept for the test set.
        seed: seed of the shuffle before the split.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float arrays ``(n, 8)`` and ``(n,)`` (prices in $).
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 "
                         "(exclusive of 1).")
    path = get_file(path, origin=f"{ORIGIN}california_housing.npz",
                    file_hash="1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f")
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError(f"california_housing.load_data: `version` must be one of 'small', 'large'. "
                         f"Received: version={version}")
    return shuffled_split(x, y, test_split, seed)
