"""``KerasTensor`` outside the layers it is meant for, and symbolic calls with ``None`` in them, as in Keras 3."""
import numpy as np
import pytest

import kerasport
from kerasport.backends import NAME


@pytest.mark.skipif(NAME != "tensorflow", reason="TensorFlow's conversion protocol (__tf_tensor__)")
def test_a_tensorflow_op_on_a_keras_tensor_is_keras_error():
    import tensorflow as tf
    with pytest.raises(ValueError, match=r"(?s)^A KerasTensor cannot be used as input to a TensorFlow function\. .*"
                       r"wrap `tf_fn` in a layer"):
        tf.squeeze(kerasport.Input((2, 2, 1)))


def test_a_keras_tensor_is_not_an_array():
    with pytest.raises(ValueError, match="A KerasTensor is symbolic.*cannot convert it to a NumPy array"):
        np.asarray(kerasport.Input((2,)))


def test_none_in_nested_inputs_and_a_call_returning_none():
    class First(kerasport.layers.Layer):
        def call(self, inputs):
            return inputs["foo"]

    class Nothing(kerasport.layers.Layer):
        def call(self, inputs):
            return None

    out = First()({"foo": kerasport.Input((1,), name="foo"), "bar": {"baz": None}})
    assert out.shape == (None, 1)
    assert Nothing()({"foo": kerasport.Input((1,)), "bar": {"baz": kerasport.Input((1,))}}) is None


def test_keras_tensor_methods_and_operators_as_keras():
    a, b = kerasport.Input((3, 4)), kerasport.Input((3, 4), dtype="bool")
    assert a.reshape((-1, 12)).shape == (None, 12) and kerasport.Input((3, 1)).squeeze().shape == (None, 3)
    assert round(a).shape == (None, 3, 4) and str((b ^ b).dtype) == "bool"
    model = kerasport.Model([a, b], [a.reshape((-1, 2, 6)), round(a * 3.3), b ^ (a > 0.5), True & b, False | b])
    x = np.linspace(0, 1, 24, dtype="float32").reshape(2, 3, 4)
    mask = np.arange(24).reshape(2, 3, 4) % 3 == 0
    reshaped, rounded, xor, anded, ored = model.predict([x, mask], verbose=0)
    np.testing.assert_array_equal(reshaped, x.reshape(2, 2, 6))
    np.testing.assert_array_equal(rounded, np.round(x * np.float32(3.3)))
    np.testing.assert_array_equal(xor, mask ^ (x > 0.5))
    np.testing.assert_array_equal(anded, mask)
    np.testing.assert_array_equal(ored, mask)
    for convert in (int, float):
        with pytest.raises(ValueError, match="A KerasTensor is symbolic.*You cannot convert it to an? " +
                           convert.__name__):
            convert(a)
