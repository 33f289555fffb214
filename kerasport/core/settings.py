"""Keras's global settings that new objects read: the float type, epsilon and the image data format.

Public as ``kerasport.config.X`` and ``kerasport.backend.X``. A setting applies to objects created after it
changes: a layer takes ``floatx()`` as its default dtype and ``image_data_format()`` as its ``data_format``.
"""
FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")
IMAGE_DATA_FORMATS = ("channels_last", "channels_first")
_settings = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


def floatx():
    """Default float dtype of new layers' weights and computations (``"float32"`` by default)."""
    return _settings["floatx"]


def set_floatx(value):
    """Sets the default float dtype of new layers: one of ``"float16"``, ``"bfloat16"``, ``"float32"``,
    ``"float64"``."""
    if value not in FLOAT_TYPES:
        raise ValueError(f"Unknown floatx {value!r}; expected one of {FLOAT_TYPES}.")
    _settings["floatx"] = value


def epsilon():
    """The fuzz factor of numeric expressions (``1e-7`` by default)."""
    return _settings["epsilon"]


def set_epsilon(value):
    """Sets the fuzz factor returned by ``epsilon()``."""
    _settings["epsilon"] = float(value)


def image_data_format():
    """Default ``data_format`` of new image layers: ``"channels_last"`` (the default) or ``"channels_first"``."""
    return _settings["image_data_format"]


def set_image_data_format(data_format):
    """Sets the default ``data_format`` of new image layers: ``"channels_last"`` or ``"channels_first"``."""
    if data_format not in IMAGE_DATA_FORMATS:
        raise ValueError(f"Unknown data_format {data_format!r}; expected 'channels_last' or 'channels_first'.")
    _settings["image_data_format"] = data_format
