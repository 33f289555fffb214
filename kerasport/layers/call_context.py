"""What a layer call runs inside: the thread's call context, a layer's name scope, what its ``call`` takes, and
which arguments it may take by position."""
import functools
import inspect
import math
import threading

from kerasport.core import nest
from kerasport.core.naming import SCOPES, current_path
from kerasport.scopes import get_current_remat_mode, remat


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


def fix_path(layer):
    """Record ``layer.path`` (Keras: its name scope as it builds) and pick its policy of a ``DTypePolicyMap``."""
    if layer.__dict__.get("_path") is None:
        layer._path = current_path()
        layer._apply_policy()


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


def check_positional_args(layer, args):
    """As Keras: every positional argument is a tensor (or None); a flag or a number goes by keyword."""
    for arg in nest.flatten(args):
        if arg is not None and not hasattr(arg, "shape"):  # tensors, KerasTensors, host arrays, sparse / ragged
            raise ValueError(f"Layer '{layer.name}': Only input tensors may be passed as positional arguments. The "
                             f"following argument value should be passed as a keyword argument: {arg} (of type "
                             f"{type(arg)})")


def remat_mode(layer):
    """The ``RematScope`` mode ``layer`` is created in (Keras's ``_remat_mode``); under one its ``call`` becomes
    a ``RematCall``."""
    mode = get_current_remat_mode()
    if mode is not None and mode.mode is not None:
        layer.__dict__["call"] = RematCall(layer, mode)
    return mode


class RematCall:
    """A layer's ``call`` under the ``RematScope`` it was created in (Keras's ``rematerialized_call``).

    ``"full"`` recomputes the whole call in the backward pass, ``"list_of_layers"`` does so for the named
    layers, ``"activations"`` only the layer's ``activation``, ``"larger_than"`` the calls whose outputs have more
    than ``output_size_threshold`` elements (decided once per input shape, from the first call's outputs).
    Set as the layer's instance attribute ``call``; a deep copy of the layer gets its own.
    """

    def __init__(self, layer, mode):
        self.layer, self.mode, self.large = layer, mode, {}

    def __call__(self, *args, **kwargs):
        layer, mode = self.layer, self.mode
        call = functools.partial(type(layer).call, layer, **kwargs)  # tf.recompute_grad takes no keywords
        kwargs = {}
        if mode.mode == "full" or mode.mode == "list_of_layers" and layer.name in mode.layer_names:
            return remat(call)(*args, **kwargs)
        if mode.mode == "activations" and getattr(layer, "activation", None) is not None:
            activation = layer.activation
            object.__setattr__(layer, "activation", remat(activation))
            try:
                return call(*args, **kwargs)
            finally:
                object.__setattr__(layer, "activation", activation)
        if mode.mode == "larger_than":
            key = tuple(tuple(a.shape) for a in args if hasattr(a, "shape"))
            if key not in self.large:
                outputs = call(*args, **kwargs)
                self.large[key] = sum(math.prod(o.shape) for o in nest.flatten(outputs) if hasattr(o, "shape")) \
                    > mode.output_size_threshold
                return outputs
            if self.large[key]:
                return remat(call)(*args, **kwargs)
        return call(*args, **kwargs)
