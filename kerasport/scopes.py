"""The scopes of Keras's top level: ``keras.device`` (where tensors go), ``keras.RematScope`` and ``keras.remat``
(gradient checkpointing) and ``keras.SymbolicScope``.
"""
import collections
import threading

from kerasport.backends import B


def device(device_name):
    """Context manager for backend-agnostic device placement.

    Tensors and variables created inside the block go to ``device_name``: on torch the backend's device
    (``"gpu"`` is read as ``"cuda"``), on TensorFlow ``tf.device(device_name)``.

    Args:
        device_name: a string ``"device_type:device_index"``: ``"cpu"``, ``"cpu:0"``, ``"gpu:0"`` (torch also
            takes ``"cuda"`` and ``"cuda:1"``, TensorFlow ``"/device:GPU:0"``). A name that is not a device,
            or a GPU that is not there (torch), raises ``ValueError``.

    Example:

    >>> with keras.device("cpu:0"):
    ...     x = keras.ops.ones((2, 3))        # on the CPU
    ...     layer = keras.layers.Dense(4)     # its weights too, once built here
    """
    return B.device_scope(device_name)


class _State(threading.local):
    def __init__(self):
        self.remat_scopes = []
        self.symbolic_scope = None


_STATE = _State()
REMAT_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
RematMode = collections.namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])


class RematScope:
    """A context manager for enabling rematerialization (gradient checkpointing).

    Rematerialization trades memory for computation: intermediate activations are recomputed in the
    backward pass instead of stored. As in Keras, the scope applies to the layers *created* inside it
    (their mode is fixed at construction); their calls are rematerialized wherever they run.

    Args:
        mode: ``"full"`` (every layer's call), ``"activations"`` (the ``activation`` of layers that have one,
            e.g. ``Dense(..., activation="relu")``), ``"larger_than"`` (layers whose outputs have more than
            ``output_size_threshold`` elements in all; kerasport decides at a layer's first call with each input
            shape, which itself runs plain), ``"list_of_layers"`` (the layers named in ``layer_names``), or None
            (off).
        output_size_threshold: the threshold of ``"larger_than"``; 1024 by default.
        layer_names: the layer names of ``"list_of_layers"``.

    Example:

    >>> with keras.RematScope(mode="full"):
    ...     model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(64, activation="relu"),
    ...                               keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")   # fit() recomputes each layer's forward pass in the backward pass
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in REMAT_MODES:
            raise ValueError(f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', 'larger_than', "
                             "'list_of_layers', or  None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []
        self._pop_on_exit = False

    def __enter__(self):
        _STATE.remat_scopes.append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc):
        if self._pop_on_exit:
            _STATE.remat_scopes.pop()


def get_current_remat_mode():
    """The ``RematMode(mode, output_size_threshold, layer_names)`` of the innermost ``RematScope``, or None."""
    if not _STATE.remat_scopes:
        return None
    scope = _STATE.remat_scopes[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f):
    """Applies rematerialization to a function or layer for memory optimization.

    The returned function computes what ``f`` computes, with the same values and gradients, but keeps
    none of ``f``'s intermediate results for the backward pass: they are recomputed there
    (``torch.utils.checkpoint.checkpoint(..., use_reentrant=False)`` on torch, ``tf.recompute_grad`` on
    TensorFlow).

    Args:
        f: a callable, typically an expensive part of a layer's ``call``.

    Returns:
        The wrapped callable.

    Example:

    >>> class CustomRematLayer(keras.layers.Layer):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.remat_function = keras.remat(self.intermediate_function)
    ...     def intermediate_function(self, x):
    ...         for _ in range(2):
    ...             x = x + x * 0.1
    ...         return x
    ...     def call(self, inputs):
    ...         return self.remat_function(inputs)
    """
    return B.remat(f)


class SymbolicScope:
    """Scope to indicate the symbolic stage (Keras's ``keras.SymbolicScope``); ``in_symbolic_scope()`` says
    whether one is open."""

    def __enter__(self):
        self.original_scope = _STATE.symbolic_scope
        _STATE.symbolic_scope = self
        return self

    def __exit__(self, *exc):
        _STATE.symbolic_scope = self.original_scope


def in_symbolic_scope():
    """Whether a ``SymbolicScope`` is open."""
    return _STATE.symbolic_scope is not None


def get_symbolic_scope():
    """The innermost open ``SymbolicScope``, or None."""
    return _STATE.symbolic_scope
