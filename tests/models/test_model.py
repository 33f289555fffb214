"""Model: subclassed models (Functional when called with inputs and outputs; they train and track weights), losses
paired with dict outputs by name, the on-batch methods and evaluate's forms, bad inputs, ``loss_scale_factor`` and
vector-valued metrics; the small MLP the Sequential tests build too."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from tests.helpers import keras_module


def _mlp():
    return kerasport.Sequential([kerasport.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(3)])


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


def test_only_models_have_a_layers_attribute_as_in_keras():
    # keras.io's "Packaging Keras models" walks a model with ``hasattr(layer, "layers")``: a plain layer has none.
    keras = keras_module()
    for lib in (kerasport, keras):
        dense = lib.layers.Dense(2)
        assert not hasattr(dense, "layers")
        assert not hasattr(lib.layers.Bidirectional(lib.layers.LSTM(2)), "layers")
        model = lib.Sequential([lib.Input((3,)), dense])
        assert [type(layer).__name__ for layer in model.layers] == ["Dense"]

        class Sub(lib.Model):
            def __init__(self):
                super().__init__()
                self.first = lib.layers.Dense(2)
                self.second = lib.layers.Dense(1)

        assert [type(layer).__name__ for layer in Sub().layers] == ["Dense", "Dense"]


def test_subclassed_model_with_its_own_build_is_built_by_its_first_call():
    # As Keras (keras.io's Perceiver): sublayers created in build(input_shape), which ends with
    # super().build(input_shape); the first eager call runs that build with the input's shape.
    class Net(kerasport.Model):
        def build(self, input_shape):
            self.seen = input_shape
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            self.dense = layers.Dense(2, kernel_initializer="ones")
            super().build(input_shape)

        def call(self, x):
            return self.dense(x * self.scale)

    model = Net()
    out = kerasport.ops.convert_to_numpy(model(np.ones((3, 4), "float32")))
    assert model.seen == (3, 4) and model.built
    np.testing.assert_allclose(out, np.full((3, 2), 4.0))
    assert [tuple(w.shape) for w in model.weights] == [(4,), (4, 2), (2,)]
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 4), "float32"), np.zeros((4, 2), "float32"), verbose=0)


def test_subclassed_model_built_by_fit_on_a_list_of_inputs():
    # As Keras: ``fit([a, b])`` builds a subclassed model without ``build`` from the list of input shapes,
    # each shape ((None, 3)) one input, not a nest to descend into.
    class Net(kerasport.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1, kernel_initializer="ones")

        def call(self, inputs):
            a, b = inputs
            return self.dense(a + b)

    model = Net()
    model.compile(optimizer="sgd", loss="mse")
    a = np.ones((4, 3), "float32")
    model.fit([a, a], np.zeros((4, 1), "float32"), epochs=1, batch_size=4, verbose=0)
    assert model.built and [tuple(w.shape) for w in model.weights] == [(3, 1), (1,)]
