"""keras.io example "WGAN-GP overriding Model.train_step" (examples/generative/wgan_gp.py), TensorFlow form.

The example's ``train_step`` nests a ``tf.GradientTape`` (the gradient penalty: the critic's gradient with
respect to interpolated images) inside the one that takes the critic's gradients, so it is written for
TensorFlow: it runs under ``KERASPORT_BACKEND=tensorflow`` against Keras 3 on TensorFlow.
Shrunk: 16 images of uniform noise in [-1, 1] instead of Fashion-MNIST, ``BATCH_SIZE=8``, 2 epochs,
``noise_dim=16``, and the filter / unit counts divided by 8 (critic 8-16-32-64 filters, generator
4x4x32 units and 16-8-1 filters), so that it runs in seconds on one CPU thread. Changed: the random numbers
(``tf.random.normal`` for the latent vectors and the interpolation weights) are fixed patterns
(``_pattern``: sines of a ramp, a different phase per draw), since the two libraries' random streams differ;
the ``Dropout`` rates (0.3, 0.2) are 0 for the same reason. The ``GANMonitor`` callback keeps the images it
would save as PNG files, as numbers.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


def wgan_gp(keras, sync):
    import tensorflow as tf
    layers = keras.layers

    IMG_SHAPE = (28, 28, 1)
    BATCH_SIZE = 8

    # Size of noise vector
    noise_dim = 16

    def _pattern(shape, phase):
        """The fixed stand-in for ``tf.random.normal(shape)``: sines of a ramp, shifted by ``phase``."""
        size = tf.reduce_prod(shape)
        return tf.reshape(tf.sin(tf.cast(tf.range(size), tf.float32) * 0.37 + phase), shape)

    train_images = np.random.RandomState(0).uniform(0, 255, (16, 28, 28)).astype("uint8")
    # we will reshape each sample to (28, 28, 1) and normalize the pixel values in [-1, 1].
    train_images = train_images.reshape(train_images.shape[0], *IMG_SHAPE).astype("float32")
    train_images = (train_images - 127.5) / 127.5

    def conv_block(
        x,
        filters,
        activation,
        kernel_size=(3, 3),
        strides=(1, 1),
        padding="same",
        use_bias=True,
        use_bn=False,
        use_dropout=False,
        drop_value=0.5,
    ):
        x = layers.Conv2D(
            filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias
        )(x)
        if use_bn:
            x = layers.BatchNormalization()(x)
        x = activation(x)
        if use_dropout:
            x = layers.Dropout(drop_value)(x)
        return x

    def get_discriminator_model():
        img_input = layers.Input(shape=IMG_SHAPE)
        # Zero pad the input to make the input images size to (32, 32, 1).
        x = layers.ZeroPadding2D((2, 2))(img_input)
        x = conv_block(x, 8, kernel_size=(5, 5), strides=(2, 2), use_bn=False, use_bias=True,
                       activation=layers.LeakyReLU(0.2), use_dropout=False, drop_value=0.0)
        x = conv_block(x, 16, kernel_size=(5, 5), strides=(2, 2), use_bn=False,
                       activation=layers.LeakyReLU(0.2), use_bias=True, use_dropout=True, drop_value=0.0)
        x = conv_block(x, 32, kernel_size=(5, 5), strides=(2, 2), use_bn=False,
                       activation=layers.LeakyReLU(0.2), use_bias=True, use_dropout=True, drop_value=0.0)
        x = conv_block(x, 64, kernel_size=(5, 5), strides=(2, 2), use_bn=False,
                       activation=layers.LeakyReLU(0.2), use_bias=True, use_dropout=False, drop_value=0.0)

        x = layers.Flatten()(x)
        x = layers.Dropout(0.0)(x)
        x = layers.Dense(1)(x)

        d_model = keras.models.Model(img_input, x, name="discriminator")
        return d_model

    d_model = get_discriminator_model()

    def upsample_block(
        x,
        filters,
        activation,
        kernel_size=(3, 3),
        strides=(1, 1),
        up_size=(2, 2),
        padding="same",
        use_bn=False,
        use_bias=True,
        use_dropout=False,
        drop_value=0.3,
    ):
        x = layers.UpSampling2D(up_size)(x)
        x = layers.Conv2D(
            filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias
        )(x)

        if use_bn:
            x = layers.BatchNormalization()(x)

        if activation:
            x = activation(x)
        if use_dropout:
            x = layers.Dropout(drop_value)(x)
        return x

    def get_generator_model():
        noise = layers.Input(shape=(noise_dim,))
        x = layers.Dense(4 * 4 * 32, use_bias=False)(noise)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)

        x = layers.Reshape((4, 4, 32))(x)
        x = upsample_block(x, 16, layers.LeakyReLU(0.2), strides=(1, 1), use_bias=False, use_bn=True,
                           padding="same", use_dropout=False)
        x = upsample_block(x, 8, layers.LeakyReLU(0.2), strides=(1, 1), use_bias=False, use_bn=True,
                           padding="same", use_dropout=False)
        x = upsample_block(
            x, 1, layers.Activation("tanh"), strides=(1, 1), use_bias=False, use_bn=True
        )
        # At this point, we have an output which has the same shape as the input, (32, 32, 1).
        # We will use a Cropping2D layer to make it (28, 28, 1).
        x = layers.Cropping2D((2, 2))(x)

        g_model = keras.models.Model(noise, x, name="generator")
        return g_model

    g_model = get_generator_model()
    sync(d_model)
    sync(g_model)

    class WGAN(keras.Model):
        def __init__(
            self,
            discriminator,
            generator,
            latent_dim,
            discriminator_extra_steps=3,
            gp_weight=10.0,
        ):
            super(WGAN, self).__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.latent_dim = latent_dim
            self.d_steps = discriminator_extra_steps
            self.gp_weight = gp_weight

        def compile(self, d_optimizer, g_optimizer, d_loss_fn, g_loss_fn):
            super(WGAN, self).compile()
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.d_loss_fn = d_loss_fn
            self.g_loss_fn = g_loss_fn

        def gradient_penalty(self, batch_size, real_images, fake_images):
            """ Calculates the gradient penalty.

            This loss is calculated on an interpolated image
            and added to the discriminator loss.
            """
            # get the interplated image
            alpha = _pattern([batch_size, 1, 1, 1], 0.5)
            diff = fake_images - real_images
            interpolated = real_images + alpha * diff

            with tf.GradientTape() as gp_tape:
                gp_tape.watch(interpolated)
                # 1. Get the discriminator output for this interpolated image.
                pred = self.discriminator(interpolated, training=True)

            # 2. Calculate the gradients w.r.t to this interpolated image.
            grads = gp_tape.gradient(pred, [interpolated])[0]
            # 3. Calcuate the norm of the gradients
            norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
            gp = tf.reduce_mean((norm - 1.0) ** 2)
            return gp

        def train_step(self, real_images):
            if isinstance(real_images, tuple):
                real_images = real_images[0]

            # Get the batch size
            batch_size = tf.shape(real_images)[0]

            for i in range(self.d_steps):
                # Get the latent vector
                random_latent_vectors = _pattern((batch_size, self.latent_dim), float(i))
                with tf.GradientTape() as tape:
                    # Generate fake images from the latent vector
                    fake_images = self.generator(random_latent_vectors, training=True)
                    # Get the logits for the fake images
                    fake_logits = self.discriminator(fake_images, training=True)
                    # Get the logits for real images
                    real_logits = self.discriminator(real_images, training=True)

                    # Calculate discriminator loss using fake and real logits
                    d_cost = self.d_loss_fn(real_img=real_logits, fake_img=fake_logits)
                    # Calculate the gradient penalty
                    gp = self.gradient_penalty(batch_size, real_images, fake_images)
                    # Add the gradient penalty to the original discriminator loss
                    d_loss = d_cost + gp * self.gp_weight

                # Get the gradients w.r.t the discriminator loss
                d_gradient = tape.gradient(d_loss, self.discriminator.trainable_variables)
                # Update the weights of the discriminator using the discriminator optimizer
                self.d_optimizer.apply_gradients(
                    zip(d_gradient, self.discriminator.trainable_variables)
                )

            # Train the generator now.
            # Get the latent vector
            random_latent_vectors = _pattern((batch_size, self.latent_dim), 10.0)
            with tf.GradientTape() as tape:
                # Generate fake images using the generator
                generated_images = self.generator(random_latent_vectors, training=True)
                # Get the discriminator logits for fake images
                gen_img_logits = self.discriminator(generated_images, training=True)
                # Calculate the generator loss
                g_loss = self.g_loss_fn(gen_img_logits)

            # Get the gradients w.r.t the generator loss
            gen_gradient = tape.gradient(g_loss, self.generator.trainable_variables)
            # Update the weights of the generator using the generator optimizer
            self.g_optimizer.apply_gradients(
                zip(gen_gradient, self.generator.trainable_variables)
            )
            return {"d_loss": d_loss, "g_loss": g_loss}

    class GANMonitor(keras.callbacks.Callback):
        def __init__(self, num_img=6, latent_dim=128):
            self.num_img = num_img
            self.latent_dim = latent_dim
            self.images = []

        def on_epoch_end(self, epoch, logs=None):
            random_latent_vectors = _pattern((self.num_img, self.latent_dim), 20.0 + epoch)
            generated_images = self.model.generator(random_latent_vectors)
            generated_images = (generated_images * 127.5) + 127.5
            self.images.append(np.asarray(generated_images))

    # Optimizer for both the networks
    # learning_rate=0.0002, beta_1=0.5 are recommened
    generator_optimizer = keras.optimizers.Adam(
        learning_rate=0.0002, beta_1=0.5, beta_2=0.9
    )
    discriminator_optimizer = keras.optimizers.Adam(
        learning_rate=0.0002, beta_1=0.5, beta_2=0.9
    )

    # Define the loss functions to be used for discrimiator
    # This should be (fake_loss - real_loss)
    # We will add the gradient penalty later to this loss function
    def discriminator_loss(real_img, fake_img):
        real_loss = tf.reduce_mean(real_img)
        fake_loss = tf.reduce_mean(fake_img)
        return fake_loss - real_loss

    # Define the loss functions to be used for generator
    def generator_loss(fake_img):
        return -tf.reduce_mean(fake_img)

    # Epochs to train
    epochs = 2

    # Callbacks
    cbk = GANMonitor(num_img=3, latent_dim=noise_dim)

    # Get the wgan model
    wgan = WGAN(
        discriminator=d_model,
        generator=g_model,
        latent_dim=noise_dim,
        discriminator_extra_steps=3,
    )

    # Compile the wgan model
    wgan.compile(
        d_optimizer=discriminator_optimizer,
        g_optimizer=generator_optimizer,
        g_loss_fn=generator_loss,
        d_loss_fn=discriminator_loss,
    )

    # Start training
    history = wgan.fit(train_images, batch_size=BATCH_SIZE, epochs=epochs, callbacks=[cbk], shuffle=False,
                       verbose=0)
    return {"history": history.history, "generated": cbk.images,
            "critic_kernel": d_model.get_weights()[0], "bn_moving_mean": g_model.layers[2].get_weights()[2]}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's nested tf.GradientTape gradient penalty runs under TensorFlow only")
def test_wgan_gp_tensorflow_form():
    check_program(wgan_gp)
