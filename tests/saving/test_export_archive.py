"""keras.export.ExportArchive: SavedModels with chosen endpoints, reloaded by bare TensorFlow in a subprocess.

On TensorFlow any function can be an endpoint; on torch a tracked model's forward pass can,
written by a TensorFlow child process, and a Python function is refused with the reason.
"""
import os
import textwrap

import numpy as np
import pytest

import kerasport as keras
from kerasport import layers
from kerasport.backends import B
from tests.saving.zoo import run_python

# Loads the SavedModel with bare TensorFlow (no kerasport) and runs endpoints on saved inputs.
BARE_LOADER = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    path, job, out = sys.argv[1:4]
    loaded = tf.saved_model.load(path)
    with open(job) as f:
        calls = json.load(f)
    inputs = np.load(out + ".in.npz")
    results = {}
    for key, (endpoint, structure) in calls.items():
        def build(s):
            if isinstance(s, str):
                return tf.constant(inputs[s])
            if isinstance(s, dict):
                return {k: build(v) for k, v in s.items()}
            return [build(v) for v in s]
        args = [build(s) for s in structure]
        value = getattr(loaded, endpoint)(*args)
        for i, y in enumerate(tf.nest.flatten(value)):
            results[f"{key}/{i}"] = y.numpy()
    results["signatures"] = np.array(sorted(loaded.signatures))
    for name in ("variables", "trainable_variables", "non_trainable_variables"):
        results[name] = np.array(len(getattr(loaded, name)))
    if hasattr(loaded, "head_weights"):
        for i, v in enumerate(loaded.head_weights):
            results[f"head_weights/{i}"] = v.numpy()
    np.savez(out, **results)
    assert "kerasport" not in sys.modules
""")


def run_bare(path, calls, inputs, tmp_path):
    """Run ``calls`` (``{key: [endpoint, [input names or nested]]}``) on the SavedModel at ``path`` with bare TF."""
    import json
    out = str(tmp_path / "bare")
    np.savez(out + ".in.npz", **inputs)
    with open(tmp_path / "calls.json", "w") as f:
        json.dump(calls, f)
    env = {"PYTHONPATH": ""}
    run_python(BARE_LOADER, path, tmp_path / "calls.json", out, **env)
    with np.load(out + ".npz") as data:
        return {k: data[k] for k in data.files}


def _mlp():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(8, activation="relu"), layers.BatchNormalization(),
                              layers.Dropout(0.5), layers.Dense(2, name="head")])
    bn = model.layers[1]
    rng = np.random.RandomState(3)
    bn.set_weights([rng.rand(8) + 0.5, rng.randn(8), rng.randn(8), rng.rand(8) + 0.5])
    return model


def _spec(shape, name=None):
    return keras.InputSpec(shape=shape, dtype="float32", name=name)


def test_endpoints_give_predicts_numbers(tmp_path):
    model = _mlp()
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model.call, [_spec((None, 3))])
    archive.add_endpoint("forward", model, [_spec((None, 3))])
    archive.add_variable_collection("head_weights", model.get_layer("head").weights)
    target = str(tmp_path / "archive")
    archive.write_out(target, verbose=False)
    rng = np.random.RandomState(0)
    inputs = {f"b{n}": rng.randn(n, 3).astype("float32") for n in (1, 7, 32)}
    calls = {f"{e}{n}": [e, [f"b{n}"]] for e in ("serve", "forward") for n in (1, 7, 32)}
    got = run_bare(target, calls, inputs, tmp_path)
    for n in (1, 7, 32):
        expected = model.predict(inputs[f"b{n}"], verbose=0)
        for endpoint in ("serve", "forward"):
            np.testing.assert_allclose(got[f"{endpoint}{n}/0"], expected, atol=1e-5, rtol=1e-5)
    assert sorted(got["signatures"]) == ["forward", "serve", "serving_default"]
    assert int(got["variables"]) == len(model.weights) == 8
    assert int(got["trainable_variables"]) == len(model.trainable_weights)
    assert int(got["non_trainable_variables"]) == len(model.non_trainable_weights)
    for i, w in enumerate(model.get_layer("head").get_weights()):
        np.testing.assert_array_equal(got[f"head_weights/{i}"], w)
    assert len(archive.variables) == 8 and len(archive.trainable_variables) == len(model.trainable_weights)


def test_optimizer_variable_collection(tmp_path):
    """Keras's example: the optimizer's variables saved as a collection, restored by bare TensorFlow."""
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=2, verbose=0)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model.call, [_spec((None, 3))])
    archive.add_variable_collection("optimizer_variables", model.optimizer.variables)
    target = str(tmp_path / "archive")
    archive.write_out(target, verbose=False)
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import tensorflow as tf
        loaded = tf.saved_model.load(sys.argv[1])
        np.savez(sys.argv[2], *[v.numpy() for v in loaded.optimizer_variables])
    """)
    run_python(script, target, tmp_path / "opt.npz", PYTHONPATH="")
    with np.load(tmp_path / "opt.npz") as data:
        got = [data[f"arr_{i}"] for i in range(len(data.files))]
    expected = [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]
    assert len(got) == len(expected) == 6 and int(got[0]) == 2  # Adam's iterations first
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


def test_functional_list_and_dict_inputs(tmp_path):
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    out = layers.Dense(2)(layers.Concatenate()([layers.Dense(5)(a), b]))
    listed = keras.Model([a, b], out)
    keyed = keras.Model({"a": a, "b": b}, out)
    archive = keras.export.ExportArchive()
    archive.track_and_add_endpoint("listed", listed, [[_spec((None, 4)), _spec((None, 3))]])
    archive.add_endpoint("keyed", keyed.call, [{"a": _spec((None, 4)), "b": _spec((None, 3))}])
    target = str(tmp_path / "archive")
    archive.write_out(target, verbose=False)
    rng = np.random.RandomState(1)
    inputs = {"a": rng.randn(6, 4).astype("float32"), "b": rng.randn(6, 3).astype("float32")}
    got = run_bare(target, {"l": ["listed", [["a", "b"]]], "k": ["keyed", [{"a": "a", "b": "b"}]]}, inputs, tmp_path)
    expected = listed.predict([inputs["a"], inputs["b"]], verbose=0)
    np.testing.assert_allclose(got["l/0"], expected, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(got["k/0"], expected, atol=1e-5, rtol=1e-5)


def test_signature_from_keras_tensors_and_tensors(tmp_path):
    model = keras.Sequential([keras.Input((5,)), layers.Dense(3)])
    archive = keras.export.ExportArchive()
    archive.add_endpoint("from_input", model, [model.inputs[0]])
    archive.add_endpoint("from_tensor", model, [keras.ops.ones((2, 5))])
    target = str(tmp_path / "archive")
    archive.write_out(target, verbose=False)
    x = np.random.RandomState(2).randn(9, 5).astype("float32")
    got = run_bare(target, {"i": ["from_input", ["x"]], "t": ["from_tensor", ["x"]]}, {"x": x}, tmp_path)
    np.testing.assert_allclose(got["i/0"], model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(got["t/0"], got["i/0"], atol=0)  # batch 9 ran: the tensor's batch became None


def test_write_out_prints_the_endpoints_and_replaces_the_folder(tmp_path, capsys):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    target = tmp_path / "archive"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    archive = keras.export.ExportArchive()
    archive.add_endpoint("serve", model.call, [_spec((None, 2))])
    archive.write_out(target)
    printed = capsys.readouterr().out
    assert f"Saved artifact at '{target}'" in printed and "* Endpoint 'serve'" in printed
    assert "shape=(None, 2)" in printed
    assert not (target / "stale.txt").exists() and (target / "saved_model.pb").exists()
    assert sorted(os.listdir(tmp_path)) == ["archive"]


def test_errors_are_keras_s(tmp_path):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    archive = keras.export.ExportArchive()
    with pytest.raises(ValueError, match="No endpoints have been set yet. Call add_endpoint()"):
        archive.write_out(tmp_path / "empty")
    with pytest.raises(ValueError, match="has not yet been built"):
        archive.track(layers.Dense(3))
    with pytest.raises(ValueError, match="Invalid resource type.*'str'"):
        archive.track("model")
    archive.add_endpoint("serve", model.call, [_spec((None, 2))])
    with pytest.raises(ValueError, match="Endpoint name 'serve' is already taken"):
        archive.add_endpoint("serve", model.call, [_spec((None, 2))])
    with pytest.raises(ValueError, match="must provide an `input_signature`"):
        archive.add_endpoint("other", model.call)
    with pytest.raises(ValueError, match="`shape` and `dtype` must be provided"):
        archive.add_endpoint("other", model.call, [keras.InputSpec(ndim=2)])
    with pytest.raises(TypeError, match="Unsupported x=.*keras.InputSpec"):
        archive.add_endpoint("other", model.call, [(None, 2)])
    untracked = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(TypeError, match="Unsupported x="):
        archive.add_endpoint("other", untracked.call, ["not a spec"])
    assert not any(v is w for v in archive.variables for w in untracked.weights)  # nothing changed
    with pytest.raises(ValueError, match="only supported with the jax backend"):
        archive.add_endpoint("other", model.call, [_spec((None, 2))], is_static=True)
    with pytest.raises(ValueError, match="Expected `variables` to be a list/tuple/set.*dict"):
        archive.add_variable_collection("c", {"k": model.weights[0]})
    with pytest.raises(ValueError, match="Expected all elements in `variables`"):
        archive.add_variable_collection("c", [np.zeros(2)])
    with pytest.raises(ValueError, match="Unsupported format: neptune_model"):
        keras.export.ExportArchive(format="neptune_model")
    assert os.listdir(tmp_path) == []


def test_host_layers_are_refused_when_tracked():
    i = keras.Input((3,), dtype="int32")
    model = keras.Model(i, layers.Dense(2)(layers.IntegerLookup(vocabulary=[4, 5, 6], name="ids")(i)))
    with pytest.raises(ValueError, match="Layer 'ids' \\(IntegerLookup\\) cannot be exported"):
        keras.export.ExportArchive().track(model)


def test_training_endpoint_is_a_python_function(tmp_path):
    """TensorFlow: any function is an endpoint (Dropout on in one). Torch: refused, saying why and what to do."""
    model = _mlp()
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model.call, [_spec((None, 3))])
    training = lambda x: model(x, training=True)  # noqa: E731
    if B.NAME == "torch":
        with pytest.raises(ValueError, match="torch backend.*model's own forward pass.*never imports TensorFlow"
                                             ".*KERASPORT_BACKEND=tensorflow"):
            archive.add_endpoint("call_training", training, [_spec((None, 3))])
        with pytest.raises(ValueError, match="`options`.*torch backend"):
            archive.write_out(tmp_path / "a", options=object())
        with pytest.raises(ValueError, match="torch backend ExportArchive tracks models only"):
            archive.track(model.layers[0])
        return
    archive.add_endpoint("call_training", training, [_spec((None, 3))])
    target = str(tmp_path / "archive")
    archive.write_out(target, verbose=False)
    x = np.ones((64, 3), "float32")
    got = run_bare(target, {"s": ["serve", ["x"]], "t": ["call_training", ["x"]]}, {"x": x}, tmp_path)
    np.testing.assert_allclose(got["s/0"], model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)
    assert not np.allclose(got["t/0"], got["s/0"])  # dropout and batch statistics in training mode


def test_traced_tf_function_needs_no_signature(tmp_path):
    """TensorFlow: a ``tf.function`` called once is an endpoint as it is. Torch: no function is (no tf.function)."""
    model = keras.Sequential([keras.Input((2,)), layers.Dense(3)])
    if B.NAME == "torch":
        with pytest.raises(ValueError, match="torch backend.*model's own forward pass"):
            keras.export.ExportArchive().add_endpoint("doubled", lambda x: model(x) * 2.0)
        return
    import tensorflow as tf
    fn = tf.function(lambda x: model(x) * 2.0)
    archive = keras.export.ExportArchive()
    with pytest.raises(ValueError, match="has never been called"):
        archive.add_endpoint("doubled", fn)
    fn(tf.zeros((4, 2)))
    archive.add_endpoint("doubled", fn)
    target = str(tmp_path / "archive")
    archive.write_out(target, verbose=False)
    x = np.random.RandomState(4).randn(4, 2).astype("float32")
    got = run_bare(target, {"d": ["doubled", ["x"]]}, {"x": x}, tmp_path)
    np.testing.assert_allclose(got["d/0"], 2 * model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)


def test_keras3_tfsm_layer_reads_the_archive(tmp_path):
    """Real Keras 3's ``TFSMLayer`` wraps kerasport's archive (both endpoints) and gives predict's numbers."""
    pytest.importorskip("keras")
    model = _mlp()
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model.call, [_spec((None, 3))])
    archive.add_endpoint("forward", model, [_spec((None, 3))])
    target = str(tmp_path / "archive")
    archive.write_out(target, verbose=False)
    x = np.random.RandomState(6).randn(5, 3).astype("float32")
    np.save(tmp_path / "x.npy", x)
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import keras
        path, x, out = sys.argv[1:4]
        outputs = [keras.ops.convert_to_numpy(keras.layers.TFSMLayer(path, call_endpoint=e)(np.load(x)))
                   for e in ("serve", "forward")]
        np.save(out, np.stack(outputs))
    """)
    run_python(script, target, tmp_path / "x.npy", tmp_path / "keras.npy", KERAS_BACKEND="tensorflow")
    for got in np.load(tmp_path / "keras.npy"):
        np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)
