"""``kerasport.config``: global defaults that new layers pick up, the caps on epochs and steps per epoch,
interactive logging, Keras's flags, the backend setting and the dtype policy."""
import numpy as np
import pytest

import kerasport
from kerasport import config, layers
from kerasport.backends import B
from tests.helpers import keras_module


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


def small_model():
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


DATA = (np.random.RandomState(0).rand(40, 3).astype("float32"), np.random.RandomState(1).rand(40, 1).astype("float32"))


class CountBatches(kerasport.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.train, self.test, self.predict = 0, 0, 0

    def on_train_batch_end(self, batch, logs=None):
        self.train += 1

    def on_test_batch_end(self, batch, logs=None):
        self.test += 1

    def on_predict_batch_end(self, batch, logs=None):
        self.predict += 1


def test_max_epochs_caps_fit():
    assert config.max_epochs() is None
    config.set_max_epochs(2)
    try:
        with pytest.warns(UserWarning, match="Limiting epochs to 2"):
            history = small_model().fit(*DATA, epochs=5, verbose=0)
        assert len(history.history["loss"]) == 2
        assert config.max_epochs() == 2
    finally:
        config.set_max_epochs(None)
    assert len(small_model().fit(*DATA, epochs=3, verbose=0).history["loss"]) == 3


def test_max_steps_per_epoch_caps_fit_evaluate_predict():
    config.set_max_steps_per_epoch(3)
    try:
        counter = CountBatches()
        model = small_model()
        with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
            model.fit(*DATA, batch_size=4, epochs=2, verbose=0, callbacks=[counter])
            model.evaluate(*DATA, batch_size=4, verbose=0, callbacks=[counter])
            out = model.predict(DATA[0], batch_size=4, verbose=0, callbacks=[counter])
        assert (counter.train, counter.test, counter.predict) == (6, 3, 3)
        assert out.shape == (12, 1)
        assert config.max_steps_per_epoch() == 3
    finally:
        config.set_max_steps_per_epoch(None)


def test_interactive_logging_silences_fit(capsys):
    model = small_model()
    config.disable_interactive_logging()
    try:
        assert not config.is_interactive_logging_enabled()
        model.fit(*DATA, epochs=1, verbose=1)
        model.evaluate(*DATA, verbose=2)
        assert capsys.readouterr().out == ""
    finally:
        config.enable_interactive_logging()
    model.fit(*DATA, epochs=1, verbose=2)
    assert "loss" in capsys.readouterr().out


def test_flags_match_keras_defaults():
    keras = keras_module()
    assert config.is_traceback_filtering_enabled() == keras.config.is_traceback_filtering_enabled() is True
    assert config.is_flash_attention_enabled() == keras.config.is_flash_attention_enabled()
    config.disable_traceback_filtering()
    config.disable_flash_attention()
    assert config.is_traceback_filtering_enabled() is False and config.is_flash_attention_enabled() is False
    config.enable_traceback_filtering()
    config.enable_flash_attention()
    assert config.is_traceback_filtering_enabled() is True and config.is_flash_attention_enabled() is None
    assert config.is_nnx_enabled() is False


def test_set_backend():
    config.set_backend(B.NAME)  # the running one: nothing to do
    other = "torch" if B.NAME == "tensorflow" else "tensorflow"
    with pytest.raises(RuntimeError, match="KERASPORT_BACKEND"):
        config.set_backend(other)


def test_dtype_policy():
    assert config.dtype_policy().name == "float32"
    assert config.dtype_policy().compute_dtype == config.dtype_policy().variable_dtype == "float32"
    config.set_dtype_policy("float64")
    try:
        assert config.floatx() == "float64"
        assert kerasport.layers.Dense(2).dtype == "float64"
    finally:
        config.set_dtype_policy("float32")
    config.set_dtype_policy("mixed_float16")
    try:
        assert config.floatx() == "float32"
        assert config.dtype_policy().compute_dtype == "float16"
    finally:
        config.set_dtype_policy("float32")
    with pytest.raises(ValueError, match="policy"):
        config.set_dtype_policy(3)
