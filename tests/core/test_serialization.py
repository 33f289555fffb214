"""The serialization registry: ``get_custom_objects`` is the registry that saving and loading use."""
import numpy as np

import kerasport
from kerasport import utils


def test_get_custom_objects_is_the_registry(tmp_path):
    @kerasport.saving.register_keras_serializable(package="extra")
    def my_activation(x):
        return x * 2

    assert utils.get_custom_objects() is kerasport.saving.get_custom_objects()
    assert utils.get_custom_objects()["extra>my_activation"] is my_activation

    class Triple(kerasport.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def call(self, x):
            return x * 3

    utils.get_custom_objects()["Triple"] = Triple
    try:
        model = kerasport.Sequential([kerasport.Input((2,)), Triple()])
        kerasport.models.save_model(model, tmp_path / "m.keras")
        loaded = kerasport.models.load_model(tmp_path / "m.keras")
        np.testing.assert_allclose(loaded.predict(np.ones((1, 2)), verbose=0), [[3, 3]])
    finally:
        del utils.get_custom_objects()["Triple"]
        del utils.get_custom_objects()["extra>my_activation"]


def test_public_deserialize_returns_unregistered_names_and_walks_lists_as_keras_does():
    from tests.helpers import keras_module
    keras = keras_module()

    def halve(x):
        return x / 2

    fn = {"module": "builtins", "class_name": "function", "config": "halve", "registered_name": "function"}
    ours = utils.deserialize_keras_object(["accuracy", "SGD", fn], custom_objects={"halve": halve})
    theirs = keras.utils.deserialize_keras_object(["accuracy", "SGD", fn], custom_objects={"halve": halve})
    assert ours == theirs == ["accuracy", "SGD", halve]
