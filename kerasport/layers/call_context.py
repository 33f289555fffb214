"""What a layer call runs inside: the thread's call context, a layer's name scope, and what its ``call`` takes."""
import inspect
import threading

from kerasport.core.naming import SCOPES, current_path


class CallContext(threading.local):
    """The layer calls under way in this thread (Keras's ``CallContext``): the ``training`` nested layers inherit.

    A layer's ``training`` is, in order: the one it is called with, the context's (set by an enclosing call), the
    default of its ``call``. Each call sets the context's value, which holds until the outermost call returns.
    """

    depth = 0
    training = None


CALL_CONTEXT = CallContext()


class LayerScope:
    """Open ``layer``'s name scope. Its parent path is fixed the first time it opens, as in Keras."""

    __slots__ = ("layer", "pushed")

    def __init__(self, layer):
        self.layer = layer

    def __enter__(self):
        layer = self.layer
        self.pushed = not (SCOPES and SCOPES[-1][0] is layer)
        if self.pushed:
            parent = layer.__dict__.get("_parent_path")
            if parent is None:
                parent = layer._parent_path = current_path()
            SCOPES.append((layer, f"{parent}/{layer.name}" if parent else layer.name))

    def __exit__(self, *exc):
        if self.pushed:
            SCOPES.pop()


def call_params(cls):
    """What ``cls.call`` takes: ``training``, ``mask``, ``**kwargs``, its ``<arg>_mask`` pairs, the name of its
    first positional argument (None if it has none) and the default of ``training``.

    A pair is ``(position, name, mask_name)`` for an argument ``name`` that has a ``name_mask``
    companion (``MultiHeadAttention``'s ``query`` / ``query_mask``); ``position`` is its index among
    the positional arguments (None for a keyword-only one).
    """
    params = inspect.signature(cls.call).parameters
    names = [n for n in params if n != "self"]
    positional = [n for n in names if params[n].kind in (params[n].POSITIONAL_ONLY, params[n].POSITIONAL_OR_KEYWORD)]
    pairs = tuple((positional.index(n) if n in positional else None, n, f"{n}_mask")
                  for n in names if f"{n}_mask" in params)
    training = params["training"].default if "training" in params else None
    return ("training" in params, "mask" in params, any(p.kind == p.VAR_KEYWORD for p in params.values()), pairs,
            positional[0] if positional else None, None if training is inspect.Parameter.empty else training)
