"""The ``kerasport`` command, run end to end as a subprocess (``python -m kerasport.cli``)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import kerasport as keras
from kerasport import layers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args):
    """Run ``kerasport ARGS`` with this backend; returns (status, stdout, stderr)."""
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run([sys.executable, "-m", "kerasport.cli", *map(str, args)], env=env, capture_output=True,
                         text=True, timeout=600)
    return run.returncode, run.stdout, run.stderr


def error_line(stderr):
    """The command's one error line (the frameworks may log to stderr before it)."""
    lines = [line for line in stderr.strip().splitlines() if line.startswith("kerasport ")]
    assert len(lines) == 1 and stderr.strip().endswith(lines[0]), stderr
    return lines[0]


def _model():
    i = keras.Input((4,), name="features")
    model = keras.Model(i, layers.Dense(2, name="head")(layers.Dense(5, activation="relu")(i)))
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 4), "float32"), np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    return model


def test_info_tells_format_writer_optimizer_and_architecture(tmp_path):
    model = _model()
    model.save(tmp_path / "m.h5")
    status, out, err = cli("info", tmp_path / "m.h5")
    assert status == 0, err
    assert "Format: Keras HDF5 (.h5)" in out and f"backend {keras.backend.backend()}" in out
    assert "Optimizer state: yes" in out and "Total params: 37" in out and "head (Dense)" in out


def test_convert_then_predict_and_info_round_trip(tmp_path):
    model = _model()
    model.save(tmp_path / "m.h5")
    x = np.random.RandomState(0).randn(11, 4).astype("float32")
    np.save(tmp_path / "x.npy", x)
    status, _, err = cli("convert", tmp_path / "m.h5", tmp_path / "m.keras")
    assert status == 0, err
    status, _, err = cli("predict", tmp_path / "m.keras", tmp_path / "x.npy", "--out", tmp_path / "p.npy")
    assert status == 0, err
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), model.predict(x, verbose=0), atol=1e-6)
    status, out, err = cli("info", tmp_path / "m.keras")
    assert status == 0 and "Format: .keras archive" in out and "Optimizer state: yes" in out, err


def test_convert_exports_by_extension(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    model = _model()
    model.save(tmp_path / "m.keras")
    status, _, err = cli("convert", tmp_path / "m.keras", tmp_path / "m.onnx")
    assert status == 0, err
    x = np.random.RandomState(1).randn(7, 4).astype("float32")
    (y,) = onnxruntime.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"features": x})
    np.testing.assert_allclose(y, model.predict(x, verbose=0), atol=1e-5)


def test_plot_draws_the_graph(tmp_path):
    pytest.importorskip("pydot")
    _model().save(tmp_path / "m.keras")
    status, _, err = cli("plot", tmp_path / "m.keras", tmp_path / "m.dot", "--show-shapes")
    assert status == 0, err
    text = (tmp_path / "m.dot").read_text()
    assert "head (Dense)" in text and "Output shape: (None, 2)" in text


def test_safe_mode_by_default_and_unsafe_on_request(tmp_path):
    i = keras.Input((3,))
    keras.Model(i, layers.Lambda(lambda t: t * 2.0)(i)).save(tmp_path / "lambda.keras")
    np.save(tmp_path / "x.npy", np.ones((2, 3), "float32"))
    status, _, err = cli("predict", tmp_path / "lambda.keras", tmp_path / "x.npy", "--out", tmp_path / "p.npy")
    assert status == 1 and "safe_mode" in error_line(err)
    assert not (tmp_path / "p.npy").exists()
    status, _, err = cli("predict", "--unsafe", tmp_path / "lambda.keras", tmp_path / "x.npy", "--out",
                         tmp_path / "p.npy")
    assert status == 0, err
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), 2 * np.ones((2, 3)))


def test_bad_input_is_one_line_and_a_nonzero_status(tmp_path):
    status, _, err = cli("info", tmp_path / "missing.h5")
    assert status == 1 and error_line(err) == f"kerasport info: error: no such file: {tmp_path / 'missing.h5'}"
    _model().save(tmp_path / "m.keras")
    status, _, err = cli("convert", tmp_path / "m.keras", tmp_path / "m.bin")
    assert status == 1 and "cannot tell the format of" in error_line(err)
    np.save(tmp_path / "x.npy", np.ones((2, 9), "float32"))
    status, _, err = cli("predict", tmp_path / "m.keras", tmp_path / "x.npy", "--out", tmp_path / "p.npy")
    assert status == 1 and "does not fit the model" in error_line(err)
