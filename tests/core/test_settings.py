"""The global settings behind ``kerasport.backend``'s setters: floatx and the image data format."""
import pytest

from kerasport import backend, config


def test_backend_setters():
    backend.set_floatx("float16")
    backend.set_image_data_format("channels_first")
    try:
        assert config.floatx() == "float16" and config.image_data_format() == "channels_first"
    finally:
        backend.set_floatx("float32")
        backend.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="floatx"):
        backend.set_floatx("int8")
