"""keras.io example "Focal Modulation: A replacement for Self-Attention"
(examples/vision/focal_modulation_network.py), TensorFlow only.

The example writes its layers with TensorFlow: ``PatchEmbed`` returns the tokens with ``tf.shape``'s height, width
and channels, which ``BasicLayer`` and ``FocalModulationBlock`` take as extra call arguments for ``tf.reshape``;
``FocalModulationLayer`` splits one ``Dense`` projection with ``tf.split`` into query, context and gates, runs
``Sequential`` blocks of ``ZeroPadding2D`` and a grouped (depthwise) ``Conv2D(groups=dim)`` with ``gelu``,
``GlobalAveragePooling2D(keepdims=True)``, a 1x1 ``Conv2D`` modulator, and keeps ``self.gates`` and
``self.modulator`` as attributes set in ``call``; ``FocalModulationNetwork`` is a subclassed model; the Keras
preprocessing layers run inside ``tf.data`` ``map``; ``WarmUpCosine`` is a ``LearningRateSchedule`` written with
``tf.cos`` / ``tf.where``; ``TrainMonitor`` reads the gates and modulator of the middle layer after calling the
model, and ``UpSampling2D(interpolation="bilinear")`` enlarges them. So it runs under
``KERASPORT_BACKEND=tensorflow`` only.

Shrunk: 40 images of 16x16x3 uniform noise with 10 classes (24 to train, 8 to validate, 8 to test) instead of
CIFAR-10, ``IMAGE_SIZE=16``, ``embed_dim=8``, ``depths=[1, 1, 1]``, ``mlp_ratio=2``, ``BATCH_SIZE=8``, 2 epochs, the
monitor every epoch; the plots are the numbers they draw (the upsampled gates and the modulator's L2 norm of the
first test image). Changed: ``drop_rate`` is 0 (dropout masks are random); the training dataset is mapped with
``test_aug`` and not shuffled (``train_aug``'s ``RandomCrop`` / ``RandomFlip`` draws differ between the two
libraries); ``AdamW`` is ``keras.optimizers.AdamW`` (the example's ``tf.keras.optimizers.experimental.AdamW``).
On TensorFlow's Eigen kernels (``TF_ENABLE_ONEDNN_OPTS=0``) Keras cannot train the grouped ``Conv2D`` and the
example's TensorFlow code keeps it from Keras on torch, so there the comparison is skipped and kerasport's run is
checked on its own (finite history, softmax predictions).
"""
import numpy as np
import pytest
import tensorflow as tf

import kerasport
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the example's layers are TensorFlow code")

BATCH_SIZE = 8
AUTO = tf.data.AUTOTUNE
INPUT_SHAPE = (16, 16, 3)
IMAGE_SIZE = 16
NUM_CLASSES = 10
LEARNING_RATE = 1e-4
WEIGHT_DECAY = 1e-4
EPOCHS = 2


def focal_modulation_network(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (40,) + INPUT_SHAPE).astype("uint8")
    labels = rng.randint(0, NUM_CLASSES, (40, 1))
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
        (images[:24], labels[:24]), (images[24:32], labels[24:32]), (images[32:], labels[32:]))

    test_aug = keras.Sequential(
        [layers.Rescaling(1 / 255.0), layers.Resizing(IMAGE_SIZE, IMAGE_SIZE)], name="test_data_augmentation"
    )
    train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_ds = train_ds.map(lambda image, label: (test_aug(image), label), num_parallel_calls=AUTO)
    train_ds = train_ds.batch(BATCH_SIZE).prefetch(AUTO)
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val))
    val_ds = val_ds.map(lambda image, label: (test_aug(image), label), num_parallel_calls=AUTO)
    val_ds = val_ds.batch(BATCH_SIZE).prefetch(AUTO)
    test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test))
    test_ds = test_ds.map(lambda image, label: (test_aug(image), label), num_parallel_calls=AUTO)
    test_ds = test_ds.batch(BATCH_SIZE).prefetch(AUTO)

    class PatchEmbed(layers.Layer):
        def __init__(self, image_size=(224, 224), patch_size=(4, 4), embed_dim=96, **kwargs):
            super().__init__(**kwargs)
            patch_resolution = [image_size[0] // patch_size[0], image_size[1] // patch_size[1]]
            self.image_size = image_size
            self.patch_size = patch_size
            self.embed_dim = embed_dim
            self.patch_resolution = patch_resolution
            self.num_patches = patch_resolution[0] * patch_resolution[1]
            self.proj = layers.Conv2D(filters=embed_dim, kernel_size=patch_size, strides=patch_size)
            self.flatten = layers.Reshape(target_shape=(-1, embed_dim))
            self.norm = keras.layers.LayerNormalization(epsilon=1e-7)

        def call(self, x):
            x = self.proj(x)
            height = tf.shape(x)[1]
            width = tf.shape(x)[2]
            channels = tf.shape(x)[3]
            x = self.norm(self.flatten(x))
            return x, height, width, channels

    def MLP(in_features, hidden_features=None, out_features=None, mlp_drop_rate=0.0):
        hidden_features = hidden_features or in_features
        out_features = out_features or in_features
        return keras.Sequential(
            [
                layers.Dense(units=hidden_features, activation=keras.activations.gelu),
                layers.Dense(units=out_features),
                layers.Dropout(rate=mlp_drop_rate),
            ]
        )

    class FocalModulationLayer(layers.Layer):
        def __init__(self, dim, focal_window, focal_level, focal_factor=2, proj_drop_rate=0.0, **kwargs):
            super().__init__(**kwargs)
            self.dim = dim
            self.focal_window = focal_window
            self.focal_level = focal_level
            self.focal_factor = focal_factor
            self.proj_drop_rate = proj_drop_rate
            self.initial_proj = layers.Dense(units=(2 * self.dim) + (self.focal_level + 1), use_bias=True)
            self.focal_layers = list()
            self.kernel_sizes = list()
            for idx in range(self.focal_level):
                kernel_size = (self.focal_factor * idx) + self.focal_window
                depth_gelu_block = keras.Sequential(
                    [
                        layers.ZeroPadding2D(padding=(kernel_size // 2, kernel_size // 2)),
                        layers.Conv2D(filters=self.dim, kernel_size=kernel_size, activation=keras.activations.gelu,
                                      groups=self.dim, use_bias=False),
                    ]
                )
                self.focal_layers.append(depth_gelu_block)
                self.kernel_sizes.append(kernel_size)
            self.activation = keras.activations.gelu
            self.gap = layers.GlobalAveragePooling2D(keepdims=True)
            self.modulator_proj = layers.Conv2D(filters=self.dim, kernel_size=(1, 1), use_bias=True)
            self.proj = layers.Dense(units=self.dim)
            self.proj_drop = layers.Dropout(self.proj_drop_rate)

        def call(self, x, training=None):
            x_proj = self.initial_proj(x)
            query, context, self.gates = tf.split(
                value=x_proj, num_or_size_splits=[self.dim, self.dim, self.focal_level + 1], axis=-1
            )
            context = self.focal_layers[0](context)
            context_all = context * self.gates[..., 0:1]
            for idx in range(1, self.focal_level):
                context = self.focal_layers[idx](context)
                context_all += context * self.gates[..., idx: idx + 1]
            context_global = self.activation(self.gap(context))
            context_all += context_global * self.gates[..., self.focal_level:]
            self.modulator = self.modulator_proj(context_all)
            x_output = query * self.modulator
            x_output = self.proj(x_output)
            x_output = self.proj_drop(x_output)
            return x_output

    class FocalModulationBlock(layers.Layer):
        def __init__(self, dim, input_resolution, mlp_ratio=4.0, drop=0.0, drop_path=0.0, focal_level=1,
                     focal_window=3, **kwargs):
            super().__init__(**kwargs)
            self.dim = dim
            self.input_resolution = input_resolution
            self.mlp_ratio = mlp_ratio
            self.focal_level = focal_level
            self.focal_window = focal_window
            self.norm = layers.LayerNormalization(epsilon=1e-5)
            self.modulation = FocalModulationLayer(
                dim=self.dim, focal_window=self.focal_window, focal_level=self.focal_level, proj_drop_rate=drop
            )
            mlp_hidden_dim = int(self.dim * self.mlp_ratio)
            self.mlp = MLP(in_features=self.dim, hidden_features=mlp_hidden_dim, mlp_drop_rate=drop)

        def call(self, x, height, width, channels):
            shortcut = x
            x = tf.reshape(x, shape=(-1, height, width, channels))
            x = self.modulation(x)
            x = tf.reshape(x, shape=(-1, height * width, channels))
            x = shortcut + x
            x = x + self.mlp(self.norm(x))
            return x

    class BasicLayer(layers.Layer):
        def __init__(self, dim, out_dim, input_resolution, depth, mlp_ratio=4.0, drop=0.0, downsample=None,
                     focal_level=1, focal_window=1, **kwargs):
            super().__init__(**kwargs)
            self.dim = dim
            self.input_resolution = input_resolution
            self.depth = depth
            self.blocks = [
                FocalModulationBlock(dim=dim, input_resolution=input_resolution, mlp_ratio=mlp_ratio, drop=drop,
                                     focal_level=focal_level, focal_window=focal_window)
                for i in range(self.depth)
            ]
            if downsample is not None:
                self.downsample = downsample(image_size=input_resolution, patch_size=(2, 2), embed_dim=out_dim)
            else:
                self.downsample = None

        def call(self, x, height, width, channels):
            for block in self.blocks:
                x = block(x, height, width, channels)
            if self.downsample is not None:
                x = tf.reshape(x, shape=(-1, height, width, channels))
                x, height_o, width_o, channels_o = self.downsample(x)
            else:
                height_o, width_o, channels_o = height, width, channels
            return x, height_o, width_o, channels_o

    class FocalModulationNetwork(keras.Model):
        def __init__(self, image_size=(48, 48), patch_size=(4, 4), num_classes=10, embed_dim=256, depths=[2, 3, 2],
                     mlp_ratio=4.0, drop_rate=0.1, focal_levels=[2, 2, 2], focal_windows=[3, 3, 3], **kwargs):
            super().__init__(**kwargs)
            self.num_layers = len(depths)
            embed_dim = [embed_dim * (2**i) for i in range(self.num_layers)]
            self.num_classes = num_classes
            self.embed_dim = embed_dim
            self.num_features = embed_dim[-1]
            self.mlp_ratio = mlp_ratio
            self.patch_embed = PatchEmbed(image_size=image_size, patch_size=patch_size, embed_dim=embed_dim[0])
            patches_resolution = self.patch_embed.patch_resolution
            self.patches_resolution = patches_resolution
            self.pos_drop = layers.Dropout(drop_rate)
            self.basic_layers = list()
            for i_layer in range(self.num_layers):
                layer = BasicLayer(
                    dim=embed_dim[i_layer],
                    out_dim=embed_dim[i_layer + 1] if (i_layer < self.num_layers - 1) else None,
                    input_resolution=(patches_resolution[0] // (2**i_layer), patches_resolution[1] // (2**i_layer)),
                    depth=depths[i_layer],
                    mlp_ratio=self.mlp_ratio,
                    drop=drop_rate,
                    downsample=PatchEmbed if (i_layer < self.num_layers - 1) else None,
                    focal_level=focal_levels[i_layer],
                    focal_window=focal_windows[i_layer],
                )
                self.basic_layers.append(layer)
            self.norm = keras.layers.LayerNormalization(epsilon=1e-7)
            self.avgpool = layers.GlobalAveragePooling1D()
            self.flatten = layers.Flatten()
            self.head = layers.Dense(self.num_classes, activation="softmax")

        def call(self, x):
            x, height, width, channels = self.patch_embed(x)
            x = self.pos_drop(x)
            for idx, layer in enumerate(self.basic_layers):
                x, height, width, channels = layer(x, height, width, channels)
            x = self.norm(x)
            x = self.avgpool(x)
            x = self.flatten(x)
            x = self.head(x)
            return x

    test_images, test_labels = next(iter(test_ds))
    upsampler = keras.layers.UpSampling2D(size=(4, 4), interpolation="bilinear")
    monitored = []

    class TrainMonitor(keras.callbacks.Callback):
        def __init__(self, epoch_interval=None):
            self.epoch_interval = epoch_interval

        def on_epoch_end(self, epoch, logs=None):
            if self.epoch_interval and epoch % self.epoch_interval == 0:
                _ = self.model(test_images)
                gates = self.model.basic_layers[1].blocks[-1].modulation.gates
                gates = upsampler(gates)
                modulator = self.model.basic_layers[1].blocks[-1].modulation.modulator
                modulator = upsampler(modulator)
                monitored.append((np.asarray(gates[0]), tf.norm(modulator[0], ord=2, axis=-1).numpy()))

    class WarmUpCosine(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, learning_rate_base, total_steps, warmup_learning_rate, warmup_steps):
            super().__init__()
            self.learning_rate_base = learning_rate_base
            self.total_steps = total_steps
            self.warmup_learning_rate = warmup_learning_rate
            self.warmup_steps = warmup_steps
            self.pi = tf.constant(np.pi)

        def __call__(self, step):
            if self.total_steps < self.warmup_steps:
                raise ValueError("Total_steps must be larger or equal to warmup_steps.")
            cos_annealed_lr = tf.cos(
                self.pi * (tf.cast(step, tf.float32) - self.warmup_steps) / float(self.total_steps - self.warmup_steps)
            )
            learning_rate = 0.5 * self.learning_rate_base * (1 + cos_annealed_lr)
            if self.warmup_steps > 0:
                if self.learning_rate_base < self.warmup_learning_rate:
                    raise ValueError("Learning_rate_base must be larger or equal to warmup_learning_rate.")
                slope = (self.learning_rate_base - self.warmup_learning_rate) / self.warmup_steps
                warmup_rate = slope * tf.cast(step, tf.float32) + self.warmup_learning_rate
                learning_rate = tf.where(step < self.warmup_steps, warmup_rate, learning_rate)
            return tf.where(step > self.total_steps, 0.0, learning_rate, name="learning_rate")

    total_steps = int((len(x_train) / BATCH_SIZE) * EPOCHS)
    warmup_epoch_percentage = 0.15
    warmup_steps = int(total_steps * warmup_epoch_percentage)
    scheduled_lrs = WarmUpCosine(learning_rate_base=LEARNING_RATE, total_steps=total_steps,
                                 warmup_learning_rate=0.0, warmup_steps=warmup_steps)

    focal_mod_net = FocalModulationNetwork(image_size=(IMAGE_SIZE, IMAGE_SIZE), embed_dim=8, depths=[1, 1, 1],
                                           mlp_ratio=2.0, drop_rate=0.0)
    focal_mod_net(test_images)
    sync(focal_mod_net)
    optimizer = keras.optimizers.AdamW(learning_rate=scheduled_lrs, weight_decay=WEIGHT_DECAY)
    focal_mod_net.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = focal_mod_net.fit(train_ds, epochs=EPOCHS, validation_data=val_ds,
                                callbacks=[TrainMonitor(epoch_interval=1)], verbose=0)
    _ = focal_mod_net(test_images)
    gates = upsampler(focal_mod_net.basic_layers[1].blocks[-1].modulation.gates)
    modulator = upsampler(focal_mod_net.basic_layers[1].blocks[-1].modulation.modulator)
    return {"history": history.history, "monitored": monitored, "gates": gates, "modulator": modulator,
            "predict": focal_mod_net.predict(test_ds, verbose=0)}


def _tf_has_grouped_conv_gradient():
    """Whether this machine's TensorFlow kernels have the grouped convolution's gradient (Eigen's lack it)."""
    x, kernel = tf.ones((1, 3, 3, 2)), tf.ones((1, 1, 1, 2))
    with tf.GradientTape() as tape:
        tape.watch([x, kernel])
        y = tf.nn.conv2d(x, kernel, 1, "VALID")
    try:
        tape.gradient(y, [x, kernel])
    except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
        return False
    return True


def test_focal_modulation_network():
    if not _tf_has_grouped_conv_gradient():
        # The oracle cannot run here: Keras trains the grouped Conv2D with TensorFlow's kernel, which Eigen lacks,
        # and the example's TensorFlow code keeps it from Keras on torch. kerasport's own run is the test below.
        pytest.skip("Keras 3 cannot train a grouped Conv2D on TensorFlow's Eigen kernels (TF_ENABLE_ONEDNN_OPTS=0)")
    check_program(focal_modulation_network)


def test_focal_modulation_network_trains_on_any_tensorflow_kernels():
    """kerasport trains the example on Eigen kernels too (its grouped convolution has a gradient there)."""
    kerasport.backend.clear_session()
    got = focal_modulation_network(kerasport, lambda model: None)
    assert all(np.isfinite(v).all() for v in got["history"].values())
    assert np.isfinite(got["predict"]).all() and got["predict"].shape == (8, NUM_CLASSES)
    np.testing.assert_allclose(got["predict"].sum(-1), 1.0, rtol=1e-5)
