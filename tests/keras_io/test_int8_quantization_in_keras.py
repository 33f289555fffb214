"""keras.io guide "8-bit Integer Quantization in Keras" (guides/int8_quantization_in_keras.py).

The functional model is trained briefly, quantized in place with ``model.quantize("int8")``, compared with its
float outputs (the MSE the guide prints), saved to ``.keras`` and reloaded (the round-trip MSE the guide prints);
every number must equal Keras 3's on the same initial weights. Changed: the unseeded ``default_rng()`` is
seeded; the KerasHub part (Gemma3 from a Kaggle preset: a download) is replaced by its point on the small
model: its ``.weights.h5`` before and after quantizing, the bytes of their arrays by dtype and the size
reduction (a fifth here: the int8 kernels shrink, the Adam slots stay float; array bytes rather than file sizes,
which depend on the metadata each library writes). Files of quantized models read by the other library:
tests/layers/test_quantization.py.
"""
import os
import tempfile

import h5py
import numpy as np

from tests.programs.test_keras_programs import check_program


def weight_bytes(path):
    """The bytes of the arrays an ``.h5`` file holds, by dtype (the file's size depends on its metadata)."""
    sizes = {}
    with h5py.File(path, "r") as f:
        def add(_, obj):
            if isinstance(obj, h5py.Dataset):
                sizes[str(obj.dtype)] = sizes.get(str(obj.dtype), 0) + obj.nbytes
        f.visititems(add)
    return sizes


def int8_guide(keras, sync):
    out, tmp = {}, tempfile.mkdtemp()
    layers = keras.layers

    rng = np.random.default_rng(0)
    inputs = keras.Input(shape=(10,))
    x = layers.Dense(32, activation="relu")(inputs)
    outputs = layers.Dense(1, name="target")(x)
    model = keras.Model(inputs, outputs)
    sync(model)

    model.compile(optimizer="adam", loss="mse")
    x_train = rng.random((256, 10)).astype("float32")
    y_train = rng.random((256, 1)).astype("float32")
    history = model.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0, shuffle=False)
    out["loss"] = history.history["loss"]

    x_eval = rng.random((32, 10)).astype("float32")
    y_fp32 = model(x_eval)
    model.save_weights(os.path.join(tmp, "fp32.weights.h5"))

    model.quantize("int8")
    y_int8 = model(x_eval)
    mse = keras.ops.mean(keras.ops.square(y_fp32 - y_int8))
    out["Full-Precision vs INT8 MSE"] = float(mse)
    out["y_int8"] = keras.ops.convert_to_numpy(y_int8)
    out["policies"] = [layer.dtype_policy.name for layer in model.layers[1:]]
    out["weights"] = [(w.path, keras.backend.standardize_dtype(w.dtype)) for w in model.weights]

    model.save(os.path.join(tmp, "int8.keras"))
    int8_reloaded = keras.saving.load_model(os.path.join(tmp, "int8.keras"))
    y_int8_reloaded = int8_reloaded(x_eval)
    roundtrip_mse = keras.ops.mean(keras.ops.square(y_int8 - y_int8_reloaded))
    out["MSE (INT8 vs reloaded-INT8)"] = float(roundtrip_mse)
    out["reloaded policies"] = [layer.dtype_policy.name for layer in int8_reloaded.layers[1:]]

    model.save_weights(os.path.join(tmp, "int8.weights.h5"))
    fp32_size, int8_size = weight_bytes(os.path.join(tmp, "fp32.weights.h5")), \
        weight_bytes(os.path.join(tmp, "int8.weights.h5"))
    out["weight bytes"] = {"fp32": fp32_size, "int8": int8_size}
    out["Size reduction"] = 100.0 * (1.0 - sum(int8_size.values()) / max(sum(fp32_size.values()), 1))
    return out


def test_int8_quantization_in_keras():
    check_program(int8_guide)
