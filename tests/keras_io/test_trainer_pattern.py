"""keras.io example "Trainer pattern" (examples/keras_recipes/trainer_pattern.py), in both backend forms.

A ``MyTrainer`` model wraps another model and brings its own ``train_step`` / ``test_step``, loss and metric;
one Sequential and one Functional model share it. The example's ``train_step`` takes gradients with
``tf.GradientTape``; that TensorFlow form runs under ``KERASPORT_BACKEND=tensorflow`` against Keras 3 on
TensorFlow. The same step written as a torch user writes it (``self.zero_grad()``, ``loss.backward()``,
``v.value.grad``, ``optimizer.apply`` under ``torch.no_grad()``) runs under ``KERASPORT_BACKEND=torch`` against
Keras 3 on torch, in a child process (``tests/keras_io/keras_on_torch_program.py``). Shrunk: 48 training and 16
test images of uniform noise instead of MNIST, with random labels; ``batch_size=16``, 2 epochs,
``shuffle=False``. Changed: the ``Dropout`` rates (0.2, 0.4) are 0 (dropout masks are random, and the two
libraries' streams differ).
"""
import numpy as np
import pytest

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program
from tests.programs.test_keras_programs import check_program


def _run(keras, sync, MyTrainer):
    rng = np.random.RandomState(0)
    x_train, y_train = rng.randint(0, 256, (48, 28, 28)), rng.randint(0, 10, 48)
    x_test, y_test = rng.randint(0, 256, (16, 28, 28)), rng.randint(0, 10, 16)
    x_train, x_test = x_train / 255.0, x_test / 255.0

    # A model defined using Sequential API
    model_a = keras.models.Sequential(
        [
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.0),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )

    # A model defined using Functional API
    func_input = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Flatten()(func_input)
    x = keras.layers.Dense(512, activation="relu")(x)
    x = keras.layers.Dropout(0.0)(x)
    func_output = keras.layers.Dense(10, activation="softmax")(x)

    model_b = keras.Model(func_input, func_output)

    trainer_1 = MyTrainer(model_a)
    trainer_2 = MyTrainer(model_b)
    model_a.build((None, 28, 28))
    sync(model_a)
    sync(model_b)

    trainer_1.compile(optimizer=keras.optimizers.SGD())
    history_1 = trainer_1.fit(
        x_train, y_train, epochs=2, batch_size=16, validation_data=(x_test, y_test), shuffle=False, verbose=0
    )

    trainer_2.compile(optimizer=keras.optimizers.Adam())
    history_2 = trainer_2.fit(
        x_train, y_train, epochs=2, batch_size=16, validation_data=(x_test, y_test), shuffle=False, verbose=0
    )
    return {"history_1": history_1.history, "history_2": history_2.history,
            "evaluate_2": trainer_2.evaluate(x_test, y_test, verbose=0, return_dict=True),
            "predict_1": trainer_1.predict(x_test[:4], verbose=0),
            "weights_b": model_b.get_weights()[-1],
            "trainable": [len(trainer_1.trainable_variables), len(trainer_2.trainable_variables)]}


def trainer_tensorflow(keras, sync):
    import tensorflow as tf

    class MyTrainer(keras.Model):
        def __init__(self, model):
            super().__init__()
            self.model = model
            # Create loss and metrics here.
            self.loss_fn = keras.losses.SparseCategoricalCrossentropy()
            self.accuracy_metric = keras.metrics.SparseCategoricalAccuracy()

        @property
        def metrics(self):
            # List metrics here.
            return [self.accuracy_metric]

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self.model(x, training=True)  # Forward pass
                # Compute loss value
                loss = self.loss_fn(y, y_pred)

            # Compute gradients
            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)

            # Update weights
            self.optimizer.apply_gradients(zip(gradients, trainable_vars))

            # Update metrics
            for metric in self.metrics:
                metric.update_state(y, y_pred)

            # Return a dict mapping metric names to current value.
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, y = data

            # Inference step
            y_pred = self.model(x, training=False)

            # Update metrics
            for metric in self.metrics:
                metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def call(self, x):
            # Equivalent to `call()` of the wrapped keras.Model
            x = self.model(x)
            return x

    return _run(keras, sync, MyTrainer)


def trainer_torch(keras, sync):
    import torch

    class MyTrainer(keras.Model):
        def __init__(self, model):
            super().__init__()
            self.model = model
            # Create loss and metrics here.
            self.loss_fn = keras.losses.SparseCategoricalCrossentropy()
            self.accuracy_metric = keras.metrics.SparseCategoricalAccuracy()

        @property
        def metrics(self):
            # List metrics here.
            return [self.accuracy_metric]

        def train_step(self, data):
            x, y = data
            # Clear the gradients left by the previous step, as torch users do.
            self.zero_grad()
            y_pred = self.model(x, training=True)  # Forward pass
            # Compute loss value
            loss = self.loss_fn(y, y_pred)

            # Compute gradients
            loss.backward()
            trainable_vars = self.trainable_variables
            gradients = [v.value.grad for v in trainable_vars]

            # Update weights
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_vars)

            # Update metrics
            for metric in self.metrics:
                metric.update_state(y, y_pred)

            # Return a dict mapping metric names to current value.
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, y = data

            # Inference step
            y_pred = self.model(x, training=False)

            # Update metrics
            for metric in self.metrics:
                metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def call(self, x):
            # Equivalent to `call()` of the wrapped keras.Model
            x = self.model(x)
            return x

    return _run(keras, sync, MyTrainer)


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the TensorFlow form of the example (tf.GradientTape) runs under TensorFlow only")
def test_trainer_pattern_tensorflow_form():
    check_program(trainer_tensorflow)


@pytest.mark.skipif(kerasport.backend.backend() != "torch",
                    reason="the torch form of the example (loss.backward()) runs under torch only")
def test_trainer_pattern_torch_form():
    check_torch_program(trainer_torch, [trainer_torch])
