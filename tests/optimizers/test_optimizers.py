"""Every optimizer and the common options against Keras's optimizers: same gradients, same weights."""
import numpy as np
import pytest

import kerasport
from kerasport import optimizers
from kerasport.backends import B
from tests.optimizers.optimizer_checks import apply_steps, gradients, initial_values, make_optimizer

CASES = [
    ("SGD", {}), ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Adam", {}), ("Adam", {"amsgrad": True}), ("AdamW", {}), ("AdamW", {"weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {}), ("RMSprop", {"momentum": 0.9, "centered": True}),
    ("Adagrad", {}), ("Adadelta", {"learning_rate": 1.0}), ("Adamax", {}), ("Nadam", {}), ("Lion", {}),
    ("Ftrl", {}), ("Ftrl", {"l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
                            "l2_shrinkage_regularization_strength": 0.03, "beta": 0.1, "learning_rate_power": -0.3}),
    ("Adam", {"weight_decay": 0.05}), ("SGD", {"clipnorm": 0.5}), ("SGD", {"clipvalue": 0.1}),
    ("Adam", {"global_clipnorm": 0.5}), ("SGD", {"clipnorm": 3.0}), ("SGD", {"global_clipnorm": 100.0}),
    ("Adam", {"use_ema": True, "ema_momentum": 0.5}),
    ("SGD", {"use_ema": True, "ema_momentum": 0.8, "ema_overwrite_frequency": 2}),
    ("Adam", {"gradient_accumulation_steps": 2}),
    ("Nadam", {"gradient_accumulation_steps": 3, "use_ema": True, "ema_overwrite_frequency": 1}),
    ("SGD", {"momentum": 0.5, "loss_scale_factor": 4.0}),
]
SHAPES = [(3, 4), (4,)]


def _run(lib, name, kwargs, init, grads):
    """``lib``'s optimizer ``name`` applies ``grads`` to variables starting at (copies of) ``init``; returns the
    optimizer and what the variables hold then."""
    opt = make_optimizer(lib, name, kwargs)
    return opt, apply_steps(lib, opt, [w.copy() for w in init], grads)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CASES])
def test_same_updates_as_keras(keras, name, kwargs):
    init = initial_values(SHAPES, one_stream=False)
    grads = gradients(SHAPES, 6)
    _, ours = _run(kerasport, name, kwargs, init, grads)
    for o, k in zip(ours, _run(keras, name, kwargs, init, grads)[1]):
        np.testing.assert_allclose(o, k, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{"global_clipnorm": 1.0}, {"clipnorm": 1.0}, {"clipvalue": 1.0}])
def test_clipping_a_non_finite_gradient_as_keras(keras, kwargs):
    """Keras's global clipping makes every gradient NaN when the global norm is not finite; per-tensor clipping
    keeps the finite tensors finite."""
    init = [np.ones(s, "float32") for s in SHAPES]
    grads = [[np.full(SHAPES[0], np.inf, "float32"), np.full(SHAPES[1], 0.5, "float32")]]
    _, ours = _run(kerasport, "SGD", kwargs, init, grads)
    theirs = _run(keras, "SGD", kwargs, init, grads)[1]
    for o, k in zip(ours, theirs):
        np.testing.assert_array_equal(np.isnan(o), np.isnan(k))
        np.testing.assert_allclose(o[np.isfinite(k)], k[np.isfinite(k)], rtol=1e-6)
    assert np.isnan(ours[1]).all() == ("global_clipnorm" in kwargs)


def test_schedule_learning_rate_matches_keras(keras):
    init = [np.ones(s, "float32") for s in SHAPES]
    grads = gradients(SHAPES, 6)
    ours, theirs = (_run(lib, "SGD", {"learning_rate": lib.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)}, init,
                         grads)[1] for lib in (kerasport, keras))
    for o, k in zip(ours, theirs):
        np.testing.assert_allclose(o, k, rtol=1e-6, atol=1e-6)


def test_slot_variables_in_keras_order(keras):
    init = [np.ones(s, "float32") for s in SHAPES]
    kwargs = {"use_ema": True, "gradient_accumulation_steps": 2, "amsgrad": True}
    opt, _ = _run(kerasport, "Adam", kwargs, init, gradients(SHAPES, 2))
    kopt = keras.optimizers.Adam(**kwargs)
    kopt.build([keras.Variable(w) for w in init])
    assert [tuple(v.shape) for v in opt.variables] == [tuple(v.shape) for v in kopt.variables]
    slot_names = [o.path.split("/")[-1].split("_", 1)[1] for o in opt.variables[2:]]   # "w0_average" -> "average"
    assert all(k.path.endswith("_" + n) for n, k in zip(slot_names, kopt.variables[2:]))
    assert int(B.convert_to_numpy(opt.iterations)) == 1


def test_learning_rate_readable_and_settable_between_steps():
    model = kerasport.Sequential([kerasport.Input((2,)), kerasport.layers.Dense(1, use_bias=False)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.5), loss="mse")
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    model.set_weights([np.ones((2, 1), "float32")])
    model.train_on_batch(x, y)                     # grad = 2 * (2 - 0) * 1 = 4 per weight
    np.testing.assert_allclose(model.get_weights()[0], -1.0)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.5)
    model.optimizer.learning_rate = 0.01
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    model.train_on_batch(x, y)                     # grad = 2 * (-2) = -4; w -= 0.01 * -4
    np.testing.assert_allclose(model.get_weights()[0], -0.96, rtol=1e-6)


def test_schedule_is_not_settable_and_follows_iterations():
    opt = optimizers.Adam(learning_rate=optimizers.schedules.PiecewiseConstantDecay([1], [1.0, 0.5]))
    with pytest.raises(TypeError):
        opt.learning_rate = 0.1
    variables = [B.variable(np.ones(2, "float32"))]
    assert float(opt.learning_rate) == 1.0
    for _ in range(2):
        opt.apply([B.convert_to_tensor(np.ones(2, "float32"))], variables)
    assert float(opt.learning_rate) == 0.5


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam",
                                  "lion", "ftrl"])
def test_get_by_name_and_config_round_trip(keras, name):
    opt = optimizers.get(name)
    assert type(opt).__name__ == type(keras.optimizers.get(name)).__name__
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert type(clone) is type(opt)
    config = {k: v for k, v in opt.get_config().items() if k != "name"}
    assert {k: v for k, v in clone.get_config().items() if k != "name"} == config
    keras_config = keras.optimizers.get(name).get_config()
    assert set(config) == set(keras_config) - {"name"}
    for key, value in config.items():
        assert value == pytest.approx(keras_config[key]) if isinstance(value, float) else value == keras_config[key]


def test_schedule_round_trips_through_optimizer_config():
    opt = optimizers.SGD(learning_rate=optimizers.schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=5))
    clone = optimizers.SGD.from_config(opt.get_config())
    assert float(clone.learning_rate) == pytest.approx(float(opt.learning_rate))
    assert clone.get_config() == {**opt.get_config(), "name": clone.name}


def test_fit_with_ema_finalizes_to_the_average():
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(2)])
    model.compile(optimizer=optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9), loss="mse")
    rng = np.random.RandomState(0)
    model.fit(rng.randn(16, 3).astype("float32"), rng.randn(16, 2).astype("float32"), batch_size=4, epochs=1,
              verbose=0, shuffle=False)
    for w, avg in zip(model.trainable_weights, model.optimizer._averages):
        np.testing.assert_allclose(B.convert_to_numpy(w), B.convert_to_numpy(avg))


@pytest.mark.parametrize("name,kwargs", [
    ("Adam", {"gradient_accumulation_steps": 2, "use_ema": True, "ema_overwrite_frequency": 1}),
    ("Nadam", {"clipnorm": 0.1, "weight_decay": 0.01}),
    ("RMSprop", {"learning_rate": "schedule"}),
])
def test_fit_matches_keras(keras, name, kwargs):
    """The compiled train step (``tf.function`` on TensorFlow) gives Keras's weights."""
    rng = np.random.RandomState(0)
    x, y = rng.randn(24, 3).astype("float32"), rng.randn(24, 2).astype("float32")
    init = [rng.randn(3, 2).astype("float32"), rng.randn(2).astype("float32")]

    def make(lib):
        args = dict(kwargs)
        if args.get("learning_rate") == "schedule":
            args["learning_rate"] = lib.optimizers.schedules.InverseTimeDecay(0.01, 2, 0.5, staircase=True)
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
        model.compile(optimizer=getattr(lib.optimizers, name)(**args), loss="mse")
        model.set_weights(init)
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
        return model.get_weights()

    for o, k in zip(make(kerasport), make(keras)):
        np.testing.assert_allclose(o, k, rtol=1e-5, atol=1e-6)
