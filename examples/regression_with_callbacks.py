"""Regression with the callbacks a long training run needs: stop early, lower the learning rate, keep the best.

The data imitates a house-price table: eight features (surface, rooms, age,
distance to the centre, ...) and a price that depends on them non-linearly, with
noise. The run uses

- ``EarlyStopping``: stop once ``val_loss`` has not improved for 10 epochs and
  go back to the best weights;
- ``ReduceLROnPlateau``: divide the learning rate by 2 after 5 flat epochs;
- ``ModelCheckpoint``: save the best model to ``best.h5``;
- ``CSVLogger``: one CSV row of metrics per epoch, for plotting later.

It writes into a temporary folder and prints the test error of the reloaded
best model, and where training stopped.

    KERASPORT_BACKEND=torch python examples/regression_with_callbacks.py
    KERASPORT_BACKEND=tensorflow python examples/regression_with_callbacks.py

Set ``KERASPORT_EXAMPLE_FAST=1`` for a short run (used by the tests).
"""
import csv
import os
import tempfile

import numpy as np

import kerasport as keras
from kerasport import layers

EPOCHS = 4 if os.environ.get("KERASPORT_EXAMPLE_FAST") == "1" else 300


def make_houses(n, rng):
    """Features (n, 8) and prices (n, 1) in units of 100k."""
    surface = rng.uniform(30, 250, n)
    rooms = np.clip(np.round(surface / 30 + rng.normal(0, 1, n)), 1, 9)
    age = rng.uniform(0, 100, n)
    distance = rng.exponential(8, n)
    floor = rng.integers(0, 10, n)
    garden = rng.random(n) < 0.3
    renovated = rng.random(n) < 0.4
    school = rng.uniform(0, 10, n)
    price = (surface * 0.02 * np.exp(-distance / 15) + 0.3 * rooms - 0.01 * age * ~renovated + 0.5 * garden
             + 0.05 * floor + 0.1 * school + rng.normal(0, 0.3, n))
    x = np.stack([surface, rooms, age, distance, floor, garden, renovated, school], axis=1)
    return x.astype("float32"), price[:, None].astype("float32")


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_houses(2000, rng)
    x_test, y_test = make_houses(500, rng)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

    model = keras.Sequential([
        keras.Input(shape=(8,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ], name="house_prices")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])

    with tempfile.TemporaryDirectory() as folder:
        best_path = os.path.join(folder, "best.h5")
        log_path = os.path.join(folder, "training.csv")
        callbacks = [
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True),
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5, min_lr=1e-5),
            keras.callbacks.ModelCheckpoint(best_path, monitor="val_loss", save_best_only=True),
            keras.callbacks.CSVLogger(log_path),
        ]
        history = model.fit(x_train, y_train, batch_size=64, epochs=EPOCHS, validation_split=0.2,
                            callbacks=callbacks, verbose=0)
        best = keras.saving.load_model(best_path)
        _, test_mae = best.evaluate(x_test, y_test, verbose=0)
        with open(log_path) as f:
            rows = list(csv.DictReader(f))

    epochs_run = len(history.history["loss"])
    best_epoch = int(np.argmin(history.history["val_loss"])) + 1
    final_lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    print(f"trained {epochs_run} epochs (best: epoch {best_epoch}, val_loss {min(history.history['val_loss']):.4f}); "
          f"final learning rate {final_lr:.2g}")
    print(f"CSV log: {len(rows)} rows with columns {list(rows[0])}")
    print(f"best model on the test set: mean absolute error {test_mae:.3f} (x100k)")


if __name__ == "__main__":
    main()
