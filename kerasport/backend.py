"""``kerasport.backend``: which framework runs, and Keras's global backend settings."""
from kerasport.backends import B, backend  # noqa: F401
from kerasport.utils import naming

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def floatx():
    """Default float dtype of new layers (``kerasport.config.set_floatx`` changes it)."""
    return _FLOATX


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """Default ``data_format`` of new image layers (``kerasport.config.set_image_data_format``)."""
    return _IMAGE_DATA_FORMAT


def clear_session():
    """Reset automatic layer names (``dense``, ``dense_1``, ...)."""
    naming.reset()


def device():
    """The device kerasport computes on (``"cpu"``, ``"cuda"``, ``"/GPU:0"``, ...)."""
    return B.device_name()


def is_tensor(x):
    return B.is_tensor(x)
