"""keras.io guide "Transfer learning & fine-tuning" (guides/transfer_learning.py).

The guide's layer-freezing walk-through (trainable weights, BatchNormalization's non-trainable
statistics, freezing a whole model), then the typical workflow: a frozen base model (a small
convnet standing in for the downloaded Xception) called with ``training=False``, a new head trained,
then the whole model unfrozen and fine-tuned with a low learning rate.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers = keras.layers
    out = {}
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    out["dense"] = [len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)]
    layer = keras.layers.BatchNormalization()
    layer.build((None, 4))
    out["batchnorm"] = [len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)]
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    layer.trainable = False
    out["frozen"] = [len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)]

    layer1 = keras.layers.Dense(3, activation="relu")
    layer2 = keras.layers.Dense(3, activation="sigmoid")
    model = keras.Sequential([keras.Input(shape=(3,)), layer1, layer2])
    sync(model)
    layer1.trainable = False
    initial_layer1_weights_values = layer1.get_weights()
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.RandomState(0)
    model.fit(rng.random((16, 3)), rng.random((16, 3)), shuffle=False, verbose=0)
    final_layer1_weights_values = layer1.get_weights()
    out["layer1_unchanged"] = all(np.array_equal(a, b) for a, b in
                                  zip(initial_layer1_weights_values, final_layer1_weights_values))

    inner_model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(3, activation="relu"),
                                    keras.layers.Dense(3, activation="relu")])
    model = keras.Sequential([keras.Input(shape=(3,)), inner_model, keras.layers.Dense(3, activation="sigmoid")])
    model.trainable = False
    out["recursive"] = [len(model.trainable_weights), inner_model.trainable, inner_model.layers[0].trainable]

    # The typical workflow, with a small base model instead of a downloaded one.
    base_model = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Conv2D(8, 3, activation="relu"),
                                   layers.BatchNormalization(), layers.Conv2D(8, 3, strides=2, activation="relu")],
                                  name="base")
    sync(base_model)
    base_model.trainable = False
    inputs = keras.Input(shape=(32, 32, 3))
    scale_layer = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)
    x = scale_layer(inputs)
    x = base_model(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.0)(x)  # the guide's 0.2: dropout masks are random, so 0 here
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    sync(model)
    x_train = (rng.rand(24, 32, 32, 3) * 255).astype("float32")
    y_train = rng.randint(0, 2, 24).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    history = model.fit(x_train, y_train, epochs=2, batch_size=8, validation_data=(x_train[:8], y_train[:8]),
                        shuffle=False, verbose=0)
    out["head"] = {"history": history.history, "trainable": len(model.trainable_weights)}

    base_model.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    history = model.fit(x_train, y_train, epochs=1, batch_size=8, validation_data=(x_train[:8], y_train[:8]),
                        shuffle=False, verbose=0)
    out["fine_tune"] = {"history": history.history, "trainable": len(model.trainable_weights),
                        "weights": model.get_weights()}
    return out


def test_transfer_learning():
    check_program(program)
