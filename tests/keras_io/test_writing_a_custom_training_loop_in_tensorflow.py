"""keras.io guide "Writing a training loop from scratch in TensorFlow" (guides/writing_a_custom_training_loop_in_tensorflow.py).

The guide's loops over a ``tf.data.Dataset``: an eager ``tf.GradientTape`` loop with a Keras optimizer and
loss; metrics updated and reset by hand; the same steps compiled with ``@tf.function`` (continuing from the
eager model, optimizer and metrics, as the guide does); ``model.losses`` added inside a compiled step. It runs
only under ``KERASPORT_BACKEND=tensorflow``; the oracle is Keras 3 on TensorFlow. Shrunk: 96 training and
32 validation samples of uniform noise in [0, 1) instead of MNIST, the training set unshuffled (``shuffle``
draws from TensorFlow's global generator, whose state differs between the two runs), 2 epochs, and each
loop records the loss of every step and the accuracies instead of printing them. Added: the guide defines
the ``model.losses`` train step but never runs it; here it trains for an epoch. The GAN loop uses the tiny
networks of ``test_dcgan_overriding_train_step.py``, 8 noise images in batches of 4, 2 epochs, and fixed
patterns instead of ``tf.random`` latent vectors and label noise (global-generator streams that differ).
"""
import numpy as np
import pytest

import kerasport
from tests.keras_io.test_dcgan_overriding_train_step import _latent_vectors, _networks
from tests.programs.test_keras_programs import check_program

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


def gan_training_loop_from_scratch(keras, sync):
    import tensorflow as tf

    # The example's networks, shrunk as in tests/keras_io/test_dcgan_overriding_train_step.py.
    discriminator, generator = _networks(keras)
    sync(discriminator)
    sync(generator)

    # Instantiate one optimizer for the discriminator and another for the generator.
    d_optimizer = keras.optimizers.Adam(learning_rate=0.0003)
    g_optimizer = keras.optimizers.Adam(learning_rate=0.0004)

    # Instantiate a loss function.
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    gan_batch_size = 4

    @tf.function
    def train_step(real_images):
        # Sample random points in the latent space
        random_latent_vectors = _latent_vectors(keras.ops, gan_batch_size)
        # Decode them to fake images
        generated_images = generator(random_latent_vectors)
        # Combine them with real images
        combined_images = tf.concat([generated_images, real_images], axis=0)

        # Assemble labels discriminating real from fake images
        labels = tf.concat(
            [tf.ones((gan_batch_size, 1)), tf.zeros((real_images.shape[0], 1))], axis=0
        )
        # Add random noise to the labels - important trick!
        labels += 0.05 * 0.5 * tf.ones(labels.shape)

        # Train the discriminator
        with tf.GradientTape() as tape:
            predictions = discriminator(combined_images)
            d_loss = loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, discriminator.trainable_weights)
        d_optimizer.apply(grads, discriminator.trainable_weights)

        # Sample random points in the latent space
        random_latent_vectors = _latent_vectors(keras.ops, gan_batch_size, first=False)
        # Assemble labels that say "all real images"
        misleading_labels = tf.zeros((gan_batch_size, 1))

        # Train the generator (note that we should *not* update the weights
        # of the discriminator)!
        with tf.GradientTape() as tape:
            predictions = discriminator(generator(random_latent_vectors))
            g_loss = loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, generator.trainable_weights)
        g_optimizer.apply(grads, generator.trainable_weights)
        return d_loss, g_loss, generated_images

    all_digits = np.random.RandomState(1).random_sample((8, 28, 28, 1)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(all_digits).batch(gan_batch_size)
    logged = {"d_loss": [], "g_loss": []}
    for epoch in range(2):
        for step, real_images in enumerate(dataset):
            # Train the discriminator & generator on one batch of real images.
            d_loss, g_loss, generated_images = train_step(real_images)
            logged["d_loss"].append(float(d_loss))
            logged["g_loss"].append(float(g_loss))
    logged["generated_images"] = generated_images.numpy()
    return logged


@pytest.mark.parametrize("program", [first_end_to_end_example, metrics_then_tf_function, losses_tracked_by_the_model,
                                     gan_training_loop_from_scratch],
                         ids=lambda program: program.__name__)
def test_writing_a_custom_training_loop_in_tensorflow(program):
    check_program(program)
