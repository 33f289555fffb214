"""``kerasport.device``, ``kerasport.remat`` / ``RematScope`` and ``SymbolicScope`` (Keras's top-level scopes).

Rematerialization must not change any number: a layer or function under ``remat`` gives the same values and
gradients as without it, and a model built under ``RematScope(mode="full")`` trains to Keras 3's numbers
(``check_program``, the same initial weights).
"""
import numpy as np
import pytest

import kerasport
from kerasport import ops
from kerasport.backends import B
from kerasport.scopes import get_current_remat_mode, in_symbolic_scope
from tests.helpers import to_numpy
from tests.programs.test_keras_programs import check_program


# ----------------------------------------------------------------------------- device
@pytest.mark.parametrize("name", ["cpu", "cpu:0", "CPU:0"])
def test_device_places_tensors_and_variables(name):
    with kerasport.device(name):
        x = ops.ones((2, 3))
        layer = kerasport.layers.Dense(4)
        y = layer(x)
    for t in (x, y, layer.kernel):
        assert "cpu" in str(t.device).lower()
    np.testing.assert_allclose(to_numpy(y), to_numpy(layer(np.ones((2, 3), "float32"))))


def test_device_restores_the_previous_device():
    before = kerasport.backend.device()
    with kerasport.device("cpu"):
        pass
    assert kerasport.backend.device() == before


@pytest.mark.parametrize("bad", ["foo", "tpu:x:y", 3, None])
def test_device_bad_name_raises(bad):
    with pytest.raises(ValueError, match="device_name"):
        with kerasport.device(bad):
            ops.ones((1,))


@pytest.mark.skipif(B.NAME != "torch", reason="torch's device names; TensorFlow has no 'meta' device")
def test_device_switches_the_torch_device():
    """On a machine without a GPU, torch's "meta" device (which Keras's torch backend uses too) shows the switch."""
    before = kerasport.backend.device()
    with kerasport.device("meta") as device:
        assert str(device) == "meta"
        made = [ops.ones((2, 3)), ops.convert_to_tensor(np.ones(3)), ops.arange(4), kerasport.random.normal((2,)),
                kerasport.Variable(np.ones(2)), kerasport.Variable("zeros", shape=(3,))]
        with kerasport.device("cpu"):
            inner = ops.zeros((2,))
        assert ops.zeros((1,)).device.type == "meta"
    assert [t.device.type for t in made] == ["meta"] * len(made) and inner.device.type == "cpu"
    assert ops.ones((1,)).device.type == before.split(":")[0] and kerasport.backend.device() == before


@pytest.mark.skipif(B.NAME != "torch", reason="TensorFlow places soft: a missing GPU falls back to the CPU, as Keras")
def test_device_missing_gpu_raises_on_torch():
    import torch
    if torch.cuda.is_available():
        with kerasport.device("gpu:0"):
            assert ops.ones((1,)).device.type == "cuda"
    else:
        with pytest.raises(ValueError, match="GPU"):
            with kerasport.device("gpu:0"):
                pass


# ----------------------------------------------------------------------------- remat
def _value_and_grads(fn, x, variables):
    """``sum(fn(x))`` and its gradients with respect to ``x`` and ``variables``."""
    if B.NAME == "torch":
        import torch
        x = torch.tensor(x, requires_grad=True)
        loss = fn(x).sum()
        grads = torch.autograd.grad(loss, [x] + list(variables))
    else:
        import tensorflow as tf
        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(fn(x))
        grads = tape.gradient(loss, [x] + list(variables))
    return [to_numpy(loss)] + [to_numpy(g) for g in grads]


def test_remat_function_same_values_and_gradients():
    x = np.random.RandomState(0).rand(4, 5).astype("float32")

    def f(t):
        for _ in range(2):
            t = ops.sin(t) * t + t * 0.1
        return t

    for a, b in zip(_value_and_grads(f, x, []), _value_and_grads(kerasport.remat(f), x, [])):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    calls = []

    def counted(t):
        calls.append(1)
        return f(t)

    _value_and_grads(counted, x, [])
    assert len(calls) == 1
    _value_and_grads(kerasport.remat(counted), x, [])
    assert len(calls) == 3  # rematerialized: run forward, then again in the backward pass


@pytest.mark.parametrize("mode,kwargs", [("full", {}), ("activations", {}),
                                         ("list_of_layers", {"layer_names": ["remat_dense"]}),
                                         ("larger_than", {"output_size_threshold": 10})])
def test_remat_scope_layer_same_values_and_gradients(mode, kwargs):
    x = np.random.RandomState(1).rand(4, 5).astype("float32")
    plain = kerasport.layers.Dense(6, activation="tanh", name="plain_dense")
    plain.build((None, 5))
    with kerasport.RematScope(mode=mode, **kwargs) as scope:
        assert get_current_remat_mode().mode == mode
        layer = kerasport.layers.Dense(6, activation="tanh", name="remat_dense")
    assert get_current_remat_mode() is None and scope.mode == mode
    layer.build((None, 5))
    layer.set_weights(plain.get_weights())
    calls = []
    layer.activation = lambda t, act=layer.activation: calls.append(1) or act(t)
    for _ in range(2):  # "larger_than" decides at the first call with a shape, then rematerializes
        want = _value_and_grads(plain, x, plain.trainable_weights)
        got = _value_and_grads(layer, x, layer.trainable_weights)
        for a, b in zip(want, got):
            np.testing.assert_allclose(a, b, rtol=1e-6)
    assert len(calls) == (3 if mode == "larger_than" else 4)  # each rematerialized call runs twice
    layer.activation = kerasport.activations.get("tanh")
    assert layer.get_config()["activation"] == "tanh"  # the activation is swapped back after each call


def test_remat_scope_bad_mode():
    with pytest.raises(ValueError, match="Invalid mode"):
        kerasport.RematScope(mode="some")


def remat_scope_training(keras, sync):
    """A model created and called under ``RematScope(mode="full")``, as Keras documents, fit and evaluated."""
    rng = np.random.RandomState(0)
    x, y = rng.rand(48, 8).astype("float32"), rng.rand(48, 1).astype("float32")
    with keras.RematScope(mode="full"):
        inputs = keras.Input((8,))
        h = keras.layers.Dense(16, activation="relu")(inputs)
        h = keras.layers.Dense(16, activation="relu")(h)
        model = keras.Model(inputs, keras.layers.Dense(1)(h))
    sync(model)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    return {"loss": history.history["loss"], "eval": model.evaluate(x, y, verbose=0),
            "predict": model.predict(x[:4], verbose=0)}


def test_remat_scope_model_trains_as_keras():
    check_program(remat_scope_training)


# ----------------------------------------------------------------------------- SymbolicScope
def test_symbolic_scope():
    assert not in_symbolic_scope()
    with kerasport.SymbolicScope() as outer:
        assert in_symbolic_scope()
        with kerasport.SymbolicScope():
            assert in_symbolic_scope()
        assert in_symbolic_scope() and isinstance(outer, kerasport.SymbolicScope)
    assert not in_symbolic_scope()
