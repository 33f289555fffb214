"""Backend selection: the one place that picks PyTorch or TensorFlow.

``KERASPORT_BACKEND`` (``torch`` by default, or ``tensorflow``) is read once, at
import. The chosen package (``torch/`` or ``tensorflow/``, one module per op family)
is bound as ``B``; everything else in kerasport calls ``B.<op>`` (or
``kerasport.ops.<op>``, the same functions) directly, so there is no dispatch on
the hot path. Only the chosen framework is ever imported.
The functions every backend provides, typed and documented, are the contract (``contract/``).
"""
import importlib
import os

from kerasport.backends import contract

BACKENDS = ("torch", "tensorflow")  # each the name of its package here
_ALIASES = {"tf": "tensorflow", "pytorch": "torch"}


def _select():
    name = os.environ.get("KERASPORT_BACKEND", "torch").strip().lower()
    name = _ALIASES.get(name, name)
    if name not in BACKENDS:
        raise ValueError(
            f"KERASPORT_BACKEND={os.environ.get('KERASPORT_BACKEND')!r} is not a "
            f"known backend. Expected one of: {', '.join(sorted(BACKENDS))}."
        )
    return name


NAME = _select()
B = importlib.import_module(f"kerasport.backends.{NAME}")
contract.document(B)  # a backend function's docstring is written once, in the contract


def backend():
    """Returns the name of the active backend: ``"torch"`` or ``"tensorflow"``."""
    return NAME
