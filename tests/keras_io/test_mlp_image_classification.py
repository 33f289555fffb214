"""keras.io example "Image classification with modern MLP models" (examples/vision/mlp_image_classification.py).

The three models (MLP-Mixer, FNet, gMLP) with the example's ``Patches`` (``ops.image.extract_patches``),
``PositionEmbedding``, blocks, ``data_augmentation`` (``Normalization.adapt``, ``Resizing``) and ``run_experiment``
(``AdamW``, from-logits sparse cross-entropy, accuracy and top-5 metrics, ``EarlyStopping`` restoring the best
weights and ``ReduceLROnPlateau``). Shrunk: 32 images of 32x32x3 uniform noise with 10 classes instead of
CIFAR-100, ``image_size=16``, ``patch_size=4``, ``embedding_dim=8``, ``num_blocks=2``, ``batch_size=8``,
6 epochs, ``shuffle=False`` and the callbacks' ``patience`` 1 (MLP-Mixer stops early and halves its learning rate).
Changed: ``dropout_rate=0`` (dropout masks are random). ``RandomFlip`` and ``RandomZoom`` draw random numbers
whose streams differ between the two libraries, so the model that is trained has ``data_augmentation`` without
them; the example's full ``data_augmentation`` is compared in inference (where the random layers pass images
through) on the trained model's input.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

num_classes = 10
input_shape = (32, 32, 3)
weight_decay = 0.0001
batch_size = 8
num_epochs = 6
dropout_rate = 0.0
image_size = 16
patch_size = 4
num_patches = (image_size // patch_size) ** 2
embedding_dim = 8
num_blocks = 2


def _example(keras, layers, learning_rate):
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (32,) + input_shape).astype("uint8")
    y_train = rng.randint(0, num_classes, (32, 1))
    x_test, y_test = x_train[:16], y_train[:16]

    full_augmentation = keras.Sequential(
        [
            layers.Normalization(),
            layers.Resizing(image_size, image_size),
            layers.RandomFlip("horizontal"),
            layers.RandomZoom(height_factor=0.2, width_factor=0.2),
        ],
        name="data_augmentation",
    )
    full_augmentation.layers[0].adapt(x_train)
    data_augmentation = keras.Sequential(full_augmentation.layers[:2], name="data_augmentation")

    class Patches(layers.Layer):
        def __init__(self, patch_size, **kwargs):
            super().__init__(**kwargs)
            self.patch_size = patch_size

        def call(self, x):
            patches = keras.ops.image.extract_patches(x, self.patch_size)
            batch_size = keras.ops.shape(patches)[0]
            num_patches = keras.ops.shape(patches)[1] * keras.ops.shape(patches)[2]
            patch_dim = keras.ops.shape(patches)[3]
            out = keras.ops.reshape(patches, (batch_size, num_patches, patch_dim))
            return out

    class PositionEmbedding(keras.layers.Layer):
        def __init__(
            self,
            sequence_length,
            initializer="glorot_uniform",
            **kwargs,
        ):
            super().__init__(**kwargs)
            if sequence_length is None:
                raise ValueError("`sequence_length` must be an Integer, received `None`.")
            self.sequence_length = int(sequence_length)
            self.initializer = keras.initializers.get(initializer)

        def get_config(self):
            config = super().get_config()
            config.update(
                {
                    "sequence_length": self.sequence_length,
                    "initializer": keras.initializers.serialize(self.initializer),
                }
            )
            return config

        def build(self, input_shape):
            feature_size = input_shape[-1]
            self.position_embeddings = self.add_weight(
                name="embeddings",
                shape=[self.sequence_length, feature_size],
                initializer=self.initializer,
                trainable=True,
            )

            super().build(input_shape)

        def call(self, inputs, start_index=0):
            shape = keras.ops.shape(inputs)
            feature_length = shape[-1]
            sequence_length = shape[-2]
            position_embeddings = keras.ops.convert_to_tensor(self.position_embeddings)
            position_embeddings = keras.ops.slice(
                position_embeddings,
                (start_index, 0),
                (sequence_length, feature_length),
            )
            return keras.ops.broadcast_to(position_embeddings, shape)

        def compute_output_shape(self, input_shape):
            return input_shape

    def build_classifier(blocks, positional_encoding=False):
        inputs = layers.Input(shape=input_shape)
        augmented = data_augmentation(inputs)
        patches = Patches(patch_size)(augmented)
        x = layers.Dense(units=embedding_dim)(patches)
        if positional_encoding:
            x = x + PositionEmbedding(sequence_length=num_patches)(x)
        x = blocks(x)
        representation = layers.GlobalAveragePooling1D()(x)
        representation = layers.Dropout(rate=dropout_rate)(representation)
        logits = layers.Dense(num_classes)(representation)
        return keras.Model(inputs=inputs, outputs=logits)

    def run_experiment(model):
        optimizer = keras.optimizers.AdamW(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
        )
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[
                keras.metrics.SparseCategoricalAccuracy(name="acc"),
                keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5-acc"),
            ],
        )
        reduce_lr = keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=0.5, patience=1
        )
        early_stopping = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=1, restore_best_weights=True
        )
        history = model.fit(
            x=x_train,
            y=y_train,
            batch_size=batch_size,
            epochs=num_epochs,
            validation_split=0.25,
            callbacks=[early_stopping, reduce_lr],
            shuffle=False,
            verbose=0,
        )
        _, accuracy, top_5_accuracy = model.evaluate(x_test, y_test, verbose=0)
        return {"history": history.history, "epochs": history.epoch, "accuracy": accuracy,
                "top_5_accuracy": top_5_accuracy,
                "learning_rate": keras.ops.convert_to_numpy(model.optimizer.learning_rate),
                "augmented": full_augmentation.predict(x_test[:4], verbose=0),
                "predict": model.predict(x_test[:4], verbose=0), "params": model.count_params()}

    return build_classifier, run_experiment


def mlp_mixer(keras, sync):
    layers = keras.layers
    build_classifier, run_experiment = _example(keras, layers, learning_rate=0.005)

    class MLPMixerLayer(layers.Layer):
        def __init__(self, num_patches, hidden_units, dropout_rate, *args, **kwargs):
            super().__init__(*args, **kwargs)

            self.mlp1 = keras.Sequential(
                [
                    layers.Dense(units=num_patches, activation="gelu"),
                    layers.Dense(units=num_patches),
                    layers.Dropout(rate=dropout_rate),
                ]
            )
            self.mlp2 = keras.Sequential(
                [
                    layers.Dense(units=num_patches, activation="gelu"),
                    layers.Dense(units=hidden_units),
                    layers.Dropout(rate=dropout_rate),
                ]
            )
            self.normalize = layers.LayerNormalization(epsilon=1e-6)

        def build(self, input_shape):
            return super().build(input_shape)

        def call(self, inputs):
            x = self.normalize(inputs)
            x_channels = keras.ops.transpose(x, axes=(0, 2, 1))
            mlp1_outputs = self.mlp1(x_channels)
            mlp1_outputs = keras.ops.transpose(mlp1_outputs, axes=(0, 2, 1))
            x = mlp1_outputs + inputs
            x_patches = self.normalize(x)
            mlp2_outputs = self.mlp2(x_patches)
            x = x + mlp2_outputs
            return x

    mlpmixer_blocks = keras.Sequential(
        [MLPMixerLayer(num_patches, embedding_dim, dropout_rate) for _ in range(num_blocks)]
    )
    mlpmixer_classifier = build_classifier(mlpmixer_blocks)
    sync(mlpmixer_classifier)
    return run_experiment(mlpmixer_classifier)


def fnet(keras, sync):
    layers = keras.layers
    build_classifier, run_experiment = _example(keras, layers, learning_rate=0.001)

    class FNetLayer(layers.Layer):
        def __init__(self, embedding_dim, dropout_rate, *args, **kwargs):
            super().__init__(*args, **kwargs)

            self.ffn = keras.Sequential(
                [
                    layers.Dense(units=embedding_dim, activation="gelu"),
                    layers.Dropout(rate=dropout_rate),
                    layers.Dense(units=embedding_dim),
                ]
            )

            self.normalize1 = layers.LayerNormalization(epsilon=1e-6)
            self.normalize2 = layers.LayerNormalization(epsilon=1e-6)

        def call(self, inputs):
            real_part = inputs
            im_part = keras.ops.zeros_like(inputs)
            x = keras.ops.fft2((real_part, im_part))[0]
            x = x + inputs
            x = self.normalize1(x)
            x_ffn = self.ffn(x)
            x = x + x_ffn
            return self.normalize2(x)

    fnet_blocks = keras.Sequential(
        [FNetLayer(embedding_dim, dropout_rate) for _ in range(num_blocks)]
    )
    fnet_classifier = build_classifier(fnet_blocks, positional_encoding=True)
    sync(fnet_classifier)
    return run_experiment(fnet_classifier)


def gmlp(keras, sync):
    layers = keras.layers
    build_classifier, run_experiment = _example(keras, layers, learning_rate=0.003)

    class gMLPLayer(layers.Layer):
        def __init__(self, num_patches, embedding_dim, dropout_rate, *args, **kwargs):
            super().__init__(*args, **kwargs)

            self.channel_projection1 = keras.Sequential(
                [
                    layers.Dense(units=embedding_dim * 2, activation="gelu"),
                    layers.Dropout(rate=dropout_rate),
                ]
            )

            self.channel_projection2 = layers.Dense(units=embedding_dim)

            self.spatial_projection = layers.Dense(
                units=num_patches, bias_initializer="Ones"
            )

            self.normalize1 = layers.LayerNormalization(epsilon=1e-6)
            self.normalize2 = layers.LayerNormalization(epsilon=1e-6)

        def spatial_gating_unit(self, x):
            u, v = keras.ops.split(x, indices_or_sections=2, axis=2)
            v = self.normalize2(v)
            v_channels = keras.ops.transpose(v, axes=(0, 2, 1))
            v_projected = self.spatial_projection(v_channels)
            v_projected = keras.ops.transpose(v_projected, axes=(0, 2, 1))
            return u * v_projected

        def call(self, inputs):
            x = self.normalize1(inputs)
            x_projected = self.channel_projection1(x)
            x_spatial = self.spatial_gating_unit(x_projected)
            x_projected = self.channel_projection2(x_spatial)
            return x + x_projected

    gmlp_blocks = keras.Sequential(
        [gMLPLayer(num_patches, embedding_dim, dropout_rate) for _ in range(num_blocks)]
    )
    gmlp_classifier = build_classifier(gmlp_blocks)
    sync(gmlp_classifier)
    return run_experiment(gmlp_classifier)


def test_mlp_mixer():
    check_program(mlp_mixer)


def test_fnet():
    check_program(fnet)


def test_gmlp():
    check_program(gmlp)
