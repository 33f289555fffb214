"""Shape inference of a layer without ``compute_output_shape`` (``kerasport.layers.symbolic``): the probe runs in
the backend's ``probe_scope`` (a TensorFlow graph, torch's ``meta`` device) where it can, on real zeros where it
must, and whatever a layer builds during a probe is real."""
import numpy as np
import pytest

import kerasport as keras
from kerasport import ops
from kerasport.backends import B


class Seen(keras.layers.Layer):
    """Records, for each call, whether its input holds values (eager, not ``meta``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, x):
        self.seen.append(_holds_values(x))
        return ops.relu(x)


def _holds_values(x):
    if B.NAME == "torch":
        return x.device.type != "meta"
    import tensorflow as tf
    return tf.executing_eagerly()


def test_a_large_probe_computes_no_values():
    layer = Seen()
    out = layer(keras.Input((224, 224, 3)))  # 83 x 224 x 224 x 3 values per probe
    assert out.shape == (None, 224, 224, 3)
    assert layer.seen and not any(layer.seen)
    # an eager call after it runs on values
    layer(np.ones((1, 224, 224, 3), "float32"))
    assert layer.seen[-1]


def test_a_small_probe_gives_the_same_specs():
    # torch runs a small probe on real zeros until its meta kernels are loaded (seconds); TensorFlow traces a graph
    layer = Seen()
    out = layer(keras.Input((5, 3)))
    assert out.shape == (None, 5, 3) and layer.seen


class ReadsValues(keras.layers.Layer):
    """A call that needs the input's values: no graph or ``meta`` probe can run it, real zeros can."""

    def call(self, x):
        scale = float(ops.convert_to_numpy(ops.max(x))) + 2.0
        return ops.reshape(x * scale, (-1, 224 * 224 * 3))


def test_a_call_that_reads_values_falls_back_to_real_zeros():
    out = ReadsValues()(keras.Input((224, 224, 3)))
    assert out.shape == (None, 224 * 224 * 3)


class BuildsInCall(keras.layers.Layer):
    """Builds a sublayer and a constant table the first time it is called (here: inside the probe)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = Table()

    def call(self, x):
        return self.inner(x)


class Table(keras.layers.Layer):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 4), initializer="ones")
        self.offsets = ops.arange(4, dtype="float32")  # not a variable: must be real too

    def call(self, x):
        return ops.matmul(x, self.kernel) + self.offsets


@pytest.mark.parametrize("size", [8, 1024])
def test_what_a_probe_builds_is_real(size):
    inputs = keras.Input((size, 3))
    model = keras.Model(inputs, BuildsInCall()(inputs))
    assert model.output_shape == (None, size, 4)
    out = model(np.ones((2, size, 3), "float32"))
    np.testing.assert_allclose(B.convert_to_numpy(out)[0, 0], [3.0, 4.0, 5.0, 6.0])
    assert not any(getattr(getattr(v, "device", None), "type", "cpu") == "meta" for v in model.weights)


def test_a_training_probe_changes_no_state():
    class Normalizes(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.bn = keras.layers.BatchNormalization()

        def call(self, x, training=None):
            return self.bn(x, training=training)

    layer = Normalizes()
    layer(np.zeros((1, 256, 256, 16), "float32"))  # built, moving statistics at 0 and 1
    before = [B.convert_to_numpy(v).copy() for v in layer.weights]
    out = layer(keras.Input((256, 256, 16)), training=True)
    assert out.shape == (None, 256, 256, 16)
    for b, v in zip(before, layer.weights):
        np.testing.assert_array_equal(b, B.convert_to_numpy(v))
