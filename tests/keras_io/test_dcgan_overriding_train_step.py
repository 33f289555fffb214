"""keras.io example "GAN overriding Model.train_step" (examples/generative/dcgan_overriding_train_step.py), both forms.

The example's ``train_step`` trains the discriminator, then the generator, each under its own
``tf.GradientTape``; that TensorFlow form runs under ``KERASPORT_BACKEND=tensorflow`` against Keras 3 on
TensorFlow. The same step as a torch user writes it (``self.zero_grad()``, ``loss.backward()``,
``v.value.grad``, ``apply`` under ``torch.no_grad()``, as in the keras.io guide "Customizing what happens in
fit() with PyTorch") runs under ``KERASPORT_BACKEND=torch`` against Keras 3 on torch, in a child process
(``tests/keras_io/keras_on_torch_program.py``). Shrunk: a tiny DCGAN (latent_dim 16, 16/32 filters instead of
64/128 and 128), 8 images of uniform noise instead of MNIST, fed as an unshuffled array with ``batch_size=4``
instead of a shuffled ``tf.data`` pipeline, 2 epochs; ``GANMonitor`` records its images instead of saving PNGs.
Changed: the latent vectors and the label noise come from ``tf.random`` in the example, whose streams differ
between the two libraries; here they are fixed patterns (``sin`` / ``cos`` of ``arange(latent_dim)`` for every
sample, and a constant 0.025 of label noise), so that both runs see the same inputs. The example's
``train_step`` also gains the guide's ``if isinstance(real_images, tuple)`` line, needed in Keras 3.
"""
import numpy as np
import pytest

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program
from tests.programs.test_keras_programs import check_program

latent_dim = 16


def _latent_vectors(ops, batch_size, first=True):
    pattern = (ops.sin if first else ops.cos)(ops.arange(latent_dim, dtype="float32"))
    return ops.zeros((batch_size, latent_dim)) + pattern


def _networks(keras):
    layers = keras.layers
    discriminator = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(32, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )
    generator = keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            # We want to generate 16 coefficients to reshape into a 7x7x16 map
            layers.Dense(7 * 7 * 16),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, 16)),
            layers.Conv2DTranspose(16, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(16, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )
    return discriminator, generator


def _train(keras, GAN, sync):
    discriminator, generator = _networks(keras)
    sync(discriminator)
    sync(generator)

    class GANMonitor(keras.callbacks.Callback):
        def __init__(self, num_img=3, latent_dim=128):
            super().__init__()
            self.num_img = num_img
            self.latent_dim = latent_dim
            self.images = []

        def on_epoch_end(self, epoch, logs=None):
            random_latent_vectors = _latent_vectors(keras.ops, self.num_img)
            generated_images = self.model.generator(random_latent_vectors)
            generated_images *= 255
            self.images.append(keras.ops.convert_to_numpy(generated_images))

    all_digits = np.random.RandomState(0).random_sample((8, 28, 28, 1)).astype("float32")
    gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    monitor = GANMonitor(num_img=3, latent_dim=latent_dim)
    history = gan.fit(all_digits, epochs=2, batch_size=4, shuffle=False, callbacks=[monitor], verbose=0)
    return {"history": history.history, "images": monitor.images}


def dcgan_tensorflow(keras, sync):
    import tensorflow as tf

    ops = keras.ops

    class GAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.latent_dim = latent_dim

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.loss_fn = loss_fn

        def train_step(self, real_images):
            if isinstance(real_images, tuple):
                real_images = real_images[0]
            # Sample random points in the latent space
            batch_size = tf.shape(real_images)[0]
            random_latent_vectors = _latent_vectors(ops, batch_size)

            # Decode them to fake images
            generated_images = self.generator(random_latent_vectors)

            # Combine them with real images
            combined_images = tf.concat([generated_images, real_images], axis=0)

            # Assemble labels discriminating real from fake images
            labels = tf.concat(
                [tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0
            )
            # Add random noise to the labels - important trick!
            labels += 0.05 * 0.5 * tf.ones(tf.shape(labels))

            # Train the discriminator
            with tf.GradientTape() as tape:
                predictions = self.discriminator(combined_images)
                d_loss = self.loss_fn(labels, predictions)
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(
                zip(grads, self.discriminator.trainable_weights)
            )

            # Sample random points in the latent space
            random_latent_vectors = _latent_vectors(ops, batch_size, first=False)

            # Assemble labels that say "all real images"
            misleading_labels = tf.zeros((batch_size, 1))

            # Train the generator (note that we should *not* update the weights
            # of the discriminator)!
            with tf.GradientTape() as tape:
                predictions = self.discriminator(self.generator(random_latent_vectors))
                g_loss = self.loss_fn(misleading_labels, predictions)
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            return {"d_loss": d_loss, "g_loss": g_loss}

    return _train(keras, GAN, sync)


def dcgan_torch(keras, sync):
    import torch

    ops = keras.ops

    class GAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.latent_dim = latent_dim
            # As in the keras.io torch guide: Keras on torch builds a model by calling it, and this one has no call().
            self.built = True

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.loss_fn = loss_fn

        def train_step(self, real_images):
            if isinstance(real_images, tuple):
                real_images = real_images[0]
            # Sample random points in the latent space
            batch_size = real_images.shape[0]
            random_latent_vectors = _latent_vectors(ops, batch_size)

            # Decode them to fake images
            generated_images = self.generator(random_latent_vectors)

            # Combine them with real images
            combined_images = torch.concat([generated_images, real_images], axis=0)

            # Assemble labels discriminating real from fake images
            labels = torch.concat([torch.ones((batch_size, 1)), torch.zeros((batch_size, 1))], axis=0)
            # Add random noise to the labels - important trick!
            labels += 0.05 * 0.5 * torch.ones(labels.shape)

            # Train the discriminator
            self.zero_grad()
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
            d_loss.backward()
            grads = [v.value.grad for v in self.discriminator.trainable_weights]
            with torch.no_grad():
                self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

            # Sample random points in the latent space
            random_latent_vectors = _latent_vectors(ops, batch_size, first=False)

            # Assemble labels that say "all real images"
            misleading_labels = torch.zeros((batch_size, 1))

            # Train the generator (note that we should *not* update the weights
            # of the discriminator)!
            self.zero_grad()
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
            g_loss.backward()
            grads = [v.value.grad for v in self.generator.trainable_weights]
            with torch.no_grad():
                self.g_optimizer.apply(grads, self.generator.trainable_weights)
            return {"d_loss": d_loss, "g_loss": g_loss}

    return _train(keras, GAN, sync)


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the TensorFlow form of the example (tf.GradientTape) runs under TensorFlow only")
def test_dcgan_tensorflow_form():
    check_program(dcgan_tensorflow)


@pytest.mark.skipif(kerasport.backend.backend() != "torch",
                    reason="the torch form of the example (loss.backward()) runs under torch only")
def test_dcgan_torch_form():
    check_torch_program(dcgan_torch, [dcgan_torch])
