"""keras.io example "Barlow Twins for Contrastive SSL" (examples/vision/barlow_twins.py).

The example is written for ``tf.keras`` on TensorFlow (``tf.GradientTape`` in ``train_step``, ``tf.data``,
``tf.linalg`` in the loss), so it runs only under ``KERASPORT_BACKEND=tensorflow``, against Keras 3 on TensorFlow,
written with Keras 3's names (``keras.layers``, ``keras.optimizers.Lamb`` for TensorFlow Addons' ``LAMB``). As
written: the ``Augmentation`` layers (``tf.function`` ``call``s that branch on ``random_execute``) chained by the
``RandomAugmentor`` model, ``BTDatasetCreator`` (two augmented ``tf.data`` versions, zipped), ``BarlowLoss`` (a
``keras.losses.Loss`` subclass: batch-normalised embeddings, the cross-correlation matrix, its invariance and
redundancy terms), the functional ``ResNet34`` encoder (``ZeroPadding2D``, strided ``Conv2D``,
``BatchNormalization(axis=3)``, ``MaxPool2D``, identity and convolutional blocks with ``Add``,
``AveragePooling2D``), ``build_twin``'s projector, ``BarlowModel`` (a ``metrics`` property and a ``train_step``
that calls ``self.loss(z_a, z_b)``), and the linear evaluation (a frozen twin under a ``Dense`` with an ``l2``
regulariser, ``fit`` with ``validation_data``).

Changed: CIFAR-10 (a download) becomes 16 random 32x32 images (8 for the linear evaluation's validation) in
10 classes, ``BATCH_SIZE=8``, 2 epochs instead of 160 and 35; the ResNet's filters start at 4 instead of 64
with one block per stage instead of [3, 4, 6, 3], and the projector has 16 units instead of 5000. The
augmentations draw random numbers whose streams differ between the two libraries (and ``RandomBlur`` needs
TensorFlow Addons), so the views that are trained are the images themselves (``BTDatasetCreator`` with an
identity augmentor, no ``shuffle``): the invariance term starts at 0 and the redundancy term trains the twin.
The example's ``RandomAugmentor``, less ``RandomBlur``, is checked apart, in its ``tf.data`` map, by the shape
and range of what it gives. ``tfa.optimizers.LAMB()`` becomes ``keras.optimizers.Lamb()`` (epsilon 1e-7, not
1e-6). Of the twin's weights, the kernels, gammas and betas are compared (see ``barlow_twins``).
The XLA switch (``tf.config.optimizer.set_jit``) and the plots are left out.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the example is written for TensorFlow (tf.GradientTape, tf.data, tf.linalg)")

BATCH_SIZE = 8
IMAGE_SIZE = 32


def _features():
    rng = np.random.RandomState(0)
    train_features = rng.randint(0, 256, (16, IMAGE_SIZE, IMAGE_SIZE, 3)) / 255.0
    train_labels = rng.randint(0, 10, (16, 1))
    return train_features, train_labels


def _augmentor(keras):
    """The example's augmentation layers and ``RandomAugmentor`` (without ``RandomBlur``: TensorFlow Addons)."""
    import tensorflow as tf

    class Augmentation(keras.layers.Layer):
        def __init__(self):
            super(Augmentation, self).__init__()

        @tf.function
        def random_execute(self, prob: float) -> bool:
            return tf.random.uniform([], minval=0, maxval=1) < prob

    class RandomToGrayscale(Augmentation):
        @tf.function
        def call(self, x: tf.Tensor) -> tf.Tensor:
            if self.random_execute(0.2):
                x = tf.image.rgb_to_grayscale(x)
                x = tf.tile(x, [1, 1, 3])
            return x

    class RandomColorJitter(Augmentation):
        @tf.function
        def call(self, x: tf.Tensor) -> tf.Tensor:
            if self.random_execute(0.8):
                x = tf.image.random_brightness(x, 0.8)
                x = tf.image.random_contrast(x, 0.4, 1.6)
                x = tf.image.random_saturation(x, 0.4, 1.6)
                x = tf.image.random_hue(x, 0.2)
            return x

    class RandomFlip(Augmentation):
        @tf.function
        def call(self, x: tf.Tensor) -> tf.Tensor:
            if self.random_execute(0.5):
                x = tf.image.random_flip_left_right(x)
            return x

    class RandomResizedCrop(Augmentation):
        def __init__(self, image_size):
            super(Augmentation, self).__init__()
            self.image_size = image_size

        def call(self, x: tf.Tensor) -> tf.Tensor:
            rand_size = tf.random.uniform(
                shape=[],
                minval=int(0.75 * self.image_size),
                maxval=1 * self.image_size,
                dtype=tf.int32,
            )

            crop = tf.image.random_crop(x, (rand_size, rand_size, 3))
            crop_resize = tf.image.resize(crop, (self.image_size, self.image_size))
            return crop_resize

    class RandomSolarize(Augmentation):
        @tf.function
        def call(self, x: tf.Tensor) -> tf.Tensor:
            if self.random_execute(0.2):
                # flips abnormally low pixels to abnormally high pixels
                x = tf.where(x < 10, x, 255 - x)
            return x

    class RandomAugmentor(keras.Model):
        def __init__(self, image_size: int):
            super(RandomAugmentor, self).__init__()

            self.image_size = image_size
            self.random_resized_crop = RandomResizedCrop(image_size)
            self.random_flip = RandomFlip()
            self.random_color_jitter = RandomColorJitter()
            self.random_to_grayscale = RandomToGrayscale()
            self.random_solarize = RandomSolarize()

        def call(self, x: tf.Tensor) -> tf.Tensor:
            x = self.random_resized_crop(x)
            x = self.random_flip(x)
            x = self.random_color_jitter(x)
            x = self.random_to_grayscale(x)
            x = self.random_solarize(x)

            x = tf.clip_by_value(x, 0, 1)
            return x

    return RandomAugmentor


def _dataset_creator():
    import tensorflow as tf

    class BTDatasetCreator:
        def __init__(self, augmentor, seed: int = 1024):
            self.options = tf.data.Options()
            self.options.threading.max_intra_op_parallelism = 1
            self.seed = seed
            self.augmentor = augmentor

        def augmented_version(self, ds: list) -> tf.data.Dataset:
            return (
                tf.data.Dataset.from_tensor_slices(ds)
                .map(self.augmentor, num_parallel_calls=tf.data.AUTOTUNE)
                .batch(BATCH_SIZE, drop_remainder=True)
                .prefetch(tf.data.AUTOTUNE)
                .with_options(self.options)
            )

        def __call__(self, ds: list) -> tf.data.Dataset:
            a1 = self.augmented_version(ds)
            a2 = self.augmented_version(ds)

            return tf.data.Dataset.zip((a1, a2)).with_options(self.options)

    return BTDatasetCreator


def barlow_twins(keras, sync):
    import tensorflow as tf

    class BarlowLoss(keras.losses.Loss):
        def __init__(self, batch_size: int):
            super(BarlowLoss, self).__init__()
            self.lambda_amt = 5e-3
            self.batch_size = batch_size

        def get_off_diag(self, c: tf.Tensor) -> tf.Tensor:
            zero_diag = tf.zeros(c.shape[-1])
            return tf.linalg.set_diag(c, zero_diag)

        def cross_corr_matrix_loss(self, c: tf.Tensor) -> tf.Tensor:
            # subtracts diagonals by one and squares them(first part)
            c_diff = tf.pow(tf.linalg.diag_part(c) - 1, 2)

            # takes off diagonal, squares it, multiplies with lambda(second part)
            off_diag = tf.pow(self.get_off_diag(c), 2) * self.lambda_amt

            # sum first and second parts together
            loss = tf.reduce_sum(c_diff) + tf.reduce_sum(off_diag)

            return loss

        def normalize(self, output: tf.Tensor) -> tf.Tensor:
            return (output - tf.reduce_mean(output, axis=0)) / tf.math.reduce_std(
                output, axis=0
            )

        def cross_corr_matrix(self, z_a_norm: tf.Tensor, z_b_norm: tf.Tensor) -> tf.Tensor:
            return (tf.transpose(z_a_norm) @ z_b_norm) / self.batch_size

        def call(self, z_a: tf.Tensor, z_b: tf.Tensor) -> tf.Tensor:
            z_a_norm, z_b_norm = self.normalize(z_a), self.normalize(z_b)
            c = self.cross_corr_matrix(z_a_norm, z_b_norm)
            loss = self.cross_corr_matrix_loss(c)
            return loss

    class ResNet34:
        def identity_block(self, x, filter):
            # copy tensor to variable called x_skip
            x_skip = x
            # Layer 1
            x = keras.layers.Conv2D(filter, (3, 3), padding="same")(x)
            x = keras.layers.BatchNormalization(axis=3)(x)
            x = keras.layers.Activation("relu")(x)
            # Layer 2
            x = keras.layers.Conv2D(filter, (3, 3), padding="same")(x)
            x = keras.layers.BatchNormalization(axis=3)(x)
            # Add Residue
            x = keras.layers.Add()([x, x_skip])
            x = keras.layers.Activation("relu")(x)
            return x

        def convolutional_block(self, x, filter):
            # copy tensor to variable called x_skip
            x_skip = x
            # Layer 1
            x = keras.layers.Conv2D(filter, (3, 3), padding="same", strides=(2, 2))(x)
            x = keras.layers.BatchNormalization(axis=3)(x)
            x = keras.layers.Activation("relu")(x)
            # Layer 2
            x = keras.layers.Conv2D(filter, (3, 3), padding="same")(x)
            x = keras.layers.BatchNormalization(axis=3)(x)
            # Processing Residue with conv(1,1)
            x_skip = keras.layers.Conv2D(filter, (1, 1), strides=(2, 2))(x_skip)
            # Add Residue
            x = keras.layers.Add()([x, x_skip])
            x = keras.layers.Activation("relu")(x)
            return x

        def __call__(self, shape=(32, 32, 3)):
            # Step 1 (Setup Input Layer)
            x_input = keras.layers.Input(shape)
            x = keras.layers.ZeroPadding2D((3, 3))(x_input)
            # Step 2 (Initial Conv layer along with maxPool)
            x = keras.layers.Conv2D(4, kernel_size=7, strides=2, padding="same")(x)
            x = keras.layers.BatchNormalization()(x)
            x = keras.layers.Activation("relu")(x)
            x = keras.layers.MaxPool2D(pool_size=3, strides=2, padding="same")(x)
            # Define size of sub-blocks and initial filter size
            block_layers = [1, 1, 1, 1]
            filter_size = 4
            # Step 3 Add the Resnet Blocks
            for i in range(4):
                if i == 0:
                    # For sub-block 1 Residual/Convolutional block not needed
                    for j in range(block_layers[i]):
                        x = self.identity_block(x, filter_size)
                else:
                    # One Residual/Convolutional Block followed by Identity blocks
                    # The filter size will go on increasing by a factor of 2
                    filter_size = filter_size * 2
                    x = self.convolutional_block(x, filter_size)
                    for j in range(block_layers[i] - 1):
                        x = self.identity_block(x, filter_size)
            # Step 4 End Dense Network
            x = keras.layers.AveragePooling2D((2, 2), padding="same")(x)
            x = keras.layers.Flatten()(x)
            model = keras.models.Model(inputs=x_input, outputs=x, name="ResNet34")
            return model

    def build_twin():
        # number of dense neurons in the projector
        n_dense_neurons = 16

        # encoder network
        resnet = ResNet34()()
        last_layer = resnet.layers[-1].output

        # intermediate layers of the projector network
        n_layers = 2
        for i in range(n_layers):
            dense = keras.layers.Dense(n_dense_neurons, name=f"projector_dense_{i}")
            if i == 0:
                x = dense(last_layer)
            else:
                x = dense(x)
            x = keras.layers.BatchNormalization(name=f"projector_bn_{i}")(x)
            x = keras.layers.ReLU(name=f"projector_relu_{i}")(x)

        x = keras.layers.Dense(n_dense_neurons, name=f"projector_dense_{n_layers}")(x)

        model = keras.Model(resnet.input, x)
        return model

    class BarlowModel(keras.Model):
        def __init__(self):
            super(BarlowModel, self).__init__()
            self.model = build_twin()
            self.loss_tracker = keras.metrics.Mean(name="loss")

        @property
        def metrics(self):
            return [self.loss_tracker]

        def train_step(self, batch: tf.Tensor) -> tf.Tensor:
            # get the two augmentations from the batch
            y_a, y_b = batch

            with tf.GradientTape() as tape:
                # get two versions of predictions
                z_a, z_b = self.model(y_a, training=True), self.model(y_b, training=True)
                loss = self.loss(z_a, z_b)

            grads_model = tape.gradient(loss, self.model.trainable_variables)

            self.optimizer.apply_gradients(zip(grads_model, self.model.trainable_variables))
            self.loss_tracker.update_state(loss)

            return {"loss": self.loss_tracker.result()}

    train_features, train_labels = _features()
    augment_versions = _dataset_creator()(lambda image: image)(train_features)

    bm = BarlowModel()
    sync(bm)
    optimizer = keras.optimizers.Lamb()
    loss = BarlowLoss(BATCH_SIZE)

    bm.compile(optimizer=optimizer, loss=loss)
    history = bm.fit(augment_versions, epochs=2, verbose=0)

    xy_ds = (
        tf.data.Dataset.from_tensor_slices((train_features, train_labels))
        .batch(BATCH_SIZE, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )

    test_ds = (
        tf.data.Dataset.from_tensor_slices((train_features[:8], train_labels[:8]))
        .batch(BATCH_SIZE, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )

    model = keras.models.Sequential(
        [
            bm.model,
            keras.layers.Dense(
                10, activation="softmax", kernel_regularizer=keras.regularizers.l2(0.02)
            ),
        ]
    )
    model.build((None, IMAGE_SIZE, IMAGE_SIZE, 3))
    sync(model.layers[-1])

    model.layers[0].trainable = False

    linear_optimizer = keras.optimizers.Lamb()
    model.compile(
        optimizer=linear_optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )

    linear_history = model.fit(xy_ds, epochs=2, validation_data=test_ds, verbose=0)
    # The biases of the layers under a BatchNormalization get gradients of rounding noise only (the normalisation
    # subtracts them), which LAMB's normalised steps make moves of +-learning rate, of either sign; they (and the
    # moving means that follow them) are left out. The kernels, gammas and betas, and the losses, are compared.
    learned = [w for w in bm.model.weights if w.path.split("/")[-1] in ("kernel", "gamma", "beta")]
    return {"history": history.history, "linear_history": linear_history.history, "twin": learned,
            "n_trainable": len(model.trainable_weights)}


def barlow_twins_augmentor(keras, sync):
    """The example's ``RandomAugmentor`` in its ``tf.data`` map: images of the same shape in [0, 1]."""
    train_features = _features()[0][:8].astype("float32")
    versions = _dataset_creator()(_augmentor(keras)(IMAGE_SIZE))(train_features)
    a1, a2 = next(iter(versions))
    return {"shapes": [tuple(a1.shape), tuple(a2.shape)],
            "in_range": [bool(np.all((a.numpy() >= 0) & (a.numpy() <= 1))) for a in (a1, a2)]}


def test_barlow_twins():
    check_program(barlow_twins)


def test_barlow_twins_augmentor():
    check_program(barlow_twins_augmentor)
barlow_twins_augmentor.keras_traced = True  # its tf.function calls branch on tensors inside a tf.data map
