"""Prints the losses of 20 training steps per optimizer as JSON (run once per backend)."""
import json
import sys

import numpy as np

import kerasport as keras
from kerasport import layers

OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "adam": lambda: keras.optimizers.Adam(0.01),
    "adamw": lambda: keras.optimizers.AdamW(0.01, weight_decay=0.01),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.005, momentum=0.5, centered=True),
}


def losses(name):
    keras.backend.clear_session()
    keras.utils.set_random_seed(3)
    rng = np.random.RandomState(0)
    x = rng.rand(320, 6, 6, 1).astype("float32")
    y = rng.randint(0, 4, 320)
    # The label's quadrant is brighter: a signal 20 steps learn whatever the initial weights.
    for i, label in enumerate(y):
        x[i, 3 * (label // 2):3 * (label // 2) + 3, 3 * (label % 2):3 * (label % 2) + 3] += 1.0
    model = keras.Sequential([
        keras.Input((6, 6, 1)),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(16, activation="tanh"),
        layers.Dense(4),
    ])
    model.compile(OPTIMIZERS[name](), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return [float(model.train_on_batch(x[i * 16:(i + 1) * 16], y[i * 16:(i + 1) * 16])) for i in range(20)]


if __name__ == "__main__":
    print(json.dumps({name: losses(name) for name in sys.argv[1:] or OPTIMIZERS}))
