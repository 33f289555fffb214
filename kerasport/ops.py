"""``kerasport.ops``: Keras's op names and semantics, bound once to the active backend.

A custom layer written with these functions runs unchanged on PyTorch and
TensorFlow. Each name is the backend module's own function (no dispatch layer);
``kerasport/backends/contract.py`` lists them with their shapes.
"""
from kerasport.backends import B as _B
from kerasport.backends.contract import OPS as _OPS

globals().update({_name: getattr(_B, _name) for _name in _OPS})
__all__ = sorted(_OPS)
