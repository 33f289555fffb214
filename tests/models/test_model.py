"""Sequential, Functional and subclassed models: building, calling, summary, config, batches."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy


def _mlp():
    return kerasport.Sequential([kerasport.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(3)])


def test_sequential_from_list_and_add_are_the_same_model():
    a = _mlp()
    b = kerasport.Sequential()
    b.add(kerasport.Input((6,)))
    b.add(layers.Dense(8, activation="relu"))
    b.add(layers.Dense(3))
    b.set_weights(a.get_weights())
    x = np.random.rand(5, 6).astype("float32")
    np.testing.assert_allclose(a.predict(x, verbose=0), b.predict(x, verbose=0), rtol=1e-6)
    assert a.output_shape == (None, 3) and len(a.layers) == 2
    popped = b.pop()
    assert popped.units == 3 and b.output_shape == (None, 8)


def test_sequential_builds_from_data_when_no_input_shape():
    model = kerasport.Sequential([layers.Dense(4), layers.Dense(1)])
    assert not model.built
    model.compile("adam", "mse")
    model.fit(np.random.rand(8, 5), np.random.rand(8, 1), verbose=0)
    assert model.built and model.layers[0].kernel.shape[0] == 5


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


def test_dict_outputs_pair_losses_by_name_whatever_the_insertion_order():
    x = kerasport.Input((3,))
    h = layers.Dense(4)(x)
    model = kerasport.Model(x, {"z_reg": layers.Dense(1, name="z_reg")(h), "a_cls": layers.Dense(3, name="a_cls")(h)})
    assert model.output_names == ["a_cls", "z_reg"]  # tree.flatten's order, as Keras's model.output_names
    model.compile("sgd", loss={"z_reg": "mse", "a_cls": "sparse_categorical_crossentropy"})
    xs = np.ones((4, 3), "float32")
    logs = model.evaluate(xs, {"z_reg": np.zeros((4, 1)), "a_cls": np.zeros(4)}, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "z_reg_loss", "a_cls_loss"}


def test_model_subclass_called_with_inputs_and_outputs_is_functional():
    class Custom(kerasport.Model):
        def extra(self):
            return len(self.layers)

    class Built(kerasport.Model):
        def __init__(self):
            inputs = kerasport.Input((3,))
            super().__init__(inputs, layers.Dense(2)(inputs), name="built")

    x = kerasport.Input((3,))
    model = Custom(x, layers.Dense(2)(layers.Dense(4)(x)))
    assert isinstance(model, kerasport.Model) and model.extra() == 3 and len(model.weights) == 4
    model.set_weights([np.ones(w.shape, "float32") for w in model.weights])
    np.testing.assert_allclose(model.predict(np.ones((1, 3)), verbose=0), [[17.0, 17.0]])
    built = Built()
    assert built.name == "built" and built.output_shape == (None, 2)


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


class TwoTower(kerasport.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.left = layers.Dense(4, activation="relu")
        self.right = layers.Dense(4, activation="tanh")
        self.head = layers.Dense(1)

    def call(self, inputs, training=False):
        return self.head(self.left(inputs) + self.right(inputs))


def test_subclassed_model_trains_and_tracks_weights():
    model = TwoTower()
    model.compile(kerasport.optimizers.Adam(0.05), "mse")
    x = np.random.rand(64, 3).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    hist = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert len(model.trainable_weights) == 6
    assert hist.history["loss"][-1] < hist.history["loss"][0] / 4
    assert model.predict(x, verbose=0).shape == (64, 1)


def test_summary_parameter_counts_match_keras(capsys):
    keras = keras_module()
    specs = [("Conv2D", dict(filters=8, kernel_size=3, activation="relu")), ("MaxPooling2D", {}),
             ("Flatten", {}), ("Dense", dict(units=16)), ("Dropout", dict(rate=0.2)), ("Dense", dict(units=10))]
    ours = kerasport.Sequential([kerasport.Input((12, 12, 1))] + [getattr(layers, n)(**k) for n, k in specs])
    theirs = keras.Sequential([keras.Input((12, 12, 1))] + [getattr(keras.layers, n)(**k) for n, k in specs])
    lines = []
    ours.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert f"Total params: {theirs.count_params():,}" in text
    assert [layer.count_params() for layer in ours.layers] == [layer.count_params() for layer in theirs.layers]
    assert [layer.output.shape for layer in theirs.layers] == [layer.output_shape for layer in ours.layers]


def test_sequential_config_round_trip_and_keras_reads_it():
    keras = keras_module()
    model = _mlp()
    config = model.get_config()
    clone = kerasport.Sequential.from_config(config)
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    theirs = keras.Sequential.from_config(config)
    theirs.set_weights(model.get_weights())
    x = np.random.rand(4, 6).astype("float32")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_functional_config_from_keras_rebuilds_the_same_graph():
    keras = keras_module()
    inp = keras.Input((5,))
    h = keras.layers.Dense(4, activation="relu")(inp)
    theirs = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(h))
    ours = kerasport.Model.from_config(theirs.get_config())
    ours.set_weights(theirs.get_weights())
    x = np.random.rand(3, 5).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5)


def test_on_batch_methods_and_evaluate_forms():
    model = _mlp()
    model.compile("sgd", "mse", metrics=["mae"])
    x, y = np.random.rand(10, 6), np.random.rand(10, 3)
    loss, mae = model.train_on_batch(x, y)
    assert np.isfinite(loss) and np.isfinite(mae)
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "mae"}
    assert model.predict_on_batch(x).shape == (10, 3)
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "mae"}
    assert len(model.evaluate(x, y, verbose=0)) == 2


def test_bad_inputs_are_rejected_before_weights_change():
    model = _mlp()
    model.compile("adam", "mse")
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"expected shape \(None, 6\), received data of shape \(4, 5\)"):
        model.fit(np.zeros((4, 5)), np.zeros((4, 3)), verbose=0)
    with pytest.raises(ValueError, match=r"x: \[4\], y: \[3\]"):
        model.fit(np.zeros((4, 6)), np.zeros((3, 3)), verbose=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, received 0"):
        model.fit(np.zeros((4, 6)), np.zeros((4, 3)), batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="Unknown loss: 'msee'"):
        model.compile("adam", "msee")
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamm'"):
        model.compile("adamm", "mse")
    with pytest.raises(ValueError, match=r"expected shape \(None, 6\)"):
        model.predict(np.zeros((2, 7)), verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_loss_scale_factor_leaves_float32_training_unchanged():
    def train(factor):
        kerasport.utils.set_random_seed(5)
        model = _mlp()
        model.compile(kerasport.optimizers.SGD(0.1, loss_scale_factor=factor), "mse")
        model.fit(np.linspace(0, 1, 48).reshape(8, 6), np.ones((8, 3)), epochs=3, verbose=0, shuffle=False)
        return model.get_weights()

    for a, b in zip(train(None), train(64.0)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_vector_valued_metrics_come_back_as_arrays():
    model = kerasport.Sequential([kerasport.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=[kerasport.metrics.F1Score(average=None)])
    x, y = np.random.rand(12, 4), np.eye(3)[np.arange(12) % 3]
    hist = model.fit(x, y, epochs=1, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert isinstance(logs["loss"], float)
    assert logs["f1_score"].shape == (3,) and hist.history["f1_score"][0].shape == (3,)
