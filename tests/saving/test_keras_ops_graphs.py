"""Functional graphs that call ops directly (``keras.ops.mean(x)``, ``x * 2``, ``x[:, 1:]``)."""
import numpy as np

import kerasport
from tests.helpers import keras_module


def _ops_graph(lib):
    x = lib.Input((4,))
    y = lib.layers.Dense(3)(x)
    z = lib.ops.relu(y) * 2.0 + lib.ops.sum(y, axis=-1, keepdims=True)
    w = lib.ops.concatenate([z, x], axis=-1)
    v = lib.ops.reshape(w, (-1, 7, 1))[:, 1:3, ...]
    v = lib.ops.squeeze(lib.ops.mean(v, axis=1), -1) + lib.ops.clip(lib.ops.max(w, axis=-1), 0.0, 0.5)[:, None]
    return lib.Model(x, lib.ops.einsum("bi,bj->bij", v, y))


def test_keras_archive_with_op_nodes_loads_and_predicts_the_same(tmp_path):
    keras = keras_module()
    model = _ops_graph(keras)
    model.save(tmp_path / "ops.keras")
    data = np.random.RandomState(0).randn(5, 4).astype("float32")
    ours = kerasport.saving.load_model(tmp_path / "ops.keras")
    np.testing.assert_allclose(ours.predict(data, verbose=0), model.predict(data, verbose=0), atol=1e-6)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in model.layers]


def test_keras_archive_with_image_op_nodes_loads(tmp_path):
    keras = keras_module()
    x = keras.Input((8, 8, 3))
    y = keras.ops.image.resize(keras.ops.image.rgb_to_grayscale(x), (4, 4), interpolation="nearest")
    model = keras.Model(x, keras.layers.Flatten()(y))
    model.save(tmp_path / "image_ops.keras")
    data = np.random.RandomState(0).rand(2, 8, 8, 3).astype("float32")
    ours = kerasport.saving.load_model(tmp_path / "image_ops.keras")
    np.testing.assert_allclose(ours.predict(data, verbose=0), model.predict(data, verbose=0), atol=1e-6)
