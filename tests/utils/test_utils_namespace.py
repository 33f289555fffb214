"""``kerasport.utils``'s names that live elsewhere: ``clear_session``, ``pack_x_y_sample_weight``,
``unpack_x_y_sample_weight``, ``FeatureSpace`` (resolved on first use, and listed by ``dir``).
(``pack_x_y_sample_weight`` / ``unpack_x_y_sample_weight`` are compared with Keras's in
``tests/trainers/test_data_adapters.py``.)"""
import kerasport
from kerasport import config, layers, utils
from tests.helpers import keras_module


def test_dir_lists_every_name_keras_utils_has():
    keras = keras_module()
    names = dir(utils)
    for name in ("FeatureSpace", "clear_session", "pack_x_y_sample_weight", "unpack_x_y_sample_weight",
                 "audio_dataset_from_directory"):
        assert name in names and callable(getattr(utils, name))
    missing = [n for n in dir(keras.utils) if not n.startswith("_") and n not in names]
    assert missing == ["legacy"]  # Keras's submodule of tf.keras helpers
    assert utils.FeatureSpace is kerasport.utils.feature_space.FeatureSpace


def test_clear_session_is_the_backend_one_and_resets_what_keras_resets():
    keras = keras_module()
    assert utils.clear_session is kerasport.backend.clear_session
    for lib in (kerasport, keras):
        lib.utils.clear_session(free_memory=False)  # other tests named Keras's layers too
        assert [lib.layers.Dense(1).name for _ in range(2)] == ["dense", "dense_1"]
        lib.config.set_dtype_policy("mixed_float16")
        lib.config.disable_interactive_logging()
        lib.config.disable_traceback_filtering()
        lib.config.disable_flash_attention()
        lib.config.set_epsilon(1e-5)
        lib.utils.clear_session()
        try:
            assert lib.layers.Dense(1).name == "dense"
            assert lib.config.dtype_policy().name == "float32"
            assert lib.config.is_interactive_logging_enabled() is True
            assert lib.config.is_traceback_filtering_enabled() is True
            assert lib.config.is_flash_attention_enabled() is None
            assert lib.config.epsilon() == 1e-5  # a backend setting, kept
        finally:
            lib.config.set_epsilon(1e-7)
    kerasport.utils.clear_session(free_memory=False)
    assert layers.Dense(1).name == "dense"
    assert config.floatx() == "float32"

