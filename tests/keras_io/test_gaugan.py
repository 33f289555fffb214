"""keras.io example "GauGAN for conditional image generation" (examples/generative/gaugan.py), TensorFlow form.

The example's ``SPADE`` (``tf.image.resize`` of the mask in a layer whose ``build`` keeps the input's size,
``tf.nn.moments``), ``ResBlock`` (sublayers made in ``build``, a learned skip), ``GaussianSampler``, the
``downsample`` blocks, the encoder, the SPADE generator, the multi-output patch discriminator, the
``FeatureMatchingLoss`` / ``VGGFeatureMatchingLoss`` / ``DiscriminatorLoss`` loss subclasses (a ``VGG19`` cut at
five layers, ``vgg19.preprocess_input``), the ``GanMonitor`` callback, and the ``GauGAN`` model: a combined
generator built with the discriminator frozen, ``compile`` overridden with two ``Adam`` optimizers, a
``tf.GradientTape`` ``train_step`` that toggles ``discriminator.trainable`` between its two updates, a
``test_step``, and ``call`` on ``[latent, labels]``; fitted on a ``tf.data`` dataset of (segmentation map, image,
labels) batches with validation, then ``predict``. It runs under ``KERASPORT_BACKEND=tensorflow`` against Keras 3
on TensorFlow. What it found: ``fit`` called the unbuilt model on the batch's first element (Keras on TensorFlow
builds nothing before tracing an overridden step; ``call`` takes ``[latent, labels]``).
Shrunk: 2 random 32x32 images (one batch) and 3-class maps (no Facades download), ``BATCH_SIZE=2``,
``LATENT_DIM=8``, the filter counts divided by 16 to 64 (encoder and discriminator ``downsample_factor=4``;
generator 16-8-8 filters from 4x4, SPADE's hidden convolution 8 filters), 3 encoder downsamplings and 3 generator
upsamplings instead of 5 and 6, 1 epoch. Changed: ``tfa.layers.InstanceNormalization`` is
``GroupNormalization(groups=-1)`` (Keras 3 has no TensorFlow Addons); the generator's last ``tf.nn.leaky_relu`` /
``tf.nn.tanh`` on symbolic tensors are ``LeakyReLU`` / ``keras.ops.tanh`` (a TensorFlow function takes no
KerasTensor in Keras 3); ``VGG19`` has ``weights=None`` (no download) and its initial weights are synced; the random
draws (the sampler's epsilon, the monitor's and the inference's latent vectors) are fixed patterns.
``DiscriminatorLoss`` computes its label as ``2.0 * is_real - 1.0``: ``Loss.__call__`` makes ``is_real`` a tensor,
and the example's ``1.0 if is_real else -1.0`` raises ``OperatorNotAllowedInGraphError`` in a traced step, in
Keras's as in kerasport's (the oracle here runs eagerly, where it works).
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

IMG_HEIGHT = 32
NUM_CLASSES = 3
BATCH_SIZE = 2
LATENT_DIM = 8


def gaugan_program(keras, sync):
    import tensorflow as tf
    layers = keras.layers

    def _pattern(shape, phase):
        size = int(np.prod(shape))
        return tf.reshape(tf.sin(tf.cast(tf.range(size), tf.float32) * 0.37 + phase), shape)

    rng = np.random.RandomState(0)
    n = 2
    labels_idx = rng.randint(0, NUM_CLASSES, (n, IMG_HEIGHT, IMG_HEIGHT))
    segmentation_maps = (np.eye(3, dtype="float32")[labels_idx] * 2 - 1)
    images = rng.uniform(-1, 1, (n, IMG_HEIGHT, IMG_HEIGHT, 3)).astype("float32")
    labels = np.eye(NUM_CLASSES, dtype="float32")[labels_idx]
    train_dataset = tf.data.Dataset.from_tensor_slices((segmentation_maps, images, labels)).batch(
        BATCH_SIZE, drop_remainder=True)
    val_dataset = tf.data.Dataset.from_tensor_slices((segmentation_maps[:2], images[:2], labels[:2])).batch(
        BATCH_SIZE, drop_remainder=True)

    class SPADE(layers.Layer):
        def __init__(self, filters, epsilon=1e-5, **kwargs):
            super().__init__(**kwargs)
            self.epsilon = epsilon
            self.conv = layers.Conv2D(8, 3, padding="same", activation="relu")
            self.conv_gamma = layers.Conv2D(filters, 3, padding="same")
            self.conv_beta = layers.Conv2D(filters, 3, padding="same")

        def build(self, input_shape):
            self.resize_shape = input_shape[1:3]

        def call(self, input_tensor, raw_mask):
            mask = tf.image.resize(raw_mask, self.resize_shape, method="nearest")
            x = self.conv(mask)
            gamma = self.conv_gamma(x)
            beta = self.conv_beta(x)
            mean, var = tf.nn.moments(input_tensor, axes=(0, 1, 2), keepdims=True)
            std = tf.sqrt(var + self.epsilon)
            normalized = (input_tensor - mean) / std
            output = gamma * normalized + beta
            return output

    class ResBlock(layers.Layer):
        def __init__(self, filters, **kwargs):
            super().__init__(**kwargs)
            self.filters = filters

        def build(self, input_shape):
            input_filter = input_shape[-1]
            self.spade_1 = SPADE(input_filter)
            self.spade_2 = SPADE(self.filters)
            self.conv_1 = layers.Conv2D(self.filters, 3, padding="same")
            self.conv_2 = layers.Conv2D(self.filters, 3, padding="same")
            self.learned_skip = False
            if self.filters != input_filter:
                self.learned_skip = True
                self.spade_3 = SPADE(input_filter)
                self.conv_3 = layers.Conv2D(self.filters, 3, padding="same")

        def call(self, input_tensor, mask):
            x = self.spade_1(input_tensor, mask)
            x = self.conv_1(tf.nn.leaky_relu(x, 0.2))
            x = self.spade_2(x, mask)
            x = self.conv_2(tf.nn.leaky_relu(x, 0.2))
            skip = (
                self.conv_3(tf.nn.leaky_relu(self.spade_3(input_tensor, mask), 0.2))
                if self.learned_skip
                else input_tensor
            )
            output = skip + x
            return output

    class GaussianSampler(layers.Layer):
        def __init__(self, batch_size, latent_dim, **kwargs):
            super().__init__(**kwargs)
            self.batch_size = batch_size
            self.latent_dim = latent_dim

        def call(self, inputs):
            means, variance = inputs
            epsilon = _pattern((self.batch_size, self.latent_dim), 0.5)
            samples = means + tf.exp(0.5 * variance) * epsilon
            return samples

    def downsample(channels, kernels, strides=2, apply_norm=True, apply_activation=True, apply_dropout=False):
        block = keras.Sequential()
        block.add(layers.Conv2D(channels, kernels, strides=strides, padding="same", use_bias=False,
                                kernel_initializer=keras.initializers.GlorotNormal()))
        if apply_norm:
            block.add(layers.GroupNormalization(groups=-1))
        if apply_activation:
            block.add(layers.LeakyReLU(0.2))
        if apply_dropout:
            block.add(layers.Dropout(0.0))
        return block

    def build_encoder(image_shape, encoder_downsample_factor=4, latent_dim=LATENT_DIM):
        input_image = keras.Input(shape=image_shape)
        x = downsample(encoder_downsample_factor, 3, apply_norm=False)(input_image)
        x = downsample(2 * encoder_downsample_factor, 3)(x)
        x = downsample(4 * encoder_downsample_factor, 3)(x)
        x = layers.Flatten()(x)
        mean = layers.Dense(latent_dim, name="mean")(x)
        variance = layers.Dense(latent_dim, name="variance")(x)
        return keras.Model(input_image, [mean, variance], name="encoder")

    def build_generator(mask_shape, latent_dim=LATENT_DIM):
        latent = keras.Input(shape=(latent_dim,))
        mask = keras.Input(shape=mask_shape)
        x = layers.Dense(4 * 4 * 16)(latent)
        x = layers.Reshape((4, 4, 16))(x)
        x = ResBlock(filters=16)(x, mask)
        x = layers.UpSampling2D((2, 2))(x)
        x = ResBlock(filters=8)(x, mask)
        x = layers.UpSampling2D((2, 2))(x)
        x = ResBlock(filters=8)(x, mask)
        x = layers.UpSampling2D((2, 2))(x)
        x = layers.LeakyReLU(0.2)(x)
        output_image = keras.ops.tanh(layers.Conv2D(3, 4, padding="same")(x))
        return keras.Model([latent, mask], output_image, name="generator")

    def build_discriminator(image_shape, downsample_factor=4):
        input_image_A = keras.Input(shape=image_shape, name="discriminator_image_A")
        input_image_B = keras.Input(shape=image_shape, name="discriminator_image_B")
        x = layers.Concatenate()([input_image_A, input_image_B])
        x1 = downsample(downsample_factor, 4, apply_norm=False)(x)
        x2 = downsample(2 * downsample_factor, 4)(x1)
        x3 = downsample(4 * downsample_factor, 4)(x2)
        x4 = downsample(8 * downsample_factor, 4, strides=1)(x3)
        x5 = layers.Conv2D(1, 4)(x4)
        outputs = [x1, x2, x3, x4, x5]
        return keras.Model([input_image_A, input_image_B], outputs)

    def generator_loss(y):
        return -tf.reduce_mean(y)

    def kl_divergence_loss(mean, variance):
        return -0.5 * tf.reduce_sum(1 + variance - tf.square(mean) - tf.exp(variance))

    class FeatureMatchingLoss(keras.losses.Loss):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.mae = keras.losses.MeanAbsoluteError()

        def call(self, y_true, y_pred):
            loss = 0
            for i in range(len(y_true) - 1):
                loss += self.mae(y_true[i], y_pred[i])
            return loss

    class VGGFeatureMatchingLoss(keras.losses.Loss):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.encoder_layers = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
            self.weights = [1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0]
            vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(IMG_HEIGHT, IMG_HEIGHT, 3))
            layer_outputs = [vgg.get_layer(x).output for x in self.encoder_layers]
            self.vgg_model = keras.Model(vgg.input, layer_outputs, name="VGG")
            self.mae = keras.losses.MeanAbsoluteError()

        def call(self, y_true, y_pred):
            y_true = keras.applications.vgg19.preprocess_input(127.5 * (y_true + 1))
            y_pred = keras.applications.vgg19.preprocess_input(127.5 * (y_pred + 1))
            real_features = self.vgg_model(y_true)
            fake_features = self.vgg_model(y_pred)
            loss = 0
            for i in range(len(real_features)):
                loss += self.weights[i] * self.mae(real_features[i], fake_features[i])
            return loss

    class DiscriminatorLoss(keras.losses.Loss):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hinge_loss = keras.losses.Hinge()

        def call(self, y, is_real):
            label = 2.0 * is_real - 1.0  # the example's ``1.0 if is_real else -1.0`` (see the docstring)
            return self.hinge_loss(label, y)

    class GanMonitor(keras.callbacks.Callback):
        def __init__(self, val_dataset, n_samples, epoch_interval=5):
            super().__init__()
            self.val_images = next(iter(val_dataset))
            self.n_samples = n_samples
            self.epoch_interval = epoch_interval
            self.generated = []

        def infer(self):
            latent_vector = 2.0 * _pattern((self.model.batch_size, self.model.latent_dim), 1.5)
            return self.model.predict([latent_vector, self.val_images[2]], verbose=0)

        def on_epoch_end(self, epoch, logs=None):
            if epoch % self.epoch_interval == 0:
                self.generated.append(self.infer())

    class GauGAN(keras.Model):
        def __init__(self, image_size, num_classes, batch_size, latent_dim, feature_loss_coeff=10,
                     vgg_feature_loss_coeff=0.1, kl_divergence_loss_coeff=0.1, **kwargs):
            super().__init__(**kwargs)
            self.image_size = image_size
            self.latent_dim = latent_dim
            self.batch_size = batch_size
            self.num_classes = num_classes
            self.image_shape = (image_size, image_size, 3)
            self.mask_shape = (image_size, image_size, num_classes)
            self.feature_loss_coeff = feature_loss_coeff
            self.vgg_feature_loss_coeff = vgg_feature_loss_coeff
            self.kl_divergence_loss_coeff = kl_divergence_loss_coeff

            self.discriminator = build_discriminator(self.image_shape)
            self.generator = build_generator(self.mask_shape)
            self.encoder = build_encoder(self.image_shape)
            self.sampler = GaussianSampler(batch_size, latent_dim)
            self.patch_size, self.combined_model = self.build_combined_generator()

            self.disc_loss_tracker = keras.metrics.Mean(name="disc_loss")
            self.gen_loss_tracker = keras.metrics.Mean(name="gen_loss")
            self.feat_loss_tracker = keras.metrics.Mean(name="feat_loss")
            self.vgg_loss_tracker = keras.metrics.Mean(name="vgg_loss")
            self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [self.disc_loss_tracker, self.gen_loss_tracker, self.feat_loss_tracker, self.vgg_loss_tracker,
                    self.kl_loss_tracker]

        def build_combined_generator(self):
            self.discriminator.trainable = False
            mask_input = keras.Input(shape=self.mask_shape, name="mask")
            image_input = keras.Input(shape=self.image_shape, name="image")
            latent_input = keras.Input(shape=(self.latent_dim,), name="latent")
            generated_image = self.generator([latent_input, mask_input])
            discriminator_output = self.discriminator([image_input, generated_image])
            patch_size = discriminator_output[-1].shape[1]
            combined_model = keras.Model([latent_input, mask_input, image_input],
                                         [discriminator_output, generated_image])
            return patch_size, combined_model

        def compile(self, gen_lr=1e-4, disc_lr=4e-4, **kwargs):
            super().compile(**kwargs)
            self.generator_optimizer = keras.optimizers.Adam(gen_lr, beta_1=0.0, beta_2=0.999)
            self.discriminator_optimizer = keras.optimizers.Adam(disc_lr, beta_1=0.0, beta_2=0.999)
            self.discriminator_loss = DiscriminatorLoss()
            self.feature_matching_loss = FeatureMatchingLoss()
            self.vgg_loss = VGGFeatureMatchingLoss()

        def train_discriminator(self, latent_vector, segmentation_map, real_image, labels):
            fake_images = self.generator([latent_vector, labels])
            with tf.GradientTape() as gradient_tape:
                pred_fake = self.discriminator([segmentation_map, fake_images])[-1]
                pred_real = self.discriminator([segmentation_map, real_image])[-1]
                loss_fake = self.discriminator_loss(pred_fake, False)
                loss_real = self.discriminator_loss(pred_real, True)
                total_loss = 0.5 * (loss_fake + loss_real)
            self.discriminator.trainable = True
            gradients = gradient_tape.gradient(total_loss, self.discriminator.trainable_variables)
            self.discriminator_optimizer.apply_gradients(zip(gradients, self.discriminator.trainable_variables))
            return total_loss

        def train_generator(self, latent_vector, segmentation_map, labels, image, mean, variance):
            self.discriminator.trainable = False
            with tf.GradientTape() as tape:
                real_d_output = self.discriminator([segmentation_map, image])
                fake_d_output, fake_image = self.combined_model([latent_vector, labels, segmentation_map])
                pred = fake_d_output[-1]
                g_loss = generator_loss(pred)
                kl_loss = self.kl_divergence_loss_coeff * kl_divergence_loss(mean, variance)
                vgg_loss = self.vgg_feature_loss_coeff * self.vgg_loss(image, fake_image)
                feature_loss = self.feature_loss_coeff * self.feature_matching_loss(real_d_output, fake_d_output)
                total_loss = g_loss + kl_loss + vgg_loss + feature_loss
            all_trainable_variables = self.combined_model.trainable_variables + self.encoder.trainable_variables
            gradients = tape.gradient(total_loss, all_trainable_variables)
            self.generator_optimizer.apply_gradients(zip(gradients, all_trainable_variables))
            return total_loss, feature_loss, vgg_loss, kl_loss

        def train_step(self, data):
            segmentation_map, image, labels = data
            mean, variance = self.encoder(image)
            latent_vector = self.sampler([mean, variance])
            discriminator_loss = self.train_discriminator(latent_vector, segmentation_map, image, labels)
            (generator_loss, feature_loss, vgg_loss, kl_loss) = self.train_generator(
                latent_vector, segmentation_map, labels, image, mean, variance)
            self.disc_loss_tracker.update_state(discriminator_loss)
            self.gen_loss_tracker.update_state(generator_loss)
            self.feat_loss_tracker.update_state(feature_loss)
            self.vgg_loss_tracker.update_state(vgg_loss)
            self.kl_loss_tracker.update_state(kl_loss)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            segmentation_map, image, labels = data
            mean, variance = self.encoder(image)
            latent_vector = self.sampler([mean, variance])
            fake_images = self.generator([latent_vector, labels])
            pred_fake = self.discriminator([segmentation_map, fake_images])[-1]
            pred_real = self.discriminator([segmentation_map, image])[-1]
            loss_fake = self.discriminator_loss(pred_fake, False)
            loss_real = self.discriminator_loss(pred_real, True)
            total_discriminator_loss = 0.5 * (loss_fake + loss_real)
            real_d_output = self.discriminator([segmentation_map, image])
            fake_d_output, fake_image = self.combined_model([latent_vector, labels, segmentation_map])
            pred = fake_d_output[-1]
            g_loss = generator_loss(pred)
            kl_loss = self.kl_divergence_loss_coeff * kl_divergence_loss(mean, variance)
            vgg_loss = self.vgg_feature_loss_coeff * self.vgg_loss(image, fake_image)
            feature_loss = self.feature_loss_coeff * self.feature_matching_loss(real_d_output, fake_d_output)
            total_generator_loss = g_loss + kl_loss + vgg_loss + feature_loss
            self.disc_loss_tracker.update_state(total_discriminator_loss)
            self.gen_loss_tracker.update_state(total_generator_loss)
            self.feat_loss_tracker.update_state(feature_loss)
            self.vgg_loss_tracker.update_state(vgg_loss)
            self.kl_loss_tracker.update_state(kl_loss)
            return {m.name: m.result() for m in self.metrics}

        def call(self, inputs):
            latent_vectors, labels = inputs
            return self.generator([latent_vectors, labels])

    gaugan = GauGAN(IMG_HEIGHT, NUM_CLASSES, BATCH_SIZE, latent_dim=LATENT_DIM)
    gaugan.compile()
    sync(gaugan.discriminator)
    sync(gaugan.generator)
    sync(gaugan.encoder)
    sync(gaugan.vgg_loss.vgg_model)
    monitor = GanMonitor(val_dataset, BATCH_SIZE, epoch_interval=1)
    history = gaugan.fit(train_dataset, validation_data=val_dataset, epochs=1, callbacks=[monitor], verbose=0)
    val_images = next(iter(val_dataset))
    latent_vector = 2.0 * _pattern((gaugan.batch_size, gaugan.latent_dim), 2.5)
    fake_images = gaugan.predict([latent_vector, val_images[2]], verbose=0)
    return {"history": history.history, "generated": monitor.generated, "fake_images": fake_images,
            "n_disc_trainable": len(gaugan.discriminator.trainable_weights),
            "n_combined_trainable": len(gaugan.combined_model.trainable_weights)}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's tf.GradientTape train_step and TensorFlow ops run under TensorFlow only")
def test_gaugan_tensorflow_form():
    check_program(gaugan_program, rtol=1e-3, atol=1e-4)
