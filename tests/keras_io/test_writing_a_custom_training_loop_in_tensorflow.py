"""keras.io guide "Writing a training loop from scratch in TensorFlow" (guides/writing_a_custom_training_loop_in_tensorflow.py).

The guide's loops over a ``tf.data.Dataset``: an eager ``tf.GradientTape`` loop with a Keras optimizer and
loss; metrics updated and reset by hand; the same steps compiled with ``@tf.function`` (continuing from the
eager model, optimizer and metrics, as the guide does); ``model.losses`` added inside a compiled step. It runs
only under ``KERASPORT_BACKEND=tensorflow``; the oracle is Keras 3 on TensorFlow. Shrunk: 96 training and
32 validation samples of uniform noise in [0, 1) instead of MNIST, the training set unshuffled (``shuffle``
draws from TensorFlow's global generator, whose state differs between the two runs), 2 epochs, and each
loop records the loss of every step and the accuracies instead of printing them. Added: the guide defines
the ``model.losses`` train step but never runs it; here it trains for an epoch. The GAN section is left out
(``tf.random.normal`` noise from the global generator).
"""
import numpy as np
import pytest

import kerasport
from tests.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the TensorFlow form of the guide (tf.GradientTape, tf.function) runs under TensorFlow only")

batch_size = 32


def get_model(keras):
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = keras.layers.Dense(64, activation="relu")(inputs)
    x2 = keras.layers.Dense(64, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def _datasets():
    import tensorflow as tf

    rng = np.random.RandomState(0)
    x_train = rng.random_sample((128, 784)).astype("float32")
    y_train = rng.randint(0, 10, 128)
    # Reserve 32 samples for validation.
    x_val = x_train[-32:]
    y_val = y_train[-32:]
    x_train = x_train[:-32]
    y_train = y_train[:-32]
    # Prepare the training dataset.
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.batch(batch_size)
    # Prepare the validation dataset.
    val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val))
    val_dataset = val_dataset.batch(batch_size)
    return train_dataset, val_dataset


def first_end_to_end_example(keras, sync):
    import tensorflow as tf

    model = get_model(keras)
    sync(model)
    # Instantiate an optimizer.
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    # Instantiate a loss function.
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_dataset, _ = _datasets()

    losses = []
    epochs = 2
    for epoch in range(epochs):
        # Iterate over the batches of the dataset.
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            # Open a GradientTape to record the operations run
            # during the forward pass, which enables auto-differentiation.
            with tf.GradientTape() as tape:
                # Run the forward pass of the layer.
                logits = model(x_batch_train, training=True)  # Logits for this minibatch

                # Compute the loss value for this minibatch.
                loss_value = loss_fn(y_batch_train, logits)

            # Use the gradient tape to automatically retrieve
            # the gradients of the trainable variables with respect to the loss.
            grads = tape.gradient(loss_value, model.trainable_weights)

            # Run one step of gradient descent by updating
            # the value of the variables to minimize the loss.
            optimizer.apply(grads, model.trainable_weights)
            losses.append(float(loss_value))
    return {"losses": losses, "weights": model.get_weights()}


def metrics_then_tf_function(keras, sync):
    import tensorflow as tf

    train_dataset, val_dataset = _datasets()
    # Get a fresh model
    model = get_model(keras)
    sync(model)

    # Instantiate an optimizer to train the model.
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    # Instantiate a loss function.
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    # Prepare the metrics.
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    val_acc_metric = keras.metrics.SparseCategoricalAccuracy()

    logged = {"eager": {"losses": [], "train_acc": [], "val_acc": []},
              "tf_function": {"losses": [], "train_acc": [], "val_acc": []}}
    epochs = 2
    for epoch in range(epochs):
        # Iterate over the batches of the dataset.
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            with tf.GradientTape() as tape:
                logits = model(x_batch_train, training=True)
                loss_value = loss_fn(y_batch_train, logits)
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply(grads, model.trainable_weights)

            # Update training metric.
            train_acc_metric.update_state(y_batch_train, logits)
            logged["eager"]["losses"].append(float(loss_value))

        # Display metrics at the end of each epoch.
        train_acc = train_acc_metric.result()
        logged["eager"]["train_acc"].append(float(train_acc))

        # Reset training metrics at the end of each epoch
        train_acc_metric.reset_state()

        # Run a validation loop at the end of each epoch.
        for x_batch_val, y_batch_val in val_dataset:
            val_logits = model(x_batch_val, training=False)
            # Update val metrics
            val_acc_metric.update_state(y_batch_val, val_logits)
        val_acc = val_acc_metric.result()
        val_acc_metric.reset_state()
        logged["eager"]["val_acc"].append(float(val_acc))

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        train_acc_metric.update_state(y, logits)
        return loss_value

    @tf.function
    def test_step(x, y):
        val_logits = model(x, training=False)
        val_acc_metric.update_state(y, val_logits)

    for epoch in range(epochs):
        # Iterate over the batches of the dataset.
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            loss_value = train_step(x_batch_train, y_batch_train)
            logged["tf_function"]["losses"].append(float(loss_value))

        # Display metrics at the end of each epoch.
        train_acc = train_acc_metric.result()
        logged["tf_function"]["train_acc"].append(float(train_acc))

        # Reset training metrics at the end of each epoch
        train_acc_metric.reset_state()

        # Run a validation loop at the end of each epoch.
        for x_batch_val, y_batch_val in val_dataset:
            test_step(x_batch_val, y_batch_val)

        val_acc = val_acc_metric.result()
        val_acc_metric.reset_state()
        logged["tf_function"]["val_acc"].append(float(val_acc))
    logged["weights"] = model.get_weights()
    return logged


def losses_tracked_by_the_model(keras, sync):
    import tensorflow as tf

    class ActivityRegularizationLayer(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-2 * tf.reduce_sum(inputs))
            return inputs

    train_dataset, _ = _datasets()
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu")(inputs)
    # Insert activity regularization as a layer
    x = ActivityRegularizationLayer()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)
    sync(model)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
            # Add any extra losses created during the forward pass.
            loss_value += sum(model.losses)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        train_acc_metric.update_state(y, logits)
        return loss_value

    losses = [float(train_step(x_batch_train, y_batch_train)) for x_batch_train, y_batch_train in train_dataset]
    return {"losses": losses, "train_acc": float(train_acc_metric.result()), "weights": model.get_weights()}


@pytest.mark.parametrize("program", [first_end_to_end_example, metrics_then_tf_function, losses_tracked_by_the_model],
                         ids=lambda program: program.__name__)
def test_writing_a_custom_training_loop_in_tensorflow(program):
    check_program(program)
