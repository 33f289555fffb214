"""keras.io example "MelGAN-based spectrogram inversion using feature matching"
(examples/audio/melgan_spectrogram_inversion.py), TensorFlow only.

The example's ``MelSpec`` layer (``tf.signal.stft`` with ``pad_end``, a ``tf.signal.linear_to_mel_weight_matrix``
made in ``__init__``, only when ``training``), ``residual_stack`` (dilated ``Conv1D`` with dilation rates 1, 3
and 9), ``conv_block`` (a strided ``Conv1DTranspose``), ``discriminator_block`` (strided ``Conv1D`` returning every
feature map), the generator and the three-scale discriminator (``AveragePooling1D``) as
functional models on inputs of free length ``(None, 1)``, the generator, feature-matching and discriminator
losses (``MeanSquaredError`` and ``MeanAbsoluteError`` of each scale's maps), and the ``MelGAN`` model with its
own ``compile`` (two Adam optimizers with ``clipnorm=1``, ``Mean`` trackers) and ``train_step`` (two
``tf.GradientTape`` s, the global ``generator`` / ``discriminator`` / optimizers as the example uses them), fitted
on a ``tf.data`` pipeline; then the inference on spectrograms with ``training=False`` (``MelSpec`` passes them
through). The example is written for TensorFlow (``tf.signal``, ``tf.GradientTape``), so it runs under
``KERASPORT_BACKEND=tensorflow`` against Keras 3 on TensorFlow.

Changed: ``tfa.layers.WeightNormalization(..., data_init=False)`` (TensorFlow Addons, gone with Keras 3) is a
``keras.layers.Wrapper`` written here as TFA computes it: a gain ``g`` per kernel output slice (the last axis),
initialized to the kernel's norm, and the wrapped layer's convolution run on ``g * v / ||v||`` with
``ops.conv`` / ``ops.conv_transpose``. ``tfio.audio.dbscale(mel, top_db=80)`` (TensorFlow I/O, not installed)
is written out: ``10 * log10`` of the squared input, floored at ``top_db`` below its maximum. The dataset's
``shuffle(200)`` is unseeded in the example (a random order); here the batches keep their order. The random
inference input (``tf.random.uniform``) is a fixed ramp. ``AveragePooling1D()`` is ``AveragePooling1D(2)``
(``tf.keras``'s default pool size; Keras 3 requires one). Shrunk: LJSpeech (a download) becomes 8 clips of 128
samples of sines and noise, ``frame_length=64``, ``frame_step=16`` and 8 mel channels (not 1024, 256 and 80),
generator widths 32/16/8 with two ``conv_block`` s upsampling 4x4 (= ``frame_step``; the example has four,
8x8x2x2 = 256), discriminator widths 4/8/16/16/16/16/1 (not 16/64/256/1024/1024/1024/1), ``BATCH_SIZE=4``, 1
epoch. The discriminator's convolutions are not grouped (the example's have ``groups`` 4, 16, 64 and 256):
TensorFlow's Eigen CPU kernels (``TF_ENABLE_ONEDNN_OPTS=0``, CPUs without AVX-512) have no gradient for grouped
convolutions, so Keras 3 could not give this TensorFlow-only program its numbers there (kerasport runs one
convolution per group there; ``tests/layers/test_conv.py`` holds grouped convolutions to Keras).
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

DESIRED_SAMPLES = 128
LEARNING_RATE_GEN = 1e-5
LEARNING_RATE_DISC = 1e-6
BATCH_SIZE = 4
FRAME_LENGTH = 64
FRAME_STEP = 16
NUM_MEL = 8


def _clips():
    rng = np.random.RandomState(0)
    t = np.arange(DESIRED_SAMPLES) / 22050.0
    return np.stack([0.5 * np.sin(2 * np.pi * (300 + 150 * k) * t) + 0.05 * rng.randn(DESIRED_SAMPLES)
                     for k in range(8)]).astype("float32")[..., None]


def melgan_tensorflow(keras, sync):
    import tensorflow as tf

    layers, ops = keras.layers, keras.ops
    mse = keras.losses.MeanSquaredError()
    mae = keras.losses.MeanAbsoluteError()

    def preprocess(audio):
        return audio, audio

    train_dataset = tf.data.Dataset.from_tensor_slices((_clips(),))
    train_dataset = train_dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)

    def dbscale(x, top_db):
        log_spec = 10.0 * (tf.math.log(tf.math.square(x)) / tf.math.log(10.0))
        return tf.math.maximum(log_spec, tf.math.reduce_max(log_spec) - top_db)

    class MelSpec(layers.Layer):
        def __init__(self, frame_length=1024, frame_step=256, fft_length=None, sampling_rate=22050,
                     num_mel_channels=80, freq_min=125, freq_max=7600, **kwargs):
            super().__init__(**kwargs)
            self.frame_length = frame_length
            self.frame_step = frame_step
            self.fft_length = fft_length
            self.sampling_rate = sampling_rate
            self.num_mel_channels = num_mel_channels
            self.freq_min = freq_min
            self.freq_max = freq_max
            # Defining mel filter. This filter will be multiplied with the STFT output
            self.mel_filterbank = tf.signal.linear_to_mel_weight_matrix(
                num_mel_bins=self.num_mel_channels,
                num_spectrogram_bins=self.frame_length // 2 + 1,
                sample_rate=self.sampling_rate,
                lower_edge_hertz=self.freq_min,
                upper_edge_hertz=self.freq_max,
            )

        def call(self, audio, training=True):
            # We will only perform the transformation during training.
            if training:
                stft = tf.signal.stft(tf.squeeze(audio, -1), self.frame_length, self.frame_step, self.fft_length,
                                      pad_end=True)
                magnitude = tf.abs(stft)
                mel = tf.matmul(tf.square(magnitude), self.mel_filterbank)
                log_mel_spec = dbscale(mel, top_db=80)
                return log_mel_spec
            else:
                return audio

    class WeightNormalization(layers.Wrapper):
        """TFA's ``WeightNormalization(layer, data_init=False)`` for the example's convolutions."""

        def build(self, input_shape):
            self.layer.build(input_shape)
            kernel = self.layer.kernel
            self.axes = list(range(len(kernel.shape) - 1))
            self.g = self.add_weight(name="g", shape=(kernel.shape[-1],), initializer="ones")
            self.g.assign(ops.sqrt(ops.sum(ops.square(kernel), axis=self.axes)))

        def call(self, inputs):
            layer, v = self.layer, self.layer.kernel
            kernel = v * (self.g / ops.sqrt(ops.sum(ops.square(v), axis=self.axes)))
            if isinstance(layer, layers.Conv1DTranspose):
                x = ops.conv_transpose(inputs, kernel, layer.strides, layer.padding,
                                       dilation_rate=layer.dilation_rate)
            else:
                x = ops.conv(inputs, kernel, layer.strides, layer.padding, dilation_rate=layer.dilation_rate)
            return layer.activation(x + layer.bias)

        def compute_output_shape(self, input_shape):
            return self.layer.compute_output_shape(input_shape)

    def residual_stack(input, filters):
        """Convolutional residual stack with weight normalization."""
        c1 = WeightNormalization(layers.Conv1D(filters, 3, dilation_rate=1, padding="same"))(input)
        lrelu1 = layers.LeakyReLU()(c1)
        c2 = WeightNormalization(layers.Conv1D(filters, 3, dilation_rate=1, padding="same"))(lrelu1)
        add1 = layers.Add()([c2, input])

        lrelu2 = layers.LeakyReLU()(add1)
        c3 = WeightNormalization(layers.Conv1D(filters, 3, dilation_rate=3, padding="same"))(lrelu2)
        lrelu3 = layers.LeakyReLU()(c3)
        c4 = WeightNormalization(layers.Conv1D(filters, 3, dilation_rate=1, padding="same"))(lrelu3)
        add2 = layers.Add()([add1, c4])

        lrelu4 = layers.LeakyReLU()(add2)
        c5 = WeightNormalization(layers.Conv1D(filters, 3, dilation_rate=9, padding="same"))(lrelu4)
        lrelu5 = layers.LeakyReLU()(c5)
        c6 = WeightNormalization(layers.Conv1D(filters, 3, dilation_rate=1, padding="same"))(lrelu5)
        add3 = layers.Add()([c6, add2])

        return add3

    def conv_block(input, conv_dim, upsampling_factor):
        """Dilated Convolutional Block with weight normalization."""
        conv_t = WeightNormalization(layers.Conv1DTranspose(conv_dim, 16, upsampling_factor, padding="same"))(input)
        lrelu1 = layers.LeakyReLU()(conv_t)
        res_stack = residual_stack(lrelu1, conv_dim)
        lrelu2 = layers.LeakyReLU()(res_stack)
        return lrelu2

    def discriminator_block(input):
        conv1 = WeightNormalization(layers.Conv1D(4, 15, 1, "same"))(input)
        lrelu1 = layers.LeakyReLU()(conv1)
        conv2 = WeightNormalization(layers.Conv1D(8, 41, 4, "same"))(lrelu1)
        lrelu2 = layers.LeakyReLU()(conv2)
        conv3 = WeightNormalization(layers.Conv1D(16, 41, 4, "same"))(lrelu2)
        lrelu3 = layers.LeakyReLU()(conv3)
        conv4 = WeightNormalization(layers.Conv1D(16, 41, 4, "same"))(lrelu3)
        lrelu4 = layers.LeakyReLU()(conv4)
        conv5 = WeightNormalization(layers.Conv1D(16, 41, 4, "same"))(lrelu4)
        lrelu5 = layers.LeakyReLU()(conv5)
        conv6 = WeightNormalization(layers.Conv1D(16, 5, 1, "same"))(lrelu5)
        lrelu6 = layers.LeakyReLU()(conv6)
        conv7 = WeightNormalization(layers.Conv1D(1, 3, 1, "same"))(lrelu6)
        return [lrelu1, lrelu2, lrelu3, lrelu4, lrelu5, lrelu6, conv7]

    def create_generator(input_shape):
        inp = keras.Input(input_shape)
        x = MelSpec(frame_length=FRAME_LENGTH, frame_step=FRAME_STEP, num_mel_channels=NUM_MEL)(inp)
        x = layers.Conv1D(32, 7, padding="same")(x)
        x = layers.LeakyReLU()(x)
        x = conv_block(x, 16, 4)
        x = conv_block(x, 8, 4)
        x = WeightNormalization(layers.Conv1D(1, 7, padding="same", activation="tanh"))(x)
        return keras.Model(inp, x)

    def create_discriminator(input_shape):
        inp = keras.Input(input_shape)
        out_map1 = discriminator_block(inp)
        pool1 = layers.AveragePooling1D(2)(inp)
        out_map2 = discriminator_block(pool1)
        pool2 = layers.AveragePooling1D(2)(pool1)
        out_map3 = discriminator_block(pool2)
        return keras.Model(inp, [out_map1, out_map2, out_map3])

    def generator_loss(real_pred, fake_pred):
        gen_loss = []
        for i in range(len(fake_pred)):
            gen_loss.append(mse(tf.ones_like(fake_pred[i][-1]), fake_pred[i][-1]))
        return tf.reduce_mean(gen_loss)

    def feature_matching_loss(real_pred, fake_pred):
        fm_loss = []
        for i in range(len(fake_pred)):
            for j in range(len(fake_pred[i]) - 1):
                fm_loss.append(mae(real_pred[i][j], fake_pred[i][j]))
        return tf.reduce_mean(fm_loss)

    def discriminator_loss(real_pred, fake_pred):
        real_loss, fake_loss = [], []
        for i in range(len(real_pred)):
            real_loss.append(mse(tf.ones_like(real_pred[i][-1]), real_pred[i][-1]))
            fake_loss.append(mse(tf.zeros_like(fake_pred[i][-1]), fake_pred[i][-1]))
        disc_loss = tf.reduce_mean(real_loss) + tf.reduce_mean(fake_loss)
        return disc_loss

    class MelGAN(keras.Model):
        def __init__(self, generator, discriminator, **kwargs):
            super().__init__(**kwargs)
            self.generator = generator
            self.discriminator = discriminator

        def compile(self, gen_optimizer, disc_optimizer, generator_loss, feature_matching_loss,
                    discriminator_loss):
            super().compile()
            self.gen_optimizer = gen_optimizer
            self.disc_optimizer = disc_optimizer
            self.generator_loss = generator_loss
            self.feature_matching_loss = feature_matching_loss
            self.discriminator_loss = discriminator_loss
            self.gen_loss_tracker = keras.metrics.Mean(name="gen_loss")
            self.disc_loss_tracker = keras.metrics.Mean(name="disc_loss")

        def train_step(self, batch):
            x_batch_train, y_batch_train = batch

            with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
                # Generating the audio wave
                gen_audio_wave = generator(x_batch_train, training=True)

                # Generating the features using the discriminator
                fake_pred = discriminator(y_batch_train)
                real_pred = discriminator(gen_audio_wave)

                # Calculating the generator losses
                gen_loss = generator_loss(real_pred, fake_pred)
                fm_loss = feature_matching_loss(real_pred, fake_pred)

                # Calculating final generator loss
                gen_fm_loss = gen_loss + 10 * fm_loss

                # Calculating the discriminator losses
                disc_loss = discriminator_loss(real_pred, fake_pred)

            grads_gen = gen_tape.gradient(gen_fm_loss, generator.trainable_weights)
            grads_disc = disc_tape.gradient(disc_loss, discriminator.trainable_weights)
            gen_optimizer.apply_gradients(zip(grads_gen, generator.trainable_weights))
            disc_optimizer.apply_gradients(zip(grads_disc, discriminator.trainable_weights))

            self.gen_loss_tracker.update_state(gen_fm_loss)
            self.disc_loss_tracker.update_state(disc_loss)

            return {"gen_loss": self.gen_loss_tracker.result(), "disc_loss": self.disc_loss_tracker.result()}

    gen_optimizer = keras.optimizers.Adam(LEARNING_RATE_GEN, beta_1=0.5, beta_2=0.9, clipnorm=1)
    disc_optimizer = keras.optimizers.Adam(LEARNING_RATE_DISC, beta_1=0.5, beta_2=0.9, clipnorm=1)

    generator = create_generator((None, 1))
    discriminator = create_discriminator((None, 1))
    sync(generator)
    sync(discriminator)

    mel_gan = MelGAN(generator, discriminator)
    mel_gan.compile(gen_optimizer, disc_optimizer, generator_loss, feature_matching_loss, discriminator_loss)
    history = mel_gan.fit(train_dataset.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE), epochs=1, verbose=0)

    # A fixed batch of 2 spectrograms of shape [6, NUM_MEL] stands in for the example's random one.
    audio_sample = tf.reshape(tf.range(2 * 6 * NUM_MEL, dtype=tf.float32) / 96.0 - 0.5, [2, 6, NUM_MEL])
    pred = generator.predict(audio_sample, batch_size=1, verbose=0)
    return {"history": history.history, "pred": pred, "mel": generator.layers[1](_clips()[:2]),
            "weights": generator.get_weights() + discriminator.get_weights()}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example is written for TensorFlow (tf.signal, tf.GradientTape, tf.data)")
def test_melgan_spectrogram_inversion():
    check_program(melgan_tensorflow)
