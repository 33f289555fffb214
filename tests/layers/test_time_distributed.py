"""TimeDistributed against Keras 3: outputs, BatchNormalization's steps, and custom layers seeing each step."""
import numpy as np

import kerasport
from kerasport import layers
from tests.helpers import keras_module, to_numpy
from tests.layers.test_rnn import _x, check_oracle


def test_time_distributed_matches_keras(rng):
    keras = keras_module()
    check_oracle(layers.TimeDistributed(layers.Dense(3)), keras.layers.TimeDistributed(keras.layers.Dense(3)),
                 _x(rng))


def test_time_distributed_batch_norm_steps_like_keras(rng):
    """Keras runs the wrapped layer once per step: BatchNormalization takes per-step statistics
    in training and updates its moving averages once per step."""
    keras = keras_module()
    x = rng.randn(4, 3, 5).astype("float32")
    ours = kerasport.Sequential([kerasport.Input((3, 5)), layers.TimeDistributed(layers.BatchNormalization())])
    ref = keras.Sequential([keras.Input((3, 5)), keras.layers.TimeDistributed(keras.layers.BatchNormalization())])
    np.testing.assert_allclose(to_numpy(ours(x, training=True)), np.asarray(ref(x, training=True)), atol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_time_distributed_custom_layer_sees_each_step(rng):
    class Center(layers.Layer):
        def call(self, x):
            return x - kerasport.ops.mean(x, axis=0, keepdims=True)

        def compute_output_shape(self, shape):
            return shape

    x = rng.randn(4, 3, 5).astype("float32")
    y = to_numpy(layers.TimeDistributed(Center())(x))
    np.testing.assert_allclose(y, x - x.mean(axis=0, keepdims=True), atol=1e-6)
