"""Small real datasets shipped with kerasport (no download)."""
from kerasport.datasets import digits  # noqa: F401
