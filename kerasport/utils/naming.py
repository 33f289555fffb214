"""Unique automatic names (``dense``, ``dense_1``, ...) as Keras gives them."""
import collections
import re

_counts = collections.defaultdict(int)


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


def reset():
    """Forget every name given so far (``kerasport.backend.clear_session``)."""
    _counts.clear()
