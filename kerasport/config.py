"""``kerasport.config``: Keras 3's global settings (backend, float type, epsilon, image layout, safety).

Settings apply to objects created after they change: a layer takes ``floatx()`` as
its default dtype and ``image_data_format()`` as its default ``data_format``.
"""
from kerasport import backend as _backend
from kerasport.backends import backend  # noqa: F401
from kerasport.saving import serialization as _serialization

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
