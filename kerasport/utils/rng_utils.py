"""``set_random_seed``: one seed for Python's ``random``, NumPy and the backend framework."""
import numpy as np

from kerasport.backends import B


def set_random_seed(seed):
    """Seed Python's ``random``, NumPy and the backend framework, so runs repeat exactly."""
    if not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed expects an integer seed, received {seed!r}.")
    B.set_seed_all(int(seed))
