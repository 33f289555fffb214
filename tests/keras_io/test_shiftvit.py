"""keras.io example "A Vision Transformer without Attention" (examples/vision/shiftvit.py), TensorFlow only.

The example writes its layers and its step with TensorFlow: ``ShiftViTBlock`` shifts channel groups with
``tf.split``, ``tf.image.crop_to_bounding_box``, ``tf.image.pad_to_bounding_box`` and ``tf.concat``;
``ShiftViTModel`` (a subclassed ``keras.Model`` holding the augmentation model, a patch ``Conv2D``, lists of
``StackedShiftBlocks`` built in ``build`` with ``MLP`` (``activation=tf.nn.gelu``) and ``PatchMerging``) has its
own ``train_step`` (``tf.GradientTape``, ``self.compiled_loss``, gradients of a list of lists of variables applied
as pairs, ``self.compiled_metrics.update_state``) and ``test_step``; ``WarmUpCosine`` is a
``LearningRateSchedule`` written with ``tf.cos`` / ``tf.where``. Ported: the ``tf.data`` pipelines, the model
called once on a sample batch, ``AdamW`` on the schedule, sparse cross-entropy from logits, top-5 accuracy,
``fit`` with ``EarlyStopping`` on ``val_accuracy``, ``evaluate``, then ``model.export`` and the
``TFSMLayer`` inference model with ``tf.nn.softmax`` of its logits. So it runs under
``KERASPORT_BACKEND=tensorflow`` only.

Shrunk: 48 images of 20x20x3 uniform noise with 10 classes (32 to train, 8 to validate, 8 to test) instead of
CIFAR-10, ``patch_size=2``, ``projected_dim=16``, ``num_div=4``, one shift block per stage but two in the first,
``batch_size=8``, 2 epochs (a 2-step warm-up). Changed: ``stochastic_depth_rate`` and ``mlp_dropout_rate`` are 0
(drop masks are random); the training dataset is not shuffled; the trained model's augmentation resizes to
``image_size`` (24) so that ``RandomCrop(24, 24)`` crops nothing, and leaves ``RandomFlip`` out (its draws differ
between the two libraries). The example's augmentation (resize to 40, random crop, flip) in inference is a strict
xfail: kerasport's ``RandomCrop`` crops the centre then, as Keras documents, where Keras 3's code returns its input
unchanged (a deliberate difference, see ``kerasport/layers/image_preprocessing.py``). The inference images are the
test images, not a download.
"""
import os
import tempfile

import numpy as np
import pytest
import tensorflow as tf

import kerasport
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the example's layers and train_step are TensorFlow code")


class Config(object):
    batch_size = 8
    input_shape = (20, 20, 3)
    num_classes = 10
    image_size = 24
    patch_size = 2
    projected_dim = 16
    num_shift_blocks_per_stages = [2, 1, 1, 1]
    epsilon = 1e-5
    stochastic_depth_rate = 0.0
    mlp_dropout_rate = 0.0
    num_div = 4
    shift_pixel = 1
    mlp_expand_ratio = 2
    lr_start = 1e-5
    lr_max = 1e-3
    weight_decay = 1e-4
    epochs = 2


config = Config()
AUTO = tf.data.AUTOTUNE


def shiftvit(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (48,) + config.input_shape).astype("uint8")
    labels = rng.randint(0, config.num_classes, (48, 1))
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
        (images[:32], labels[:32]), (images[32:40], labels[32:40]), (images[40:], labels[40:]))

    train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_ds = train_ds.batch(config.batch_size).prefetch(AUTO)
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val))
    val_ds = val_ds.batch(config.batch_size).prefetch(AUTO)
    test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test))
    test_ds = test_ds.batch(config.batch_size).prefetch(AUTO)

    def get_augmentation_model(resize_to, random_flip):
        return keras.Sequential(
            [
                layers.Resizing(resize_to, resize_to),
                layers.RandomCrop(config.image_size, config.image_size),
            ]
            + ([layers.RandomFlip("horizontal")] if random_flip else [])
            + [layers.Rescaling(1 / 255.0)]
        )

    class MLP(layers.Layer):
        def __init__(self, mlp_expand_ratio, mlp_dropout_rate, **kwargs):
            super().__init__(**kwargs)
            self.mlp_expand_ratio = mlp_expand_ratio
            self.mlp_dropout_rate = mlp_dropout_rate

        def build(self, input_shape):
            input_channels = input_shape[-1]
            initial_filters = int(self.mlp_expand_ratio * input_channels)
            self.mlp = keras.Sequential(
                [
                    layers.Dense(units=initial_filters, activation=tf.nn.gelu),
                    layers.Dropout(rate=self.mlp_dropout_rate),
                    layers.Dense(units=input_channels),
                    layers.Dropout(rate=self.mlp_dropout_rate),
                ]
            )

        def call(self, x):
            return self.mlp(x)

    class DropPath(layers.Layer):
        def __init__(self, drop_path_prob, **kwargs):
            super().__init__(**kwargs)
            self.drop_path_prob = drop_path_prob

        def call(self, x, training=False):
            if training:
                keep_prob = 1 - self.drop_path_prob
                shape = (tf.shape(x)[0],) + (1,) * (len(x.shape) - 1)
                random_tensor = keep_prob + tf.random.uniform(shape, 0, 1)
                random_tensor = tf.floor(random_tensor)
                return (x / keep_prob) * random_tensor
            return x

    class ShiftViTBlock(layers.Layer):
        def __init__(self, epsilon, drop_path_prob, mlp_dropout_rate, num_div=12, shift_pixel=1,
                     mlp_expand_ratio=2, **kwargs):
            super().__init__(**kwargs)
            self.shift_pixel = shift_pixel
            self.mlp_expand_ratio = mlp_expand_ratio
            self.mlp_dropout_rate = mlp_dropout_rate
            self.num_div = num_div
            self.epsilon = epsilon
            self.drop_path_prob = drop_path_prob

        def build(self, input_shape):
            self.H = input_shape[1]
            self.W = input_shape[2]
            self.C = input_shape[3]
            self.layer_norm = layers.LayerNormalization(epsilon=self.epsilon)
            self.drop_path = (
                DropPath(drop_path_prob=self.drop_path_prob)
                if self.drop_path_prob > 0.0
                else layers.Activation("linear")
            )
            self.mlp = MLP(mlp_expand_ratio=self.mlp_expand_ratio, mlp_dropout_rate=self.mlp_dropout_rate)

        def get_shift_pad(self, x, mode):
            if mode == "left":
                offset_height, offset_width, target_height, target_width = 0, 0, 0, self.shift_pixel
            elif mode == "right":
                offset_height, offset_width, target_height, target_width = 0, self.shift_pixel, 0, self.shift_pixel
            elif mode == "up":
                offset_height, offset_width, target_height, target_width = 0, 0, self.shift_pixel, 0
            else:
                offset_height, offset_width, target_height, target_width = self.shift_pixel, 0, self.shift_pixel, 0
            crop = tf.image.crop_to_bounding_box(
                x,
                offset_height=offset_height,
                offset_width=offset_width,
                target_height=self.H - target_height,
                target_width=self.W - target_width,
            )
            shift_pad = tf.image.pad_to_bounding_box(
                crop,
                offset_height=offset_height,
                offset_width=offset_width,
                target_height=self.H,
                target_width=self.W,
            )
            return shift_pad

        def call(self, x, training=False):
            x_splits = tf.split(x, num_or_size_splits=self.C // self.num_div, axis=-1)
            x_splits[0] = self.get_shift_pad(x_splits[0], mode="left")
            x_splits[1] = self.get_shift_pad(x_splits[1], mode="right")
            x_splits[2] = self.get_shift_pad(x_splits[2], mode="up")
            x_splits[3] = self.get_shift_pad(x_splits[3], mode="down")
            x = tf.concat(x_splits, axis=-1)
            shortcut = x
            x = shortcut + self.drop_path(self.mlp(self.layer_norm(x)), training=training)
            return x

    class PatchMerging(layers.Layer):
        def __init__(self, epsilon, **kwargs):
            super().__init__(**kwargs)
            self.epsilon = epsilon

        def build(self, input_shape):
            filters = 2 * input_shape[-1]
            self.reduction = layers.Conv2D(filters=filters, kernel_size=2, strides=2, padding="same", use_bias=False)
            self.layer_norm = layers.LayerNormalization(epsilon=self.epsilon)

        def call(self, x):
            x = self.layer_norm(x)
            x = self.reduction(x)
            return x

    class StackedShiftBlocks(layers.Layer):
        def __init__(self, epsilon, mlp_dropout_rate, num_shift_blocks, stochastic_depth_rate, is_merge, num_div=12,
                     shift_pixel=1, mlp_expand_ratio=2, **kwargs):
            super().__init__(**kwargs)
            self.epsilon = epsilon
            self.mlp_dropout_rate = mlp_dropout_rate
            self.num_shift_blocks = num_shift_blocks
            self.stochastic_depth_rate = stochastic_depth_rate
            self.is_merge = is_merge
            self.num_div = num_div
            self.shift_pixel = shift_pixel
            self.mlp_expand_ratio = mlp_expand_ratio

        def build(self, input_shapes):
            dpr = [x for x in np.linspace(start=0, stop=self.stochastic_depth_rate, num=self.num_shift_blocks)]
            self.shift_blocks = list()
            for num in range(self.num_shift_blocks):
                self.shift_blocks.append(
                    ShiftViTBlock(
                        num_div=self.num_div,
                        epsilon=self.epsilon,
                        drop_path_prob=dpr[num],
                        mlp_dropout_rate=self.mlp_dropout_rate,
                        shift_pixel=self.shift_pixel,
                        mlp_expand_ratio=self.mlp_expand_ratio,
                    )
                )
            if self.is_merge:
                self.patch_merge = PatchMerging(epsilon=self.epsilon)

        def call(self, x, training=False):
            for shift_block in self.shift_blocks:
                x = shift_block(x, training=training)
            if self.is_merge:
                x = self.patch_merge(x)
            return x

    class ShiftViTModel(keras.Model):
        def __init__(self, data_augmentation, projected_dim, patch_size, num_shift_blocks_per_stages, epsilon,
                     mlp_dropout_rate, stochastic_depth_rate, num_div=12, shift_pixel=1, mlp_expand_ratio=2,
                     **kwargs):
            super().__init__(**kwargs)
            self.data_augmentation = data_augmentation
            self.patch_projection = layers.Conv2D(
                filters=projected_dim, kernel_size=patch_size, strides=patch_size, padding="same"
            )
            self.stages = list()
            for index, num_shift_blocks in enumerate(num_shift_blocks_per_stages):
                is_merge = index != len(num_shift_blocks_per_stages) - 1
                self.stages.append(
                    StackedShiftBlocks(
                        epsilon=epsilon,
                        mlp_dropout_rate=mlp_dropout_rate,
                        num_shift_blocks=num_shift_blocks,
                        stochastic_depth_rate=stochastic_depth_rate,
                        is_merge=is_merge,
                        num_div=num_div,
                        shift_pixel=shift_pixel,
                        mlp_expand_ratio=mlp_expand_ratio,
                    )
                )
            self.global_avg_pool = layers.GlobalAveragePooling2D()
            self.classifier = layers.Dense(config.num_classes)

        def _calculate_loss(self, data, training=False):
            (images, labels) = data
            augmented_images = self.data_augmentation(images, training=training)
            projected_patches = self.patch_projection(augmented_images)
            x = projected_patches
            for stage in self.stages:
                x = stage(x, training=training)
            x = self.global_avg_pool(x)
            logits = self.classifier(x)
            total_loss = self.compiled_loss(labels, logits)
            return total_loss, labels, logits

        def train_step(self, inputs):
            with tf.GradientTape() as tape:
                total_loss, labels, logits = self._calculate_loss(data=inputs, training=True)
            train_vars = [
                self.data_augmentation.trainable_variables,
                self.patch_projection.trainable_variables,
                self.global_avg_pool.trainable_variables,
                self.classifier.trainable_variables,
            ]
            train_vars = train_vars + [stage.trainable_variables for stage in self.stages]
            grads = tape.gradient(total_loss, train_vars)
            trainable_variable_list = []
            for grad, var in zip(grads, train_vars):
                for g, v in zip(grad, var):
                    trainable_variable_list.append((g, v))
            self.optimizer.apply_gradients(trainable_variable_list)
            self.compiled_metrics.update_state(labels, logits)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            _, labels, logits = self._calculate_loss(data=data, training=False)
            self.compiled_metrics.update_state(labels, logits)
            return {m.name: m.result() for m in self.metrics}

        def call(self, images):
            augmented_images = self.data_augmentation(images)
            x = self.patch_projection(augmented_images)
            for stage in self.stages:
                x = stage(x, training=False)
            x = self.global_avg_pool(x)
            logits = self.classifier(x)
            return logits

    class WarmUpCosine(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, lr_start, lr_max, warmup_steps, total_steps):
            super().__init__()
            self.lr_start = lr_start
            self.lr_max = lr_max
            self.warmup_steps = warmup_steps
            self.total_steps = total_steps
            self.pi = tf.constant(np.pi)

        def __call__(self, step):
            if self.total_steps < self.warmup_steps:
                raise ValueError(f"Total number of steps {self.total_steps} must be"
                                 + f"larger or equal to warmup steps {self.warmup_steps}.")
            cos_annealed_lr = tf.cos(
                self.pi
                * (tf.cast(step, tf.float32) - self.warmup_steps)
                / tf.cast(self.total_steps - self.warmup_steps, tf.float32)
            )
            learning_rate = 0.5 * self.lr_max * (1 + cos_annealed_lr)
            if self.warmup_steps > 0:
                if self.lr_max < self.lr_start:
                    raise ValueError(f"lr_start {self.lr_start} must be smaller or"
                                     + f"equal to lr_max {self.lr_max}.")
                slope = (self.lr_max - self.lr_start) / self.warmup_steps
                warmup_rate = slope * tf.cast(step, tf.float32) + self.lr_start
                learning_rate = tf.where(step < self.warmup_steps, warmup_rate, learning_rate)
            return tf.where(step > self.total_steps, 0.0, learning_rate, name="learning_rate")

        def get_config(self):
            return {"lr_start": self.lr_start, "lr_max": self.lr_max, "total_steps": self.total_steps,
                    "warmup_steps": self.warmup_steps}

    model = ShiftViTModel(
        data_augmentation=get_augmentation_model(config.image_size, random_flip=False),
        projected_dim=config.projected_dim,
        patch_size=config.patch_size,
        num_shift_blocks_per_stages=config.num_shift_blocks_per_stages,
        epsilon=config.epsilon,
        mlp_dropout_rate=config.mlp_dropout_rate,
        stochastic_depth_rate=config.stochastic_depth_rate,
        num_div=config.num_div,
        shift_pixel=config.shift_pixel,
        mlp_expand_ratio=config.mlp_expand_ratio,
    )
    sample_ds, _ = next(iter(train_ds))
    model(sample_ds, training=False)
    sync(model)

    total_steps = int((len(x_train) / config.batch_size) * config.epochs)
    warmup_epoch_percentage = 0.25
    warmup_steps = int(total_steps * warmup_epoch_percentage)
    scheduled_lrs = WarmUpCosine(lr_start=1e-5, lr_max=1e-3, warmup_steps=warmup_steps, total_steps=total_steps)
    optimizer = keras.optimizers.AdamW(learning_rate=scheduled_lrs, weight_decay=config.weight_decay)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
            keras.metrics.SparseTopKCategoricalAccuracy(5, name="top-5-accuracy"),
        ],
    )
    history = model.fit(
        train_ds,
        epochs=config.epochs,
        validation_data=val_ds,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=5, mode="auto")],
        verbose=0,
    )
    loss, acc_top1, acc_top5 = model.evaluate(test_ds, verbose=0)

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "ShiftViT")
        model.export(path, verbose=False)
        saved_layer = keras.layers.TFSMLayer(path)
        inputs = keras.Input(shape=(config.input_shape))
        outputs = saved_layer(inputs)
        saved_model = keras.Model(inputs, outputs)
        predict_ds = tf.data.Dataset.from_tensor_slices(x_test).batch(4).prefetch(AUTO)
        probabilities = tf.nn.softmax(saved_model.predict(predict_ds, verbose=0))
    return {"history": history.history, "loss": loss, "acc_top1": acc_top1, "acc_top5": acc_top5,
            "learning_rates": [float(scheduled_lrs(step)) for step in range(total_steps + 2)],
            "probabilities": probabilities.numpy(), "predicted_class": np.argmax(probabilities, -1),
            "params": model.count_params()}


def shiftvit_augmentation_in_inference(keras, sync):
    layers = keras.layers
    images = np.random.RandomState(0).randint(0, 256, (2,) + config.input_shape).astype("uint8")
    data_augmentation = keras.Sequential(
        [
            layers.Resizing(config.input_shape[0] + 20, config.input_shape[0] + 20),
            layers.RandomCrop(config.image_size, config.image_size),
            layers.RandomFlip("horizontal"),
            layers.Rescaling(1 / 255.0),
        ]
    )
    return {"augmented": data_augmentation.predict(images, verbose=0)}


def test_shiftvit():
    check_program(shiftvit)


@pytest.mark.xfail(strict=True, reason="kerasport's RandomCrop crops the centre in inference, as Keras documents; "
                                       "Keras 3's code returns the 40x40 input unchanged")
def test_shiftvit_augmentation_in_inference():
    check_program(shiftvit_augmentation_in_inference)
