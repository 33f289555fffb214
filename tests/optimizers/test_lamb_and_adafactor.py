"""Lamb and Adafactor (and LossScaleOptimizer, in the same parametrized checks) against Keras: same updates,
variables, config and fit."""
import numpy as np
import pytest

import kerasport
from kerasport import optimizers
from kerasport.backends import B
from tests.optimizers.optimizer_checks import (
    apply_steps, check_same_state, gradients, initial_values, make_optimizer, make_variables)

SHAPES = [(3, 4), (4,), (2, 3, 5)]

CASES = [
    ("Lamb", {}), ("Lamb", {"learning_rate": 0.01, "beta_1": 0.8, "weight_decay": 0.01}),
    ("Lamb", {"clipnorm": 0.5, "use_ema": True}),
    ("Adafactor", {}), ("Adafactor", {"learning_rate": 0.1, "relative_step": False, "clip_threshold": 0.5}),
    ("Adafactor", {"learning_rate": 0.5}), ("Adafactor", {"gradient_accumulation_steps": 2}),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CASES])
def test_same_updates_as_keras(keras, name, kwargs):
    grads = gradients(SHAPES, 5)
    opt, kopt = make_optimizer(kerasport, name, kwargs), make_optimizer(keras, name, kwargs)
    ours = apply_steps(kerasport, opt, initial_values(SHAPES, one_stream=False), grads)
    theirs = apply_steps(keras, kopt, initial_values(SHAPES, one_stream=False), grads)
    check_same_state(ours, opt, theirs, kopt, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["Lamb", "Adafactor", "LossScaleOptimizer"])
def test_fit_matches_keras(keras, name):
    """Through the compiled train step (``tf.function`` on TensorFlow), with scale_loss for LossScaleOptimizer."""
    rng = np.random.RandomState(0)
    x, y = rng.randn(16, 3).astype("float32"), rng.randn(16, 2).astype("float32")
    init = [rng.randn(3, 2).astype("float32"), rng.randn(2).astype("float32")]

    def make(lib):
        opt = lib.optimizers.LossScaleOptimizer(lib.optimizers.SGD(0.05), dynamic_growth_steps=2) \
            if name == "LossScaleOptimizer" else getattr(lib.optimizers, name)(learning_rate=0.05)
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
        model.compile(optimizer=opt, loss="mse")
        model.set_weights(init)
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
        return model.get_weights(), [np.asarray(B.convert_to_numpy(v) if lib is kerasport else v.numpy(), "float64")
                                     for v in model.optimizer.variables]

    (ours, our_vars), (theirs, their_vars) = make(kerasport), make(keras)
    for o, k in zip(ours, theirs):
        np.testing.assert_allclose(o, k, rtol=1e-5, atol=1e-6)
    for o, k in zip(our_vars, their_vars):
        np.testing.assert_allclose(o, k, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["lamb", "adafactor"])
def test_get_by_name_and_config_matches_keras(keras, name):
    opt = optimizers.get(name)
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert type(clone) is type(opt)
    config = {k: v for k, v in opt.get_config().items() if k != "name"}
    keras_config = getattr(keras.optimizers, type(opt).__name__)().get_config()  # Keras's get() lacks "lamb"
    assert set(config) == set(keras_config) - {"name"}
    for key, value in config.items():
        assert value == pytest.approx(keras_config[key]) if isinstance(value, float) else value == keras_config[key]


@pytest.mark.parametrize("name,kwargs", [("Lamb", {}), ("Adafactor", {}),
                                         ("LossScaleOptimizer", {"inner": ("Adam", {})})])
def test_variables_save_and_load(name, kwargs):
    opt = make_optimizer(kerasport, name, kwargs)
    apply_steps(kerasport, opt, initial_values(SHAPES, one_stream=False), gradients(SHAPES, 2))
    store = {}
    opt.save_own_variables(store)
    fresh = make_optimizer(kerasport, name, kwargs)
    fresh.build(make_variables(kerasport, initial_values(SHAPES, one_stream=False)))
    fresh.load_own_variables(store)
    for a, b in zip(fresh.variables, opt.variables):
        np.testing.assert_allclose(B.convert_to_numpy(a), B.convert_to_numpy(b))
