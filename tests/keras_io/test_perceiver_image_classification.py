"""keras.io example "Image Classification with Perceiver" (examples/vision/perceiver_image_classification.py).

The example's ``create_ffn`` (``Sequential`` of ``Dense(activation=ops.gelu)``), ``Patches``
(``ops.image.extract_patches``), ``PatchEncoder`` (``Embedding`` of ``ops.arange`` positions), the cross-attention
module (a Functional model with dict inputs, ``layers.Attention(use_scale=True)`` whose query has batch 1 against
keys of the data's batch, an ``Add`` that broadcasts the latent array), the Transformer module
(``MultiHeadAttention``), and the ``Perceiver`` model that creates its latent weight and sublayers in its own
``build(input_shape)`` ending with ``super().build(input_shape)``, applies both modules iteratively with shared
weights; compiled with ``Lamb``, sparse categorical cross-entropy from logits, accuracy and top-5 accuracy, fitted
with a validation split and ``EarlyStopping(restore_best_weights=True)`` / ``ReduceLROnPlateau``, evaluated.
Written in Keras 3's ``keras.ops`` (keras.io's copy uses ``tf`` ops and TensorFlow Addons' LAMB).

Changed: 18 random 8x8x3 images in 5 classes instead of CIFAR-100 (no resize to 64), ``patch_size=2``,
``latent_dim=4``, ``projection_dim=8``, 2 heads, 1 Transformer block, 2 iterations, 3 epochs of batch 6, patience
1 / 2; every dropout rate is 0 (dropout masks are random); ``RandomFlip`` / ``RandomRotation`` / ``RandomZoom`` are
left out of ``data_augmentation`` (their random streams differ between the libraries).
What it fixed: a subclassed ``Model`` with its own ``build`` was marked built by its first call without running
that ``build`` (``AttributeError`` on the sublayers it creates).
"""
import numpy as np
from tests.programs.test_keras_programs import check_program

num_classes = 5
input_shape = (8, 8, 3)
learning_rate = 0.001
weight_decay = 0.0001
image_size = 8
patch_size = 2
num_patches = (image_size // patch_size) ** 2
latent_dim = 4
projection_dim = 8
num_heads = 2
ffn_units = [projection_dim, projection_dim]
num_transformer_blocks = 1
num_iterations = 2
classifier_units = [projection_dim, num_classes]
dropout_rate = 0.0


def perceiver(keras, sync):
    layers, ops = keras.layers, keras.ops
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (18,) + input_shape).astype("uint8")
    y_train = rng.randint(0, num_classes, (18, 1))
    x_test, y_test = x_train[:6], y_train[:6]

    data_augmentation = keras.Sequential([layers.Normalization(), layers.Resizing(image_size, image_size)],
                                         name="data_augmentation")
    data_augmentation.layers[0].adapt(x_train)

    def create_ffn(hidden_units, dropout_rate):
        ffn_layers = []
        for units in hidden_units[:-1]:
            ffn_layers.append(layers.Dense(units, activation=ops.gelu))
        ffn_layers.append(layers.Dense(units=hidden_units[-1]))
        ffn_layers.append(layers.Dropout(dropout_rate))
        return keras.Sequential(ffn_layers)

    class Patches(layers.Layer):
        def __init__(self, patch_size):
            super().__init__()
            self.patch_size = patch_size

        def call(self, images):
            batch_size = ops.shape(images)[0]
            patches = ops.image.extract_patches(images=images, size=(self.patch_size, self.patch_size),
                                                strides=(self.patch_size, self.patch_size),
                                                dilation_rate=1, padding="valid")
            patch_dims = patches.shape[-1]
            return ops.reshape(patches, [batch_size, -1, patch_dims])

    class PatchEncoder(layers.Layer):
        def __init__(self, num_patches, projection_dim):
            super().__init__()
            self.num_patches = num_patches
            self.projection = layers.Dense(units=projection_dim)
            self.position_embedding = layers.Embedding(input_dim=num_patches, output_dim=projection_dim)

        def call(self, patches):
            positions = ops.arange(start=0, stop=self.num_patches, step=1)
            return self.projection(patches) + self.position_embedding(positions)

    def create_cross_attention_module(latent_dim, data_dim, projection_dim, ffn_units, dropout_rate):
        inputs = {
            "latent_array": layers.Input(shape=(latent_dim, projection_dim), name="latent_array"),
            "data_array": layers.Input(shape=(data_dim, projection_dim), name="data_array"),
        }
        latent_array = layers.LayerNormalization(epsilon=1e-6)(inputs["latent_array"])
        data_array = layers.LayerNormalization(epsilon=1e-6)(inputs["data_array"])
        query = layers.Dense(units=projection_dim)(latent_array)
        key = layers.Dense(units=projection_dim)(data_array)
        value = layers.Dense(units=projection_dim)(data_array)
        attention_output = layers.Attention(use_scale=True, dropout=0.0)(
            [query, key, value], return_attention_scores=False)
        attention_output = layers.Add()([attention_output, latent_array])
        attention_output = layers.LayerNormalization(epsilon=1e-6)(attention_output)
        ffn = create_ffn(hidden_units=ffn_units, dropout_rate=dropout_rate)
        outputs = ffn(attention_output)
        outputs = layers.Add()([outputs, attention_output])
        return keras.Model(inputs=inputs, outputs=outputs)

    def create_transformer_module(latent_dim, projection_dim, num_heads, num_transformer_blocks, ffn_units,
                                  dropout_rate):
        inputs = layers.Input(shape=(latent_dim, projection_dim))
        x0 = inputs
        for _ in range(num_transformer_blocks):
            x1 = layers.LayerNormalization(epsilon=1e-6)(x0)
            attention_output = layers.MultiHeadAttention(num_heads=num_heads, key_dim=projection_dim,
                                                         dropout=0.0)(x1, x1)
            x2 = layers.Add()([attention_output, x0])
            x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
            ffn = create_ffn(hidden_units=ffn_units, dropout_rate=dropout_rate)
            x3 = ffn(x3)
            x0 = layers.Add()([x3, x2])
        return keras.Model(inputs=inputs, outputs=x0)

    class Perceiver(keras.Model):
        def __init__(self, patch_size, data_dim, latent_dim, projection_dim, num_heads, num_transformer_blocks,
                     ffn_units, dropout_rate, num_iterations, classifier_units):
            super().__init__()
            self.latent_dim = latent_dim
            self.data_dim = data_dim
            self.patch_size = patch_size
            self.projection_dim = projection_dim
            self.num_heads = num_heads
            self.num_transformer_blocks = num_transformer_blocks
            self.ffn_units = ffn_units
            self.dropout_rate = dropout_rate
            self.num_iterations = num_iterations
            self.classifier_units = classifier_units

        def build(self, input_shape):
            self.latent_array = self.add_weight(shape=(self.latent_dim, self.projection_dim),
                                                initializer="random_normal", trainable=True)
            self.patcher = Patches(self.patch_size)
            self.patch_encoder = PatchEncoder(self.data_dim, self.projection_dim)
            self.cross_attention = create_cross_attention_module(
                self.latent_dim, self.data_dim, self.projection_dim, self.ffn_units, self.dropout_rate)
            self.transformer = create_transformer_module(
                self.latent_dim, self.projection_dim, self.num_heads, self.num_transformer_blocks,
                self.ffn_units, self.dropout_rate)
            self.global_average_pooling = layers.GlobalAveragePooling1D()
            self.classification_head = create_ffn(hidden_units=self.classifier_units,
                                                  dropout_rate=self.dropout_rate)
            super().build(input_shape)

        def call(self, inputs):
            augmented = data_augmentation(inputs)
            patches = self.patcher(augmented)
            encoded_patches = self.patch_encoder(patches)
            cross_attention_inputs = {"latent_array": ops.expand_dims(self.latent_array, 0),
                                      "data_array": encoded_patches}
            for _ in range(num_iterations):
                latent_array = self.cross_attention(cross_attention_inputs)
                latent_array = self.transformer(latent_array)
                cross_attention_inputs["latent_array"] = latent_array
            representation = self.global_average_pooling(latent_array)
            return self.classification_head(representation)

    model = Perceiver(patch_size, num_patches, latent_dim, projection_dim, num_heads, num_transformer_blocks,
                      ffn_units, dropout_rate, num_iterations, classifier_units)
    model(x_train[:2].astype("float32"))
    sync(model)
    optimizer = keras.optimizers.Lamb(learning_rate=learning_rate, weight_decay=weight_decay)
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc"),
                           keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5-acc")])
    reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=1)
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x=x_train, y=y_train, batch_size=6, epochs=3, validation_split=1 / 3, shuffle=False,
                        callbacks=[early_stopping, reduce_lr], verbose=0)
    _, accuracy, top_5_accuracy = model.evaluate(x_test, y_test, verbose=0)
    return {"history": history.history, "acc": accuracy, "top5": top_5_accuracy,
            "predict": model.predict(x_test, verbose=0), "params": model.count_params(),
            "n_weights": len(model.weights)}


def test_perceiver():
    check_program(perceiver)
