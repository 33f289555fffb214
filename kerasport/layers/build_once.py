"""A layer's ``build`` runs once: the wrapper every ``Layer`` subclass's ``build`` gets, and the shapes it records
(``get_build_config`` writes them as JSON, ``build_from_config`` reads them back)."""
import functools
import inspect

import numpy as np

from kerasport.layers.call_context import LayerScope, fix_path


def build_once(build):
    """``build`` made idempotent: it runs in the layer's name scope, sets ``built`` and records the shapes it
    was given (``_build_shapes``; all arguments of a multi-argument ``build``, as Keras's ``shapes_dict``).
    A ``build(self)`` that takes no shape is called without one, as Keras does."""
    takes_shapes = len(inspect.signature(build).parameters) > 1

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        if self.built:
            return None
        with LayerScope(self):
            fix_path(self)
            out = build(self, *args, **kwargs) if takes_shapes else build(self)
        self.built = True
        if self._build_shapes is None:
            self._build_shapes = args[0] if args else kwargs.get("input_shape")
        if not takes_shapes:
            return out
        arguments = inspect.signature(build).bind(self, *args, **kwargs).arguments
        arguments.pop(next(iter(arguments)))  # ``self``
        if len(arguments) > 1:  # Keras records every argument of such a build: ``{"shapes_dict": ...}``
            self._build_arguments = dict(arguments)
        return out

    return wrapper


def is_shape(s):
    """Whether ``s`` is one shape (a tuple of ints and ``None``), not a structure of shapes."""
    return isinstance(s, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in s)


def tuple_shape(s):
    """A shape, or a list of shapes, read from JSON lists as tuples."""
    nested = isinstance(s, (list, tuple)) and s and isinstance(s[0], (list, tuple))
    return [tuple(x) for x in s] if nested else tuple(s) if s is not None else None


def jsonable_shape(s):
    """A shape, a list or a dict of shapes, as JSON lists."""
    if isinstance(s, (list, dict)):
        return [list(x) for x in s] if isinstance(s, list) else {k: list(v) for k, v in s.items()}
    return list(s) if s is not None else None
