"""MultiOptimizer and OptimizerMap against Keras: same variables routed to the same optimizers, same updates and
optimizer variables, config, fit, saved state, errors."""
import numpy as np
import pytest

import kerasport
from kerasport import optimizers
from kerasport.backends import B
from tests.helpers import keras_module

VARIABLES = [("encoder/dense/kernel", (3, 4)), ("encoder/dense/bias", (4,)), ("head/kernel", (4, 2)),
             ("head/bias", (2,)), ("encoder/norm/gamma", (4,))]


def _init():
    rng = np.random.RandomState(1)
    return [rng.randn(*shape).astype("float32") for _, shape in VARIABLES]


def _gradients(steps=4):
    rng = np.random.RandomState(0)
    return [[rng.randn(*shape).astype("float32") for _, shape in VARIABLES] for _ in range(steps)]


def _multi(lib, kind):
    o = lib.optimizers
    if kind == "map":
        return o.MultiOptimizer(o.OptimizerMap(o.SGD(0.1, momentum=0.9), {"encoder/dense/.*": o.Adam(0.01),
                                                                            "head/bias": o.RMSprop(0.05)}))
    adam, sgd = o.Adam(0.02, weight_decay=0.1), o.SGD(0.05)
    return o.MultiOptimizer(lambda v: adam if "encoder" in v.path else sgd)


def _run(lib, kind, grads):
    if lib is kerasport:
        variables = [B.variable(w, name=p.split("/")[-1]) for (p, _), w in zip(VARIABLES, _init())]
        for (path, _), v in zip(VARIABLES, variables):
            v.path = path
        tensor, numpy = B.convert_to_tensor, B.convert_to_numpy
    else:
        variables = [lib.Variable(w, name=p.split("/")[-1]) for (p, _), w in zip(VARIABLES, _init())]
        for (path, _), v in zip(VARIABLES, variables):
            v._path = path
        tensor, numpy = lib.ops.convert_to_tensor, lambda v: v.numpy()
    opt = _multi(lib, kind)
    for step in grads:
        opt.apply([tensor(g) for g in step], variables)
    return opt, [np.asarray(numpy(v)) for v in variables], [np.asarray(numpy(v), "float64") for v in opt.variables]


@pytest.mark.parametrize("kind", ["map", "callable"])
def test_same_updates_and_variables_as_keras(kind):
    keras = keras_module()
    grads = _gradients()
    opt, ours, our_state = _run(kerasport, kind, grads)
    kopt, theirs, their_state = _run(keras, kind, grads)
    for o, k in zip(ours, theirs):
        np.testing.assert_allclose(o, k, rtol=1e-5, atol=1e-6)
    assert [type(o).__name__ for o in opt.optimizers] == [type(o).__name__ for o in kopt.optimizers]
    assert [v.shape for v in our_state] == [v.shape for v in their_state]
    for o, k in zip(our_state, their_state):
        np.testing.assert_allclose(o, k, rtol=1e-5, atol=1e-6)
    assert int(B.convert_to_numpy(opt.iterations)) == len(grads)


def test_optimizer_map_lookup_as_keras():
    keras = keras_module()
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


def test_config_matches_keras_and_round_trips():
    keras = keras_module()
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


def test_fit_matches_keras():
    """Through the compiled train step (``tf.function`` on TensorFlow). Keras's optimizer is built before ``fit``:
    built while Keras-on-TensorFlow traces its train step, its sub-optimizers' slots go missing."""
    keras = keras_module()
    x, y = _data()
    theirs = _model(keras, _model_optimizer(keras))
    theirs.optimizer.build(theirs.trainable_variables)
    ours = _model(kerasport, _model_optimizer(kerasport))
    ours.set_weights(theirs.get_weights())
    want = theirs.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
    got = ours.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    for o, k in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(o, k, rtol=1e-5, atol=1e-6)
    assert len(ours.optimizer.variables) == len(theirs.optimizer.variables)
    for o, k in zip(ours.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_allclose(np.asarray(B.convert_to_numpy(o), "float64"), np.asarray(k.numpy(), "float64"),
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_saved_model_keeps_optimizer_state(tmp_path, ext):
    x, y = _data()
    model = _model(kerasport, _model_optimizer(kerasport))
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    path = str(tmp_path / f"model.{ext}")
    model.save(path)
    loaded = kerasport.saving.load_model(path)
    assert type(loaded.optimizer) is optimizers.MultiOptimizer
    assert [type(o) for o in loaded.optimizer.optimizers] == [optimizers.Adam, optimizers.SGD]
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables) == 2 + (2 + 4) + (2 + 2)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_allclose(B.convert_to_numpy(a), B.convert_to_numpy(b))
    want = model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False).history["loss"]
    got = loaded.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-6)


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
