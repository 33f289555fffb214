"""keras.io example "Distilling Vision Transformers" (examples/vision/deit.py, the Keras 3 version), TensorFlow only.

The example writes its student and its step with TensorFlow: ``ViTClassifier`` / ``ViTDistilled`` (subclassed
models holding a ``Sequential`` patch projection, Functional ``transformer`` blocks built from ``Input``,
``MultiHeadAttention`` and ``mlp`` with ``activation=tf.nn.gelu``, and raw ``tf.Variable`` class / distillation
tokens and positional embedding, which Keras 3 does not track as weights, so they stay zero; ``tf.tile``,
``tf.concat``, two heads, ``(x + x_dist) / 2`` in inference), ``DeiT`` (a ``keras.Model`` with a ``metrics``
property, a ``compile`` override taking the two loss functions, a ``tf.GradientTape`` ``train_step`` distilling
the teacher's softmax into the distillation head, a ``test_step``, ``call``), the ``tf.data`` pipeline
(``tf.image.resize``, ``tf.one_hot``) and ``fit`` with validation data. So it runs under
``KERASPORT_BACKEND=tensorflow`` only.

Changed: the teacher (a BiT ResNet downloaded as a SavedModel) is a small convolutional Keras model of the same
interface, written with ``keras.export.ExportArchive`` as a SavedModel whose ``serving_default`` endpoint returns
``{"dense": logits}``, and loaded as the example loads its teacher, ``TFSMLayer(call_endpoint="serving_default")``.
Shrunk: 32 images of 20x20x3 uniform noise in 5 classes (24 to train, 8 to validate) instead of ``tf_flowers``,
``RESOLUTION=16``, ``PATCH_SIZE=4``, ``PROJECTION_DIM=16``, ``NUM_HEADS=2``, ``NUM_LAYERS=2``, ``BATCH_SIZE=8``, 2
epochs. ``DROP_PATH_RATE`` is 0 (stochastic depth draws random masks) and the training dataset is neither
shuffled nor randomly cropped and flipped (TensorFlow's own random draws): it is mapped with the example's
validation preprocessing, and the training preprocessing is compared by its batches' shapes.
"""
import os
import tempfile

import numpy as np
import pytest
import tensorflow as tf

import kerasport
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the example's student and train_step are TensorFlow code")

MODEL_TYPE = "deit_distilled_tiny_patch16_224"
RESOLUTION = 16
PATCH_SIZE = 4
NUM_PATCHES = (RESOLUTION // PATCH_SIZE) ** 2
LAYER_NORM_EPS = 1e-6
PROJECTION_DIM = 16
NUM_HEADS = 2
NUM_LAYERS = 2
MLP_UNITS = [PROJECTION_DIM * 4, PROJECTION_DIM]
DROPOUT_RATE = 0.0
DROP_PATH_RATE = 0.0
NUM_EPOCHS = 2
BASE_LR = 0.0005
WEIGHT_DECAY = 0.0001
BATCH_SIZE = 8
AUTO = tf.data.AUTOTUNE
NUM_CLASSES = 5


def preprocess_dataset(is_training=True):
    def fn(image, label):
        if is_training:
            image = tf.image.resize(image, (RESOLUTION + 20, RESOLUTION + 20))
            image = tf.image.random_crop(image, (RESOLUTION, RESOLUTION, 3))
            image = tf.image.random_flip_left_right(image)
        else:
            image = tf.image.resize(image, (RESOLUTION, RESOLUTION))
        label = tf.one_hot(label, depth=NUM_CLASSES)
        return image, label

    return fn


def prepare_dataset(dataset, is_training=True):
    dataset = dataset.map(preprocess_dataset(is_training), num_parallel_calls=AUTO)
    return dataset.batch(BATCH_SIZE).prefetch(AUTO)


def deit(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (32, 20, 20, 3)).astype("uint8")
    labels = rng.randint(0, NUM_CLASSES, 32)
    train_dataset = tf.data.Dataset.from_tensor_slices((images[:24], labels[:24]))
    val_dataset = tf.data.Dataset.from_tensor_slices((images[24:], labels[24:]))
    augmented_shapes = [tuple(x.shape) for x, _ in prepare_dataset(train_dataset, is_training=True)]
    train_dataset = prepare_dataset(train_dataset, is_training=False)
    val_dataset = prepare_dataset(val_dataset, is_training=False)

    class StochasticDepth(layers.Layer):
        def __init__(self, drop_prop, **kwargs):
            super().__init__(**kwargs)
            self.drop_prob = drop_prop

        def call(self, x, training=True):
            if training:
                keep_prob = 1 - self.drop_prob
                shape = (tf.shape(x)[0],) + (1,) * (len(x.shape) - 1)
                random_tensor = keep_prob + tf.random.uniform(shape, 0, 1)
                random_tensor = tf.floor(random_tensor)
                return (x / keep_prob) * random_tensor
            return x

    def mlp(x, dropout_rate: float, hidden_units):
        for idx, units in enumerate(hidden_units):
            x = layers.Dense(units, activation=tf.nn.gelu if idx == 0 else None)(x)
            x = layers.Dropout(dropout_rate)(x)
        return x

    def transformer(drop_prob: float, name: str):
        num_patches = NUM_PATCHES + 2 if "distilled" in MODEL_TYPE else NUM_PATCHES + 1
        encoded_patches = layers.Input((num_patches, PROJECTION_DIM))
        x1 = layers.LayerNormalization(epsilon=LAYER_NORM_EPS)(encoded_patches)
        attention_output = layers.MultiHeadAttention(
            num_heads=NUM_HEADS, key_dim=PROJECTION_DIM, dropout=DROPOUT_RATE
        )(x1, x1)
        attention_output = StochasticDepth(drop_prob)(attention_output) if drop_prob else attention_output
        x2 = layers.Add()([attention_output, encoded_patches])
        x3 = layers.LayerNormalization(epsilon=LAYER_NORM_EPS)(x2)
        x4 = mlp(x3, hidden_units=MLP_UNITS, dropout_rate=DROPOUT_RATE)
        x4 = StochasticDepth(drop_prob)(x4) if drop_prob else x4
        outputs = layers.Add()([x2, x4])
        return keras.Model(encoded_patches, outputs, name=name)

    class ViTClassifier(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.projection = keras.Sequential(
                [
                    layers.Conv2D(filters=PROJECTION_DIM, kernel_size=(PATCH_SIZE, PATCH_SIZE),
                                  strides=(PATCH_SIZE, PATCH_SIZE), padding="VALID", name="conv_projection"),
                    layers.Reshape(target_shape=(NUM_PATCHES, PROJECTION_DIM), name="flatten_projection"),
                ],
                name="projection",
            )
            init_shape = (1, NUM_PATCHES + 1, PROJECTION_DIM)
            self.positional_embedding = tf.Variable(tf.zeros(init_shape), name="pos_embedding")
            dpr = [x for x in tf.linspace(0.0, DROP_PATH_RATE, NUM_LAYERS)]
            self.transformer_blocks = [
                transformer(drop_prob=dpr[i], name=f"transformer_block_{i}") for i in range(NUM_LAYERS)
            ]
            initial_value = tf.zeros((1, 1, PROJECTION_DIM))
            self.cls_token = tf.Variable(initial_value=initial_value, trainable=True, name="cls")
            self.dropout = layers.Dropout(DROPOUT_RATE)
            self.layer_norm = layers.LayerNormalization(epsilon=LAYER_NORM_EPS)
            self.head = layers.Dense(NUM_CLASSES, name="classification_head")

    class ViTDistilled(ViTClassifier):
        def __init__(self, regular_training=False, **kwargs):
            super().__init__(**kwargs)
            self.num_tokens = 2
            self.regular_training = regular_training
            init_value = tf.zeros((1, 1, PROJECTION_DIM))
            self.dist_token = tf.Variable(init_value, name="dist_token")
            self.positional_embedding = tf.Variable(
                tf.zeros((1, NUM_PATCHES + self.num_tokens, PROJECTION_DIM)), name="pos_embedding"
            )
            self.head = layers.Dense(NUM_CLASSES, name="classification_head")
            self.head_dist = layers.Dense(NUM_CLASSES, name="distillation_head")

        def call(self, inputs, training=False):
            n = tf.shape(inputs)[0]
            projected_patches = self.projection(inputs)
            cls_token = tf.tile(self.cls_token, (n, 1, 1))
            dist_token = tf.tile(self.dist_token, (n, 1, 1))
            cls_token = tf.cast(cls_token, projected_patches.dtype)
            dist_token = tf.cast(dist_token, projected_patches.dtype)
            projected_patches = tf.concat([cls_token, dist_token, projected_patches], axis=1)
            encoded_patches = self.positional_embedding + projected_patches
            encoded_patches = self.dropout(encoded_patches)
            for transformer_module in self.transformer_blocks:
                encoded_patches = transformer_module(encoded_patches)
            representation = self.layer_norm(encoded_patches)
            x, x_dist = (
                self.head(representation[:, 0]),
                self.head_dist(representation[:, 1]),
            )
            if not training or self.regular_training:
                return (x + x_dist) / 2
            elif training:
                return x, x_dist

    class DeiT(keras.Model):
        def __init__(self, student, teacher, **kwargs):
            super().__init__(**kwargs)
            self.student = student
            self.teacher = teacher
            self.student_loss_tracker = keras.metrics.Mean(name="student_loss")
            self.distillation_loss_tracker = keras.metrics.Mean(name="distillation_loss")
            self.accuracy = keras.metrics.CategoricalAccuracy(name="accuracy")

        @property
        def metrics(self):
            return [self.accuracy, self.student_loss_tracker, self.distillation_loss_tracker]

        def compile(self, optimizer, student_loss_fn, distillation_loss_fn, run_eagerly=False, jit_compile=False):
            super().compile(optimizer=optimizer, run_eagerly=run_eagerly, jit_compile=jit_compile)
            self.student_loss_fn = student_loss_fn
            self.distillation_loss_fn = distillation_loss_fn

        def train_step(self, data):
            x, y = data
            teacher_predictions = self.teacher(x)["dense"]
            teacher_predictions = tf.nn.softmax(teacher_predictions, axis=-1)
            with tf.GradientTape() as tape:
                cls_predictions, dist_predictions = self.student(x / 255.0, training=True)
                student_loss = self.student_loss_fn(y, cls_predictions)
                distillation_loss = self.distillation_loss_fn(teacher_predictions, dist_predictions)
                loss = (student_loss + distillation_loss) / 2
            trainable_vars = self.student.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)
            self.optimizer.apply_gradients(zip(gradients, trainable_vars))
            student_predictions = (cls_predictions + dist_predictions) / 2
            self.student_loss_tracker.update_state(student_loss)
            self.distillation_loss_tracker.update_state(distillation_loss)
            self.accuracy.update_state(y, student_predictions)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, y = data
            y_prediction = self.student(x / 255.0)
            student_loss = self.student_loss_fn(y, y_prediction)
            self.student_loss_tracker.update_state(student_loss)
            self.accuracy.update_state(y, y_prediction)
            return {m.name: m.result() for m in self.metrics}

        def call(self, inputs):
            return self.student(inputs / 255.0)

    teacher_inputs = keras.Input((RESOLUTION, RESOLUTION, 3))
    t = layers.Rescaling(1 / 255.0)(teacher_inputs)
    t = layers.Conv2D(8, 3, activation="relu")(t)
    t = layers.GlobalAveragePooling2D()(t)
    teacher = keras.Model(teacher_inputs, layers.Dense(NUM_CLASSES, name="dense")(t))
    sync(teacher)

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bit_teacher_flowers")
        archive = keras.export.ExportArchive()
        archive.track(teacher)
        archive.add_endpoint(
            name="serving_default",
            fn=lambda x: {"dense": teacher(x)},
            input_signature=[keras.InputSpec(shape=(None, RESOLUTION, RESOLUTION, 3), dtype="float32")],
        )
        archive.write_out(path, verbose=False)
        bit_teacher_flowers = keras.layers.TFSMLayer(filepath=path, call_endpoint="serving_default")

        deit_tiny = ViTDistilled()
        outputs = deit_tiny(tf.ones((2, RESOLUTION, RESOLUTION, 3)), training=False)
        sync(deit_tiny)
        deit_distiller = DeiT(student=deit_tiny, teacher=bit_teacher_flowers)
        lr_scaled = (BASE_LR / 512) * BATCH_SIZE
        deit_distiller.compile(
            optimizer=keras.optimizers.AdamW(weight_decay=WEIGHT_DECAY, learning_rate=lr_scaled),
            student_loss_fn=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
            distillation_loss_fn=keras.losses.CategoricalCrossentropy(from_logits=True),
        )
        history = deit_distiller.fit(train_dataset, validation_data=val_dataset, epochs=NUM_EPOCHS, verbose=0)
        teacher_logits = np.concatenate([bit_teacher_flowers(x)["dense"].numpy() for x, _ in val_dataset])
    return {"output_shape": tuple(outputs.shape), "augmented_shapes": augmented_shapes, "history": history.history,
            "teacher": teacher_logits, "predict": deit_distiller.predict(val_dataset, verbose=0),
            "student_weights": deit_tiny.get_weights()}


def test_deit():
    check_program(deit)
