"""EinsumDense, RMS/SpectralNormalization, ConvLSTM and adaptive pooling through ``.h5`` and ``.keras`` files.

Keras 3 (TensorFlow backend, in this process) reads the files kerasport writes, and
kerasport reads Keras's; predictions and, for ``.keras``, Lamb/Adafactor slots must agree.
"""
import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from tests.helpers import keras_module


def _dense_family(k, L, x):
    y = L.EinsumDense("abc,cd->abd", (None, 4), bias_axes="d", activation="relu", name="einsum")(x)
    y = L.RMSNormalization(name="rms")(y)
    y = L.SpectralNormalization(L.Dense(2), name="spectral")(y)
    return L.AdaptiveAveragePooling1D(2, name="adaptive_avg")(y)


def _conv_lstm(k, L, x):
    y = L.ConvLSTM2D(3, 3, padding="same", return_sequences=True, name="clstm2")(x)
    y = L.ConvLSTM2D(2, 2, name="clstm2b")(y)
    y = L.AdaptiveMaxPooling2D((2, 3), name="adaptive_max")(y)
    return L.Flatten()(y)


def _conv_lstm_1d_3d(k, L, x):
    y = L.ConvLSTM1D(2, 3, return_sequences=True, go_backwards=True, name="clstm1")(x)
    y = L.Reshape((3, 5, 1, 1, 2))(y)
    y = L.ConvLSTM3D(4, (2, 1, 1), name="clstm3")(y)
    return L.Flatten()(L.AdaptiveAveragePooling2D(2)(L.Reshape((4, 4, 1))(y)))


MODELS = {"dense_family": (_dense_family, (5, 3)), "conv_lstm": (_conv_lstm, (3, 6, 6, 2)),
          "conv_lstm_1d_3d": (_conv_lstm_1d_3d, (3, 7, 2))}


def _build(k, name, optimizer):
    """The model, compiled, with its optimizer's slots set by one ``apply`` of fixed gradients (no traced step)."""
    fn, shape = MODELS[name]
    x = k.Input(shape)
    model = k.Model(x, fn(k, k.layers, x))
    model.compile(optimizer=getattr(k.optimizers, optimizer)(0.01), loss="mse")
    rng = np.random.RandomState(1)
    grads = [rng.randn(*w.shape).astype("float32") for w in model.trainable_weights]
    if k is kerasport:
        grads = [B.convert_to_tensor(g) for g in grads]
    model.optimizer.apply(grads, model.trainable_weights)
    return model, np.random.RandomState(0).rand(4, *shape).astype("float32")


def _ours(model, x):
    return B.convert_to_numpy(model(B.convert_to_tensor(x), training=False))


@pytest.mark.parametrize("ext", ["keras", "h5"])
@pytest.mark.parametrize("name", list(MODELS))
def test_keras_reads_ours_and_we_read_keras(tmp_path, name, ext):
    keras = keras_module()
    # (Keras's legacy .h5 writer fails on Adafactor's same-named slots; .h5 files get Adam.)
    optimizer = "Adam" if ext == "h5" else "Lamb" if name == "dense_family" else "Adafactor"
    ours, x = _build(kerasport, name, optimizer)
    ours.save(tmp_path / f"ours.{ext}")
    # (The .h5 compile config is the zoo's business: tests/saving/test_interop_layers.py.)
    theirs = keras.models.load_model(tmp_path / f"ours.{ext}", compile=ext == "keras")
    np.testing.assert_allclose(theirs(x, training=False).numpy(), _ours(ours, x), rtol=1e-5, atol=1e-5)
    if ext == "keras":
        assert type(theirs.optimizer).__name__ == optimizer
        for a, b in zip(theirs.optimizer.variables, ours.optimizer.variables):
            np.testing.assert_allclose(np.asarray(a.numpy(), "float64"),
                                       np.asarray(B.convert_to_numpy(b), "float64"), rtol=1e-6)

    keras_model, _ = _build(keras, name, optimizer)
    keras_model.save(tmp_path / f"theirs.{ext}")
    loaded = kerasport.models.load_model(tmp_path / f"theirs.{ext}")
    np.testing.assert_allclose(_ours(loaded, x), keras_model(x, training=False).numpy(), rtol=1e-5, atol=1e-5)
    assert [w.path.split("/")[-1] for w in loaded.weights] == [w.path.split("/")[-1] for w in keras_model.weights]
    if ext == "keras":
        assert type(loaded.optimizer).__name__ == optimizer
        for a, b in zip(loaded.optimizer.variables, keras_model.optimizer.variables):
            np.testing.assert_allclose(np.asarray(B.convert_to_numpy(a), "float64"),
                                       np.asarray(b.numpy(), "float64"), rtol=1e-6)
    if name == "dense_family":
        assert np.isfinite(loaded.train_on_batch(x, np.zeros((4, *loaded.outputs[0].shape[1:]), "float32")))
