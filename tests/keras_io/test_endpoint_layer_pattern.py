"""keras.io example "Endpoint layer pattern" (examples/keras_recipes/endpoint_layer_pattern.py).

A ``LogisticEndpoint`` layer adds the loss with ``add_loss`` and the accuracy with a metric it
owns; the model is compiled without a loss and trained on dict inputs, as in the example.
"""
import numpy as np
import pytest

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    class LogisticEndpoint(keras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
            self.accuracy_fn = keras.metrics.BinaryAccuracy(name="accuracy")

        def call(self, logits, targets=None, sample_weight=None):
            if targets is not None:
                loss = self.loss_fn(targets, logits, sample_weight)
                self.add_loss(loss)
                self.accuracy_fn.update_state(targets, logits, sample_weight)
            return keras.ops.softmax(logits)

    inputs = keras.Input((764,), name="inputs")
    logits = keras.layers.Dense(1)(inputs)
    targets = keras.Input((1,), name="targets")
    sample_weight = keras.Input((1,), name="sample_weight")
    preds = LogisticEndpoint()(logits, targets, sample_weight)
    model = keras.Model([inputs, targets, sample_weight], preds)
    sync(model)
    rng = np.random.RandomState(0)
    data = {"inputs": rng.random((12, 764)).astype("float32"), "targets": rng.random((12, 1)).astype("float32"),
            "sample_weight": rng.random((12, 1)).astype("float32")}
    model.compile(keras.optimizers.Adam(1e-3))
    history = model.fit(data, epochs=2, batch_size=4, shuffle=False, verbose=0)
    return {"history": history.history}


def test_endpoint_layer_pattern():
    check_program(program)
