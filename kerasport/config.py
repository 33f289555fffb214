"""``kerasport.config``: Keras 3's global settings (backend, float type, epsilon, image layout, safety).

Settings apply to objects created after they change: a layer takes ``floatx()`` as
its default dtype and ``image_data_format()`` as its default ``data_format``.
"""
import os
import warnings

from kerasport.backends import B, backend  # noqa: F401
from kerasport.core.serialization import enable_unsafe_deserialization  # noqa: F401
from kerasport.core.settings import (FLOAT_TYPES, epsilon, floatx, image_data_format, set_epsilon,  # noqa: F401
                                     set_floatx, set_image_data_format)
from kerasport.utils import io_utils


# ----------------------------------------------------------------------------- debugging caps on fit
def _env_int(name):
    value = os.environ.get(name)
    return int(value) if value else None


_MAX_EPOCHS = [_env_int("KERAS_MAX_EPOCHS")]
_MAX_STEPS_PER_EPOCH = [_env_int("KERAS_MAX_STEPS_PER_EPOCH")]


def set_max_epochs(max_epochs):
    """Cap the number of epochs of every ``fit`` (for quick debugging runs); ``None`` removes the cap.

    The ``KERAS_MAX_EPOCHS`` environment variable sets it too, as in Keras.
    """
    _MAX_EPOCHS[0] = max_epochs


def max_epochs():
    """The cap set by ``set_max_epochs`` (or ``KERAS_MAX_EPOCHS``), or ``None``."""
    return _MAX_EPOCHS[0]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the steps of each epoch of ``fit`` and of ``evaluate``/``predict``; ``None`` removes the cap.

    The ``KERAS_MAX_STEPS_PER_EPOCH`` environment variable sets it too, as in Keras.
    """
    _MAX_STEPS_PER_EPOCH[0] = max_steps_per_epoch


def max_steps_per_epoch():
    """The cap set by ``set_max_steps_per_epoch`` (or ``KERAS_MAX_STEPS_PER_EPOCH``), or ``None``."""
    return _MAX_STEPS_PER_EPOCH[0]


def capped_epochs(epochs):
    """``epochs`` limited by ``max_epochs()``, warning as Keras does when it cuts."""
    cap = _MAX_EPOCHS[0]
    if cap and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap}", stacklevel=3)
        return cap
    return epochs


def capped_steps(steps):
    """``steps`` (``None``: a full pass) limited by ``max_steps_per_epoch()``, warning when it cuts."""
    cap = _MAX_STEPS_PER_EPOCH[0]
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return cap
    return steps


# ----------------------------------------------------------------------------- switches
enable_interactive_logging = io_utils.enable_interactive_logging
disable_interactive_logging = io_utils.disable_interactive_logging
is_interactive_logging_enabled = io_utils.is_interactive_logging_enabled

_TRACEBACK_FILTERING = [True]
_FLASH_ATTENTION = [None]


def enable_traceback_filtering():
    """Turn Keras's traceback filtering on (a flag only: kerasport's tracebacks are never filtered)."""
    _TRACEBACK_FILTERING[0] = True


def disable_traceback_filtering():
    """Turn Keras's traceback filtering off (a flag only)."""
    _TRACEBACK_FILTERING[0] = False


def is_traceback_filtering_enabled():
    """The traceback-filtering flag (True by default, as in Keras)."""
    return _TRACEBACK_FILTERING[0]


def enable_flash_attention():
    """Let attention layers use flash attention where the backend can (Keras's "auto": the flag is ``None``)."""
    _FLASH_ATTENTION[0] = None


def disable_flash_attention():
    """Ask attention layers not to use flash attention (the flag becomes ``False``)."""
    _FLASH_ATTENTION[0] = False


def is_flash_attention_enabled():
    """``False`` when disabled, else ``None`` (automatic), as Keras reports it."""
    return _FLASH_ATTENTION[0]


def reset_global_switches():
    """Interactive logging, traceback filtering, flash attention and the global mixed-precision dtype policy
    back to their defaults (``clear_session``)."""
    global _GLOBAL_POLICY
    io_utils.enable_interactive_logging()
    _TRACEBACK_FILTERING[0] = True
    _FLASH_ATTENTION[0] = None
    _GLOBAL_POLICY = None


def is_nnx_enabled():
    """Always False: Flax NNX is a JAX-backend feature."""
    return False


def set_backend(backend_name):
    """Keras switches backends in a running process; kerasport chooses one, once, at import.

    Naming the backend already running does nothing; any other name raises a
    ``RuntimeError`` saying to set ``KERASPORT_BACKEND`` before importing kerasport.
    """
    if backend_name != backend():
        raise RuntimeError(f"kerasport.config.set_backend({backend_name!r}): the backend is chosen once, at import "
                           f"(this process runs {backend()!r}). Set KERASPORT_BACKEND={backend_name} before "
                           "importing kerasport, in a new process.")


# ----------------------------------------------------------------------------- dtype policy
_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_OTHER_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool", "string")
_GLOBAL_POLICY = None


class DTypePolicy:
    """A dtype policy: the dtype of a layer's variables and the dtype of its computations.

    A plain policy (``"float32"``, ``"float64"``, ``"bfloat16"``, ``"int32"``, ...) uses one
    dtype for both. The mixed policies keep the variables in float32 and compute in 16 bits:
    ``"mixed_float16"`` (compute ``float16``; ``compile()`` then wraps the optimizer in a
    ``LossScaleOptimizer``) and ``"mixed_bfloat16"`` (compute ``bfloat16``).

    Args:
        name: the policy's name; ``floatx()`` by default.

    Example::

        policy = kerasport.DTypePolicy("mixed_float16")
        policy.compute_dtype, policy.variable_dtype   # ("float16", "float32")
        layer = kerasport.layers.Dense(4, dtype=policy)
    """

    def __init__(self, name=None):
        name = floatx() if name is None else name
        if not isinstance(name, str) or name not in _MIXED and name not in FLOAT_TYPES + _OTHER_TYPES:
            raise ValueError(f"Cannot convert {name!r} to a DTypePolicy. Expected a dtype name "
                             f"{FLOAT_TYPES + _OTHER_TYPES} or a mixed policy {tuple(_MIXED)}.")
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations (``float16`` under ``"mixed_float16"``)."""
        return _MIXED.get(self._name, self._name)

    @property
    def variable_dtype(self):
        """The dtype of the layer's variables (``float32`` under the mixed policies)."""
        return "float32" if self._name in _MIXED else self._name

    @property
    def is_mixed(self):
        """Whether the variables and the computations have different dtypes."""
        return self._name in _MIXED

    @property
    def quantization_mode(self):
        """The quantization mode of the policy (``"int8"``...), None for a float policy."""
        return None

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def convert_input(self, x, autocast, dtype):
        """``x`` (a tensor, a ``KerasTensor`` or an array) cast to ``dtype`` where ``autocast`` is set and ``x`` is
        floating point of another dtype, as Keras: integer inputs stay as they are. Other values go through."""
        from kerasport.core.keras_tensor import is_keras_tensor
        dtype = B.standardize_dtype(dtype)
        if is_keras_tensor(x):
            if _should_cast(x.dtype, autocast, dtype):
                from kerasport import ops  # the symbolic cast is a layer of the Functional graph
                x = ops.cast(x, dtype)
            return x
        if not B.is_tensor(x):
            if not hasattr(x, "__array__"):
                return x
            try:
                x = B.convert_to_tensor(x)
            except TypeError:
                x = B.convert_to_tensor(x, dtype)
        return B.cast(x, dtype) if _should_cast(B.dtype(x), autocast, dtype) else x


def _should_cast(x_dtype, autocast, dtype):
    x_dtype = B.standardize_dtype(x_dtype)
    return bool(autocast) and "float" in x_dtype and x_dtype != dtype


def policy_property(policy, name):
    """A read-only property that is ``name`` of the ``DTypePolicy`` at attribute ``policy``: what a quantized
    policy takes from its source policy, a ``DTypePolicyMap`` from its default one, a layer from its own."""
    def get(self):  # a plain function, not operator.attrgetter: torch.compile cannot trace that (a graph break)
        return getattr(getattr(self, policy), name)
    return property(get, doc=getattr(DTypePolicy, name).__doc__)


def dtype_policy():
    """The global dtype policy: the one ``set_dtype_policy`` set, else ``DTypePolicy(floatx())``."""
    return _GLOBAL_POLICY or DTypePolicy(floatx())


def set_dtype_policy(policy):
    """Set the global dtype policy, the default of every layer (and model) created afterwards.

    A mixed policy (``"mixed_float16"``, ``"mixed_bfloat16"``) leaves ``floatx()`` at its
    value, as in Keras: losses and metrics keep computing in it. A plain float policy
    (``"float64"``) also sets ``floatx``.

    Args:
        policy: a policy name or a ``DTypePolicy``.
    """
    global _GLOBAL_POLICY
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError(f"Invalid `policy` argument. Expected the string name of a policy (such as 'float32') or "
                         f"a `DTypePolicy` instance. Received: policy={policy!r} (of type {type(policy)})")
    if policy.is_mixed:
        _GLOBAL_POLICY = policy
    else:
        set_floatx(policy.name)
        _GLOBAL_POLICY = None
