"""``kerasport.config``: global defaults that new layers pick up."""
import pytest

import kerasport
from kerasport import config, layers


@pytest.fixture
def restore_config():
    yield
    config.set_floatx("float32")
    config.set_image_data_format("channels_last")


def test_defaults_and_backend():
    assert config.floatx() == "float32" and config.image_data_format() == "channels_last"
    assert config.epsilon() == 1e-7
    assert config.backend() == kerasport.backend.backend()


def test_new_layers_follow_floatx_and_image_data_format(restore_config):
    config.set_floatx("float64")
    config.set_image_data_format("channels_first")
    dense = layers.Dense(2)
    dense.build((None, 3))
    assert dense.dtype == "float64" and "float64" in str(dense.kernel.dtype)
    assert layers.Conv2D(2, 3).data_format == "channels_first"
    assert layers.MaxPooling2D().data_format == "channels_first"
    with pytest.raises(ValueError, match="Unknown floatx"):
        config.set_floatx("float8")
    with pytest.raises(ValueError, match="Unknown data_format"):
        config.set_image_data_format("nhwc")


def test_enable_unsafe_deserialization_lifts_the_default_safe_mode():
    from kerasport.core import serialization
    assert serialization.in_safe_mode()
    config.enable_unsafe_deserialization()
    try:
        assert not serialization.in_safe_mode()
        with serialization.safe_mode_scope(True):  # an explicit safe_mode=True still wins
            assert serialization.in_safe_mode()
    finally:
        serialization._SAFE_MODE[0] = True
