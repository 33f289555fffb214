"""Lamb and Adafactor (and LossScaleOptimizer, in the same parametrized checks) against Keras: same updates,
variables, config and fit. The optimizer harness here serves ``test_loss_scale.py`` too."""
import numpy as np
import pytest

import kerasport
from kerasport import optimizers
from kerasport.backends import B
from tests.helpers import keras_module

SHAPES = [(3, 4), (4,), (2, 3, 5)]

CASES = [
    ("Lamb", {}), ("Lamb", {"learning_rate": 0.01, "beta_1": 0.8, "weight_decay": 0.01}),
    ("Lamb", {"clipnorm": 0.5, "use_ema": True}),
    ("Adafactor", {}), ("Adafactor", {"learning_rate": 0.1, "relative_step": False, "clip_threshold": 0.5}),
    ("Adafactor", {"learning_rate": 0.5}), ("Adafactor", {"gradient_accumulation_steps": 2}),
]


def _gradients(steps=5):
    rng = np.random.RandomState(0)
    return [[rng.randn(*s).astype("float32") for s in SHAPES] for _ in range(steps)]


def _init():
    return [np.random.RandomState(1).randn(*s).astype("float32") for s in SHAPES]


def _keras_opt(keras, name, kwargs):
    if name == "LossScaleOptimizer":
        inner_name, inner_kwargs = kwargs["inner"]
        rest = {k: v for k, v in kwargs.items() if k != "inner"}
        return keras.optimizers.LossScaleOptimizer(getattr(keras.optimizers, inner_name)(**inner_kwargs), **rest)
    return getattr(keras.optimizers, name)(**kwargs)


def _our_opt(name, kwargs):
    if name == "LossScaleOptimizer":
        inner_name, inner_kwargs = kwargs["inner"]
        rest = {k: v for k, v in kwargs.items() if k != "inner"}
        return optimizers.LossScaleOptimizer(getattr(optimizers, inner_name)(**inner_kwargs), **rest)
    return getattr(optimizers, name)(**kwargs)


def _keras_run(name, kwargs, grads):
    keras = keras_module()
    kvars = [keras.Variable(w, name=f"w{i}") for i, w in enumerate(_init())]
    opt = _keras_opt(keras, name, kwargs)
    for step in grads:
        opt.apply([keras.ops.convert_to_tensor(g) for g in step], kvars)
    return opt, [np.asarray(v.numpy()) for v in kvars]


def _run(name, kwargs, grads):
    variables = [B.variable(w, name=f"w{i}") for i, w in enumerate(_init())]
    opt = _our_opt(name, kwargs)
    for step in grads:
        opt.apply([B.convert_to_tensor(g) for g in step], variables)
    return opt, [B.convert_to_numpy(v) for v in variables]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CASES])
def test_same_updates_as_keras(name, kwargs):
    grads = _gradients()
    opt, ours = _run(name, kwargs, grads)
    kopt, theirs = _keras_run(name, kwargs, grads)
    for o, k in zip(ours, theirs):
        np.testing.assert_allclose(o, k, rtol=2e-5, atol=1e-6)
    assert [tuple(v.shape) for v in opt.variables] == [tuple(v.shape) for v in kopt.variables]
    for o, k in zip(opt.variables, kopt.variables):
        np.testing.assert_allclose(np.asarray(B.convert_to_numpy(o), "float64"), np.asarray(k.numpy(), "float64"),
                                   rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["Lamb", "Adafactor", "LossScaleOptimizer"])
def test_fit_matches_keras(name):
    """Through the compiled train step (``tf.function`` on TensorFlow), with scale_loss for LossScaleOptimizer."""
    keras = keras_module()
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
def test_get_by_name_and_config_matches_keras(name):
    keras = keras_module()
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
    opt, _ = _run(name, kwargs, _gradients(2))
    store = {}
    opt.save_own_variables(store)
    fresh = _our_opt(name, kwargs)
    fresh.build([B.variable(w, name=f"w{i}") for i, w in enumerate(_init())])
    fresh.load_own_variables(store)
    for a, b in zip(fresh.variables, opt.variables):
        np.testing.assert_allclose(B.convert_to_numpy(a), B.convert_to_numpy(b))
