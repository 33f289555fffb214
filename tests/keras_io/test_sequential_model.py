"""keras.io guide "The Sequential model" (guides/sequential_model.py), ported with small synthetic data."""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers = keras.layers
    out = {}
    model = keras.Sequential([layers.Dense(2, activation="relu", name="layer1"),
                              layers.Dense(3, activation="relu", name="layer2"),
                              layers.Dense(4, name="layer3")])
    x = keras.ops.ones((3, 3))
    y = model(x)
    out["unbuilt_call_shape"] = tuple(y.shape)
    sync(model)
    out["y"] = model(x)

    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))
    out["n_weights_before"] = len(model.weights)
    model(keras.ops.ones((1, 4)))
    out["n_weights_after"] = len(model.weights)
    model.pop()
    out["n_layers_after_pop"] = len(model.layers)

    model = keras.Sequential()
    model.add(keras.Input(shape=(250, 250, 3)))
    model.add(layers.Conv2D(8, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(8, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(8, 3, activation="relu"))
    model.add(layers.Conv2D(8, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(8, 3, activation="relu"))
    model.add(layers.Conv2D(8, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(10))
    sync(model)
    out["output_shape"] = model.output_shape
    out["params"] = model.count_params()

    # Feature extraction with a Sequential model.
    initial_model = keras.Sequential([keras.Input(shape=(250, 250, 3)),
                                      layers.Conv2D(4, 5, strides=2, activation="relu"),
                                      layers.Conv2D(4, 3, activation="relu", name="my_intermediate_layer"),
                                      layers.Conv2D(4, 3, activation="relu")])
    sync(initial_model)
    feature_extractor = keras.Model(inputs=initial_model.inputs,
                                    outputs=initial_model.get_layer(name="my_intermediate_layer").output)
    x = np.random.RandomState(0).rand(1, 250, 250, 3).astype("float32")
    out["features"] = feature_extractor(x)

    # Transfer learning: freeze all but the last layer, then fit.
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(32, activation="relu"),
                              layers.Dense(32, activation="relu"), layers.Dense(32, activation="relu"),
                              layers.Dense(10)])
    sync(model)
    for layer in model.layers[:-1]:
        layer.trainable = False
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.RandomState(1)
    history = model.fit(rng.rand(48, 784).astype("float32"), rng.randint(0, 10, 48), batch_size=16, epochs=2,
                        shuffle=False, verbose=0)
    out["transfer"] = {"history": history.history, "n_trainable": len(model.trainable_weights)}
    return out


def test_sequential_model():
    check_program(program)
