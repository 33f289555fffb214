"""``kerasport.activations`` called on KerasTensors wire a Functional model, as Keras's activations do."""
import numpy as np
import pytest

import kerasport
from kerasport import activations
from kerasport.backends import B
from tests.helpers import keras_module

CALLS = [("relu", {}), ("relu", {"max_value": 1.0, "negative_slope": 0.1}), ("sigmoid", {}), ("gelu", {}),
         ("softmax", {"axis": -1}), ("linear", {}), ("exponential", {}), ("log_sigmoid", {}),
         ("swish", {}), ("elu", {"alpha": 0.5}), ("leaky_relu", {"negative_slope": 0.3})]


def _wire(lib, name, kwargs):
    x = lib.Input((3,))
    return lib.Model(x, getattr(lib.activations, name)(x, **kwargs))


@pytest.mark.parametrize("name,kwargs", CALLS, ids=[f"{n}{'+' if k else ''}" for n, k in CALLS])
def test_activation_on_a_keras_tensor_is_a_graph_op_with_keras_numbers(name, kwargs, tmp_path):
    keras = keras_module()
    data = np.array([[-1.5, 0.25, 3.0], [0.0, -0.5, 1.0]], "float32")
    ours, theirs = _wire(kerasport, name, kwargs), _wire(keras, name, kwargs)
    want = theirs.predict(data, verbose=0)
    np.testing.assert_allclose(ours.predict(data, verbose=0), want, rtol=1e-6, atol=1e-6)
    path = str(tmp_path / "m.keras")
    ours.save(path)
    np.testing.assert_allclose(kerasport.saving.load_model(path).predict(data, verbose=0), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(keras.saving.load_model(path).predict(data, verbose=0), want, rtol=1e-6, atol=1e-6)


def test_eager_calls_and_lookups_keep_their_identity():
    x = B.convert_to_tensor(np.array([-1.0, 2.0], "float32"))
    np.testing.assert_allclose(B.convert_to_numpy(activations.relu(x, max_value=1.0)), [0.0, 1.0])
    assert activations.get("relu") is activations.relu and activations.get("swish") is activations.silu
    assert activations.serialize(activations.gelu) == "gelu" and activations.get(None) is activations.linear


def test_mish_on_a_keras_tensor_is_an_activation_layer():
    # Keras 3.15's mish fails on a KerasTensor (it calls TensorFlow directly); kerasport wires a layer.
    model = _wire(kerasport, "mish", {})
    data = np.array([[-1.5, 0.25, 3.0]], "float32")
    assert isinstance(model.layers[-1], kerasport.layers.Activation)
    np.testing.assert_allclose(model.predict(data, verbose=0),
                               B.convert_to_numpy(activations.mish(B.convert_to_tensor(data))), rtol=1e-6)


def test_every_activation_takes_numpy_data_with_keras_numbers():
    """``keras.activations.softmax(np_array)``: Keras's activations convert NumPy data as its ops do."""
    keras = keras_module()
    data = np.array([[-1.5, 0.25, 3.0, 0.5], [0.0, -0.5, 1.0, 2.0]], "float32")
    names = [n for n in dir(keras.activations) if not n.startswith("_") and n not in ("get", "serialize",
                                                                                      "deserialize", "threshold")]
    assert len(names) > 25
    for name in names:
        got, want = getattr(activations, name)(data), getattr(keras.activations, name)(data)
        np.testing.assert_allclose(B.convert_to_numpy(got), keras.ops.convert_to_numpy(want), rtol=1e-5, atol=1e-6,
                                   err_msg=name)
