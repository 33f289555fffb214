"""An overridden ``train_step`` / ``test_step`` in Keras's TensorFlow idiom, under ``tf.distribute`` (TensorFlow).

``python -m tests.distribution.custom_step_program OUT`` splits the CPU into 2 logical devices and,
under one ``MirroredStrategy`` over both, trains the same custom-step model (Dense, BatchNormalization,
Dense; 16 samples, global batch 8: 4 per replica) with kerasport and with Keras 3 from the same
initial weights, for ``BatchNormalization(synchronized=False)`` and ``(synchronized=True)``, and a
model whose steps call ``super().train_step(data)``; it writes the results to ``OUT/custom.json``.
``dp_program`` runs ``run(build(kerasport, True))`` in each of 2 ``MultiWorkerMirroredStrategy``
workers; the tests run it in their own process for the one-device reference.
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf

import kerasport

GLOBAL_BATCH = 8


def data():
    rng = np.random.RandomState(1)
    x = rng.randn(16, 3).astype("float32")
    return x, np.tanh(x @ rng.randn(3, 2).astype("float32"))


def custom_model_class(lib):
    """A ``lib.Sequential`` (``lib``: kerasport or keras) whose steps are written as in keras.io's
    "Customizing what happens in fit() with TensorFlow"."""

    class CustomStep(lib.Sequential):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            trainable_vars = self.trainable_variables
            self.optimizer.apply(tape.gradient(loss, trainable_vars), trainable_vars)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
            return self.compute_metrics(x, y, y_pred)

    return CustomStep


class SuperStep(kerasport.Sequential):
    """Steps that hand over to the built-in ones (``super().train_step(data)``)."""

    def train_step(self, data):
        return super().train_step(data)

    def test_step(self, data):
        return super().test_step(data)


def build(lib, synchronized, weights=None, cls=None):
    """The custom-step model of ``lib`` (or of class ``cls``), compiled (SGD, mse, mae); with ``weights`` set."""
    lib.utils.set_random_seed(7)
    model = (cls or custom_model_class(lib))([lib.Input((3,)), lib.layers.Dense(5, activation="relu"),
                                              lib.layers.BatchNormalization(synchronized=synchronized),
                                              lib.layers.Dense(2)])
    model.compile(lib.optimizers.SGD(0.1), "mse", metrics=["mae"])
    if weights is not None:
        model.set_weights(weights)
    return model


def _replicas(variable):
    """The values of ``variable`` (kerasport's or Keras's) on each replica (one where it is not mirrored)."""
    native = variable if isinstance(variable, tf.Variable) else variable.value
    parts = native.values if isinstance(native, tf.distribute.DistributedValues) else [native]
    return [np.asarray(part.numpy()).tolist() for part in parts]


def run(model, x=None, y=None):
    """Fit 3 epochs (global batch 8) and evaluate (batches of 4): history, weights, evaluate, and the
    BatchNormalization's moving statistics on each replica."""
    if x is None:
        x, y = data()
    history = model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=3, shuffle=False, verbose=0)
    bn = model.layers[1]
    return {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "weights": [w.tolist() for w in model.get_weights()],
            "moving": [_replicas(bn.moving_mean), _replicas(bn.moving_variance)],
            "evaluate": {k: float(v) for k, v in model.evaluate(x, y, batch_size=4, verbose=0,
                                                                return_dict=True).items()}}


if __name__ == "__main__":
    tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                               [tf.config.LogicalDeviceConfiguration()] * 2)
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras  # the oracle, trained under the same strategy

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    results = {}
    for synchronized in (False, True):
        with strategy.scope():
            ours = build(kerasport, synchronized)
            theirs = build(keras, synchronized, ours.get_weights())
        results[f"synchronized={synchronized}"] = {"kerasport": run(ours), "keras": run(theirs)}
    with strategy.scope():
        results["super_step"] = run(build(kerasport, True, cls=SuperStep))
    d = kerasport.distribution.distribution()
    results["replicas"] = [d.num_processes, d.num_replicas]
    with open(os.path.join(sys.argv[1], "custom.json"), "w") as f:
        json.dump(results, f)
