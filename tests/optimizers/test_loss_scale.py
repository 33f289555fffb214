"""LossScaleOptimizer against Keras: float32 updates equal the inner optimizer's and Keras's, non-finite steps
are skipped and halve the scale, config round trips and errors."""
import numpy as np
import pytest

import kerasport
from kerasport import optimizers
from kerasport.backends import B
from tests.optimizers.optimizer_checks import apply_steps, gradients, initial_values, make_optimizer, make_variables
from tests.optimizers.test_lamb_and_adafactor import SHAPES


def test_loss_scale_optimizer_float32_equals_inner_and_keras(keras):
    grads = gradients(SHAPES, 4)
    kwargs = {"inner": ("Adam", {"learning_rate": 0.01}), "initial_scale": 8.0, "dynamic_growth_steps": 2}
    # The gradients apply() receives are scaled by the current loss scale, as the train step makes them.
    opt = make_optimizer(kerasport, "LossScaleOptimizer", kwargs)
    kopt = make_optimizer(keras, "LossScaleOptimizer", kwargs)
    ours = make_variables(kerasport, initial_values(SHAPES, one_stream=False))
    theirs = make_variables(keras, initial_values(SHAPES, one_stream=False))
    plain = apply_steps(kerasport, optimizers.Adam(learning_rate=0.01), initial_values(SHAPES, one_stream=False), grads)
    for step in grads:
        scale = float(B.convert_to_numpy(opt.scale_loss(B.convert_to_tensor(np.float32(1.0)))))
        assert scale == float(kopt.scale_loss(1.0))
        opt.apply([B.convert_to_tensor(g * scale) for g in step], ours)
        kopt.apply([keras.ops.convert_to_tensor(g * scale) for g in step], theirs)
    for o, k, p in zip(ours, theirs, plain):
        np.testing.assert_allclose(B.convert_to_numpy(o), k.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(B.convert_to_numpy(o), p)  # power-of-two scales: exactly the inner updates
    assert float(B.convert_to_numpy(opt.dynamic_scale)) == 32.0  # doubled after every 2 finite steps
    assert [tuple(v.shape) for v in opt.variables] == [tuple(v.shape) for v in kopt.variables]
    assert int(B.convert_to_numpy(opt.iterations)) == 4


def test_loss_scale_optimizer_skips_non_finite_steps():
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=4.0, dynamic_growth_steps=3)
    var = B.variable(np.ones(2, "float32"), name="w")
    opt.apply([B.convert_to_tensor(np.array([4.0, 4.0], "float32"))], [var])
    np.testing.assert_allclose(B.convert_to_numpy(var), [0.9, 0.9], rtol=1e-6)
    opt.apply([B.convert_to_tensor(np.array([np.inf, 1.0], "float32"))], [var])
    np.testing.assert_allclose(B.convert_to_numpy(var), [0.9, 0.9], rtol=1e-6)
    assert float(B.convert_to_numpy(opt.dynamic_scale)) == 2.0
    assert int(B.convert_to_numpy(opt.step_counter)) == 0
    assert int(B.convert_to_numpy(opt.iterations)) == 1
    opt.learning_rate = 0.5
    assert float(opt.inner_optimizer.learning_rate) == pytest.approx(0.5)


def test_loss_scale_optimizer_config_round_trip_and_errors(keras):
    opt = optimizers.LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=128.0, dynamic_growth_steps=10)
    config = optimizers.serialize(opt)
    clone = optimizers.deserialize(config)
    assert isinstance(clone.inner_optimizer, optimizers.Adam) and clone.initial_scale == 128.0
    assert clone.dynamic_growth_steps == 10
    theirs = keras.optimizers.deserialize(config)
    assert type(theirs).__name__ == "LossScaleOptimizer" and theirs.initial_scale == 128.0
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic=False"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False)
    with pytest.raises(ValueError, match="inner_optimizer"):
        optimizers.LossScaleOptimizer("sgd")
