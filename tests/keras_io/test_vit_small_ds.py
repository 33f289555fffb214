"""keras.io example "Train a Vision Transformer on small datasets" (examples/vision/vit_small_ds.py).

The example's model as written for TensorFlow: ``ShiftedPatchTokenization`` (``tf.image.crop_to_bounding_box`` /
``pad_to_bounding_box`` / ``extract_patches``, ``LayerNormalization`` and ``Dense`` on the flat patches),
``PatchEncoder`` (``Embedding`` of ``ops.arange`` positions), ``MultiHeadAttentionLSA``, a ``MultiHeadAttention``
subclass that overrides Keras's ``_compute_attention`` on its private names (``_key_dim``, ``_dot_product_equation``,
``_masked_softmax``, ``_dropout_layer``, ``_combine_equation``) with a ``tf.Variable`` temperature and the diagonal
``int8`` attention mask, the ``WarmUpCosine`` ``LearningRateSchedule`` (evaluated at a few steps), ``AdamW``,
``SparseCategoricalCrossentropy(from_logits=True)``, ``SparseTopKCategoricalAccuracy``, ``validation_split`` and
``evaluate``. It runs under ``KERASPORT_BACKEND=tensorflow`` only (``tf.image`` inside the layer).

Changed: CIFAR-100 (a download) becomes 40 random 10x10 images in 10 classes, resized to 12x12 in 4x4 patches;
smaller widths and 2 Transformer layers; the random augmentation layers (flip, rotation, zoom) are left out and
the dropout rates are 0 (random draws differ between frameworks); only the LSA model (the vanilla one is the
plain ``MultiHeadAttention``); one epoch. Keras 3 calls ``_compute_attention`` with ``return_attention_scores``
and ``ops.where`` takes no ``name``: the override and the schedule take Keras 3's forms.
"""
import math

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the example's layers call tf.image (TensorFlow only)")


def vit_small_ds(keras, sync):
    import tensorflow as tf
    layers, ops = keras.layers, keras.ops
    NUM_CLASSES = 10
    IMAGE_SIZE, PATCH_SIZE = 12, 4
    NUM_PATCHES = (IMAGE_SIZE // PATCH_SIZE) ** 2
    LAYER_NORM_EPS, TRANSFORMER_LAYERS, PROJECTION_DIM, NUM_HEADS = 1e-6, 2, 8, 2
    TRANSFORMER_UNITS = [PROJECTION_DIM * 2, PROJECTION_DIM]
    MLP_HEAD_UNITS = [32, 16]
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (40, 10, 10, 3)).astype("float32")
    y_train = rng.randint(0, NUM_CLASSES, (40, 1))
    data_augmentation = keras.Sequential([layers.Normalization(), layers.Resizing(IMAGE_SIZE, IMAGE_SIZE)],
                                         name="data_augmentation")
    data_augmentation.layers[0].adapt(x_train)

    class ShiftedPatchTokenization(layers.Layer):
        def __init__(self, image_size=IMAGE_SIZE, patch_size=PATCH_SIZE, num_patches=NUM_PATCHES,
                     projection_dim=PROJECTION_DIM, vanilla=False, **kwargs):
            super().__init__(**kwargs)
            self.vanilla = vanilla
            self.image_size = image_size
            self.patch_size = patch_size
            self.half_patch = patch_size // 2
            self.flatten_patches = layers.Reshape((num_patches, -1))
            self.projection = layers.Dense(units=projection_dim)
            self.layer_norm = layers.LayerNormalization(epsilon=LAYER_NORM_EPS)

        def crop_shift_pad(self, images, mode):
            if mode == "left-up":
                crop_height, crop_width, shift_height, shift_width = self.half_patch, self.half_patch, 0, 0
            elif mode == "left-down":
                crop_height, crop_width, shift_height, shift_width = 0, self.half_patch, self.half_patch, 0
            elif mode == "right-up":
                crop_height, crop_width, shift_height, shift_width = self.half_patch, 0, 0, self.half_patch
            else:
                crop_height, crop_width, shift_height, shift_width = 0, 0, self.half_patch, self.half_patch
            crop = tf.image.crop_to_bounding_box(images, offset_height=crop_height, offset_width=crop_width,
                                                 target_height=self.image_size - self.half_patch,
                                                 target_width=self.image_size - self.half_patch)
            return tf.image.pad_to_bounding_box(crop, offset_height=shift_height, offset_width=shift_width,
                                                target_height=self.image_size, target_width=self.image_size)

        def call(self, images):
            if not self.vanilla:
                images = ops.concatenate([images, self.crop_shift_pad(images, mode="left-up"),
                                          self.crop_shift_pad(images, mode="left-down"),
                                          self.crop_shift_pad(images, mode="right-up"),
                                          self.crop_shift_pad(images, mode="right-down")], axis=-1)
            patches = tf.image.extract_patches(images=images, sizes=[1, self.patch_size, self.patch_size, 1],
                                               strides=[1, self.patch_size, self.patch_size, 1],
                                               rates=[1, 1, 1, 1], padding="VALID")
            flat_patches = self.flatten_patches(patches)
            if not self.vanilla:
                tokens = self.layer_norm(flat_patches)
                tokens = self.projection(tokens)
            else:
                tokens = self.projection(flat_patches)
            return (tokens, patches)

    class PatchEncoder(layers.Layer):
        def __init__(self, num_patches=NUM_PATCHES, projection_dim=PROJECTION_DIM, **kwargs):
            super().__init__(**kwargs)
            self.num_patches = num_patches
            self.position_embedding = layers.Embedding(input_dim=num_patches, output_dim=projection_dim)
            self.positions = ops.arange(start=0, stop=self.num_patches, step=1)

        def call(self, encoded_patches):
            return encoded_patches + self.position_embedding(self.positions)

    class MultiHeadAttentionLSA(layers.MultiHeadAttention):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.tau = tf.Variable(math.sqrt(float(self._key_dim)), trainable=True)

        def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                               return_attention_scores=False):
            query = ops.multiply(query, 1.0 / self.tau)
            attention_scores = ops.einsum(self._dot_product_equation, key, query)
            attention_scores = self._masked_softmax(attention_scores, attention_mask)
            attention_scores_dropout = self._dropout_layer(attention_scores, training=training)
            attention_output = ops.einsum(self._combine_equation, attention_scores_dropout, value)
            return attention_output, attention_scores

    def mlp(x, hidden_units, dropout_rate):
        for units in hidden_units:
            x = layers.Dense(units, activation="gelu")(x)
            x = layers.Dropout(dropout_rate)(x)
        return x

    diag_attn_mask = 1 - ops.eye(NUM_PATCHES)
    diag_attn_mask = ops.cast([diag_attn_mask], dtype="int8")

    def create_vit_classifier(vanilla=False):
        inputs = layers.Input(shape=(10, 10, 3))
        augmented = data_augmentation(inputs)
        (tokens, _) = ShiftedPatchTokenization(vanilla=vanilla)(augmented)
        encoded_patches = PatchEncoder()(tokens)
        for _ in range(TRANSFORMER_LAYERS):
            x1 = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
            if not vanilla:
                attention_output = MultiHeadAttentionLSA(num_heads=NUM_HEADS, key_dim=PROJECTION_DIM, dropout=0.0)(
                    x1, x1, attention_mask=diag_attn_mask)
            else:
                attention_output = layers.MultiHeadAttention(num_heads=NUM_HEADS, key_dim=PROJECTION_DIM,
                                                             dropout=0.0)(x1, x1)
            x2 = layers.Add()([attention_output, encoded_patches])
            x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
            x3 = mlp(x3, hidden_units=TRANSFORMER_UNITS, dropout_rate=0.0)
            encoded_patches = layers.Add()([x3, x2])
        representation = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
        representation = layers.Flatten()(representation)
        representation = layers.Dropout(0.0)(representation)
        features = mlp(representation, hidden_units=MLP_HEAD_UNITS, dropout_rate=0.0)
        logits = layers.Dense(NUM_CLASSES)(features)
        return keras.Model(inputs=inputs, outputs=logits)

    class WarmUpCosine(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, learning_rate_base, total_steps, warmup_learning_rate, warmup_steps):
            super().__init__()
            self.learning_rate_base = learning_rate_base
            self.total_steps = total_steps
            self.warmup_learning_rate = warmup_learning_rate
            self.warmup_steps = warmup_steps
            self.pi = tf.constant(np.pi)

        def __call__(self, step):
            cos_annealed_lr = ops.cos(self.pi * (ops.cast(step, dtype="float32") - self.warmup_steps)
                                      / float(self.total_steps - self.warmup_steps))
            learning_rate = 0.5 * self.learning_rate_base * (1 + cos_annealed_lr)
            if self.warmup_steps > 0:
                slope = (self.learning_rate_base - self.warmup_learning_rate) / self.warmup_steps
                warmup_rate = slope * ops.cast(step, dtype="float32") + self.warmup_learning_rate
                learning_rate = ops.where(step < self.warmup_steps, warmup_rate, learning_rate)
            return ops.where(step > self.total_steps, 0.0, learning_rate)

    model = create_vit_classifier(vanilla=False)
    sync(model)
    scheduled_lrs = WarmUpCosine(learning_rate_base=1e-3, total_steps=10, warmup_learning_rate=0.0,
                                 warmup_steps=2)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                           keras.metrics.SparseTopKCategoricalAccuracy(5, name="top-5-accuracy")])
    history = model.fit(x=x_train, y=y_train, batch_size=8, epochs=1, validation_split=0.2, shuffle=False,
                        verbose=0)
    res = model.evaluate(x_train[:16], y_train[:16], batch_size=8, verbose=0)
    return {"history": history.history, "eval": res, "n_weights": len(model.weights),
            "n_trainable": len(model.trainable_weights),
            "lrs": [float(ops.convert_to_numpy(scheduled_lrs(s))) for s in (0, 1, 5, 11)]}


def test_vit_small_ds():
    check_program(vit_small_ds, rtol=1e-4, atol=1e-5)
