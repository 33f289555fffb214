"""Automatic names: ``get_uid`` shares the layers' name counters, as in Keras 3."""
import kerasport
from tests.helpers import keras_module


def test_get_uid_shares_layer_name_counters():
    keras = keras_module()
    keras.backend.clear_session()
    kerasport.backend.clear_session()
    for mod in (keras, kerasport):
        assert [mod.backend.get_uid("x"), mod.backend.get_uid("x"), mod.backend.get_uid()] == [1, 2, 1]
        mod.layers.Dense(1)
        assert mod.backend.get_uid("dense") == 2
        assert mod.layers.Dense(1).name == "dense_2"
    keras.backend.clear_session()
