"""A convolutional network on real handwritten digits, fed by a ``PyDataset`` that augments on the fly.

The 1,797 8x8 digit images ship with kerasport. Each training batch is shifted
by up to one pixel in a random direction, in two loader threads while the model
trains; the test set is left alone. Prints the test accuracy and the digits the
model confuses most.

    KERASPORT_BACKEND=torch python examples/cnn_image_classifier.py
    KERASPORT_BACKEND=tensorflow python examples/cnn_image_classifier.py

Set ``KERASPORT_EXAMPLE_FAST=1`` for a short run (used by the tests).
"""
import math
import os

import numpy as np

import kerasport as keras
from kerasport import layers

EPOCHS = 2 if os.environ.get("KERASPORT_EXAMPLE_FAST") == "1" else 20
BATCH_SIZE = 64


class ShiftedDigits(keras.utils.PyDataset):
    """Batches of images, each shifted by up to ``max_shift`` pixels; reshuffled after every epoch."""

    def __init__(self, images, labels, batch_size, max_shift=1, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.images, self.labels = images, labels
        self.batch_size, self.max_shift = batch_size, max_shift
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(images))

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        # A generator per batch: batches are loaded in parallel threads, in any order.
        rng = np.random.default_rng([index, int(self.order[0])])
        batch = self.images[rows]
        shifts = rng.integers(-self.max_shift, self.max_shift + 1, size=(len(rows), 2))
        shifted = np.stack([np.roll(img, tuple(s), axis=(0, 1)) for img, s in zip(batch, shifts)])
        return shifted, self.labels[rows]

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.images))


def build_model():
    return keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ], name="digits_cnn")


def main():
    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train = x_train[..., None].astype("float32") / 16.0
    x_test = x_test[..., None].astype("float32") / 16.0
    val = len(x_train) // 10
    train = ShiftedDigits(x_train[val:], y_train[val:], BATCH_SIZE, workers=2)

    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(train, epochs=EPOCHS, validation_data=(x_train[:val], y_train[:val]), verbose=2)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = model.predict(x_test, verbose=0).argmax(axis=-1)
    confusion = np.zeros((10, 10), int)
    np.add.at(confusion, (y_test, predicted), 1)
    np.fill_diagonal(confusion, 0)
    true, guess = np.unravel_index(confusion.argmax(), confusion.shape)
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")
    print(f"most confused: {true} taken for {guess} ({confusion[true, guess]} of {np.sum(y_test == true)})")


if __name__ == "__main__":
    main()
