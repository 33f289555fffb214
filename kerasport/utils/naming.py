"""The old home of ``kerasport.core.naming``, kept while ``layers/rnn.py`` and ``losses.py`` (rewritten on
another branch) still import it from here; new code imports ``kerasport.core.naming``."""
from kerasport.core.naming import get_uid, reset, to_snake_case, uniquify  # noqa: F401
