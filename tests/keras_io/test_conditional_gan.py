"""keras.io example "Conditional GAN" (examples/generative/conditional_gan.py), in both backend forms.

The example's ``train_step`` (``keras.ops`` for the tensors, ``tf.GradientTape`` for the gradients, two
optimizers) runs under ``KERASPORT_BACKEND=tensorflow`` against Keras 3 on TensorFlow, fed by an unshuffled
``tf.data`` pipeline as in the example. The same step as a torch user writes it (``self.zero_grad()``,
``loss.backward()``, ``v.value.grad``, ``apply`` under ``torch.no_grad()``, as in the keras.io guide
"Customizing what happens in fit() with PyTorch") runs under ``KERASPORT_BACKEND=torch`` against Keras 3 on
torch, in a child process (``tests/keras_io/keras_on_torch_program.py``), fed the same arrays by ``fit`` with
``shuffle=False``. Shrunk: latent_dim 16 instead of 128, 16/32 filters instead of 64/128 and 128, 8 images of
uniform noise with one-hot labels instead of MNIST, ``batch_size=4``, 2 epochs. Changed: the latent vectors
come from ``keras.random.normal`` in the example, whose streams differ between the two libraries; here they
are fixed patterns (``sin`` / ``cos`` of ``arange(latent_dim)`` for every sample, the same for the
interpolation noise), so that both runs see the same inputs. In the torch form only, ``ops.repeat`` gets
``repeats=image_size * image_size`` instead of the example's one-element list, which Keras 3 on torch rejects
("Invalid dtype: object"); the TensorFlow form keeps the list. The interpolation's GIF becomes the numbers it
shows: the generator's images and their 96x96 ``ops.image.resize``.
"""
import numpy as np
import pytest

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program
from tests.programs.test_keras_programs import check_program

batch_size = 4
num_channels = 1
num_classes = 10
image_size = 28
latent_dim = 16


def _latent_vectors(ops, batch_size, first=True):
    pattern = (ops.sin if first else ops.cos)(ops.arange(latent_dim, dtype="float32"))
    return ops.zeros((batch_size, latent_dim)) + pattern


def _data(keras):
    rng = np.random.RandomState(0)
    all_digits = rng.random_sample((8, 28, 28)).astype("float32")
    all_labels = rng.randint(0, 10, 8)
    all_digits = np.reshape(all_digits, (-1, 28, 28, 1))
    all_labels = keras.utils.to_categorical(all_labels, 10)
    return all_digits, all_labels


def _networks(keras):
    layers = keras.layers
    generator_in_channels = latent_dim + num_classes
    discriminator_in_channels = num_channels + num_classes
    # Create the discriminator.
    discriminator = keras.Sequential(
        [
            keras.layers.InputLayer((28, 28, discriminator_in_channels)),
            layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(32, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )
    # Create the generator.
    generator = keras.Sequential(
        [
            keras.layers.InputLayer((generator_in_channels,)),
            # We want to generate 16 + num_classes coefficients to reshape into a
            # 7x7x(16 + num_classes) map.
            layers.Dense(7 * 7 * generator_in_channels),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, generator_in_channels)),
            layers.Conv2DTranspose(16, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(16, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )
    return discriminator, generator


def _base_class(keras):
    class ConditionalGANBase(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.latent_dim = latent_dim
            self.seed_generator = keras.random.SeedGenerator(1337)
            self.gen_loss_tracker = keras.metrics.Mean(name="generator_loss")
            self.disc_loss_tracker = keras.metrics.Mean(name="discriminator_loss")

        @property
        def metrics(self):
            return [self.gen_loss_tracker, self.disc_loss_tracker]

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.loss_fn = loss_fn

    return ConditionalGANBase


def _train_and_interpolate(keras, ConditionalGAN, sync, dataset_of):
    ops = keras.ops
    discriminator, generator = _networks(keras)
    sync(discriminator)
    sync(generator)
    cond_gan = ConditionalGAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
    cond_gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    history = dataset_of(cond_gan, *_data(keras))

    # We first extract the trained generator from our Conditional GAN.
    trained_gen = cond_gan.generator

    # Choose the number of intermediate images that would be generated in
    # between the interpolation + 2 (start and last images).
    num_interpolation = 9

    # Sample noise for the interpolation.
    interpolation_noise = _latent_vectors(ops, 1)
    interpolation_noise = ops.repeat(interpolation_noise, repeats=num_interpolation)
    interpolation_noise = ops.reshape(interpolation_noise, (num_interpolation, latent_dim))

    def interpolate_class(first_number, second_number):
        # Convert the start and end labels to one-hot encoded vectors.
        first_label = keras.utils.to_categorical([first_number], num_classes)
        second_label = keras.utils.to_categorical([second_number], num_classes)
        first_label = ops.cast(first_label, "float32")
        second_label = ops.cast(second_label, "float32")

        # Calculate the interpolation vector between the two labels.
        percent_second_label = ops.linspace(0, 1, num_interpolation)[:, None]
        percent_second_label = ops.cast(percent_second_label, "float32")
        interpolation_labels = first_label * (1 - percent_second_label) + second_label * percent_second_label

        # Combine the noise and the labels and run inference with the generator.
        noise_and_labels = ops.concatenate([interpolation_noise, interpolation_labels], 1)
        fake = trained_gen.predict(noise_and_labels, verbose=0)
        return fake

    start_class = 2
    end_class = 6

    fake_images = interpolate_class(start_class, end_class)
    fake_images *= 255.0
    converted_images = fake_images.astype(np.uint8)
    resized = ops.convert_to_numpy(ops.image.resize(converted_images, (96, 96)))
    return {"history": history.history, "fake_images": fake_images, "converted_images": converted_images,
            "resized": resized.astype(np.uint8), "resized_dtype": str(resized.dtype),
            "metric_names": [m.name for m in cond_gan.metrics]}


def conditional_gan_tensorflow(keras, sync):
    import tensorflow as tf

    ops = keras.ops

    class ConditionalGAN(_base_class(keras)):
        def train_step(self, data):
            # Unpack the data.
            real_images, one_hot_labels = data

            # Add dummy dimensions to the labels so that they can be concatenated with
            # the images. This is for the discriminator.
            image_one_hot_labels = one_hot_labels[:, :, None, None]
            image_one_hot_labels = ops.repeat(image_one_hot_labels, repeats=[image_size * image_size])
            image_one_hot_labels = ops.reshape(image_one_hot_labels, (-1, image_size, image_size, num_classes))

            # Sample random points in the latent space and concatenate the labels.
            # This is for the generator.
            batch_size = ops.shape(real_images)[0]
            random_latent_vectors = _latent_vectors(ops, batch_size)
            random_vector_labels = ops.concatenate([random_latent_vectors, one_hot_labels], axis=1)

            # Decode the noise (guided by labels) to fake images.
            generated_images = self.generator(random_vector_labels)

            # Combine them with real images. Note that we are concatenating the labels
            # with these images here.
            fake_image_and_labels = ops.concatenate([generated_images, image_one_hot_labels], -1)
            real_image_and_labels = ops.concatenate([real_images, image_one_hot_labels], -1)
            combined_images = ops.concatenate([fake_image_and_labels, real_image_and_labels], axis=0)

            # Assemble labels discriminating real from fake images.
            labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)

            # Train the discriminator.
            with tf.GradientTape() as tape:
                predictions = self.discriminator(combined_images)
                d_loss = self.loss_fn(labels, predictions)
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

            # Sample random points in the latent space.
            random_latent_vectors = _latent_vectors(ops, batch_size, first=False)
            random_vector_labels = ops.concatenate([random_latent_vectors, one_hot_labels], axis=1)

            # Assemble labels that say "all real images".
            misleading_labels = ops.zeros((batch_size, 1))

            # Train the generator (note that we should *not* update the weights
            # of the discriminator)!
            with tf.GradientTape() as tape:
                fake_images = self.generator(random_vector_labels)
                fake_image_and_labels = ops.concatenate([fake_images, image_one_hot_labels], -1)
                predictions = self.discriminator(fake_image_and_labels)
                g_loss = self.loss_fn(misleading_labels, predictions)
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

            # Monitor loss.
            self.gen_loss_tracker.update_state(g_loss)
            self.disc_loss_tracker.update_state(d_loss)
            return {
                "g_loss": self.gen_loss_tracker.result(),
                "d_loss": self.disc_loss_tracker.result(),
            }

    def fit(cond_gan, all_digits, all_labels):
        # Create tf.data.Dataset (unshuffled here).
        dataset = tf.data.Dataset.from_tensor_slices((all_digits, all_labels))
        dataset = dataset.batch(batch_size)
        return cond_gan.fit(dataset, epochs=2, verbose=0)

    return _train_and_interpolate(keras, ConditionalGAN, sync, fit)


def conditional_gan_torch(keras, sync):
    import torch

    ops = keras.ops

    class ConditionalGAN(_base_class(keras)):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__(discriminator, generator, latent_dim)
            # As in the keras.io torch guide: Keras on torch builds a model by calling it, and this one has no call().
            self.built = True

        def train_step(self, data):
            # Unpack the data.
            real_images, one_hot_labels = data

            # Add dummy dimensions to the labels so that they can be concatenated with
            # the images. This is for the discriminator.
            image_one_hot_labels = one_hot_labels[:, :, None, None]
            # The example's ``repeats=[image_size * image_size]``: Keras 3 on torch rejects a list (kerasport takes it).
            image_one_hot_labels = ops.repeat(image_one_hot_labels, repeats=image_size * image_size)
            image_one_hot_labels = ops.reshape(image_one_hot_labels, (-1, image_size, image_size, num_classes))

            # Sample random points in the latent space and concatenate the labels.
            # This is for the generator.
            batch_size = ops.shape(real_images)[0]
            random_latent_vectors = _latent_vectors(ops, batch_size)
            random_vector_labels = ops.concatenate([random_latent_vectors, one_hot_labels], axis=1)

            # Decode the noise (guided by labels) to fake images.
            generated_images = self.generator(random_vector_labels)

            # Combine them with real images. Note that we are concatenating the labels
            # with these images here.
            fake_image_and_labels = ops.concatenate([generated_images, image_one_hot_labels], -1)
            real_image_and_labels = ops.concatenate([real_images, image_one_hot_labels], -1)
            combined_images = ops.concatenate([fake_image_and_labels, real_image_and_labels], axis=0)

            # Assemble labels discriminating real from fake images.
            labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)

            # Train the discriminator.
            self.zero_grad()
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
            d_loss.backward()
            grads = [v.value.grad for v in self.discriminator.trainable_weights]
            with torch.no_grad():
                self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

            # Sample random points in the latent space.
            random_latent_vectors = _latent_vectors(ops, batch_size, first=False)
            random_vector_labels = ops.concatenate([random_latent_vectors, one_hot_labels], axis=1)

            # Assemble labels that say "all real images".
            misleading_labels = ops.zeros((batch_size, 1))

            # Train the generator (note that we should *not* update the weights
            # of the discriminator)!
            self.zero_grad()
            fake_images = self.generator(random_vector_labels)
            fake_image_and_labels = ops.concatenate([fake_images, image_one_hot_labels], -1)
            predictions = self.discriminator(fake_image_and_labels)
            g_loss = self.loss_fn(misleading_labels, predictions)
            g_loss.backward()
            grads = [v.value.grad for v in self.generator.trainable_weights]
            with torch.no_grad():
                self.g_optimizer.apply(grads, self.generator.trainable_weights)

            # Monitor loss.
            self.gen_loss_tracker.update_state(g_loss)
            self.disc_loss_tracker.update_state(d_loss)
            return {
                "g_loss": self.gen_loss_tracker.result(),
                "d_loss": self.disc_loss_tracker.result(),
            }

    def fit(cond_gan, all_digits, all_labels):
        return cond_gan.fit(all_digits, all_labels, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)

    return _train_and_interpolate(keras, ConditionalGAN, sync, fit)


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the TensorFlow form of the example (tf.GradientTape) runs under TensorFlow only")
def test_conditional_gan_tensorflow_form():
    check_program(conditional_gan_tensorflow)


@pytest.mark.skipif(kerasport.backend.backend() != "torch",
                    reason="the torch form of the example (loss.backward()) runs under torch only")
def test_conditional_gan_torch_form():
    check_torch_program(conditional_gan_torch, [conditional_gan_torch])
