"""keras.io guide "Save, serialize, and export models" (guides/serialization_and_saving.py).

A model saved to ``.keras`` and reloaded predicts and keeps training the same; ``get_config`` /
``from_config`` round trips for a layer, a Sequential and a Functional model; a registered custom
layer and function survive the round trip; ``save_weights`` / ``load_weights`` and
``get_weights`` / ``set_weights`` transfer state, as in the guide.
"""
import os
import tempfile

import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    out = {}
    tmp = tempfile.mkdtemp()

    def get_model():
        inputs = keras.Input(shape=(32,))
        outputs = keras.layers.Dense(1)(inputs)
        model = keras.Model(inputs, outputs)
        sync(model)
        model.compile(optimizer=keras.optimizers.Adam(), loss="mean_squared_error")
        return model

    model = get_model()
    rng = np.random.RandomState(0)
    test_input = rng.random((16, 32))
    test_target = rng.random((16, 1))
    model.fit(test_input, test_target, shuffle=False, verbose=0)
    model.save(os.path.join(tmp, "my_model.keras"))
    reconstructed_model = keras.models.load_model(os.path.join(tmp, "my_model.keras"))
    out["same_predictions"] = np.allclose(model.predict(test_input, verbose=0),
                                          reconstructed_model.predict(test_input, verbose=0))
    out["continued"] = reconstructed_model.fit(test_input, test_target, shuffle=False, verbose=0).history

    @keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def custom_fn(x):
        return x**2

    @keras.saving.register_keras_serializable(package="MyLayers")
    class CustomLayer(keras.layers.Layer):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    inputs = keras.Input(shape=(4,))
    mid = CustomLayer(0.5)(inputs)
    outputs = keras.layers.Dense(3, activation=custom_fn)(mid)
    model = keras.Model(inputs, outputs)
    sync(model)
    model.compile(optimizer="rmsprop", loss="mean_squared_error")
    x = rng.random((4, 4)).astype("float32")
    model.save(os.path.join(tmp, "custom_model.keras"))
    reconstructed_model = keras.models.load_model(os.path.join(tmp, "custom_model.keras"))
    out["custom"] = [model.predict(x, verbose=0), reconstructed_model.predict(x, verbose=0)]

    layer = keras.layers.Dense(3, activation="relu")
    layer_config = layer.get_config()
    new_layer = keras.layers.Dense.from_config(layer_config)
    out["layer_config_units"] = new_layer.get_config()["units"]

    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    config = model.get_config()
    new_model = keras.Sequential.from_config(config)
    out["sequential_layers"] = len(new_model.layers)
    inputs = keras.Input((32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    new_model = keras.Model.from_config(model.get_config())
    out["functional_output_shape"] = new_model.output_shape

    def create_layer():
        layer = keras.layers.Dense(64, activation="relu", name="dense_2")
        layer.build((None, 784))
        return layer

    layer_1 = create_layer()
    layer_2 = create_layer()
    layer_2.set_weights(layer_1.get_weights())
    out["transfer_weights"] = all(np.array_equal(a, b) for a, b in zip(layer_1.get_weights(), layer_2.get_weights()))

    def create_model():
        inputs = keras.Input(shape=(784,), name="digits")
        x = keras.layers.Dense(8, activation="relu", name="dense_1")(inputs)
        x = keras.layers.Dense(8, activation="relu", name="dense_2")(x)
        outputs = keras.layers.Dense(10, name="predictions")(x)
        return keras.Model(inputs=inputs, outputs=outputs)

    functional_model = create_model()
    sync(functional_model)
    functional_model.save_weights(os.path.join(tmp, "pretrained.weights.h5"))
    pretrained_model = create_model()
    pretrained_model.load_weights(os.path.join(tmp, "pretrained.weights.h5"))
    probe = rng.random((2, 784)).astype("float32")
    out["weights_file"] = pretrained_model.predict(probe, verbose=0)
    return out


def test_serialization_and_saving():
    check_program(program)
