"""``keras.Function``: a graph of layer and op calls between symbolic inputs and outputs, called on values."""
import numpy as np
import pytest

import kerasport as keras
from tests.helpers import to_numpy


def test_a_function_of_bare_keras_tensors_as_keras_docstring():
    input_1 = keras.KerasTensor(shape=(None, 2, 3))
    input_2 = keras.KerasTensor(shape=(None, 2, 3))
    output = keras.ops.sigmoid(input_1 + input_2)
    fn = keras.Function(inputs=[input_1, input_2], outputs=output)
    a, b = np.random.RandomState(0).rand(4, 2, 3), np.random.RandomState(1).rand(4, 2, 3)
    np.testing.assert_allclose(to_numpy(fn([a, b])), 1 / (1 + np.exp(-(a + b))), rtol=1e-12)
    assert keras.backend.standardize_dtype(fn([a, b]).dtype) == "float64"  # ops keep NumPy's float64, as Keras
    assert len(fn.operations) == 2 and fn.inputs == [input_1, input_2] and fn.outputs == [output]
    named = keras.Function({"a": input_1}, {"total": keras.ops.sum(input_1, axis=-1)}, name="totals")
    assert named.name == "totals" and to_numpy(named({"a": a})["total"]).shape == (4, 2)


def test_a_function_of_a_model_s_inputs_gives_an_inner_layer_s_output():
    """The callback idiom ``keras.Function(self.model.inputs, [layer.output])``."""
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden(inputs)))
    activations = keras.Function(model.inputs, [model.get_layer("hidden").output])
    x = np.random.RandomState(2).rand(3, 5).astype("float32")
    (out,) = activations([x])
    np.testing.assert_allclose(to_numpy(out), to_numpy(hidden(x)), rtol=1e-6)


def test_bad_function_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="must be KerasTensors, received"):
        keras.Function([np.ones(2)], keras.Input((2,)))
    a, b = keras.Input((2,)), keras.Input((2,))
    fn = keras.Function([a, b], keras.ops.add(a, b))
    with pytest.raises(ValueError, match=r"expects 2 input\(s\).*received 1"):
        fn([np.ones((1, 2))])
