"""keras.io example "Writing Keras Models With TensorFlow NumPy" (examples/keras_recipes/tensorflow_numpy_models.py).

The example on TensorFlow: a subclassed ``keras.Model`` whose ``build`` makes its weights with ``add_weight`` (no
initializer given: Keras's default) and whose ``call`` is ``tnp.matmul`` / ``tnp.maximum``; the same model with a
``tnp`` loss function; a ``TNPDense`` layer in ``Sequential`` models (``model.build((None, 13))``, ``summary``),
alone and mixed with ``layers.Dense``; the layered model built under ``tf.distribute.get_strategy().scope()``; and
the three models trained with a ``TensorBoard`` callback. TensorFlow only (``tensorflow.experimental.numpy``).

Changed: ``tnp.experimental_enable_numpy_behavior()`` is not called (it changes TensorFlow for the rest of the test
process, for good); the TensorBoard logs go to a temporary folder. Shrunk: 48 synthetic "Boston housing" rows
(16 to test), 3 epochs instead of 200.
"""
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


def tnp_models(keras, sync):
    import tensorflow as tf
    import tensorflow.experimental.numpy as tnp

    layers = keras.layers
    rng = np.random.RandomState(0)
    x_train, x_test = rng.uniform(0, 10, (48, 13)), rng.uniform(0, 10, (16, 13))
    weights = rng.uniform(-1, 1, 13)
    y_train, y_test = 20 + x_train @ weights, 20 + x_test @ weights
    report = []

    def evaluate_model(model):
        [loss, percent_error] = model.evaluate(x_test, y_test, verbose=0)
        report.append(percent_error)
        model.fit(x_train, y_train, epochs=3, verbose=0, shuffle=False)
        [loss, percent_error] = model.evaluate(x_test, y_test, verbose=0)
        report.append(percent_error)

    class TNPForwardFeedRegressionNetwork(keras.Model):
        def __init__(self, blocks=None, **kwargs):
            super(TNPForwardFeedRegressionNetwork, self).__init__(**kwargs)
            if not isinstance(blocks, list):
                raise ValueError(f"blocks must be a list, got blocks={blocks}")
            self.blocks = blocks
            self.block_weights = None
            self.biases = None

        def build(self, input_shape):
            current_shape = input_shape[1]
            self.block_weights = []
            self.biases = []
            for i, block in enumerate(self.blocks):
                self.block_weights.append(
                    self.add_weight(
                        shape=(current_shape, block), trainable=True, name=f"block-{i}"
                    )
                )
                self.biases.append(
                    self.add_weight(shape=(block,), trainable=True, name=f"bias-{i}")
                )
                current_shape = block

            self.linear_layer = self.add_weight(
                shape=(current_shape, 1), name="linear_projector", trainable=True
            )

        def call(self, inputs):
            activations = inputs
            for w, b in zip(self.block_weights, self.biases):
                activations = tnp.matmul(activations, w) + b
                # ReLu activation function
                activations = tnp.maximum(activations, 0.0)

            return tnp.matmul(activations, self.linear_layer)

    def synced(model):
        model.build((None, 13))
        sync(model)
        return model

    model = synced(TNPForwardFeedRegressionNetwork(blocks=[3, 3]))
    model.compile(
        optimizer="adam",
        loss="mean_squared_error",
        metrics=[keras.metrics.MeanAbsolutePercentageError()],
    )
    evaluate_model(model)

    def tnp_mse(y_true, y_pred):
        return tnp.mean(tnp.square(y_true - y_pred), axis=0)

    keras.backend.clear_session()
    model = synced(TNPForwardFeedRegressionNetwork(blocks=[3, 3]))
    model.compile(
        optimizer="adam",
        loss=tnp_mse,
        metrics=[keras.metrics.MeanAbsolutePercentageError()],
    )
    evaluate_model(model)

    def tnp_relu(x):
        return tnp.maximum(x, 0)

    class TNPDense(keras.layers.Layer):
        def __init__(self, units, activation=None):
            super().__init__()
            self.units = units
            self.activation = activation

        def build(self, input_shape):
            self.w = self.add_weight(
                name="weights",
                shape=(input_shape[1], self.units),
                initializer="random_normal",
                trainable=True,
            )
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer="random_normal",
                trainable=True,
            )

        def call(self, inputs):
            outputs = tnp.matmul(inputs, self.w) + self.bias
            if self.activation:
                return self.activation(outputs)
            return outputs

    def create_layered_tnp_model():
        return keras.Sequential(
            [
                TNPDense(3, activation=tnp_relu),
                TNPDense(3, activation=tnp_relu),
                TNPDense(1),
            ]
        )

    model = create_layered_tnp_model()
    model.compile(
        optimizer="adam",
        loss="mean_squared_error",
        metrics=[keras.metrics.MeanAbsolutePercentageError()],
    )
    synced(model)
    evaluate_model(model)

    def create_mixed_model():
        return keras.Sequential(
            [
                TNPDense(3, activation=tnp_relu),
                # The model will have no issue using a normal Dense layer
                layers.Dense(3, activation="relu"),
                # ... or switching back to tnp layers!
                TNPDense(1),
            ]
        )

    model = create_mixed_model()
    model.compile(
        optimizer="adam",
        loss="mean_squared_error",
        metrics=[keras.metrics.MeanAbsolutePercentageError()],
    )
    synced(model)
    evaluate_model(model)

    strategy = tf.distribute.get_strategy()
    with strategy.scope():
        model = create_layered_tnp_model()
        model.compile(
            optimizer="adam",
            loss="mean_squared_error",
            metrics=[keras.metrics.MeanAbsolutePercentageError()],
        )
        synced(model)
        evaluate_model(model)

    keras.backend.clear_session()
    log_dir = tempfile.mkdtemp()
    models = [
        (TNPForwardFeedRegressionNetwork(blocks=[3, 3]), "TNPForwardFeedRegressionNetwork"),
        (create_layered_tnp_model(), "layered_tnp_model"),
        (create_mixed_model(), "mixed_model"),
    ]
    losses, logged = [], []
    for model, model_name in models:
        synced(model)
        model.compile(
            optimizer="adam",
            loss="mean_squared_error",
            metrics=[keras.metrics.MeanAbsolutePercentageError()],
        )
        history = model.fit(
            x_train,
            y_train,
            epochs=3,
            verbose=0,
            shuffle=False,
            callbacks=[keras.callbacks.TensorBoard(log_dir=os.path.join(log_dir, model_name))],
        )
        losses.append(history.history["loss"])
        logged.append(sorted(os.listdir(os.path.join(log_dir, model_name))))
    return {"percent_errors": report, "tensorboard_losses": losses, "logged": str(logged)}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's layers are written with tensorflow.experimental.numpy: TensorFlow only")
def test_tensorflow_numpy_models():
    check_program(tnp_models)
