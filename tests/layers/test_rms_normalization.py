"""RMSNormalization against Keras 3: outputs, checks and errors."""
import numpy as np
import pytest

from kerasport import layers
from tests.helpers import keras_module, keras_oracle, run_layer_test


@pytest.mark.parametrize("kwargs,shape", [({}, (2, 5)), ({"epsilon": 1e-3}, (2, 3, 4)),
                                          ({"axis": [-2, -1]}, (2, 3, 4))])
def test_rms_normalization_matches_keras(kwargs, shape):
    keras = keras_module()
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs = keras.layers.RMSNormalization(**kwargs)
    theirs.build(shape)
    theirs.set_weights([np.random.RandomState(1).rand(*w.shape).astype("float32") + 0.5
                        for w in theirs.get_weights()])
    ours = layers.RMSNormalization(**kwargs)
    keras_oracle(ours, theirs, x)
    assert [w.path.split("/")[-1] for w in ours.weights] == ["scale"]
    assert ours.get_config()["axis"] == theirs.get_config()["axis"]


def test_rms_normalization_checks_and_errors():
    run_layer_test(layers.RMSNormalization, {"axis": -1}, (2, 3, 4))
    with pytest.raises(ValueError, match="out of bounds"):
        layers.RMSNormalization(axis=3)(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match="axis"):
        layers.RMSNormalization(axis="last")
