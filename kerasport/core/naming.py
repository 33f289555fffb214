"""Automatic names (``dense``, ``dense_1``, ...) and name scopes (the ``path`` prefix of new variables and layers)."""
import collections
import re

_counts = collections.defaultdict(int)
SCOPES = []  # (owner, path) of the open name scopes, innermost last: a layer building or calling, a name_scope


def to_snake_case(name):
    """Keras's snake case: ``Conv2D`` -> ``conv2d``, ``MaxPooling2D`` -> ``max_pooling2d``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def uniquify(prefix):
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ..."""
    n = _counts[prefix]
    _counts[prefix] += 1
    return prefix if n == 0 else f"{prefix}_{n}"


def get_uid(prefix=""):
    """A counter per ``prefix``, starting at 1; it is the one automatic layer names use (``dense_1``, ...),
    and ``clear_session`` resets it, as in Keras."""
    _counts[prefix] += 1
    return _counts[prefix]


def reset():
    """Forget every name given so far (``kerasport.backend.clear_session``)."""
    _counts.clear()


def current_path():
    """The path of the innermost open name scope (``"outer/inner"``), or ``""`` outside every scope."""
    return SCOPES[-1][1] if SCOPES else ""
