"""MultiOptimizer and OptimizerMap against Keras: same variables routed to the same optimizers, same updates and
optimizer variables, config, fit, saved state, errors."""
import numpy as np
import pytest

import kerasport
from kerasport import optimizers
from kerasport.backends import B
from tests.optimizers.optimizer_checks import (
    apply_steps, check_fit_matches_keras, check_same_state, check_saved_model_keeps_optimizer_state, gradients,
    initial_values)

VARIABLES = [("encoder/dense/kernel", (3, 4)), ("encoder/dense/bias", (4,)), ("head/kernel", (4, 2)),
             ("head/bias", (2,)), ("encoder/norm/gamma", (4,))]
PATHS, SHAPES = [p for p, _ in VARIABLES], [s for _, s in VARIABLES]


def _multi(lib, kind):
    o = lib.optimizers
    if kind == "map":
        return o.MultiOptimizer(o.OptimizerMap(o.SGD(0.1, momentum=0.9), {"encoder/dense/.*": o.Adam(0.01),
                                                                            "head/bias": o.RMSprop(0.05)}))
    adam, sgd = o.Adam(0.02, weight_decay=0.1), o.SGD(0.05)
    return o.MultiOptimizer(lambda v: adam if "encoder" in v.path else sgd)


@pytest.mark.parametrize("kind", ["map", "callable"])
def test_same_updates_and_variables_as_keras(keras, kind):
    grads = gradients(SHAPES, 4)
    opt, kopt = _multi(kerasport, kind), _multi(keras, kind)
    ours = apply_steps(kerasport, opt, initial_values(SHAPES), grads, PATHS)
    theirs = apply_steps(keras, kopt, initial_values(SHAPES), grads, PATHS)
    check_same_state(ours, opt, theirs, kopt, rtol=1e-5, atol=1e-6)
    assert [type(o).__name__ for o in opt.optimizers] == [type(o).__name__ for o in kopt.optimizers]
    assert int(B.convert_to_numpy(opt.iterations)) == len(grads)


def test_optimizer_map_lookup_as_keras(keras):
    for lib in (kerasport, keras):
        o = lib.optimizers
        adam, sgd, rms = o.Adam(), o.SGD(), o.RMSprop()
        m = o.OptimizerMap(default_optimizer=rms)
        m["encoder/layer_0/dense"] = adam
        m["encoder/.*"] = sgd
        m["decoder"] = adam
        assert m["decoder"] is adam and m["encoder/layer_0/dense"] is adam
        assert m["encoder/layer_0/attention/query"] is sgd and m["decoder/layer_0/dense"] is rms
        assert len(m) == 3 and list(m) == ["encoder/layer_0/dense", "encoder/.*", "decoder"]
        m["enc.*"] = o.Adam()
        with pytest.raises(ValueError, match="Multiple optimizers"):
            m["encoder/x"]
        del m["enc.*"]
        assert m["encoder/x"] is sgd


def test_config_matches_keras_and_round_trips(keras):
    opt = _multi(kerasport, "map")
    config, keras_config = opt.get_config(), _multi(keras, "map").get_config()
    assert set(config) == set(keras_config) == {"optimizer_map", "loss_scale_factor", "name"}

    def structure(c):
        if isinstance(c, dict):
            return {k: structure(v) for k, v in c.items() if k != "name"}
        return pytest.approx(c) if isinstance(c, float) else c

    assert structure(config["optimizer_map"]) == structure(keras_config["optimizer_map"])
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert type(clone) is optimizers.MultiOptimizer
    assert [type(o) for o in clone.optimizers] == [type(o) for o in opt.optimizers]
    assert structure(clone.get_config()) == structure(config)
    ours_from_keras = optimizers.deserialize(keras.optimizers.serialize(_multi(keras, "map")))
    assert structure(ours_from_keras.get_config()) == structure(config)


def _model(lib, optimizer):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="tanh", name="encoder"),
                            lib.layers.Dense(2, name="head")])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _model_optimizer(lib):
    o = lib.optimizers
    # A Sequential's variable paths start with its name until it is reloaded (as in Keras): ".*head/.*" matches both.
    return o.MultiOptimizer(o.OptimizerMap(o.SGD(0.05, momentum=0.5), {".*head/.*": o.Adam(0.01)}))


def _data():
    rng = np.random.RandomState(0)
    return rng.randn(16, 3).astype("float32"), rng.randn(16, 2).astype("float32")


def test_fit_matches_keras(keras):
    """Through the compiled train step (``tf.function`` on TensorFlow)."""
    check_fit_matches_keras(keras, lambda lib: _model(lib, _model_optimizer(lib)), *_data())


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_saved_model_keeps_optimizer_state(tmp_path, ext):
    model = _model(kerasport, _model_optimizer(kerasport))
    loaded = check_saved_model_keeps_optimizer_state(model, *_data(), str(tmp_path / f"model.{ext}"))
    assert type(loaded.optimizer) is optimizers.MultiOptimizer
    assert [type(o) for o in loaded.optimizer.optimizers] == [optimizers.Adam, optimizers.SGD]
    assert len(loaded.optimizer.variables) == 2 + (2 + 4) + (2 + 2)


def test_bad_arguments():
    o = optimizers
    with pytest.raises(TypeError, match="default_optimizer"):
        o.OptimizerMap("sgd")
    with pytest.raises(TypeError, match="optimizer_map must be a dictionary"):
        o.OptimizerMap(o.SGD(), [("a", o.Adam())])
    m = o.OptimizerMap(o.SGD(), {"a": o.Adam()})
    with pytest.raises(ValueError, match="already exists"):
        m["a"] = o.Adam()
    with pytest.raises(ValueError, match="key must be a string"):
        m[3] = o.Adam()
    with pytest.raises(ValueError, match="Optimizer instance"):
        m["b"] = "adam"
    with pytest.raises(ValueError, match="LossScaleOptimizer"):
        m["b"] = o.LossScaleOptimizer(o.SGD())
    with pytest.raises(ValueError, match="MultiOptimizer"):
        m["b"] = o.MultiOptimizer(o.OptimizerMap(o.SGD()))
    with pytest.raises(ValueError, match="optimizer_map"):
        o.MultiOptimizer("adam")
    multi = o.MultiOptimizer(m)
    with pytest.raises(AttributeError, match="sub-optimizers"):
        multi.learning_rate
    with pytest.raises(AttributeError, match="sub-optimizers"):
        multi.learning_rate = 0.1
    variables = [B.variable(np.ones((2,), "float32"), name="w")]
    with pytest.raises(ValueError, match="one-to-one"):
        multi.apply([B.convert_to_tensor(np.ones((2,), "float32"))] * 2, variables)
    with pytest.raises(ValueError, match="not an Optimizer instance"):
        o.MultiOptimizer(lambda v: "sgd").build(variables)
    with pytest.raises(ValueError, match="cannot be used inside"):
        o.MultiOptimizer(lambda v: o.LossScaleOptimizer(o.SGD())).build(variables)
