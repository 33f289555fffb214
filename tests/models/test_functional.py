"""Functional models: several inputs and outputs, shared layers, nested models, dicts, Keras's inputs, outputs
and shapes, disconnected graphs, and configs from Keras 3."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from tests.helpers import keras_module


def test_functional_multi_input_output_shared_layer_and_nested_model():
    a, b = kerasport.Input((4,), name="a"), kerasport.Input((4,), name="b")
    shared = layers.Dense(5, activation="relu")
    inner_in = kerasport.Input((5,))
    inner = kerasport.Model(inner_in, layers.Dense(2)(inner_in), name="inner")
    ha, hb = shared(a), shared(b)
    merged = layers.Dense(5)(ha) if not hasattr(layers, "Add") else layers.Add()([ha, hb])
    out1 = inner(merged)
    out2 = layers.Dense(1, name="score")(hb)
    model = kerasport.Model([a, b], [out1, out2])
    xa, xb = np.random.rand(3, 4).astype("float32"), np.random.rand(3, 4).astype("float32")
    p1, p2 = model.predict([xa, xb], verbose=0)
    assert p1.shape == (3, 2) and p2.shape == (3, 1)
    assert len(shared._inbound_nodes) == 2
    model.compile("adam", ["mse", "mae"], loss_weights=[1.0, 0.5], metrics=[["mae"], ["mse"]])
    hist = model.fit([xa, xb], [np.zeros((3, 2)), np.ones((3, 1))], epochs=2, verbose=0)
    assert {"loss", "inner_mae", "score_mse"} <= set(hist.history)
    clone = kerasport.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    c1, c2 = clone.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(c1, model.predict([xa, xb], verbose=0)[0], rtol=1e-5)


def test_functional_dict_inputs_and_outputs():
    x = kerasport.Input((3,), name="x")
    model = kerasport.Model({"x": x}, {"y": layers.Dense(2)(x)})
    out = model.predict({"x": np.ones((2, 3))}, verbose=0)
    assert set(out) == {"y"} and out["y"].shape == (2, 2)


def test_functional_input_output_and_shapes_are_keras_s():
    def shapes(api):
        a, b = api.Input((3,), name="a"), api.Input((4,), name="b")
        model = api.Model([a, b], {"y": api.layers.Dense(2)(a), "x": api.layers.Dense(1)(b)})
        head = api.layers.Dense(5)(api.layers.Concatenate()([model.output["x"], model.output["y"]]))
        extended = api.Model(model.input, head)  # the transfer-learning idiom Model(base.input, f(base.output))
        return [model.input_shape, model.output_shape, extended.input_shape, extended.output_shape,
                len(model.input), sorted(model.output)]

    assert shapes(kerasport) == shapes(keras_module())


def test_disconnected_graph_is_a_clear_error():
    a, b = kerasport.Input((2,)), kerasport.Input((2,))
    with pytest.raises(ValueError, match="Graph disconnected"):
        kerasport.Model(a, layers.Dense(1)(b))


def test_functional_config_from_keras_rebuilds_the_same_graph():
    keras = keras_module()
    inp = keras.Input((5,))
    h = keras.layers.Dense(4, activation="relu")(inp)
    theirs = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(h))
    ours = kerasport.Model.from_config(theirs.get_config())
    ours.set_weights(theirs.get_weights())
    x = np.random.rand(3, 5).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5)


def test_functional_add_loss_is_refused_as_in_keras():
    """Keras 3 refuses ``model.add_loss`` on a Functional model (tf.keras's symbolic VAE loss); layers' losses work."""
    def attempt(api):
        inputs = api.Input((4,))
        hidden = api.layers.Dense(3, activity_regularizer="l2")(inputs)
        model = api.Model(inputs, hidden)
        with pytest.raises(NotImplementedError) as info:
            model.add_loss(api.ops.mean(hidden))
        model(np.ones((2, 4), "float32"))
        return info, len(model.losses)

    info, n_losses = attempt(kerasport)
    assert "add_loss" in str(info.value) and "layer" in str(info.value)
    assert n_losses == attempt(keras_module())[1] == 1


def test_inputs_nested_in_a_dict_are_fed_by_the_same_structure():
    """Keras 3 accepts dict inputs nested one level deeper (the tf.keras migration guide's example)."""
    inputs = {"foo": kerasport.Input(shape=(1,), name="foo"), "bar": {"baz": kerasport.Input(shape=(1,), name="bar")}}
    model = kerasport.Model(inputs, inputs["foo"] - inputs["bar"]["baz"])
    out = model({"foo": np.full((2, 1), 5.0, "float32"), "bar": {"baz": np.ones((2, 1), "float32")}})
    np.testing.assert_allclose(kerasport.ops.convert_to_numpy(out), np.full((2, 1), 4.0))


def test_inputs_are_converted_to_the_input_dtype_as_in_keras():
    """Keras's Functional converts each input to its ``Input``'s dtype before the first layer (keras.io's ShiftViT
    feeds uint8 images to a float32 ``Input`` in front of a ``TFSMLayer``, which does not cast)."""
    keras = keras_module()
    images = np.arange(12, dtype="uint8").reshape(1, 2, 2, 3)
    dtypes = []
    for mod in (keras, kerasport):
        inputs = mod.Input((2, 2, 3))
        model = mod.Model(inputs, mod.layers.Identity()(inputs))
        out = model(mod.ops.convert_to_tensor(images))
        np.testing.assert_array_equal(mod.ops.convert_to_numpy(out), images)
        dtypes.append(mod.backend.standardize_dtype(out.dtype))
        tokens = mod.Input((2,), dtype="int32")
        out = mod.Model(tokens, mod.layers.Identity()(tokens))(np.array([[1, 2]], "int64"))
        dtypes.append(mod.backend.standardize_dtype(out.dtype))
    assert dtypes[2:] == dtypes[:2] == ["float32", "int32"]


def test_layers_run_in_keras_order_where_a_preprocessing_layer_sets_training():
    """Keras runs a functional graph deepest node first. A ``Resizing`` (whose ``training`` defaults to True) makes
    the layers that run after it in the same call train, so which ``BatchNormalization`` updates its moving
    statistics in an inference call depends on that order (keras.io's learnable resizer: a naive ``Resizing`` of the
    inputs, joined only at the end, runs last)."""
    keras = keras_module()
    x = np.random.RandomState(0).rand(1, 12, 12, 3).astype("float32")

    def updated(lib):
        layers = lib.layers
        inputs = layers.Input(shape=[None, None, 3])
        naive = layers.Resizing(8, 8)(inputs)
        h = layers.BatchNormalization()(layers.Conv2D(3, 1)(inputs))
        h = layers.BatchNormalization()(layers.Resizing(8, 8)(h))
        model = lib.Model(inputs, layers.Add()([naive, h]))
        before = [np.array(w) for w in model.get_weights()]
        model(x)
        return [i for i, (a, b) in enumerate(zip(before, model.get_weights())) if not np.array_equal(a, b)]

    assert updated(kerasport) == updated(keras) == [8, 9]


def test_a_model_on_unknown_image_sizes_called_on_known_ones_gives_known_output_shapes():
    """As Keras (keras.io's BASNet: ``Resizing(shape[1] * 2, ...)`` after a backbone block on unknown sizes): a
    Functional sub-model cut from a model on ``Input((None, None, 4))``, called on 32x32 images, gives 16x16; the
    model's own input and output shapes stay unknown."""
    inp = layers.Input((None, None, 4))
    y = layers.Conv2D(4, 3, strides=2, padding="same", name="c1")(inp)
    y = layers.Add(name="add")([y, layers.Conv2D(4, 1, strides=2, name="c0")(inp)])
    full = kerasport.Model(inp, y)
    sub = kerasport.Model(full.get_layer("c1").input, full.get_layer("add").output)
    x = layers.Input((32, 32, 4))
    assert full(x).shape == sub(x).shape == (None, 16, 16, 4)
    assert full.output_shape == sub.output_shape == (None, None, None, 4)
    assert full(layers.Input((None, None, 4))).shape == (None, None, None, 4)
