"""The old home of ``kerasport.core.nest``, kept while modules rewritten on other branches (the backends, the
model and its trainer, ``layers/rnn.py``, ``losses.py``) still import it from here; new code imports
``kerasport.core.nest``."""
from kerasport.core.nest import flatten, is_nested, map_structure, pack_as, values_by_key  # noqa: F401
