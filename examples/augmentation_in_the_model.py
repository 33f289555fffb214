"""Preprocessing and augmentation as layers of the model, saved and reloaded with it.

The bundled 8x8 digits go into a model that rescales the raw 0-16 pixel values,
upsamples them to 16x16, and, in training only, rotates, zooms and shifts each
image at random. Because these steps are layers, the saved ``.keras`` file takes raw
images, and reloading it gives the same predictions. Prints the test accuracy.

    KERASPORT_BACKEND=torch python examples/augmentation_in_the_model.py
    KERASPORT_BACKEND=tensorflow python examples/augmentation_in_the_model.py

Set ``KERASPORT_EXAMPLE_FAST=1`` for a short run (used by the tests).
"""
import os
import tempfile

import numpy as np

import kerasport as keras
from kerasport import layers

EPOCHS = 2 if os.environ.get("KERASPORT_EXAMPLE_FAST") == "1" else 15


def build_model():
    augment = keras.Sequential([
        layers.RandomRotation(0.05, fill_mode="constant", seed=1),
        layers.RandomZoom(0.1, fill_mode="constant", seed=2),
        layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=3),
    ], name="augment")
    inputs = keras.Input(shape=(8, 8, 1))
    x = layers.Rescaling(1.0 / 16)(inputs)
    x = layers.Resizing(16, 16, interpolation="bilinear")(x)
    x = augment(x)  # identity at inference
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.SeparableConv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="digits_augmented")


def main():
    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train, x_test = x_train[..., None].astype("float32"), x_test[..., None].astype("float32")

    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=64, epochs=EPOCHS, validation_split=0.1, verbose=2)

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "digits_augmented.keras")
        model.save(path)
        reloaded = keras.saving.load_model(path)
    same = np.allclose(reloaded.predict(x_test, verbose=0), model.predict(x_test, verbose=0), atol=1e-5)
    loss, accuracy = reloaded.evaluate(x_test, y_test, verbose=0)
    print(f"reloaded model gives the same predictions: {same}")
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
