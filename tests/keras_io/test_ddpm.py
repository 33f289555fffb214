"""keras.io example "Denoising Diffusion Probabilistic Model" (examples/generative/ddpm.py), in both backend forms.

The example's ``GaussianDiffusion`` utility (the linear variance schedule in float64 NumPy, ``q_sample``,
``predict_start_from_noise``, ``q_posterior``, ``p_mean_variance``, ``p_sample``), its U-Net (``AttentionBlock``
and ``TimeEmbedding`` layers, closures ``ResidualBlock`` / ``DownSample`` / ``UpSample`` / ``TimeMLP`` with
``VarianceScaling`` initializers, ``GroupNormalization``, the sliced ``Dense(...)(temb)[:, None, None, :]``, an
``int64`` time input), the EMA network that starts from ``set_weights(network.get_weights())``, and the
``DiffusionModel`` with its custom ``train_step`` (compiled ``MeanSquaredError`` and Adam, an ``assign`` per EMA
weight after every step), ``generate_images`` (the reverse chain: ``ema_network.predict`` once per timestep) and a
``LambdaCallback(on_epoch_end=model.plot_images)``. The TensorFlow form (``tf.GradientTape``, a ``tf.data``
pipeline, ``tf.shape``) runs under ``KERASPORT_BACKEND=tensorflow`` against Keras 3 on TensorFlow; the form a
torch user writes (``self.zero_grad()``, ``loss.backward()``, ``optimizer.apply`` under ``torch.no_grad()``,
NumPy arrays to ``fit``) runs under ``KERASPORT_BACKEND=torch`` against Keras 3 on torch in a child process.
Keras 3 on torch cannot build a model that has a compiled loss and no ``call()``, so the torch form compiles the
optimizer only and sets ``model.loss`` after ``compile`` (as ``test_ddim.py`` does).

Changed: the example's ``tf.*`` calls outside the train step (``tf.einsum``, ``tf.gather``, ``tf.nn.softmax``,
``tf.clip_by_value``, ``tf.constant``...) are their ``keras.ops`` equivalents, so that one network and one
diffusion utility serve both forms. The timesteps, the training noise and the sampling noise come from
``tf.random`` in the example, whose streams differ between the libraries; here they are fixed patterns (``sin``
of a ramp; timesteps ``(3 * i + 1) % timesteps``). ``plot_images`` keeps the generated images (as floats, before
``astype(np.uint8)``) instead of plotting them. Left out: loading the pretrained checkpoint (a download).
Shrunk: 8 images of 8x8x3 uniform noise in [-1, 1] instead of Oxford Flowers 102 at 64x64, widths 8/16 (not
64..512) with attention at the second, 1 residual block per level, ``norm_groups=4``, 6 timesteps (not 1000),
``batch_size=4``, 1 epoch, a 1x2 image grid.
"""
import math

import numpy as np
import pytest

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program
from tests.programs.test_keras_programs import check_program

batch_size = 4
num_epochs = 1
total_timesteps = 6
norm_groups = 4
learning_rate = 2e-4

img_size = 8
img_channels = 3
clip_min = -1.0
clip_max = 1.0

first_conv_channels = 8
channel_multiplier = [1, 2]
widths = [first_conv_channels * mult for mult in channel_multiplier]
has_attention = [False, True]
num_res_blocks = 1


def _normal(ops, shape, phase=0.0):
    """A fixed stand-in for ``tf.random.normal(shape)``."""
    size = int(np.prod(shape))
    return ops.reshape(ops.sin(ops.arange(size, dtype="float32") * 0.37 + phase) * 1.3, shape)


def _timesteps(ops, batch_size, timesteps):
    """A fixed stand-in for ``tf.random.uniform(minval=0, maxval=timesteps, shape=(batch_size,), dtype=tf.int64)``."""
    return ops.cast((ops.arange(batch_size) * 3 + 1) % timesteps, "int64")


def _images():
    return np.random.RandomState(0).uniform(-1.0, 1.0, (8, img_size, img_size, img_channels)).astype("float32")


def _pieces(keras):
    """The example's diffusion utility and U-Net builder, written with ``keras.ops``."""
    layers, ops = keras.layers, keras.ops

    class GaussianDiffusion:
        """Gaussian diffusion utility."""

        def __init__(self, beta_start=1e-4, beta_end=0.02, timesteps=1000, clip_min=-1.0, clip_max=1.0):
            self.beta_start = beta_start
            self.beta_end = beta_end
            self.timesteps = timesteps
            self.clip_min = clip_min
            self.clip_max = clip_max

            # Define the linear variance schedule
            self.betas = betas = np.linspace(beta_start, beta_end, timesteps, dtype=np.float64)
            self.num_timesteps = int(timesteps)

            alphas = 1.0 - betas
            alphas_cumprod = np.cumprod(alphas, axis=0)
            alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])

            def constant(value):
                return ops.convert_to_tensor(value, dtype="float32")

            self.betas = constant(betas)
            self.alphas_cumprod = constant(alphas_cumprod)
            self.alphas_cumprod_prev = constant(alphas_cumprod_prev)
            self.sqrt_alphas_cumprod = constant(np.sqrt(alphas_cumprod))
            self.sqrt_one_minus_alphas_cumprod = constant(np.sqrt(1.0 - alphas_cumprod))
            self.log_one_minus_alphas_cumprod = constant(np.log(1.0 - alphas_cumprod))
            self.sqrt_recip_alphas_cumprod = constant(np.sqrt(1.0 / alphas_cumprod))
            self.sqrt_recipm1_alphas_cumprod = constant(np.sqrt(1.0 / alphas_cumprod - 1))

            # Calculations for posterior q(x_{t-1} | x_t, x_0)
            posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
            self.posterior_variance = constant(posterior_variance)
            self.posterior_log_variance_clipped = constant(np.log(np.maximum(posterior_variance, 1e-20)))
            self.posterior_mean_coef1 = constant(betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod))
            self.posterior_mean_coef2 = constant(
                (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod))

        def _extract(self, a, t, x_shape):
            batch_size = x_shape[0]
            out = ops.take(a, t)
            return ops.reshape(out, [batch_size, 1, 1, 1])

        def q_sample(self, x_start, t, noise):
            x_start_shape = ops.shape(x_start)
            return (self._extract(self.sqrt_alphas_cumprod, t, ops.shape(x_start)) * x_start
                    + self._extract(self.sqrt_one_minus_alphas_cumprod, t, x_start_shape) * noise)

        def predict_start_from_noise(self, x_t, t, noise):
            x_t_shape = ops.shape(x_t)
            return (self._extract(self.sqrt_recip_alphas_cumprod, t, x_t_shape) * x_t
                    - self._extract(self.sqrt_recipm1_alphas_cumprod, t, x_t_shape) * noise)

        def q_posterior(self, x_start, x_t, t):
            x_t_shape = ops.shape(x_t)
            posterior_mean = (self._extract(self.posterior_mean_coef1, t, x_t_shape) * x_start
                              + self._extract(self.posterior_mean_coef2, t, x_t_shape) * x_t)
            posterior_variance = self._extract(self.posterior_variance, t, x_t_shape)
            posterior_log_variance_clipped = self._extract(self.posterior_log_variance_clipped, t, x_t_shape)
            return posterior_mean, posterior_variance, posterior_log_variance_clipped

        def p_mean_variance(self, pred_noise, x, t, clip_denoised=True):
            x_recon = self.predict_start_from_noise(x, t=t, noise=pred_noise)
            if clip_denoised:
                x_recon = ops.clip(x_recon, self.clip_min, self.clip_max)
            model_mean, posterior_variance, posterior_log_variance = self.q_posterior(x_start=x_recon, x_t=x, t=t)
            return model_mean, posterior_variance, posterior_log_variance

        def p_sample(self, pred_noise, x, t, clip_denoised=True):
            model_mean, _, model_log_variance = self.p_mean_variance(pred_noise, x=x, t=t,
                                                                     clip_denoised=clip_denoised)
            noise = _normal(ops, x.shape, phase=float(ops.convert_to_numpy(t)[0]))
            # No noise when t == 0
            nonzero_mask = ops.reshape(1 - ops.cast(ops.equal(t, 0), "float32"), [ops.shape(x)[0], 1, 1, 1])
            return model_mean + nonzero_mask * ops.exp(0.5 * model_log_variance) * noise

    # Kernel initializer to use
    def kernel_init(scale):
        scale = max(scale, 1e-10)
        return keras.initializers.VarianceScaling(scale, mode="fan_avg", distribution="uniform")

    class AttentionBlock(layers.Layer):
        """Applies self-attention."""

        def __init__(self, units, groups=8, **kwargs):
            self.units = units
            self.groups = groups
            super().__init__(**kwargs)

            self.norm = layers.GroupNormalization(groups=groups)
            self.query = layers.Dense(units, kernel_initializer=kernel_init(1.0))
            self.key = layers.Dense(units, kernel_initializer=kernel_init(1.0))
            self.value = layers.Dense(units, kernel_initializer=kernel_init(1.0))
            self.proj = layers.Dense(units, kernel_initializer=kernel_init(0.0))

        def call(self, inputs):
            batch_size = ops.shape(inputs)[0]
            height = ops.shape(inputs)[1]
            width = ops.shape(inputs)[2]
            scale = ops.cast(self.units, "float32") ** (-0.5)

            inputs = self.norm(inputs)
            q = self.query(inputs)
            k = self.key(inputs)
            v = self.value(inputs)

            attn_score = ops.einsum("bhwc, bHWc->bhwHW", q, k) * scale
            attn_score = ops.reshape(attn_score, [batch_size, height, width, height * width])

            attn_score = ops.softmax(attn_score, -1)
            attn_score = ops.reshape(attn_score, [batch_size, height, width, height, width])

            proj = ops.einsum("bhwHW,bHWc->bhwc", attn_score, v)
            proj = self.proj(proj)
            return inputs + proj

    class TimeEmbedding(layers.Layer):
        def __init__(self, dim, **kwargs):
            super().__init__(**kwargs)
            self.dim = dim
            self.half_dim = dim // 2
            self.emb = math.log(10000) / (self.half_dim - 1)
            self.emb = ops.exp(ops.arange(self.half_dim, dtype="float32") * -self.emb)

        def call(self, inputs):
            inputs = ops.cast(inputs, dtype="float32")
            emb = inputs[:, None] * self.emb[None, :]
            emb = ops.concatenate([ops.sin(emb), ops.cos(emb)], axis=-1)
            return emb

    def ResidualBlock(width, groups=8, activation_fn=keras.activations.swish):
        def apply(inputs):
            x, t = inputs
            input_width = x.shape[3]

            if input_width == width:
                residual = x
            else:
                residual = layers.Conv2D(width, kernel_size=1, kernel_initializer=kernel_init(1.0))(x)

            temb = activation_fn(t)
            temb = layers.Dense(width, kernel_initializer=kernel_init(1.0))(temb)[:, None, None, :]

            x = layers.GroupNormalization(groups=groups)(x)
            x = activation_fn(x)
            x = layers.Conv2D(width, kernel_size=3, padding="same", kernel_initializer=kernel_init(1.0))(x)

            x = layers.Add()([x, temb])
            x = layers.GroupNormalization(groups=groups)(x)
            x = activation_fn(x)

            x = layers.Conv2D(width, kernel_size=3, padding="same", kernel_initializer=kernel_init(0.0))(x)
            x = layers.Add()([x, residual])
            return x

        return apply

    def DownSample(width):
        def apply(x):
            x = layers.Conv2D(width, kernel_size=3, strides=2, padding="same",
                              kernel_initializer=kernel_init(1.0))(x)
            return x

        return apply

    def UpSample(width, interpolation="nearest"):
        def apply(x):
            x = layers.UpSampling2D(size=2, interpolation=interpolation)(x)
            x = layers.Conv2D(width, kernel_size=3, padding="same", kernel_initializer=kernel_init(1.0))(x)
            return x

        return apply

    def TimeMLP(units, activation_fn=keras.activations.swish):
        def apply(inputs):
            temb = layers.Dense(units, activation=activation_fn, kernel_initializer=kernel_init(1.0))(inputs)
            temb = layers.Dense(units, kernel_initializer=kernel_init(1.0))(temb)
            return temb

        return apply

    def build_model(img_size, img_channels, widths, has_attention, num_res_blocks=2, norm_groups=8,
                    interpolation="nearest", activation_fn=keras.activations.swish):
        image_input = layers.Input(shape=(img_size, img_size, img_channels), name="image_input")
        time_input = keras.Input(shape=(), dtype="int64", name="time_input")

        x = layers.Conv2D(first_conv_channels, kernel_size=(3, 3), padding="same",
                          kernel_initializer=kernel_init(1.0))(image_input)

        temb = TimeEmbedding(dim=first_conv_channels * 4)(time_input)
        temb = TimeMLP(units=first_conv_channels * 4, activation_fn=activation_fn)(temb)

        skips = [x]

        # DownBlock
        for i in range(len(widths)):
            for _ in range(num_res_blocks):
                x = ResidualBlock(widths[i], groups=norm_groups, activation_fn=activation_fn)([x, temb])
                if has_attention[i]:
                    x = AttentionBlock(widths[i], groups=norm_groups)(x)
                skips.append(x)

            if widths[i] != widths[-1]:
                x = DownSample(widths[i])(x)
                skips.append(x)

        # MiddleBlock
        x = ResidualBlock(widths[-1], groups=norm_groups, activation_fn=activation_fn)([x, temb])
        x = AttentionBlock(widths[-1], groups=norm_groups)(x)
        x = ResidualBlock(widths[-1], groups=norm_groups, activation_fn=activation_fn)([x, temb])

        # UpBlock
        for i in reversed(range(len(widths))):
            for _ in range(num_res_blocks + 1):
                x = layers.Concatenate(axis=-1)([x, skips.pop()])
                x = ResidualBlock(widths[i], groups=norm_groups, activation_fn=activation_fn)([x, temb])
                if has_attention[i]:
                    x = AttentionBlock(widths[i], groups=norm_groups)(x)

            if i != 0:
                x = UpSample(widths[i], interpolation=interpolation)(x)

        # End block
        x = layers.GroupNormalization(groups=norm_groups)(x)
        x = activation_fn(x)
        x = layers.Conv2D(3, (3, 3), padding="same", kernel_initializer=kernel_init(0.0))(x)
        return keras.Model([image_input, time_input], x, name="unet")

    return GaussianDiffusion, build_model


def _diffusion_model_base(keras):
    """The example's ``DiffusionModel`` without its ``train_step`` (each form adds its own)."""
    ops = keras.ops

    class DiffusionModel(keras.Model):
        def __init__(self, network, ema_network, timesteps, gdf_util, ema=0.999):
            super().__init__()
            self.network = network
            self.ema_network = ema_network
            self.timesteps = timesteps
            self.gdf_util = gdf_util
            self.ema = ema
            self.generated = []

        def generate_images(self, num_images=16):
            # 1. Randomly sample noise (starting point for reverse process)
            samples = _normal(ops, (num_images, img_size, img_size, img_channels), phase=0.5)
            # 2. Sample from the model iteratively
            for t in reversed(range(0, self.timesteps)):
                tt = ops.cast(ops.full((num_images,), t), dtype="int64")
                pred_noise = self.ema_network.predict([samples, tt], verbose=0, batch_size=num_images)
                samples = self.gdf_util.p_sample(pred_noise, samples, tt, clip_denoised=True)
            # 3. Return generated samples
            return samples

        def plot_images(self, epoch=None, logs=None, num_rows=1, num_cols=2, figsize=(12, 5)):
            """Utility to plot images using the diffusion model during training (here: keeps them)."""
            generated_samples = self.generate_images(num_images=num_rows * num_cols)
            generated_samples = ops.convert_to_numpy(ops.clip(generated_samples * 127.5 + 127.5, 0.0, 255.0))
            self.generated.append(generated_samples)

    return DiffusionModel


def _train(keras, DiffusionModel, sync, compile_loss, fit_data):
    GaussianDiffusion, build_model = _pieces(keras)
    network = build_model(img_size=img_size, img_channels=img_channels, widths=widths, has_attention=has_attention,
                          num_res_blocks=num_res_blocks, norm_groups=norm_groups,
                          activation_fn=keras.activations.swish)
    ema_network = build_model(img_size=img_size, img_channels=img_channels, widths=widths,
                              has_attention=has_attention, num_res_blocks=num_res_blocks, norm_groups=norm_groups,
                              activation_fn=keras.activations.swish)
    sync(network)
    ema_network.set_weights(network.get_weights())  # Initially the weights are the same

    gdf_util = GaussianDiffusion(timesteps=total_timesteps)
    model = DiffusionModel(network=network, ema_network=ema_network, gdf_util=gdf_util, timesteps=total_timesteps)
    compile_loss(model, keras.losses.MeanSquaredError(), keras.optimizers.Adam(learning_rate=learning_rate))
    history = model.fit(**fit_data(_images()), epochs=num_epochs, batch_size=batch_size, shuffle=False, verbose=0,
                        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=model.plot_images)])
    return {"history": history.history, "generated": list(model.generated), "params": network.count_params(),
            "ema_weights": ema_network.get_weights()}


def ddpm_tensorflow(keras, sync):
    import tensorflow as tf

    class DiffusionModel(_diffusion_model_base(keras)):
        def train_step(self, images):
            # 1. Get the batch size
            batch_size = tf.shape(images)[0]

            # 2. Sample timesteps uniformly
            t = _timesteps(keras.ops, batch_size, self.timesteps)

            with tf.GradientTape() as tape:
                # 3. Sample random noise to be added to the images in the batch
                noise = _normal(keras.ops, images.shape)

                # 4. Diffuse the images with noise
                images_t = self.gdf_util.q_sample(images, t, noise)

                # 5. Pass the diffused images and time steps to the network
                pred_noise = self.network([images_t, t], training=True)

                # 6. Calculate the loss
                loss = self.loss(noise, pred_noise)

            # 7. Get the gradients
            gradients = tape.gradient(loss, self.network.trainable_weights)

            # 8. Update the weights of the network
            self.optimizer.apply_gradients(zip(gradients, self.network.trainable_weights))

            # 9. Updates the weight values for the network with EMA weights
            for weight, ema_weight in zip(self.network.weights, self.ema_network.weights):
                ema_weight.assign(self.ema * ema_weight + (1 - self.ema) * weight)

            # 10. Return loss values
            return {"loss": loss}

    def compile_loss(model, loss, optimizer):
        model.compile(loss=loss, optimizer=optimizer)

    def fit_data(images):
        train_ds = tf.data.Dataset.from_tensor_slices(images).batch(batch_size, drop_remainder=True)
        return {"x": train_ds}

    return _train(keras, DiffusionModel, sync, compile_loss, fit_data)


def ddpm_torch(keras, sync):
    import torch

    class DiffusionModel(_diffusion_model_base(keras)):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # As in the keras.io torch guide: Keras on torch builds a model by calling it, and this one has no call().
            self.built = True

        def train_step(self, images):
            if isinstance(images, tuple):
                images = images[0]
            # 1. Get the batch size
            batch_size = images.shape[0]

            # 2. Sample timesteps uniformly
            t = _timesteps(keras.ops, batch_size, self.timesteps)

            self.zero_grad()
            # 3. Sample random noise to be added to the images in the batch
            noise = _normal(keras.ops, images.shape)

            # 4. Diffuse the images with noise
            images_t = self.gdf_util.q_sample(images, t, noise)

            # 5. Pass the diffused images and time steps to the network
            pred_noise = self.network([images_t, t], training=True)

            # 6. Calculate the loss
            loss = self.loss(noise, pred_noise)

            # 7. Get the gradients
            loss.backward()
            gradients = [v.value.grad for v in self.network.trainable_weights]

            # 8. Update the weights of the network
            with torch.no_grad():
                self.optimizer.apply(gradients, self.network.trainable_weights)

                # 9. Updates the weight values for the network with EMA weights
                for weight, ema_weight in zip(self.network.weights, self.ema_network.weights):
                    ema_weight.assign(self.ema * ema_weight + (1 - self.ema) * weight)

            # 10. Return loss values
            return {"loss": loss}

    def compile_loss(model, loss, optimizer):
        # Keras 3 on torch cannot build a model with a compiled loss and no call(): the loss is set afterwards.
        model.compile(optimizer=optimizer)
        model.loss = loss

    return _train(keras, DiffusionModel, sync, compile_loss, lambda images: {"x": images})


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the TensorFlow form of the example (tf.GradientTape, tf.data) runs under TensorFlow only")
def test_ddpm_tensorflow_form():
    check_program(ddpm_tensorflow)


@pytest.mark.skipif(kerasport.backend.backend() != "torch",
                    reason="the torch form of the example (loss.backward()) runs under torch only")
def test_ddpm_torch_form():
    check_torch_program(ddpm_torch, [ddpm_torch])
