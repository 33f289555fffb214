"""keras.io example "Image classification with Vision Transformer"
(examples/vision/image_classification_with_vision_transformer.py).

The example's ``mlp``, ``Patches`` (``ops.image.extract_patches``), ``PatchEncoder`` (``Dense`` projection plus a
position ``Embedding``), ``create_vit_classifier`` (``MultiHeadAttention`` blocks) and ``run_experiment``
(``AdamW``, ``ModelCheckpoint`` keeping the best weights in a ``.weights.h5`` file, ``load_weights``,
``evaluate``). Shrunk: 32 images of 32x32x3 uniform noise with 10 classes instead of CIFAR-100,
``image_size=16``, ``patch_size=4``, ``projection_dim=8``, ``num_heads=2``, 2 transformer layers,
``mlp_head_units=[32, 16]``, ``batch_size=8``, 2 epochs, ``shuffle=False``; the checkpoint is written to a
temporary folder; the plots of the history are the history's numbers. Changed: every dropout rate is 0
(dropout masks are random). ``RandomFlip``, ``RandomRotation`` and ``RandomZoom`` draw random numbers whose
streams differ between the two libraries, so the model that is trained has ``data_augmentation`` without them;
the example's full ``data_augmentation`` is compared in inference (where the random layers pass images through).
"""
import os
import tempfile

import numpy as np

from tests.programs.test_keras_programs import check_program

num_classes = 10
input_shape = (32, 32, 3)
learning_rate = 0.001
weight_decay = 0.0001
batch_size = 8
num_epochs = 2
image_size = 16
patch_size = 4
num_patches = (image_size // patch_size) ** 2
projection_dim = 8
num_heads = 2
transformer_units = [
    projection_dim * 2,
    projection_dim,
]
transformer_layers = 2
mlp_head_units = [32, 16]


def vision_transformer(keras, sync):
    layers, ops = keras.layers, keras.ops
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (32,) + input_shape).astype("uint8")
    y_train = rng.randint(0, num_classes, (32, 1))
    x_test, y_test = x_train[:16], y_train[:16]

    full_augmentation = keras.Sequential(
        [
            layers.Normalization(),
            layers.Resizing(image_size, image_size),
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(factor=0.02),
            layers.RandomZoom(height_factor=0.2, width_factor=0.2),
        ],
        name="data_augmentation",
    )
    full_augmentation.layers[0].adapt(x_train)
    data_augmentation = keras.Sequential(full_augmentation.layers[:2], name="data_augmentation")

    def mlp(x, hidden_units, dropout_rate):
        for units in hidden_units:
            x = layers.Dense(units, activation=keras.activations.gelu)(x)
            x = layers.Dropout(dropout_rate)(x)
        return x

    class Patches(layers.Layer):
        def __init__(self, patch_size):
            super().__init__()
            self.patch_size = patch_size

        def call(self, images):
            input_shape = ops.shape(images)
            batch_size = input_shape[0]
            height = input_shape[1]
            width = input_shape[2]
            channels = input_shape[3]
            num_patches_h = height // self.patch_size
            num_patches_w = width // self.patch_size
            patches = keras.ops.image.extract_patches(images, size=self.patch_size)
            patches = ops.reshape(
                patches,
                (
                    batch_size,
                    num_patches_h * num_patches_w,
                    self.patch_size * self.patch_size * channels,
                ),
            )
            return patches

        def get_config(self):
            config = super().get_config()
            config.update({"patch_size": self.patch_size})
            return config

    resized_image = ops.image.resize(
        ops.convert_to_tensor([x_train[3]]), size=(image_size, image_size)
    )
    patches = Patches(patch_size)(resized_image)

    class PatchEncoder(layers.Layer):
        def __init__(self, num_patches, projection_dim):
            super().__init__()
            self.num_patches = num_patches
            self.projection = layers.Dense(units=projection_dim)
            self.position_embedding = layers.Embedding(
                input_dim=num_patches, output_dim=projection_dim
            )

        def call(self, patch):
            positions = ops.expand_dims(
                ops.arange(start=0, stop=self.num_patches, step=1), axis=0
            )
            projected_patches = self.projection(patch)
            encoded = projected_patches + self.position_embedding(positions)
            return encoded

        def get_config(self):
            config = super().get_config()
            config.update({"num_patches": self.num_patches})
            return config

    def create_vit_classifier():
        inputs = keras.Input(shape=input_shape)
        augmented = data_augmentation(inputs)
        patches = Patches(patch_size)(augmented)
        encoded_patches = PatchEncoder(num_patches, projection_dim)(patches)

        for _ in range(transformer_layers):
            x1 = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
            attention_output = layers.MultiHeadAttention(
                num_heads=num_heads, key_dim=projection_dim, dropout=0.0
            )(x1, x1)
            x2 = layers.Add()([attention_output, encoded_patches])
            x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
            x3 = mlp(x3, hidden_units=transformer_units, dropout_rate=0.0)
            encoded_patches = layers.Add()([x3, x2])

        representation = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
        representation = layers.Flatten()(representation)
        representation = layers.Dropout(0.0)(representation)
        features = mlp(representation, hidden_units=mlp_head_units, dropout_rate=0.0)
        logits = layers.Dense(num_classes)(features)
        model = keras.Model(inputs=inputs, outputs=logits)
        return model

    def run_experiment(model, folder):
        optimizer = keras.optimizers.AdamW(
            learning_rate=learning_rate, weight_decay=weight_decay
        )

        model.compile(
            optimizer=optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[
                keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                keras.metrics.SparseTopKCategoricalAccuracy(5, name="top-5-accuracy"),
            ],
        )

        checkpoint_filepath = os.path.join(folder, "checkpoint.weights.h5")
        checkpoint_callback = keras.callbacks.ModelCheckpoint(
            checkpoint_filepath,
            monitor="val_accuracy",
            save_best_only=True,
            save_weights_only=True,
        )

        history = model.fit(
            x=x_train,
            y=y_train,
            batch_size=batch_size,
            epochs=num_epochs,
            validation_split=0.1,
            callbacks=[checkpoint_callback],
            shuffle=False,
            verbose=0,
        )

        model.load_weights(checkpoint_filepath)
        _, accuracy, top_5_accuracy = model.evaluate(x_test, y_test, verbose=0)
        return history, accuracy, top_5_accuracy

    vit_classifier = create_vit_classifier()
    sync(vit_classifier)
    with tempfile.TemporaryDirectory() as folder:
        history, accuracy, top_5_accuracy = run_experiment(vit_classifier, folder)
    return {"patches_shape": tuple(patches.shape), "patches": patches,
            "history": history.history, "accuracy": accuracy, "top_5_accuracy": top_5_accuracy,
            "augmented": full_augmentation.predict(x_test[:4], verbose=0),
            "predict": vit_classifier.predict(x_test[:4], verbose=0), "params": vit_classifier.count_params()}


def test_image_classification_with_vision_transformer():
    check_program(vision_transformer)
