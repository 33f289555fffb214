"""``kerasport.config``: Keras 3's global settings (backend, float type, epsilon, image layout, safety).

Settings apply to objects created after they change: a layer takes ``floatx()`` as
its default dtype and ``image_data_format()`` as its default ``data_format``.
"""
import os
import warnings

from kerasport import backend as _backend
from kerasport.backends import backend  # noqa: F401
from kerasport.saving import serialization as _serialization
from kerasport.utils import io_utils

floatx = _backend.floatx
epsilon = _backend.epsilon
set_epsilon = _backend.set_epsilon
image_data_format = _backend.image_data_format

_FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")


def set_floatx(value):
    """Default dtype of new layers' weights and computations (``"float32"`` by default)."""
    if value not in _FLOAT_TYPES:
        raise ValueError(f"Unknown floatx {value!r}; expected one of {_FLOAT_TYPES}.")
    _backend._FLOATX = value


def set_image_data_format(data_format):
    """Default ``data_format`` of new image layers: ``"channels_last"`` or ``"channels_first"``."""
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format {data_format!r}; expected 'channels_last' or 'channels_first'.")
    _backend._IMAGE_DATA_FORMAT = data_format


def enable_unsafe_deserialization():
    """Let loading rebuild ``Lambda`` layers from stored Python bytecode (only for files you trust)."""
    _serialization._SAFE_MODE[0] = False


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


# ----------------------------------------------------------------------------- dtype policy (float only)
class DTypePolicy:
    """A float dtype policy: variables and computations in one dtype (``name``). Mixed policies are not supported."""

    def __init__(self, name=None):
        name = name or floatx()
        if name.startswith("mixed_") or name not in _FLOAT_TYPES:
            raise NotImplementedError(f"kerasport supports only plain float dtype policies {_FLOAT_TYPES}; "
                                      f"received {name!r} (mixed precision is not implemented).")
        self.name = name

    @property
    def compute_dtype(self):
        return self.name

    @property
    def variable_dtype(self):
        return self.name

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def dtype_policy():
    """The global dtype policy: ``DTypePolicy(floatx())``."""
    return DTypePolicy(floatx())


def set_dtype_policy(policy):
    """Set the global dtype policy; a plain float policy (``"float32"``, ``"float64"``, ...) sets ``floatx``.

    ``"mixed_float16"`` / ``"mixed_bfloat16"`` raise ``NotImplementedError``.
    """
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError(f"Invalid `policy` argument. Expected the string name of a policy (such as 'float32') or "
                         f"a `DTypePolicy` instance. Received: policy={policy!r} (of type {type(policy)})")
    set_floatx(policy.name)
