"""keras.io example "Simple MNIST convnet" (examples/vision/mnist_convnet.py), on small synthetic digits."""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers = keras.layers
    num_classes = 10
    input_shape = (28, 28, 1)
    rng = np.random.RandomState(0)
    x_train = (rng.rand(60, 28, 28) * 255).astype("uint8")
    y_train = rng.randint(0, 10, 60)
    x_test, y_test = x_train[:20], y_train[:20]
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.0),  # the example's 0.5: dropout masks are random, so 0 here
        layers.Dense(num_classes, activation="softmax"),
    ])
    sync(model)
    batch_size = 16
    epochs = 2
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1,
                        shuffle=False, verbose=0)
    score = model.evaluate(x_test, y_test, verbose=0)
    return {"history": history.history, "Test loss": score[0], "Test accuracy": score[1],
            "params": model.count_params()}


def test_mnist_convnet():
    check_program(program)
