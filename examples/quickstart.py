"""Quickstart: train a small CNN on real handwritten digits, then report test accuracy.

Runs on either backend (``KERASPORT_BACKEND=torch`` or ``tensorflow``) in a few
seconds on a laptop CPU; the data (1,797 8x8 digits) ships with kerasport.
"""
import kerasport as keras
from kerasport import layers

keras.utils.set_random_seed(42)
(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train[..., None].astype("float32") / 16.0
x_test = x_test[..., None].astype("float32") / 16.0

model = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    layers.Conv2D(32, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(64, 3, padding="same", activation="relu"),
    layers.Flatten(),
    layers.Dropout(0.3),
    layers.Dense(10, activation="softmax"),
])
model.summary()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=15, validation_split=0.1)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"backend: {keras.backend.backend()}  test loss: {loss:.4f}  test accuracy: {accuracy:.4f}")
