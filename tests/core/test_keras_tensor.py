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
