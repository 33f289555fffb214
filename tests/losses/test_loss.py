"""The Loss base and LossFunctionWrapper: ranks that differ, per-sample weights over timesteps, custom
functions and subclasses, and wrappers of built-in functions through their config."""
import numpy as np

from kerasport import losses
from kerasport.backends import B
from tests.helpers import keras_module
from tests.metrics import close as _close
from tests.metrics import make_data as _data


def test_rank_mismatch_labels_and_per_sample_weights_over_timesteps(rng):
    y_true, y_pred = rng.randint(0, 2, 8).astype("float32"), rng.rand(8, 1).astype("float32")
    keras = keras_module()
    _close(losses.BinaryCrossentropy()(y_true, y_pred), keras.losses.BinaryCrossentropy()(y_true, y_pred))
    # (B,) weights on (B, T) losses weigh every timestep of a sample.
    y_true, y_pred = rng.randn(4, 3, 2).astype("float32"), rng.randn(4, 3, 2).astype("float32")
    sw = rng.rand(4).astype("float32")
    expected = keras.losses.MeanSquaredError()(y_true, y_pred, sample_weight=np.repeat(sw[:, None], 3, 1))
    _close(losses.MeanSquaredError()(y_true, y_pred, sample_weight=sw), expected)


def test_custom_function_and_subclass(rng):
    y_true, y_pred = rng.randn(5, 3).astype("float32"), rng.randn(5, 3).astype("float32")
    sw = rng.rand(5).astype("float32")

    def cube(y_true, y_pred):
        return B.mean(B.abs(y_true - y_pred) ** 3, axis=-1)

    class Cube(losses.Loss):
        def call(self, y_true, y_pred):
            return cube(y_true, y_pred)

    expected = (np.mean(np.abs(y_true - y_pred) ** 3, -1) * sw).sum()
    wrapper, subclass = losses.LossFunctionWrapper(cube, reduction="sum"), Cube(reduction="sum")
    _close(wrapper(y_true, y_pred, sw), expected)
    _close(subclass(y_true, y_pred, sw), expected)
    assert wrapper.name == "cube" and subclass.name == "cube" and Cube().name == "cube_1"


def test_wrapper_of_builtin_function_round_trips(rng):
    loss = losses.LossFunctionWrapper(losses.huber, delta=0.3, reduction="sum")
    clone = losses.LossFunctionWrapper.from_config(loss.get_config())
    assert clone.fn is losses.huber and clone.delta == 0.3
    y_true, y_pred = _data("regression", (4, 3), rng)
    _close(clone(y_true, y_pred), loss(y_true, y_pred))
