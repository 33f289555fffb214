"""model.export to every format from this backend, checked against predict with each format's bare runtime.

The matrix is format x zoo model, run once per backend by the suite. Every artifact is
written once (module fixture; the other framework's formats by one child process) and run
by ``bare_runtime.py`` in one subprocess per runtime, which never imports kerasport.
"""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import kerasport as keras
from kerasport import layers
from kerasport.saving.export import FORMATS, export_models
from kerasport.saving.export.spec import ServingSpec

BATCHES = (1, 7, 32)
RUNNER = os.path.join(os.path.dirname(__file__), "bare_runtime.py")
SLOW = {"lstm", "gru", "transformer"}


def _mlp():
    return keras.Sequential([keras.Input((6,)), layers.Dense(16, activation="relu"), layers.Dense(3)])


def _cnn():
    i = keras.Input((8, 8, 2))
    x = layers.Conv2D(4, 3, padding="same")(i)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Dropout(0.5)(x)
    model = keras.Model(i, layers.Dense(3, activation="softmax")(layers.Flatten()(x)))
    bn = model.layers[2]
    rng = np.random.RandomState(1)
    bn.set_weights([rng.rand(4) + 0.5, rng.randn(4), rng.randn(4), rng.rand(4) + 0.5])  # inference stats matter
    return model


def _recurrent(layer):
    i = keras.Input((6, 5))
    return keras.Model(i, layers.Dense(2, activation="softmax")(layer(7)(i)))


def _transformer():
    tokens = keras.Input((9,), dtype="int32")
    x = layers.Embedding(20, 8, mask_zero=True)(tokens)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    x = layers.LayerNormalization()(layers.Add()([x, attended]))
    x = layers.LayerNormalization()(layers.Add()([x, layers.Dense(8)(layers.Dense(16, activation="relu")(x))]))
    return keras.Model(tokens, layers.Dense(2)(layers.GlobalAveragePooling1D()(x)))


def _dict_inputs():
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    x = layers.Concatenate()([layers.Dense(5)(a), b])
    return keras.Model({"b": b, "a": a}, layers.Dense(2)(x))


def _preprocessing():
    i = keras.Input((4,))
    x = layers.Normalization(mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0, 4.0, 0.25, 9.0])(i)
    x = layers.Rescaling(0.5, offset=1.0)(x)
    return keras.Model(i, layers.Dense(3)(x))


ZOO = {"mlp": _mlp, "cnn": _cnn, "lstm": lambda: _recurrent(layers.LSTM), "gru": lambda: _recurrent(layers.GRU),
       "transformer": _transformer, "dict_inputs": _dict_inputs, "preprocessing": _preprocessing}


def _inputs(name, model, batch):
    rng = np.random.RandomState(batch)
    if name == "transformer":
        tokens = rng.randint(1, 20, (batch, 9)).astype("int32")
        tokens[:, 6:] = 0  # padding, masked out
        return [tokens]
    return [rng.randn(batch, *t.shape[1:]).astype("float32") for t in model.inputs]


def _path(folder, name, format):
    return os.path.join(folder, name + (FORMATS[format][1] or "_saved_model"))


def run_bare(jobs, folder):
    """Run ``bare_runtime.py`` on ``jobs`` in one subprocess per runtime; returns {(artifact): {key: array}}."""
    results = {}
    for format in sorted({job[0] for job in jobs}):
        mine = [job for job in jobs if job[0] == format]
        jobs_file = os.path.join(folder, f"jobs_{format}.json")
        with open(jobs_file, "w") as f:
            json.dump(mine, f)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        run = subprocess.run([sys.executable, RUNNER, jobs_file], env=dict(env, TF_CPP_MIN_LOG_LEVEL="3"),
                             capture_output=True, text=True, timeout=600, cwd=folder)
        assert run.returncode == 0, run.stderr[-3000:]
        for job in mine:
            with np.load(job[5]) as data:
                results[job[1]] = {k: data[k] for k in data.files}
    return results


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every zoo model exported to every format, run by the bare runtimes at batch sizes 1, 7 and 32."""
    keras.utils.set_random_seed(7)
    folder = str(tmp_path_factory.mktemp("export"))
    models = {name: build() for name, build in ZOO.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        export_models([(model, _path(folder, name, format), format)
                       for name, model in models.items() for format in FORMATS], verbose=False)
    jobs, expected = [], {}
    for name, model in models.items():
        data = {f"b{n}/{i}": x for n in BATCHES for i, x in enumerate(_inputs(name, model, n))}
        np.savez(os.path.join(folder, f"{name}_inputs.npz"), **data)
        spec = ServingSpec(model)
        expected[name] = {f"b{n}/0": model.predict(spec.pack(data[f"b{n}/{i}"] for i in range(len(model.inputs))),
                                                   verbose=0) for n in BATCHES}
        for format in FORMATS:
            artifact = _path(folder, name, format)
            jobs.append([format, artifact, spec.names, spec.output_names, os.path.join(folder, f"{name}_inputs.npz"),
                         os.path.join(folder, f"{name}_{format}_outputs.npz")])
    return folder, expected, run_bare(jobs, folder)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in ZOO])
@pytest.mark.parametrize("format", sorted(FORMATS))
def test_artifact_matches_predict(exported, format, name):
    folder, expected, results = exported
    got = results[_path(folder, name, format)]
    for n in BATCHES:
        assert got[f"b{n}/0"].shape == expected[name][f"b{n}/0"].shape
        np.testing.assert_allclose(got[f"b{n}/0"], expected[name][f"b{n}/0"], atol=1e-5, rtol=1e-5,
                                   err_msg=f"{format} {name} batch {n}")


def test_rnn_time_dimension_stays_dynamic_in_saved_model(tmp_path):
    i = keras.Input((None, 5))
    x = layers.GRU(7, return_sequences=True)(layers.LSTM(6, return_sequences=True)(i))
    model = keras.Model(i, layers.Dense(2)(x))
    artifact = str(tmp_path / "rnn_saved_model")
    model.export(artifact, format="tf_saved_model", verbose=False)
    spec = ServingSpec(model)
    rng = np.random.RandomState(0)
    data = {f"b{n}t{t}/0": rng.randn(n, t, 5).astype("float32") for n in BATCHES for t in (2, 11)}
    np.savez(tmp_path / "inputs.npz", **data)
    outputs = str(tmp_path / "outputs.npz")
    got = run_bare([["tf_saved_model", artifact, spec.names, spec.output_names, str(tmp_path / "inputs.npz"),
                     outputs]], str(tmp_path))[artifact]
    for key, x in data.items():
        case = key.split("/")[0]
        np.testing.assert_allclose(got[f"{case}/0"], model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("format", ["torch", "onnx", "litert"])
def test_free_time_dimension_is_a_clear_error_where_the_format_fixes_it(tmp_path, format):
    i = keras.Input((None, 5))
    model = keras.Model(i, layers.LSTM(3, name="encoder")(i))
    target = tmp_path / f"rnn{FORMATS[format][1]}"
    with pytest.raises(ValueError, match=f"{format}.*encoder|encoder.*{format}") as info:
        model.export(target, format=format, verbose=False)
    assert "keras.Input((timesteps, features))" in str(info.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("format", sorted(FORMATS))
def test_host_layer_is_refused_before_anything_is_written(tmp_path, format):
    i = keras.Input((3,), dtype="int32")
    model = keras.Model(i, layers.Dense(2)(layers.IntegerLookup(vocabulary=[4, 5, 6], name="ids")(i)))
    target = tmp_path / "model.out"
    target.write_bytes(b"previous")
    with pytest.raises(ValueError, match=f"Layer 'ids' \\(IntegerLookup\\) cannot be exported to the '{format}'"):
        model.export(target, format=format)
    assert target.read_bytes() == b"previous" and os.listdir(tmp_path) == ["model.out"]


def test_bad_arguments_are_named():
    model = _mlp()
    with pytest.raises(ValueError, match="Unknown export format 'tflite'.*'litert'"):
        model.export("m.tflite", format="tflite")
    with pytest.raises(ValueError, match=r"input_signature=...\) expects the model's input: .*received \[\]"):
        model.export("m.onnx", format="onnx", input_signature=[])
    with pytest.raises(ValueError, match=r"expects InputSpec, KerasTensor or tf.TensorSpec with a shape, received 3"):
        model.export("m.tflite", format="litert", input_signature=[3])
    with pytest.raises(ValueError, match=r"unexpected arguments \['optimizations'\] for format 'onnx'; only 'litert'"):
        model.export("m.onnx", format="onnx", optimizations=["DEFAULT"])
    with pytest.raises(ValueError, match=r"Unknown LiteRT converter settings \['bogus'\]; expected some of"):
        model.export("m.tflite", format="litert", bogus=1)
    with pytest.raises(ValueError, match=r"Unknown target_spec attributes \['bogus'\]"):
        model.export("m.tflite", format="litert", target_spec={"bogus": 1})
    assert not any(os.path.exists(f"m.{ext}") for ext in ("onnx", "tflite"))


def test_litert_input_signature_and_converter_settings(tmp_path):
    """An ``input_signature`` exports under Keras's name (``args_0``); the converter's settings by name
    (``"DEFAULT"``, ``"float16"``) reach the converter from either backend (from torch, in the child)."""
    class_module = pytest.importorskip("ai_edge_litert.interpreter")
    model = keras.Sequential([keras.Input((6,)), layers.Dense(256, activation="relu"), layers.Dense(3)])
    x = np.random.RandomState(0).randn(5, 6).astype("float32")
    model.export(tmp_path / "f16.tflite", format="litert", verbose=False, optimizations=["DEFAULT"],
                 target_spec={"supported_types": ["float16"]},
                 input_signature=[keras.InputSpec(shape=(None, 6), dtype="float32")])
    model.export(tmp_path / "f32.tflite", format="litert", verbose=False)
    interpreter = class_module.Interpreter(model_path=str(tmp_path / "f16.tflite"))
    assert interpreter.get_signature_list()["serving_default"]["inputs"] == ["args_0"]
    assert "float16" in {str(np.dtype(t["dtype"])) for t in interpreter.get_tensor_details()}
    assert os.path.getsize(tmp_path / "f16.tflite") < 0.7 * os.path.getsize(tmp_path / "f32.tflite")
    got = interpreter.get_signature_runner("serving_default")(args_0=x)["output_0"]
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-2)


def test_exporting_process_never_imports_the_other_framework(tmp_path):
    other = "tensorflow" if keras.backend.backend() == "torch" else "torch"
    format = "tf_saved_model" if other == "tensorflow" else "onnx"
    script = (
        "import sys, numpy as np, kerasport as keras\n"
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
        f"model.export(sys.argv[1], format={format!r}, verbose=False)\n"
        f"assert {other!r} not in sys.modules, 'the parent imported {other}'\n")
    target = str(tmp_path / "artifact")
    run = subprocess.run([sys.executable, "-c", script, target], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert os.path.exists(target)


def test_a_class_the_child_process_cannot_import_is_refused_before_it_starts(tmp_path):
    """The other framework's formats are written by a child process that must import every class of the model."""
    class Doubler(layers.Layer):
        def call(self, x):
            return 2 * x

    model = keras.Sequential([keras.Input((3,)), Doubler()])
    format = "litert" if keras.backend.backend() == "torch" else "onnx"
    target = tmp_path / f"m{FORMATS[format][1]}"
    with pytest.raises(ValueError, match=rf"test_a_class.*<locals>.Doubler \(layer 'doubler'\) cannot be exported "
                       rf"from this {keras.backend.backend()} process: .* is defined inside a function\. Define it at "
                       r"the top level"):
        model.export(target, format=format)
    assert os.listdir(tmp_path) == []


class _Summed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2)

    def call(self, inputs):
        parts = list(inputs.values()) if isinstance(inputs, dict) else inputs
        return self.dense(sum(parts) if isinstance(parts, list) else parts)


@pytest.mark.parametrize("inputs, kind, names", [
    (np.ones((3, 4)), "tensor", ["args_0"]),
    ([np.ones((3, 4)), np.ones((3, 4))], "list", ["args_0", "args_0_1"]),
    ({"b": np.ones((3, 4)), "a": np.ones((3, 4))}, "dict", ["a", "b"]),
])
def test_a_subclassed_model_exports_the_inputs_of_its_first_call(inputs, kind, names):
    """Keras's export signature of a subclassed model: its first call's structure and shapes, the batch free,
    in the model's input dtype."""
    model = _Summed()
    model(inputs)
    spec = ServingSpec(model)
    assert (spec.signature()["kind"], spec.names) == (kind, names)
    assert spec.shapes == [(None, 4)] * len(names) and spec.dtypes == ["float32"] * len(names)
    packed = spec.pack([np.ones((1, 4))] * len(names))
    assert type(packed) is type(inputs) and np.shape(model(packed)) == (1, 2)
