"""keras.io example "Data-efficient GANs with Adaptive Discriminator Augmentation" (examples/generative/gan_ada.py).

The example's ``KID`` metric (a ``Sequential`` encoder: ``InputLayer(input_shape=...)``, ``Rescaling``, ``Resizing``,
a ``Lambda`` of ``inception_v3.preprocess_input``, ``GlobalAveragePooling2D``; polynomial kernels in TensorFlow
ops), the ``AdaptiveAugmenter`` model (a ``tf.Variable`` probability, ``RandomFlip`` / ``RandomTranslation`` /
``RandomRotation`` / ``RandomZoom``, ``tf.where`` selection, integral control of the probability), the DCGAN
generator and discriminator (``BatchNormalization(scale=False)``, ``LeakyReLU(alpha=...)``), ``clone_model`` for the
EMA generator, the ``GAN_ADA`` model with its own ``compile``, ``metrics``, persistent-tape ``train_step`` (two Adam
optimizers, EMA weight updates) and KID-only ``test_step``, fit with ``validation_data`` and a ``LambdaCallback``,
then the checkpoint of its weights. It runs under ``KERASPORT_BACKEND=tensorflow`` only (``tf.GradientTape``).
Shrunk: 8 random 16x16 images, ``depth=2``, ``width=8``, ``noise_size=8``, batches of 4, 2 epochs; the KID encoder
has a small ``Conv2D`` in place of ``InceptionV3`` (its weights cannot be downloaded, and its graph is slow to
trace). Changed: the latent vectors are one fixed batch instead of ``tf.random.normal`` draws, ``target_accuracy``
is 1.0 so that the augmentation probability stays 0 (the augmentation layers run, but their random draws are never
selected), dropout is 0, and ``training`` is passed by keyword (Keras 3 refuses a positional ``True``). Keras 3
refuses the example's ``ModelCheckpoint(save_weights_only=True)`` on this model: ``GAN_ADA`` is never called, so it
is not built; the program saves its weights directly and compares the refusal. What it fixed: kerasport saved the
weights of a model that was not built (Keras raises ``ValueError``).
"""
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the example's train_step takes gradients with tf.GradientTape")

image_size = 16
kid_image_size = 75
max_translation = 0.125
max_rotation = 0.125
max_zoom = 0.25
target_accuracy = 1.0
integration_steps = 1000
noise_size = 8
depth = 2
width = 8
leaky_relu_slope = 0.2
dropout_rate = 0.0
batch_size = 4
learning_rate = 2e-4
beta_1 = 0.5
ema = 0.99


def gan_ada(keras, sync):
    import tensorflow as tf
    layers = keras.layers
    latent = np.random.RandomState(1).normal(size=(batch_size, noise_size)).astype("float32")

    class KID(keras.metrics.Metric):
        def __init__(self, name="KID", **kwargs):
            super().__init__(name=name, **kwargs)
            self.kid_tracker = keras.metrics.Mean()
            self.encoder = keras.Sequential([
                layers.InputLayer(input_shape=(image_size, image_size, 3)),
                layers.Rescaling(255.0),
                layers.Resizing(height=kid_image_size, width=kid_image_size),
                layers.Lambda(keras.applications.inception_v3.preprocess_input),
                layers.Conv2D(16, 3, strides=4, activation="relu"),  # in place of InceptionV3(include_top=False)
                layers.GlobalAveragePooling2D(),
            ], name="inception_encoder")

        def polynomial_kernel(self, features_1, features_2):
            feature_dimensions = tf.cast(tf.shape(features_1)[1], dtype=tf.float32)
            return (features_1 @ tf.transpose(features_2) / feature_dimensions + 1.0) ** 3.0

        def update_state(self, real_images, generated_images, sample_weight=None):
            real_features = self.encoder(real_images, training=False)
            generated_features = self.encoder(generated_images, training=False)
            kernel_real = self.polynomial_kernel(real_features, real_features)
            kernel_generated = self.polynomial_kernel(generated_features, generated_features)
            kernel_cross = self.polynomial_kernel(real_features, generated_features)
            batch_size = tf.shape(real_features)[0]
            batch_size_f = tf.cast(batch_size, dtype=tf.float32)
            mean_kernel_real = tf.reduce_sum(kernel_real * (1.0 - tf.eye(batch_size))) / (
                batch_size_f * (batch_size_f - 1.0))
            mean_kernel_generated = tf.reduce_sum(kernel_generated * (1.0 - tf.eye(batch_size))) / (
                batch_size_f * (batch_size_f - 1.0))
            mean_kernel_cross = tf.reduce_mean(kernel_cross)
            kid = mean_kernel_real + mean_kernel_generated - 2.0 * mean_kernel_cross
            self.kid_tracker.update_state(kid)

        def result(self):
            return self.kid_tracker.result()

        def reset_state(self):
            self.kid_tracker.reset_state()

    def step(values):
        return 0.5 * (1.0 + tf.sign(values))

    class AdaptiveAugmenter(keras.Model):
        def __init__(self):
            super().__init__()
            self.probability = tf.Variable(0.0)
            self.augmenter = keras.Sequential([
                layers.InputLayer(input_shape=(image_size, image_size, 3)),
                layers.RandomFlip("horizontal"),
                layers.RandomTranslation(height_factor=max_translation, width_factor=max_translation,
                                         interpolation="nearest"),
                layers.RandomRotation(factor=max_rotation),
                layers.RandomZoom(height_factor=(-max_zoom, 0.0), width_factor=(-max_zoom, 0.0)),
            ], name="adaptive_augmenter")

        def call(self, images, training):
            if training:
                augmented_images = self.augmenter(images, training=training)
                augmentation_values = tf.random.uniform(shape=(batch_size, 1, 1, 1), minval=0.0, maxval=1.0)
                augmentation_bools = tf.math.less(augmentation_values, self.probability)
                images = tf.where(augmentation_bools, augmented_images, images)
            return images

        def update(self, real_logits):
            current_accuracy = tf.reduce_mean(step(real_logits))
            accuracy_error = current_accuracy - target_accuracy
            self.probability.assign(tf.clip_by_value(self.probability + accuracy_error / integration_steps, 0.0, 1.0))

    def get_generator():
        noise_input = keras.Input(shape=(noise_size,))
        x = layers.Dense(4 * 4 * width, use_bias=False)(noise_input)
        x = layers.BatchNormalization(scale=False)(x)
        x = layers.ReLU()(x)
        x = layers.Reshape(target_shape=(4, 4, width))(x)
        for _ in range(depth - 1):
            x = layers.Conv2DTranspose(width, kernel_size=4, strides=2, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization(scale=False)(x)
            x = layers.ReLU()(x)
        image_output = layers.Conv2DTranspose(3, kernel_size=4, strides=2, padding="same", activation="sigmoid")(x)
        return keras.Model(noise_input, image_output, name="generator")

    def get_discriminator():
        image_input = keras.Input(shape=(image_size, image_size, 3))
        x = image_input
        for _ in range(depth):
            x = layers.Conv2D(width, kernel_size=4, strides=2, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization(scale=False)(x)
            x = layers.LeakyReLU(alpha=leaky_relu_slope)(x)
        x = layers.Flatten()(x)
        x = layers.Dropout(dropout_rate)(x)
        output_score = layers.Dense(1)(x)
        return keras.Model(image_input, output_score, name="discriminator")

    class GAN_ADA(keras.Model):
        def __init__(self):
            super().__init__()
            self.augmenter = AdaptiveAugmenter()
            self.generator = get_generator()
            self.ema_generator = keras.models.clone_model(self.generator)
            self.discriminator = get_discriminator()
            self.generator.summary()
            self.discriminator.summary()

        def compile(self, generator_optimizer, discriminator_optimizer, **kwargs):
            super().compile(**kwargs)
            self.generator_optimizer = generator_optimizer
            self.discriminator_optimizer = discriminator_optimizer
            self.generator_loss_tracker = keras.metrics.Mean(name="g_loss")
            self.discriminator_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.real_accuracy = keras.metrics.BinaryAccuracy(name="real_acc")
            self.generated_accuracy = keras.metrics.BinaryAccuracy(name="gen_acc")
            self.augmentation_probability_tracker = keras.metrics.Mean(name="aug_p")
            self.kid = KID()

        @property
        def metrics(self):
            return [self.generator_loss_tracker, self.discriminator_loss_tracker, self.real_accuracy,
                    self.generated_accuracy, self.augmentation_probability_tracker, self.kid]

        def generate(self, batch_size, training):
            latent_samples = tf.constant(latent[:batch_size])
            if training:
                generated_images = self.generator(latent_samples, training=training)
            else:
                generated_images = self.ema_generator(latent_samples, training=training)
            return generated_images

        def adversarial_loss(self, real_logits, generated_logits):
            real_labels = tf.ones(shape=(batch_size, 1))
            generated_labels = tf.zeros(shape=(batch_size, 1))
            generator_loss = keras.losses.binary_crossentropy(real_labels, generated_logits, from_logits=True)
            discriminator_loss = keras.losses.binary_crossentropy(
                tf.concat([real_labels, generated_labels], axis=0),
                tf.concat([real_logits, generated_logits], axis=0), from_logits=True)
            return tf.reduce_mean(generator_loss), tf.reduce_mean(discriminator_loss)

        def train_step(self, real_images):
            real_images = self.augmenter(real_images, training=True)
            with tf.GradientTape(persistent=True) as tape:
                generated_images = self.generate(batch_size, training=True)
                generated_images = self.augmenter(generated_images, training=True)
                real_logits = self.discriminator(real_images, training=True)
                generated_logits = self.discriminator(generated_images, training=True)
                generator_loss, discriminator_loss = self.adversarial_loss(real_logits, generated_logits)
            generator_gradients = tape.gradient(generator_loss, self.generator.trainable_weights)
            discriminator_gradients = tape.gradient(discriminator_loss, self.discriminator.trainable_weights)
            self.generator_optimizer.apply_gradients(zip(generator_gradients, self.generator.trainable_weights))
            self.discriminator_optimizer.apply_gradients(
                zip(discriminator_gradients, self.discriminator.trainable_weights))
            self.augmenter.update(real_logits)
            self.generator_loss_tracker.update_state(generator_loss)
            self.discriminator_loss_tracker.update_state(discriminator_loss)
            self.real_accuracy.update_state(1.0, step(real_logits))
            self.generated_accuracy.update_state(0.0, step(generated_logits))
            self.augmentation_probability_tracker.update_state(self.augmenter.probability)
            for weight, ema_weight in zip(self.generator.weights, self.ema_generator.weights):
                ema_weight.assign(ema * ema_weight + (1 - ema) * weight)
            return {m.name: m.result() for m in self.metrics[:-1]}

        def test_step(self, real_images):
            generated_images = self.generate(batch_size, training=False)
            self.kid.update_state(real_images, generated_images)
            return {self.kid.name: self.kid.result()}

    rng = np.random.RandomState(0)
    train = rng.uniform(0, 1, (8, image_size, image_size, 3)).astype("float32")
    val = rng.uniform(0, 1, (4, image_size, image_size, 3)).astype("float32")
    train_dataset = tf.data.Dataset.from_tensor_slices(train).batch(batch_size, drop_remainder=True)
    val_dataset = tf.data.Dataset.from_tensor_slices(val).batch(batch_size, drop_remainder=True)
    model = GAN_ADA()
    sync(model.generator)
    sync(model.ema_generator)
    sync(model.discriminator)
    model.compile(generator_optimizer=keras.optimizers.Adam(learning_rate, beta_1),
                  discriminator_optimizer=keras.optimizers.Adam(learning_rate, beta_1))
    sync(model.kid.encoder)
    epochs_seen = []
    h = model.fit(train_dataset, epochs=2, validation_data=val_dataset, verbose=0,
                  callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: epochs_seen.append(e))])
    ema_after = model.ema_generator.get_weights()
    with tempfile.TemporaryDirectory() as d:
        checkpoint_path = os.path.join(d, "gan_model.weights.h5")
        try:
            model.save_weights(checkpoint_path)
            saved = "saved"
        except ValueError as e:
            saved = type(e).__name__
    gen = model.generate(batch_size, training=False)
    return {"history": h.history, "epochs": epochs_seen, "ema": ema_after, "gen": gen,
            "p": model.augmenter.probability.numpy(), "saved": saved}


def test_gan_ada():
    check_program(gan_ada)
