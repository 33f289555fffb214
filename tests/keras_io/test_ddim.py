"""keras.io example "Denoising Diffusion Implicit Models" (examples/generative/ddim.py), in both backend forms.

The example's ``DiffusionModel`` (``Normalization`` adapted to the data, a residual U-Net built by closures with a
``Lambda`` sinusoidal embedding, an EMA copy made by ``keras.models.clone_model`` and updated by ``assign`` after
every step, AdamW, ``mean_absolute_error``, custom ``train_step`` / ``test_step``, deterministic DDIM sampling,
the ``KID`` metric, a ``LambdaCallback`` that plots samples, a weights-only ``ModelCheckpoint`` on ``val_kid``
reloaded by ``load_weights``) runs in its TensorFlow form (``tf.GradientTape``, ``tf.data``) under
``KERASPORT_BACKEND=tensorflow`` against Keras 3 on TensorFlow, and in the form a torch user writes
(``self.zero_grad()``, ``backward()``, ``optimizer.apply`` under ``torch.no_grad()``, NumPy arrays to ``fit``, the
keras.io torch guide's ``if isinstance(images, tuple)`` line) under ``KERASPORT_BACKEND=torch`` against Keras 3
on torch in a child process. ``mean_absolute_error`` returns one loss per pixel; ``tf.GradientTape`` takes the
gradient of their sum, so the torch form calls ``backward()`` on ``ops.sum(noise_loss)``. Both forms set
``self.built = True`` in ``__init__`` (the model has no ``call()``). Keras 3 on torch still cannot build a model
that has a compiled loss and no ``call()`` ("Unable to automatically build the model"), so the torch form compiles
only the optimizer and sets ``model.loss = keras.losses.mean_absolute_error`` after ``compile``.

Shrunk: 16 images of 16x16 uniform noise instead of Oxford Flowers 102 (no downloads), widths 8/12/16/20 instead
of 32/64/96/128, ``block_depth=1``, ``batch_size=4``, 1 epoch, 2 KID and 3 plot diffusion steps, a 1x2 plot grid;
the plot becomes the generated images. Changed: the KID's encoder is the example's ``Rescaling``, ``Resizing``,
InceptionV3 ``preprocess_input`` and ``GlobalAveragePooling2D`` without the pretrained InceptionV3 (its ImageNet
weights would be a download), so KID's kernel arithmetic runs on the per-channel means. The noises, diffusion
times and initial sampling noise come from ``keras.random`` in the example, whose streams differ between the two
libraries; here they are fixed patterns (``sin`` of a ramp, scaled into [0, 1) for the times). Compared: the
losses and KID of ``fit``, the plotted samples, the adapted statistics and the EMA network's weights (the trained
network's own weights are left out: see the comment in ``_train``).
"""
import math
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program
from tests.programs.test_keras_programs import check_program

dataset_repetitions = 1
num_epochs = 1
image_size = 16
kid_image_size = 20
kid_diffusion_steps = 2
plot_diffusion_steps = 3

# sampling
min_signal_rate = 0.02
max_signal_rate = 0.95

# architecture
embedding_dims = 32
embedding_max_frequency = 1000.0
widths = [8, 12, 16, 20]
block_depth = 1

# optimization
batch_size = 4
ema = 0.999
learning_rate = 1e-3
weight_decay = 1e-4


def _normal(ops, shape, phase=0.0):
    """A fixed stand-in for ``keras.random.normal(shape)``."""
    size = int(np.prod(shape))
    return ops.reshape(ops.sin(ops.arange(size, dtype="float32") * 0.37 + phase) * 1.3, shape)


def _uniform(ops, shape, phase=0.0):
    """A fixed stand-in for ``keras.random.uniform(shape, minval=0.0, maxval=1.0)``."""
    return (_normal(ops, shape, phase) / 1.3 + 1.0) * 0.5


def _images():
    return np.random.RandomState(0).random_sample((16, image_size, image_size, 3)).astype("float32")


def _pieces(keras):
    layers, ops = keras.layers, keras.ops

    @keras.saving.register_keras_serializable()
    class KID(keras.metrics.Metric):
        def __init__(self, name, **kwargs):
            super().__init__(name=name, **kwargs)

            # KID is estimated per batch and is averaged across batches
            self.kid_tracker = keras.metrics.Mean(name="kid_tracker")

            # The example's pretrained InceptionV3 (between preprocess_input and the pooling) is left out here.
            self.encoder = keras.Sequential(
                [
                    keras.Input(shape=(image_size, image_size, 3)),
                    layers.Rescaling(255.0),
                    layers.Resizing(height=kid_image_size, width=kid_image_size),
                    layers.Lambda(keras.applications.inception_v3.preprocess_input),
                    layers.GlobalAveragePooling2D(),
                ],
                name="inception_encoder",
            )

        def polynomial_kernel(self, features_1, features_2):
            feature_dimensions = ops.cast(ops.shape(features_1)[1], dtype="float32")
            return (features_1 @ ops.transpose(features_2) / feature_dimensions + 1.0) ** 3.0

        def update_state(self, real_images, generated_images, sample_weight=None):
            real_features = self.encoder(real_images, training=False)
            generated_features = self.encoder(generated_images, training=False)

            # compute polynomial kernels using the two sets of features
            kernel_real = self.polynomial_kernel(real_features, real_features)
            kernel_generated = self.polynomial_kernel(generated_features, generated_features)
            kernel_cross = self.polynomial_kernel(real_features, generated_features)

            # estimate the squared maximum mean discrepancy using the average kernel values
            batch_size = real_features.shape[0]
            batch_size_f = ops.cast(batch_size, dtype="float32")
            mean_kernel_real = ops.sum(kernel_real * (1.0 - ops.eye(batch_size))) / (
                batch_size_f * (batch_size_f - 1.0)
            )
            mean_kernel_generated = ops.sum(kernel_generated * (1.0 - ops.eye(batch_size))) / (
                batch_size_f * (batch_size_f - 1.0)
            )
            mean_kernel_cross = ops.mean(kernel_cross)
            kid = mean_kernel_real + mean_kernel_generated - 2.0 * mean_kernel_cross

            # update the average KID estimate
            self.kid_tracker.update_state(kid)

        def result(self):
            return self.kid_tracker.result()

        def reset_state(self):
            self.kid_tracker.reset_state()

    @keras.saving.register_keras_serializable()
    def sinusoidal_embedding(x):
        embedding_min_frequency = 1.0
        frequencies = ops.exp(
            ops.linspace(
                ops.log(embedding_min_frequency),
                ops.log(embedding_max_frequency),
                embedding_dims // 2,
            )
        )
        angular_speeds = ops.cast(2.0 * math.pi * frequencies, "float32")
        embeddings = ops.concatenate([ops.sin(angular_speeds * x), ops.cos(angular_speeds * x)], axis=3)
        return embeddings

    def ResidualBlock(width):
        def apply(x):
            input_width = x.shape[3]
            if input_width == width:
                residual = x
            else:
                residual = layers.Conv2D(width, kernel_size=1)(x)
            x = layers.BatchNormalization(center=False, scale=False)(x)
            x = layers.Conv2D(width, kernel_size=3, padding="same", activation="swish")(x)
            x = layers.Conv2D(width, kernel_size=3, padding="same")(x)
            x = layers.Add()([x, residual])
            return x

        return apply

    def DownBlock(width, block_depth):
        def apply(x):
            x, skips = x
            for _ in range(block_depth):
                x = ResidualBlock(width)(x)
                skips.append(x)
            x = layers.AveragePooling2D(pool_size=2)(x)
            return x

        return apply

    def UpBlock(width, block_depth):
        def apply(x):
            x, skips = x
            x = layers.UpSampling2D(size=2, interpolation="bilinear")(x)
            for _ in range(block_depth):
                x = layers.Concatenate()([x, skips.pop()])
                x = ResidualBlock(width)(x)
            return x

        return apply

    def get_network(image_size, widths, block_depth):
        noisy_images = keras.Input(shape=(image_size, image_size, 3))
        noise_variances = keras.Input(shape=(1, 1, 1))

        e = layers.Lambda(sinusoidal_embedding, output_shape=(1, 1, 32))(noise_variances)
        e = layers.UpSampling2D(size=image_size, interpolation="nearest")(e)

        x = layers.Conv2D(widths[0], kernel_size=1)(noisy_images)
        x = layers.Concatenate()([x, e])

        skips = []
        for width in widths[:-1]:
            x = DownBlock(width, block_depth)([x, skips])

        for _ in range(block_depth):
            x = ResidualBlock(widths[-1])(x)

        for width in reversed(widths[:-1]):
            x = UpBlock(width, block_depth)([x, skips])

        x = layers.Conv2D(3, kernel_size=1, kernel_initializer="zeros")(x)

        return keras.Model([noisy_images, noise_variances], x, name="residual_unet")

    class DiffusionModelBase(keras.Model):
        def __init__(self, image_size, widths, block_depth):
            super().__init__()

            self.normalizer = layers.Normalization()
            self.network = get_network(image_size, widths, block_depth)
            self.ema_network = keras.models.clone_model(self.network)
            self.plotted = []
            # Added: this model has no call(); without this Keras 3.15 refuses to build it (torch) or to save its
            # weights (ModelCheckpoint, TensorFlow), as the keras.io torch guide does for its GAN.
            self.built = True

        def compile(self, **kwargs):
            super().compile(**kwargs)

            self.noise_loss_tracker = keras.metrics.Mean(name="n_loss")
            self.image_loss_tracker = keras.metrics.Mean(name="i_loss")
            self.kid = KID(name="kid")

        @property
        def metrics(self):
            return [self.noise_loss_tracker, self.image_loss_tracker, self.kid]

        def denormalize(self, images):
            # convert the pixel values back to 0-1 range
            images = self.normalizer.mean + images * self.normalizer.variance**0.5
            return ops.clip(images, 0.0, 1.0)

        def diffusion_schedule(self, diffusion_times):
            # diffusion times -> angles
            start_angle = ops.cast(ops.arccos(max_signal_rate), "float32")
            end_angle = ops.cast(ops.arccos(min_signal_rate), "float32")

            diffusion_angles = start_angle + diffusion_times * (end_angle - start_angle)

            # angles -> signal and noise rates
            signal_rates = ops.cos(diffusion_angles)
            noise_rates = ops.sin(diffusion_angles)
            # note that their squared sum is always: sin^2(x) + cos^2(x) = 1

            return noise_rates, signal_rates

        def denoise(self, noisy_images, noise_rates, signal_rates, training):
            # the exponential moving average weights are used at evaluation
            if training:
                network = self.network
            else:
                network = self.ema_network

            # predict noise component and calculate the image component using it
            pred_noises = network([noisy_images, noise_rates**2], training=training)
            pred_images = (noisy_images - noise_rates * pred_noises) / signal_rates

            return pred_noises, pred_images

        def reverse_diffusion(self, initial_noise, diffusion_steps):
            # reverse diffusion = sampling
            num_images = initial_noise.shape[0]
            step_size = 1.0 / diffusion_steps

            # important line:
            # at the first sampling step, the "noisy image" is pure noise
            # but its signal rate is assumed to be nonzero (min_signal_rate)
            next_noisy_images = initial_noise
            for step in range(diffusion_steps):
                noisy_images = next_noisy_images

                # separate the current noisy image to its components
                diffusion_times = ops.ones((num_images, 1, 1, 1)) - step * step_size
                noise_rates, signal_rates = self.diffusion_schedule(diffusion_times)
                pred_noises, pred_images = self.denoise(noisy_images, noise_rates, signal_rates, training=False)
                # network used in eval mode

                # remix the predicted components using the next signal and noise rates
                next_diffusion_times = diffusion_times - step_size
                next_noise_rates, next_signal_rates = self.diffusion_schedule(next_diffusion_times)
                next_noisy_images = next_signal_rates * pred_images + next_noise_rates * pred_noises
                # this new noisy image will be used in the next step

            return pred_images

        def generate(self, num_images, diffusion_steps):
            # noise -> images -> denormalized images
            initial_noise = _normal(ops, (num_images, image_size, image_size, 3), phase=2.0)
            generated_images = self.reverse_diffusion(initial_noise, diffusion_steps)
            generated_images = self.denormalize(generated_images)
            return generated_images

        def test_step(self, images):
            if isinstance(images, tuple):
                images = images[0]
            # normalize images to have standard deviation of 1, like the noises
            images = self.normalizer(images, training=False)
            noises = _normal(ops, (batch_size, image_size, image_size, 3), phase=1.0)

            # sample uniform random diffusion times
            diffusion_times = _uniform(ops, (batch_size, 1, 1, 1), phase=1.0)
            noise_rates, signal_rates = self.diffusion_schedule(diffusion_times)
            # mix the images with noises accordingly
            noisy_images = signal_rates * images + noise_rates * noises

            # use the network to separate noisy images to their components
            pred_noises, pred_images = self.denoise(noisy_images, noise_rates, signal_rates, training=False)

            noise_loss = self.loss(noises, pred_noises)
            image_loss = self.loss(images, pred_images)

            self.image_loss_tracker.update_state(image_loss)
            self.noise_loss_tracker.update_state(noise_loss)

            # measure KID between real and generated images
            # this is computationally demanding, kid_diffusion_steps has to be small
            images = self.denormalize(images)
            generated_images = self.generate(num_images=batch_size, diffusion_steps=kid_diffusion_steps)
            self.kid.update_state(images, generated_images)

            return {m.name: m.result() for m in self.metrics}

        def plot_images(self, epoch=None, logs=None, num_rows=1, num_cols=2):
            # plot random generated images for visual evaluation of generation quality
            generated_images = self.generate(
                num_images=num_rows * num_cols,
                diffusion_steps=plot_diffusion_steps,
            )
            self.plotted.append(ops.convert_to_numpy(generated_images))

    return DiffusionModelBase


def _train(keras, DiffusionModel, sync, fit_data, compiled_loss=True):
    model = DiffusionModel(image_size, widths, block_depth)
    sync(model.network)
    sync(model.ema_network)
    if compiled_loss:
        model.compile(
            optimizer=keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay),
            loss=keras.losses.mean_absolute_error,
        )
    else:
        model.compile(optimizer=keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay))
        model.loss = keras.losses.mean_absolute_error
    train_dataset, val_dataset, fit_kwargs = fit_data(_images())
    with tempfile.TemporaryDirectory() as folder:
        # save the best model based on the validation KID metric
        checkpoint_path = os.path.join(folder, "diffusion_model.weights.h5")
        checkpoint_callback = keras.callbacks.ModelCheckpoint(
            filepath=checkpoint_path,
            save_weights_only=True,
            monitor="val_kid",
            mode="min",
            save_best_only=True,
        )

        # calculate mean and variance of training dataset for normalization
        model.normalizer.adapt(train_dataset)

        # run training and plot generated images periodically
        history = model.fit(
            train_dataset,
            epochs=num_epochs,
            validation_data=val_dataset,
            callbacks=[
                keras.callbacks.LambdaCallback(on_epoch_end=model.plot_images),
                checkpoint_callback,
            ],
            verbose=0,
            **fit_kwargs,
        )
        # The EMA network's weights, not the trained network's: the last convolution starts at zero (as in the
        # example), so the first gradients upstream of it are ~1e-7, where AdamW's g / (|g| + epsilon) turns float
        # noise into step differences of up to 3e-4 in single weights; the EMA moves them by 1e-3 of that.
        trained = model.ema_network.get_weights()
        # load the best model and generate images
        model.load_weights(checkpoint_path)
    model.plot_images()
    return {"history": history.history, "plotted": list(model.plotted), "trained": trained,
            "normalizer": [model.normalizer.mean, model.normalizer.variance]}


def ddim_tensorflow(keras, sync):
    import tensorflow as tf

    ops = keras.ops

    class DiffusionModel(_pieces(keras)):
        def train_step(self, images):
            # normalize images to have standard deviation of 1, like the noises
            images = self.normalizer(images, training=True)
            noises = _normal(ops, (batch_size, image_size, image_size, 3))

            # sample uniform random diffusion times
            diffusion_times = _uniform(ops, (batch_size, 1, 1, 1))
            noise_rates, signal_rates = self.diffusion_schedule(diffusion_times)
            # mix the images with noises accordingly
            noisy_images = signal_rates * images + noise_rates * noises

            with tf.GradientTape() as tape:
                # train the network to separate noisy images to their components
                pred_noises, pred_images = self.denoise(noisy_images, noise_rates, signal_rates, training=True)

                noise_loss = self.loss(noises, pred_noises)  # used for training
                image_loss = self.loss(images, pred_images)  # only used as metric

            gradients = tape.gradient(noise_loss, self.network.trainable_weights)
            self.optimizer.apply_gradients(zip(gradients, self.network.trainable_weights))

            self.noise_loss_tracker.update_state(noise_loss)
            self.image_loss_tracker.update_state(image_loss)

            # track the exponential moving averages of weights
            for weight, ema_weight in zip(self.network.weights, self.ema_network.weights):
                ema_weight.assign(ema * ema_weight + (1 - ema) * weight)

            # KID is not measured during the training phase for computational efficiency
            return {m.name: m.result() for m in self.metrics[:-1]}

    def fit_data(images):
        def prepare_dataset(part):
            return (tf.data.Dataset.from_tensor_slices(part).repeat(dataset_repetitions)
                    .batch(batch_size, drop_remainder=True))

        return prepare_dataset(images[:12]), prepare_dataset(images[12:]), {}

    return _train(keras, DiffusionModel, sync, fit_data)


def ddim_torch(keras, sync):
    import torch

    ops = keras.ops

    class DiffusionModel(_pieces(keras)):
        def train_step(self, images):
            if isinstance(images, tuple):
                images = images[0]
            # normalize images to have standard deviation of 1, like the noises
            images = self.normalizer(images, training=True)
            noises = _normal(ops, (batch_size, image_size, image_size, 3))

            # sample uniform random diffusion times
            diffusion_times = _uniform(ops, (batch_size, 1, 1, 1))
            noise_rates, signal_rates = self.diffusion_schedule(diffusion_times)
            # mix the images with noises accordingly
            noisy_images = signal_rates * images + noise_rates * noises

            self.zero_grad()
            # train the network to separate noisy images to their components
            pred_noises, pred_images = self.denoise(noisy_images, noise_rates, signal_rates, training=True)

            noise_loss = self.loss(noises, pred_noises)  # used for training
            image_loss = self.loss(images, pred_images)  # only used as metric

            ops.sum(noise_loss).backward()
            trainable_weights = [v for v in self.network.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)

            self.noise_loss_tracker.update_state(noise_loss)
            self.image_loss_tracker.update_state(image_loss)

            # track the exponential moving averages of weights
            with torch.no_grad():
                for weight, ema_weight in zip(self.network.weights, self.ema_network.weights):
                    ema_weight.assign(ema * ema_weight + (1 - ema) * weight)

            # KID is not measured during the training phase for computational efficiency
            return {m.name: m.result() for m in self.metrics[:-1]}

    def fit_data(images):
        return images[:12], images[12:], {"batch_size": batch_size, "shuffle": False}

    return _train(keras, DiffusionModel, sync, fit_data, compiled_loss=False)


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the TensorFlow form of the example (tf.GradientTape) runs under TensorFlow only")
def test_ddim_tensorflow_form():
    check_program(ddim_tensorflow)


@pytest.mark.skipif(kerasport.backend.backend() != "torch",
                    reason="the torch form of the example (loss.backward()) runs under torch only")
def test_ddim_torch_form():
    check_torch_program(ddim_torch, [ddim_torch])
