"""Initializers' seeds: an unseeded initializer leaves NumPy's global generator alone, as in Keras 3."""
import random

import numpy as np

import kerasport


def test_unseeded_initializers_leave_numpys_global_generator_alone():
    # A program that seeds np.random, builds a model, then samples with np.random (keras.io's actor-critic
    # example) draws what it would draw without the model.
    np.random.seed(0)
    want = np.random.rand(3)
    np.random.seed(0)
    model = kerasport.Sequential([kerasport.Input((4,)), kerasport.layers.Dense(3),
                                  kerasport.layers.Dense(2, kernel_initializer="orthogonal")])
    kerasport.initializers.TruncatedNormal()((5, 5))
    np.testing.assert_array_equal(np.random.rand(3), want)
    assert np.abs(model.get_weights()[0]).sum() > 0


def test_unseeded_initializers_repeat_after_seeding_pythons_random():
    def draw():
        random.seed(11)
        return kerasport.ops.convert_to_numpy(kerasport.initializers.GlorotUniform()((4, 3)))

    first, second = draw(), draw()
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, kerasport.ops.convert_to_numpy(kerasport.initializers.GlorotUniform()((4, 3))))


def test_clone_is_a_new_initializer_of_the_same_config():
    initializer = kerasport.initializers.VarianceScaling(scale=2.0, mode="fan_out", seed=3)
    twin = initializer.clone()
    assert twin is not initializer and type(twin) is type(initializer)
    assert twin.get_config() == initializer.get_config()
    np.testing.assert_array_equal(kerasport.ops.convert_to_numpy(twin((4, 3))),
                                  kerasport.ops.convert_to_numpy(initializer((4, 3))))
