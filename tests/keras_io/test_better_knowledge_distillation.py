"""keras.io example "Knowledge distillation recipes" (examples/keras_recipes/better_knowledge_distillation.py).

Function matching: a frozen teacher and a ResNet50V2 student see the same mixed-up images; the student learns
the teacher's temperature-softened outputs (``KLDivergence``) with AdamW under a warmup-cosine schedule
(``WarmUpCosine``, a ``LearningRateSchedule`` written with TensorFlow ops) and gradient clipping. The example
is TensorFlow code (``tf.GradientTape``, ``tf.data``, ``tf.nn.softmax``): it runs under
``KERASPORT_BACKEND=tensorflow`` against Keras 3 on TensorFlow.

Shrunk: 8 training and 4 validation images of uniform noise, 32x32 instead of 128x128 Flowers102 crops
(``RESIZE=32``), ``BATCH_SIZE=4``, 2 epochs; the ResNet50V2 student is a small residual network (see
``get_resnetv2`` for why); the teacher, a downloaded BiT ResNet101x3 SavedModel, is a small
frozen convolutional model built here; ``DATASET_NUM_TRAIN_EXAMPLES=8``, ``warmup_steps=2`` and
``TOTAL_STEPS=6`` so that the schedule's warmup and cosine parts both run; the learning-rate plot becomes
the rates it draws. Changed: the random augmentation (``tf.image.random_crop``, ``random_flip_left_right``,
dataset shuffling) is left out and MixUp's ``alpha``, drawn by ``tf.random.uniform``, is fixed at 0.3, since
the two libraries' random streams differ; ``tfa.optimizers.AdamW`` (TensorFlow Addons, retired) is Keras 3's
``keras.optimizers.AdamW`` with the same arguments, and the Keras 2 ``self.compiled_metrics.update_state``
(gone in Keras 3) is ``self.compute_metrics``; the distiller is evaluated once before ``fit``, since Keras 3
builds the compiled metrics on their first update (in ``test_step``) and its ``fit`` fails reading them
otherwise.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


def distillation(keras, sync):
    import tensorflow as tf

    AUTO = tf.data.AUTOTUNE  # Used to dynamically adjust parallelism.
    BATCH_SIZE = 4

    # Comes from Table 4 and "Training setup" section.
    TEMPERATURE = 10  # Used to soften the logits before they go to softmax.
    INIT_LR = 0.003  # Initial learning rate that will be decayed over the training period.
    WEIGHT_DECAY = 0.001  # Used for regularization.
    CLIP_THRESHOLD = 1.0  # Used for clipping the gradients by L2-norm.

    RESIZE = 32

    rng = np.random.RandomState(0)
    train_ds = tf.data.Dataset.from_tensor_slices(
        (rng.randint(0, 256, (8, RESIZE, RESIZE, 3)).astype("uint8"), rng.randint(0, 102, 8)))
    validation_ds = tf.data.Dataset.from_tensor_slices(
        (rng.randint(0, 256, (4, RESIZE, RESIZE, 3)).astype("uint8"), rng.randint(0, 102, 4)))

    teacher_model = keras.Sequential([
        keras.Input((RESIZE, RESIZE, 3)),
        keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(102),
    ])
    sync(teacher_model)
    # Since the teacher model is not going to be trained further we make
    # it non-trainable.
    teacher_model.trainable = False

    def mixup(images, labels):
        alpha = 0.3
        mixedup_images = alpha * images + (1 - alpha) * tf.reverse(images, axis=[0])
        # The labels do not matter here since they are NOT used during
        # training.
        return mixedup_images, labels

    def preprocess_image(image, label, train=True):
        image = tf.cast(image, tf.float32) / 255.0
        if not train:
            image = tf.image.central_crop(image, central_fraction=0.875)
            image = tf.image.resize(image, (RESIZE, RESIZE))
        return image, label

    def prepare_dataset(dataset, train=True, batch_size=BATCH_SIZE):
        if train:
            dataset = dataset.map(preprocess_image, num_parallel_calls=AUTO)
        else:
            dataset = dataset.map(
                lambda x, y: (preprocess_image(x, y, train)), num_parallel_calls=AUTO
            )
        dataset = dataset.batch(batch_size)

        if train:
            dataset = dataset.map(mixup, num_parallel_calls=AUTO)

        dataset = dataset.prefetch(AUTO)
        return dataset

    train_ds = prepare_dataset(train_ds, True)
    validation_ds = prepare_dataset(validation_ds, False)

    def get_resnetv2():
        # The example's student, ``keras.applications.ResNet50V2(weights=None, classes=102,
        # classifier_activation="linear")``, takes a minute and a half a run on one CPU thread, and cannot be
        # compared: the biases of its convolutions followed by batch normalization have a gradient of zero
        # in exact arithmetic, float noise of 1e-13 in practice, which AdamW turns into steps of the full
        # learning rate in the noise's direction (the two libraries' students part by 7% after two steps,
        # while their forward passes and all other gradients agree). A small residual network with ResNetV2's
        # pre-activation blocks (batch normalization, ReLU, convolution) instead.
        inputs = keras.Input((RESIZE, RESIZE, 3))
        x = keras.layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
        y = keras.layers.BatchNormalization()(x)
        y = keras.layers.Activation("relu")(y)
        y = keras.layers.Conv2D(8, 3, padding="same")(y)
        x = keras.layers.Add()([x, y])
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("relu")(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        outputs = keras.layers.Dense(102)(x)
        return keras.Model(inputs, outputs)

    class Distiller(keras.Model):
        def __init__(self, student, teacher):
            super(Distiller, self).__init__()
            self.student = student
            self.teacher = teacher
            self.loss_tracker = keras.metrics.Mean(name="distillation_loss")

        @property
        def metrics(self):
            metrics = super().metrics
            metrics.append(self.loss_tracker)
            return metrics

        def compile(
            self,
            optimizer,
            metrics,
            distillation_loss_fn,
            temperature=TEMPERATURE,
        ):
            super(Distiller, self).compile(optimizer=optimizer, metrics=metrics)
            self.distillation_loss_fn = distillation_loss_fn
            self.temperature = temperature

        def train_step(self, data):
            # Unpack data
            x, _ = data

            # Forward pass of teacher
            teacher_predictions = self.teacher(x, training=False)

            with tf.GradientTape() as tape:
                # Forward pass of student
                student_predictions = self.student(x, training=True)

                # Compute loss
                distillation_loss = self.distillation_loss_fn(
                    tf.nn.softmax(teacher_predictions / self.temperature, axis=1),
                    tf.nn.softmax(student_predictions / self.temperature, axis=1),
                )

            # Compute gradients
            trainable_vars = self.student.trainable_variables
            gradients = tape.gradient(distillation_loss, trainable_vars)

            # Update weights
            self.optimizer.apply_gradients(zip(gradients, trainable_vars))

            # Report progress
            self.loss_tracker.update_state(distillation_loss)
            return {"distillation_loss": self.loss_tracker.result()}

        def test_step(self, data):
            # Unpack data
            x, y = data

            # Forward passes
            teacher_predictions = self.teacher(x, training=False)
            student_predictions = self.student(x, training=False)

            # Calculate the loss
            distillation_loss = self.distillation_loss_fn(
                tf.nn.softmax(teacher_predictions / self.temperature, axis=1),
                tf.nn.softmax(student_predictions / self.temperature, axis=1),
            )

            # Report progress
            self.loss_tracker.update_state(distillation_loss)
            self.compute_metrics(x, y, student_predictions, sample_weight=None)
            results = {m.name: m.result() for m in self.metrics}
            return results

    class WarmUpCosine(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(
            self, learning_rate_base, total_steps, warmup_learning_rate, warmup_steps
        ):
            super(WarmUpCosine, self).__init__()

            self.learning_rate_base = learning_rate_base
            self.total_steps = total_steps
            self.warmup_learning_rate = warmup_learning_rate
            self.warmup_steps = warmup_steps
            self.pi = tf.constant(np.pi)

        def __call__(self, step):
            if self.total_steps < self.warmup_steps:
                raise ValueError("Total_steps must be larger or equal to warmup_steps.")

            cos_annealed_lr = tf.cos(
                self.pi
                * (tf.cast(step, tf.float32) - self.warmup_steps)
                / float(self.total_steps - self.warmup_steps)
            )
            learning_rate = 0.5 * self.learning_rate_base * (1 + cos_annealed_lr)

            if self.warmup_steps > 0:
                if self.learning_rate_base < self.warmup_learning_rate:
                    raise ValueError(
                        "Learning_rate_base must be larger or equal to "
                        "warmup_learning_rate."
                    )
                slope = (
                    self.learning_rate_base - self.warmup_learning_rate
                ) / self.warmup_steps
                warmup_rate = slope * tf.cast(step, tf.float32) + self.warmup_learning_rate
                learning_rate = tf.where(
                    step < self.warmup_steps, warmup_rate, learning_rate
                )
            return tf.where(
                step > self.total_steps, 0.0, learning_rate, name="learning_rate"
            )

    DATASET_NUM_TRAIN_EXAMPLES = 8
    TOTAL_STEPS = 6
    scheduled_lrs = WarmUpCosine(
        learning_rate_base=INIT_LR,
        total_steps=TOTAL_STEPS,
        warmup_learning_rate=0.0,
        warmup_steps=2,
    )

    lrs = [scheduled_lrs(step) for step in range(TOTAL_STEPS)]

    optimizer = keras.optimizers.AdamW(
        weight_decay=WEIGHT_DECAY, learning_rate=scheduled_lrs, clipnorm=CLIP_THRESHOLD
    )

    student_model = get_resnetv2()
    sync(student_model)

    distiller = Distiller(student=student_model, teacher=teacher_model)
    distiller.compile(
        optimizer,
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
        distillation_loss_fn=keras.losses.KLDivergence(),
        temperature=TEMPERATURE,
    )

    # Keras 3 builds the compiled metrics on their first update, which only ``test_step`` makes: evaluated first,
    # the student's accuracy can be read at the end of each training epoch (else Keras 3's fit fails there).
    before = distiller.evaluate(validation_ds, verbose=0, return_dict=True)
    history = distiller.fit(
        train_ds,
        steps_per_epoch=int(np.ceil(DATASET_NUM_TRAIN_EXAMPLES / BATCH_SIZE)),
        validation_data=validation_ds,
        epochs=2,  # This should be at least 1000.
        verbose=0,
    )
    return {"lrs": [np.asarray(lr) for lr in lrs], "before": before, "history": history.history,
            "student_head": student_model.layers[-1].get_weights(),
            "learning_rate_now": np.asarray(optimizer.learning_rate)}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's tf.GradientTape / tf.data code runs under TensorFlow only")
def test_better_knowledge_distillation_tensorflow_form():
    check_program(distillation)
