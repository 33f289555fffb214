"""keras.io guide "INT4 Quantization in Keras" (guides/int4_quantization_in_keras.py).

The functional model is quantized in place with ``model.quantize("int4")`` (Keras 3.15's default: groups of 128
rows with zero points, weights only), compared with its float outputs (the MSE the guide prints), saved to
``.keras`` and reloaded (the round-trip MSE against the float outputs, as the guide prints it); every number must
equal Keras 3's on the same initial weights. Changed: the unseeded ``default_rng()`` is seeded; the packed
kernels' shapes and dtypes are returned too; the KerasHub part (Gemma3 from a Kaggle preset: a download) is
replaced by its point on the small model: the bytes of the arrays of its ``.weights.h5`` before and after
quantizing, and the size reduction (the guide's "storage savings"); the benchmark tables are prose.
"""
import os
import tempfile

import numpy as np

from tests.keras_io.test_int8_quantization_in_keras import weight_bytes
from tests.programs.test_keras_programs import check_program


def int4_guide(keras, sync):
    out, tmp = {}, tempfile.mkdtemp()
    layers = keras.layers

    rng = np.random.default_rng(0)
    inputs = keras.Input(shape=(10,))
    x = layers.Dense(32, activation="relu")(inputs)
    outputs = layers.Dense(1, name="target")(x)
    model = keras.Model(inputs, outputs)
    sync(model)

    x_eval = rng.random((32, 10)).astype("float32")
    y_fp32 = model(x_eval)
    model.save_weights(os.path.join(tmp, "fp32.weights.h5"))

    model.quantize("int4")
    y_int4 = model(x_eval)
    mse = keras.ops.mean(keras.ops.square(y_fp32 - y_int4))
    out["Full-Precision vs INT4 MSE"] = float(mse)
    out["y_int4"] = keras.ops.convert_to_numpy(y_int4)
    out["policies"] = [layer.dtype_policy.name for layer in model.layers[1:]]
    out["weights"] = [(w.path, tuple(w.shape), keras.backend.standardize_dtype(w.dtype)) for w in model.weights]

    model.save(os.path.join(tmp, "int4.keras"))
    int4_reloaded = keras.saving.load_model(os.path.join(tmp, "int4.keras"))
    y_int4_reloaded = int4_reloaded(x_eval)
    roundtrip_mse = keras.ops.mean(keras.ops.square(y_fp32 - y_int4_reloaded))
    out["MSE (INT4 vs reloaded INT4)"] = float(roundtrip_mse)
    out["reloaded equals quantized"] = bool(np.array_equal(keras.ops.convert_to_numpy(y_int4),
                                                           keras.ops.convert_to_numpy(y_int4_reloaded)))

    model.save_weights(os.path.join(tmp, "int4.weights.h5"))
    fp32_size = weight_bytes(os.path.join(tmp, "fp32.weights.h5"))
    int4_size = weight_bytes(os.path.join(tmp, "int4.weights.h5"))
    out["weight bytes"] = {"fp32": fp32_size, "int4": int4_size}
    out["Size reduction"] = 100.0 * (1.0 - sum(int4_size.values()) / max(sum(fp32_size.values()), 1))
    return out


def test_int4_quantization_in_keras():
    check_program(int4_guide)
