"""Ops and Python operators on symbolic tensors in Functional models, against Keras."""
import numpy as np

import kerasport
from kerasport import layers
from tests.helpers import keras_module


def _program(api):
    inp = api.Input((5, 4))
    x = api.layers.Dense(4, name="proj")(inp)
    x = x * 2.0 + inp - 1
    pooled = api.ops.concatenate([api.ops.mean(x, axis=1), api.ops.max(x, axis=1)], axis=-1)
    pooled = api.ops.relu(pooled[:, :6]) / 3
    return api.Model(inp, api.layers.Dense(1, name="head")(pooled))


def test_symbolic_ops_build_train_and_match_keras():
    keras = keras_module()
    theirs, ours = _program(keras), _program(kerasport)
    assert [l.name for l in ours.layers][1:] == [l.name for l in theirs.layers][1:] == ["proj", "head"]
    ours.set_weights(theirs.get_weights())
    x = np.random.RandomState(0).rand(8, 5, 4).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    ours.compile("adam", "mse")
    hist = ours.fit(x, np.ones((8, 1)), epochs=2, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    clone = kerasport.Model.from_config(ours.get_config())
    clone.set_weights(ours.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-6)


def test_ops_shape_of_a_symbolic_tensor():
    assert kerasport.ops.shape(kerasport.Input((3, 2))) == (None, 3, 2)
    assert isinstance(layers.OpLayer("add").get_config()["op"], str)


def test_ops_between_a_symbolic_and_a_constant_backend_tensor():
    """keras.io's Behavior Sequence Transformer adds ``Embedding(...)(ops.arange(3))`` (a constant framework tensor,
    computed eagerly) to a symbolic one; TensorFlow's ``==`` with the op's placeholder mark must not be tried."""
    keras = keras_module()

    def program(api):
        inp = api.Input((3, 2))
        constant = api.ops.convert_to_tensor(np.arange(6, dtype="float32").reshape(3, 2))
        out = api.layers.Multiply()([inp + constant, api.ops.expand_dims(api.ops.sum(inp, axis=-1), -1)])
        return api.Model(inp, api.ops.add(constant, out))

    x = np.random.RandomState(0).rand(4, 3, 2).astype("float32")
    np.testing.assert_allclose(program(kerasport).predict(x, verbose=0), program(keras).predict(x, verbose=0),
                               rtol=1e-6)


def test_ops_between_a_symbolic_tensor_and_numpy_constants(tmp_path):
    """``inputs + np.ones(3)``, ``ops.matmul(x, np.eye(3))``: NumPy constants in a Functional graph, as Keras takes
    them (torch's ops take no arrays: the op converts them once); the same numbers after a ``.keras`` round trip."""
    keras = keras_module()

    def program(api):
        inp = api.Input((3,))
        x = api.ops.matmul(inp + np.ones(3, "float32"), np.eye(3, dtype="float32") * 2)
        x = api.ops.where(x > 3.0, x, np.zeros(3, "float32"))
        return api.Model(inp, api.ops.add(x, np.arange(3.0)))  # a float64 constant: float64, as in Keras

    data = np.random.RandomState(0).rand(4, 3).astype("float32") * 2
    ours, want = program(kerasport), program(keras).predict(data, verbose=0)
    got = ours.predict(data, verbose=0)
    assert got.dtype == want.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-6)
    path = str(tmp_path / "constants.keras")
    ours.save(path)
    np.testing.assert_allclose(kerasport.saving.load_model(path).predict(data, verbose=0), want, rtol=1e-6)
    np.testing.assert_allclose(keras.saving.load_model(path).predict(data, verbose=0), want, rtol=1e-6)


def test_broadcasting_ops_on_symbolic_tensors_give_keras_shapes_and_dtypes():
    """``x + y``, ``ops.multiply``, ``ops.maximum`` ... on KerasTensors: the broadcast shape (unknown dims kept
    unknown unless another argument knows them) and the op's dtype, as Keras's ``broadcast_shapes``."""
    K = keras_module()

    def specs(lib):
        a = lib.Input((None, 3))
        b = lib.Input((5, 1))
        i = lib.Input((4,), dtype="int32")
        h = lib.Input((None, None, 2), dtype="float16")
        outs = [a + b, lib.ops.multiply(a, 2.0), i * 3, i / 2, lib.ops.maximum(h, 1.0), h - a[:, :, :2, None][..., 0],
                lib.ops.divide(b, b), a - np.ones((3,), "float32")]
        return [(tuple(o.shape), lib.backend.standardize_dtype(o.dtype)) for o in outs]

    assert specs(kerasport) == specs(K)


def test_ops_on_unmasked_symbolic_tensors_run_no_probe(monkeypatch):
    """``x + y`` on KerasTensors (ConvNeXt's residual adds on 83x83 probe images took a second each): the spec comes
    from the broadcast shapes and no mask probe runs, the op having no mask to give."""
    from kerasport.layers import layer as layer_module
    probes = []
    monkeypatch.setattr(layer_module, "mask_spec_by_running", lambda *a: probes.append(a))
    monkeypatch.setattr(layer_module, "spec_by_running", lambda *a: probes.append(a))
    a = kerasport.Input((None, None, 3))
    out = a + kerasport.ops.multiply(a, 2.0)
    assert probes == [] and tuple(out.shape) == (None, None, None, 3)


def test_ops_in_a_model_keep_their_inputs_dtype_as_keras():
    """Keras's ops do not cast their inputs as layers do: a float64 input stays float64 through ``ops.exp``, while
    a ``Dense`` after it computes in float32."""
    K = keras_module()

    def run(lib):
        x = lib.Input((3,), dtype="float64")
        y = lib.ops.exp(x) + 1
        model = lib.Model(x, [y, lib.layers.Dense(2)(y)])
        return [lib.backend.standardize_dtype(o.dtype) for o in model(np.ones((2, 3)))]

    assert run(kerasport) == run(K) == ["float64", "float32"]
