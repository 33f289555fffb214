"""keras.io example "CycleGAN" (examples/generative/cyclegan.py), in both backend forms.

The example's ``ReflectionPadding2D`` layer, ``residual_block`` / ``downsample`` / ``upsample`` (``Conv2D``,
``Conv2DTranspose``, instance normalization), the ResNet generators and PatchGAN discriminators as functional
models, the ``CycleGan`` model with its own ``compile`` (four Adam optimizers, the adversarial
``MeanSquaredError`` loss functions, ``MeanAbsoluteError`` cycle and identity losses) and ``train_step`` (one
persistent ``tf.GradientTape``, four ``apply_gradients``), the ``GANMonitor`` callback and a ``ModelCheckpoint``
whose weights are loaded back for the final translations. The TensorFlow form (``tf.pad(mode="REFLECT")``,
``tf.GradientTape``, ``tf.data.Dataset.zip`` of the two domains, ``tf.ones_like``) runs under
``KERASPORT_BACKEND=tensorflow`` against Keras 3 on TensorFlow; the form a torch user writes (``ops.pad`` with
``mode="reflect"``, ``torch.autograd.grad(..., retain_graph=True)`` for the persistent tape, ``apply`` under
``torch.no_grad()``, the two domains as ``fit(x, y)`` arrays) runs under ``KERASPORT_BACKEND=torch`` against Keras
3 on torch in a child process.

Changed: ``tfa.layers.InstanceNormalization`` (TensorFlow Addons, gone with Keras 3) is
``layers.GroupNormalization(groups=-1)``, the same normalization (TFA's layer is that subclass). The example's
``ModelCheckpoint("...{epoch:03d}")`` saves weights with a ``.weights.h5`` name (Keras 3 requires the suffix),
and the model is called once before ``fit`` (Keras 3 saves the weights of a built model only).
Shrunk: 4 horse and 4 zebra images of 16x16x3 uniform noise in [-1, 1] instead of horse2zebra at 256x256 (no
downloads, no random flip or crop), generator filters 4 (not 64) with 1 residual block (not 9), discriminator
filters 4, ``batch_size=2``, unshuffled, 1 epoch; the plots become the translated images.
"""
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program
from tests.programs.test_keras_programs import check_program

input_img_size = (16, 16, 3)
batch_size = 2


def _images(seed):
    return np.random.RandomState(seed).uniform(-1.0, 1.0, (4,) + input_img_size).astype("float32")


def _networks(keras, pad):
    """The example's building blocks, generators and discriminators; ``pad(x, paddings)`` reflects."""
    layers = keras.layers
    kernel_init = keras.initializers.RandomNormal(mean=0.0, stddev=0.02)
    gamma_init = keras.initializers.RandomNormal(mean=0.0, stddev=0.02)

    class ReflectionPadding2D(layers.Layer):
        def __init__(self, padding=(1, 1), **kwargs):
            self.padding = tuple(padding)
            super().__init__(**kwargs)

        def call(self, input_tensor, mask=None):
            padding_width, padding_height = self.padding
            padding_tensor = [
                [0, 0],
                [padding_height, padding_height],
                [padding_width, padding_width],
                [0, 0],
            ]
            return pad(input_tensor, padding_tensor)

    def instance_normalization(gamma_initializer):
        return layers.GroupNormalization(groups=-1, gamma_initializer=gamma_initializer)

    def residual_block(x, activation, kernel_initializer=kernel_init, kernel_size=(3, 3), strides=(1, 1),
                       padding="valid", gamma_initializer=gamma_init, use_bias=False):
        dim = x.shape[-1]
        input_tensor = x

        x = ReflectionPadding2D()(input_tensor)
        x = layers.Conv2D(dim, kernel_size, strides=strides, kernel_initializer=kernel_initializer,
                          padding=padding, use_bias=use_bias)(x)
        x = instance_normalization(gamma_initializer)(x)
        x = activation(x)

        x = ReflectionPadding2D()(x)
        x = layers.Conv2D(dim, kernel_size, strides=strides, kernel_initializer=kernel_initializer,
                          padding=padding, use_bias=use_bias)(x)
        x = instance_normalization(gamma_initializer)(x)
        x = layers.add([input_tensor, x])
        return x

    def downsample(x, filters, activation, kernel_initializer=kernel_init, kernel_size=(3, 3), strides=(2, 2),
                   padding="same", gamma_initializer=gamma_init, use_bias=False):
        x = layers.Conv2D(filters, kernel_size, strides=strides, kernel_initializer=kernel_initializer,
                          padding=padding, use_bias=use_bias)(x)
        x = instance_normalization(gamma_initializer)(x)
        if activation:
            x = activation(x)
        return x

    def upsample(x, filters, activation, kernel_size=(3, 3), strides=(2, 2), padding="same",
                 kernel_initializer=kernel_init, gamma_initializer=gamma_init, use_bias=False):
        x = layers.Conv2DTranspose(filters, kernel_size, strides=strides, padding=padding,
                                   kernel_initializer=kernel_initializer, use_bias=use_bias)(x)
        x = instance_normalization(gamma_initializer)(x)
        if activation:
            x = activation(x)
        return x

    def get_resnet_generator(filters=4, num_downsampling_blocks=2, num_residual_blocks=1, num_upsample_blocks=2,
                             gamma_initializer=gamma_init, name=None):
        img_input = layers.Input(shape=input_img_size, name=name + "_img_input")
        x = ReflectionPadding2D(padding=(3, 3))(img_input)
        x = layers.Conv2D(filters, (7, 7), kernel_initializer=kernel_init, use_bias=False)(x)
        x = instance_normalization(gamma_initializer)(x)
        x = layers.Activation("relu")(x)

        # Downsampling
        for _ in range(num_downsampling_blocks):
            filters *= 2
            x = downsample(x, filters=filters, activation=layers.Activation("relu"))

        # Residual blocks
        for _ in range(num_residual_blocks):
            x = residual_block(x, activation=layers.Activation("relu"))

        # Upsampling
        for _ in range(num_upsample_blocks):
            filters //= 2
            x = upsample(x, filters, activation=layers.Activation("relu"))

        # Final block
        x = ReflectionPadding2D(padding=(3, 3))(x)
        x = layers.Conv2D(3, (7, 7), padding="valid")(x)
        x = layers.Activation("tanh")(x)

        model = keras.models.Model(img_input, x, name=name)
        return model

    def get_discriminator(filters=4, kernel_initializer=kernel_init, num_downsampling=3, name=None):
        img_input = layers.Input(shape=input_img_size, name=name + "_img_input")
        x = layers.Conv2D(filters, (4, 4), strides=(2, 2), padding="same",
                          kernel_initializer=kernel_initializer)(img_input)
        x = layers.LeakyReLU(0.2)(x)

        num_filters = filters
        for num_downsample_block in range(3):
            num_filters *= 2
            if num_downsample_block < 2:
                x = downsample(x, filters=num_filters, activation=layers.LeakyReLU(0.2), kernel_size=(4, 4),
                               strides=(2, 2))
            else:
                x = downsample(x, filters=num_filters, activation=layers.LeakyReLU(0.2), kernel_size=(4, 4),
                               strides=(1, 1))

        x = layers.Conv2D(1, (4, 4), strides=(1, 1), padding="same", kernel_initializer=kernel_initializer)(x)

        model = keras.models.Model(inputs=img_input, outputs=x, name=name)
        return model

    return (get_resnet_generator(name="generator_G"), get_resnet_generator(name="generator_F"),
            get_discriminator(name="discriminator_X"), get_discriminator(name="discriminator_Y"))


def _train(keras, CycleGan, networks, sync, like, fit_data):
    """Compile, fit with the example's callbacks, reload the checkpoint and translate test horses.

    ``like(value, x)``: a tensor of ``value`` shaped as ``x`` (``tf.ones_like`` / ``torch.ones_like``);
    ``fit_data(horses, zebras)``: ``fit``'s data arguments, by name.
    """
    gen_G, gen_F, disc_X, disc_Y = networks
    for model in networks:
        sync(model)
    test_horses = _images(2)

    class GANMonitor(keras.callbacks.Callback):
        """A callback to generate and save images after each epoch"""

        def __init__(self, num_img=4):
            super().__init__()
            self.num_img = num_img
            self.images = []

        def on_epoch_end(self, epoch, logs=None):
            for i in range(self.num_img):
                img = test_horses[i:i + 1]
                prediction = keras.ops.convert_to_numpy(self.model.gen_G(img)[0])
                self.images.append(prediction * 127.5 + 127.5)

    # Loss function for evaluating adversarial loss
    adv_loss_fn = keras.losses.MeanSquaredError()

    # Define the loss function for the generators
    def generator_loss_fn(fake):
        fake_loss = adv_loss_fn(like(1.0, fake), fake)
        return fake_loss

    # Define the loss function for the discriminators
    def discriminator_loss_fn(real, fake):
        real_loss = adv_loss_fn(like(1.0, real), real)
        fake_loss = adv_loss_fn(like(0.0, fake), fake)
        return (real_loss + fake_loss) * 0.5

    cycle_gan_model = CycleGan(generator_G=gen_G, generator_F=gen_F, discriminator_X=disc_X,
                               discriminator_Y=disc_Y)
    cycle_gan_model.compile(
        gen_G_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        gen_F_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        disc_X_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        disc_Y_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        gen_loss_fn=generator_loss_fn,
        disc_loss_fn=discriminator_loss_fn,
    )
    # Keras 3 saves the weights of a built model only: calling it once builds it (the example never does).
    cycle_gan_model(test_horses[:1])
    plotter = GANMonitor()
    with tempfile.TemporaryDirectory() as folder:
        checkpoint_filepath = os.path.join(folder, "cyclegan_checkpoints.{epoch:03d}.weights.h5")
        model_checkpoint_callback = keras.callbacks.ModelCheckpoint(filepath=checkpoint_filepath,
                                                                    save_weights_only=True)
        history = cycle_gan_model.fit(**fit_data(_images(0), _images(1)), epochs=1,
                                      callbacks=[plotter, model_checkpoint_callback], shuffle=False, verbose=0)
        trained = [keras.ops.convert_to_numpy(w) for w in cycle_gan_model.weights]
        for weight in cycle_gan_model.weights:
            weight.assign(keras.ops.zeros_like(weight))
        cycle_gan_model.load_weights(os.path.join(folder, "cyclegan_checkpoints.001.weights.h5"))
    predictions = [keras.ops.convert_to_numpy(cycle_gan_model.gen_G(test_horses[i:i + 1], training=False)[0])
                   for i in range(4)]
    return {"history": history.history, "monitor": plotter.images, "trained": trained,
            "reloaded": [keras.ops.convert_to_numpy(w) for w in cycle_gan_model.weights],
            "predictions": [p * 127.5 + 127.5 for p in predictions], "n_weights": len(cycle_gan_model.weights)}


def cyclegan_tensorflow(keras, sync):
    import tensorflow as tf

    networks = _networks(keras, lambda x, paddings: tf.pad(x, paddings, mode="REFLECT"))

    class CycleGan(keras.Model):
        def __init__(self, generator_G, generator_F, discriminator_X, discriminator_Y, lambda_cycle=10.0,
                     lambda_identity=0.5):
            super().__init__()
            self.gen_G = generator_G
            self.gen_F = generator_F
            self.disc_X = discriminator_X
            self.disc_Y = discriminator_Y
            self.lambda_cycle = lambda_cycle
            self.lambda_identity = lambda_identity

        def call(self, inputs):
            return (self.disc_X(inputs), self.disc_Y(inputs), self.gen_G(inputs), self.gen_F(inputs))

        def compile(self, gen_G_optimizer, gen_F_optimizer, disc_X_optimizer, disc_Y_optimizer, gen_loss_fn,
                    disc_loss_fn):
            super().compile()
            self.gen_G_optimizer = gen_G_optimizer
            self.gen_F_optimizer = gen_F_optimizer
            self.disc_X_optimizer = disc_X_optimizer
            self.disc_Y_optimizer = disc_Y_optimizer
            self.generator_loss_fn = gen_loss_fn
            self.discriminator_loss_fn = disc_loss_fn
            self.cycle_loss_fn = keras.losses.MeanAbsoluteError()
            self.identity_loss_fn = keras.losses.MeanAbsoluteError()

        def train_step(self, batch_data):
            # x is Horse and y is zebra
            real_x, real_y = batch_data

            with tf.GradientTape(persistent=True) as tape:
                fake_y = self.gen_G(real_x, training=True)
                fake_x = self.gen_F(real_y, training=True)
                cycled_x = self.gen_F(fake_y, training=True)
                cycled_y = self.gen_G(fake_x, training=True)
                same_x = self.gen_F(real_x, training=True)
                same_y = self.gen_G(real_y, training=True)
                disc_real_x = self.disc_X(real_x, training=True)
                disc_fake_x = self.disc_X(fake_x, training=True)
                disc_real_y = self.disc_Y(real_y, training=True)
                disc_fake_y = self.disc_Y(fake_y, training=True)

                gen_G_loss = self.generator_loss_fn(disc_fake_y)
                gen_F_loss = self.generator_loss_fn(disc_fake_x)
                cycle_loss_G = self.cycle_loss_fn(real_y, cycled_y) * self.lambda_cycle
                cycle_loss_F = self.cycle_loss_fn(real_x, cycled_x) * self.lambda_cycle
                id_loss_G = self.identity_loss_fn(real_y, same_y) * self.lambda_cycle * self.lambda_identity
                id_loss_F = self.identity_loss_fn(real_x, same_x) * self.lambda_cycle * self.lambda_identity
                total_loss_G = gen_G_loss + cycle_loss_G + id_loss_G
                total_loss_F = gen_F_loss + cycle_loss_F + id_loss_F
                disc_X_loss = self.discriminator_loss_fn(disc_real_x, disc_fake_x)
                disc_Y_loss = self.discriminator_loss_fn(disc_real_y, disc_fake_y)

            grads_G = tape.gradient(total_loss_G, self.gen_G.trainable_variables)
            grads_F = tape.gradient(total_loss_F, self.gen_F.trainable_variables)
            disc_X_grads = tape.gradient(disc_X_loss, self.disc_X.trainable_variables)
            disc_Y_grads = tape.gradient(disc_Y_loss, self.disc_Y.trainable_variables)

            self.gen_G_optimizer.apply_gradients(zip(grads_G, self.gen_G.trainable_variables))
            self.gen_F_optimizer.apply_gradients(zip(grads_F, self.gen_F.trainable_variables))
            self.disc_X_optimizer.apply_gradients(zip(disc_X_grads, self.disc_X.trainable_variables))
            self.disc_Y_optimizer.apply_gradients(zip(disc_Y_grads, self.disc_Y.trainable_variables))

            return {"G_loss": total_loss_G, "F_loss": total_loss_F, "D_X_loss": disc_X_loss,
                    "D_Y_loss": disc_Y_loss}

    def fit_data(horses, zebras):
        train_horses = tf.data.Dataset.from_tensor_slices(horses).batch(batch_size)
        train_zebras = tf.data.Dataset.from_tensor_slices(zebras).batch(batch_size)
        return {"x": tf.data.Dataset.zip((train_horses, train_zebras))}

    return _train(keras, CycleGan, networks, sync,
                  lambda value, x: tf.ones_like(x) if value else tf.zeros_like(x), fit_data)


def cyclegan_torch(keras, sync):
    import torch

    networks = _networks(keras, lambda x, paddings: keras.ops.pad(x, paddings, mode="reflect"))

    class CycleGan(keras.Model):
        def __init__(self, generator_G, generator_F, discriminator_X, discriminator_Y, lambda_cycle=10.0,
                     lambda_identity=0.5):
            super().__init__()
            self.gen_G = generator_G
            self.gen_F = generator_F
            self.disc_X = discriminator_X
            self.disc_Y = discriminator_Y
            self.lambda_cycle = lambda_cycle
            self.lambda_identity = lambda_identity

        def call(self, inputs):
            return (self.disc_X(inputs), self.disc_Y(inputs), self.gen_G(inputs), self.gen_F(inputs))

        def compile(self, gen_G_optimizer, gen_F_optimizer, disc_X_optimizer, disc_Y_optimizer, gen_loss_fn,
                    disc_loss_fn):
            super().compile()
            self.gen_G_optimizer = gen_G_optimizer
            self.gen_F_optimizer = gen_F_optimizer
            self.disc_X_optimizer = disc_X_optimizer
            self.disc_Y_optimizer = disc_Y_optimizer
            self.generator_loss_fn = gen_loss_fn
            self.discriminator_loss_fn = disc_loss_fn
            self.cycle_loss_fn = keras.losses.MeanAbsoluteError()
            self.identity_loss_fn = keras.losses.MeanAbsoluteError()

        def train_step(self, batch_data):
            # x is Horse and y is zebra
            real_x, real_y = batch_data

            fake_y = self.gen_G(real_x, training=True)
            fake_x = self.gen_F(real_y, training=True)
            cycled_x = self.gen_F(fake_y, training=True)
            cycled_y = self.gen_G(fake_x, training=True)
            same_x = self.gen_F(real_x, training=True)
            same_y = self.gen_G(real_y, training=True)
            disc_real_x = self.disc_X(real_x, training=True)
            disc_fake_x = self.disc_X(fake_x, training=True)
            disc_real_y = self.disc_Y(real_y, training=True)
            disc_fake_y = self.disc_Y(fake_y, training=True)

            gen_G_loss = self.generator_loss_fn(disc_fake_y)
            gen_F_loss = self.generator_loss_fn(disc_fake_x)
            cycle_loss_G = self.cycle_loss_fn(real_y, cycled_y) * self.lambda_cycle
            cycle_loss_F = self.cycle_loss_fn(real_x, cycled_x) * self.lambda_cycle
            id_loss_G = self.identity_loss_fn(real_y, same_y) * self.lambda_cycle * self.lambda_identity
            id_loss_F = self.identity_loss_fn(real_x, same_x) * self.lambda_cycle * self.lambda_identity
            total_loss_G = gen_G_loss + cycle_loss_G + id_loss_G
            total_loss_F = gen_F_loss + cycle_loss_F + id_loss_F
            disc_X_loss = self.discriminator_loss_fn(disc_real_x, disc_fake_x)
            disc_Y_loss = self.discriminator_loss_fn(disc_real_y, disc_fake_y)

            # The persistent tape: every gradient from the one graph, kept until the last.
            def gradients(loss, model):
                return torch.autograd.grad(loss, [v.value for v in model.trainable_variables], retain_graph=True)

            grads_G = gradients(total_loss_G, self.gen_G)
            grads_F = gradients(total_loss_F, self.gen_F)
            disc_X_grads = gradients(disc_X_loss, self.disc_X)
            disc_Y_grads = gradients(disc_Y_loss, self.disc_Y)

            with torch.no_grad():
                self.gen_G_optimizer.apply(grads_G, self.gen_G.trainable_variables)
                self.gen_F_optimizer.apply(grads_F, self.gen_F.trainable_variables)
                self.disc_X_optimizer.apply(disc_X_grads, self.disc_X.trainable_variables)
                self.disc_Y_optimizer.apply(disc_Y_grads, self.disc_Y.trainable_variables)

            return {"G_loss": total_loss_G, "F_loss": total_loss_F, "D_X_loss": disc_X_loss,
                    "D_Y_loss": disc_Y_loss}

    return _train(keras, CycleGan, networks, sync,
                  lambda value, x: torch.ones_like(x) if value else torch.zeros_like(x),
                  lambda horses, zebras: {"x": horses, "y": zebras, "batch_size": batch_size})


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the TensorFlow form of the example (tf.GradientTape, tf.data) runs under TensorFlow only")
def test_cyclegan_tensorflow_form():
    check_program(cyclegan_tensorflow)


@pytest.mark.skipif(kerasport.backend.backend() != "torch",
                    reason="the torch form of the example (torch.autograd.grad) runs under torch only")
def test_cyclegan_torch_form():
    check_torch_program(cyclegan_torch, [cyclegan_torch])
