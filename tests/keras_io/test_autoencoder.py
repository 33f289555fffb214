"""keras.io example "Convolutional autoencoder for image denoising" (examples/vision/autoencoder.py).

Small synthetic images; ``preprocess`` and ``noise`` (seeded NumPy noise, computed once and shared),
the Conv2D / MaxPooling2D encoder and Conv2DTranspose decoder, and both trainings are the example's.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)

    def preprocess(array):
        array = array.astype("float32") / 255.0
        return np.reshape(array, (len(array), 28, 28, 1))

    def noise(array):
        noise_factor = 0.4
        noisy_array = array + noise_factor * rng.normal(loc=0.0, scale=1.0, size=array.shape)
        return np.clip(noisy_array, 0.0, 1.0)

    train_data = preprocess((rng.rand(24, 28, 28) * 255).astype("uint8"))
    test_data = preprocess((rng.rand(8, 28, 28) * 255).astype("uint8"))
    noisy_train_data = noise(train_data).astype("float32")
    noisy_test_data = noise(test_data).astype("float32")

    input = layers.Input(shape=(28, 28, 1))
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(input)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = keras.Model(input, x)
    sync(autoencoder)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    first = autoencoder.fit(x=train_data, y=train_data, epochs=2, batch_size=8, shuffle=False,
                            validation_data=(test_data, test_data), verbose=0)
    second = autoencoder.fit(x=noisy_train_data, y=train_data, epochs=2, batch_size=8, shuffle=False,
                             validation_data=(noisy_test_data, test_data), verbose=0)
    predictions = autoencoder.predict(noisy_test_data[:2], verbose=0)
    return {"first": first.history, "second": second.history, "predictions": predictions}


def test_autoencoder():
    check_program(program)
