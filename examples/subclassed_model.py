"""A subclassed ``Model``: your own ``call``, your own metric, and an extra term in ``compute_loss``.

The model is a small residual network written as a Python class: layers are
attributes, ``call`` says how data flows, and ``training`` switches dropout.
``WithinTolerance`` is a custom stateful metric (the share of predictions
within 10% of the target) written against ``kerasport.ops``, so it runs on
either backend. ``compute_loss`` adds a penalty on large outputs to the
compiled loss, the Keras 3 way to customise training without writing the
gradient step yourself.

    KERASPORT_BACKEND=torch python examples/subclassed_model.py
    KERASPORT_BACKEND=tensorflow python examples/subclassed_model.py

Set ``KERASPORT_EXAMPLE_FAST=1`` for a short run (used by the tests).
"""
import os

import numpy as np

import kerasport as keras
from kerasport import layers, ops

EPOCHS = 2 if os.environ.get("KERASPORT_EXAMPLE_FAST") == "1" else 40


class ResidualRegressor(keras.Model):
    """``x -> Dense -> [Dense + Dropout] x blocks (with skip connections) -> Dense(1)``."""

    def __init__(self, width=64, blocks=2, dropout=0.1, output_penalty=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.stem = layers.Dense(width, activation="relu")
        self.blocks = [layers.Dense(width, activation="relu") for _ in range(blocks)]
        self.dropout = layers.Dropout(dropout)
        self.head = layers.Dense(1)
        self.output_penalty = output_penalty

    def call(self, inputs, training=False):
        h = self.stem(inputs)
        for block in self.blocks:
            h = ops.add(h, self.dropout(block(h), training=training))
        return self.head(h)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        return ops.add(loss, ops.multiply(ops.mean(ops.square(y_pred)), self.output_penalty))


class WithinTolerance(keras.metrics.Metric):
    """Share of predictions within ``tolerance`` (relative) of the target."""

    def __init__(self, tolerance=0.1, name="within_10pct", **kwargs):
        super().__init__(name=name, **kwargs)
        self.tolerance = tolerance
        self.hits = self.add_variable(name="hits")
        self.count = self.add_variable(name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        error = ops.abs(ops.subtract(y_pred, y_true))
        hit = ops.cast(ops.less_equal(error, ops.multiply(ops.abs(y_true), self.tolerance)), "float32")
        self.hits.assign_add(ops.sum(hit))
        self.count.assign_add(ops.cast(ops.size(hit), "float32"))

    def result(self):
        return ops.divide(self.hits, ops.maximum(self.count, 1.0))


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(3000, 6)).astype("float32")
    y = (3 + np.sin(3 * x[:, :1]) + x[:, 1:2] * x[:, 2:3] + 0.5 * x[:, 3:4] ** 2).astype("float32")
    x_train, y_train, x_test, y_test = x[:2500], y[:2500], x[2500:], y[2500:]

    model = ResidualRegressor()
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse", metrics=[WithinTolerance()])
    model.fit(x_train, y_train, batch_size=64, epochs=EPOCHS, validation_split=0.1, verbose=2)
    model.summary()
    results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    print("test: " + " - ".join(f"{name} {value:.4f}" for name, value in results.items()))


if __name__ == "__main__":
    main()
