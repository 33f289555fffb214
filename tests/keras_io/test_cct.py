"""keras.io example "Compact Convolutional Transformers" (examples/vision/cct.py, the Keras 3 version).

The example's ``CCTTokenizer`` (a ``Sequential`` of ``Conv2D`` / ``ZeroPadding2D`` / ``MaxPooling2D`` built in a
layer's ``__init__``, flattened with ``keras.ops.reshape`` of ``keras.ops.shape``), ``PositionEmbedding`` (an
``add_weight`` in ``build``, ``keras.ops.slice`` and ``broadcast_to``), ``SequencePooling`` (``keras.ops.softmax``,
``transpose``, ``matmul``, ``squeeze``), ``StochasticDepth`` (``keras.random.uniform`` with a ``SeedGenerator`` in
training), ``mlp`` (``activation=keras.ops.gelu``) and ``create_cct_model``; ``run_experiment`` compiles with
``AdamW`` and label-smoothed categorical cross-entropy from logits, top-5 accuracy, fits with a validation split
and a ``ModelCheckpoint`` (best ``val_accuracy``, weights only, ``.weights.h5``), reloads the best weights and
evaluates; the plot is the history's numbers. Shrunk: 32 images of 16x16x3 uniform noise with 10 classes instead
of CIFAR-10, ``projection_dim=16`` (the tokenizer's ``num_output_channels`` default becomes ``[8, 16]`` to match),
``batch_size=8``, 2 epochs; the checkpoint goes to a temporary folder.
Changed: every dropout rate is 0 and ``stochastic_depth_rate`` is 0 (``StochasticDepth`` still draws its uniform
numbers in training, but ``floor(1 + u)`` is 1 for every draw, so the draws do not change the numbers).
``RandomFlip`` draws random numbers whose streams differ between the two libraries, so the trained model's
``data_augmentation`` is ``Rescaling`` and ``RandomCrop(16, 16)`` (which crops nothing from 16x16 images); the
example's full ``data_augmentation`` is compared in inference, where ``RandomFlip`` passes images through.
"""
import os
import tempfile

import numpy as np

from tests.programs.test_keras_programs import check_program

positional_emb = True
conv_layers = 2
projection_dim = 16
num_heads = 2
transformer_units = [projection_dim, projection_dim]
transformer_layers = 2
stochastic_depth_rate = 0.0
learning_rate = 0.001
weight_decay = 0.0001
batch_size = 8
num_epochs = 2
image_size = 16
num_classes = 10
input_shape = (16, 16, 3)


def cct(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (32,) + input_shape).astype("uint8")
    y_train = keras.utils.to_categorical(rng.randint(0, num_classes, (32, 1)), num_classes)
    x_test, y_test = x_train[:16], y_train[:16]

    class CCTTokenizer(layers.Layer):
        def __init__(
            self,
            kernel_size=3,
            stride=1,
            padding=1,
            pooling_kernel_size=3,
            pooling_stride=2,
            num_conv_layers=conv_layers,
            num_output_channels=[8, projection_dim],
            positional_emb=positional_emb,
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.conv_model = keras.Sequential()
            for i in range(num_conv_layers):
                self.conv_model.add(
                    layers.Conv2D(
                        num_output_channels[i],
                        kernel_size,
                        stride,
                        padding="valid",
                        use_bias=False,
                        activation="relu",
                        kernel_initializer="he_normal",
                    )
                )
                self.conv_model.add(layers.ZeroPadding2D(padding))
                self.conv_model.add(
                    layers.MaxPooling2D(pooling_kernel_size, pooling_stride, "same")
                )
            self.positional_emb = positional_emb

        def call(self, images):
            outputs = self.conv_model(images)
            reshaped = keras.ops.reshape(
                outputs,
                (
                    -1,
                    keras.ops.shape(outputs)[1] * keras.ops.shape(outputs)[2],
                    keras.ops.shape(outputs)[-1],
                ),
            )
            return reshaped

    class PositionEmbedding(keras.layers.Layer):
        def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
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

    class SequencePooling(layers.Layer):
        def __init__(self):
            super().__init__()
            self.attention = layers.Dense(1)

        def call(self, x):
            attention_weights = keras.ops.softmax(self.attention(x), axis=1)
            attention_weights = keras.ops.transpose(attention_weights, axes=(0, 2, 1))
            weighted_representation = keras.ops.matmul(attention_weights, x)
            return keras.ops.squeeze(weighted_representation, -2)

    class StochasticDepth(layers.Layer):
        def __init__(self, drop_prop, **kwargs):
            super().__init__(**kwargs)
            self.drop_prob = drop_prop
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, x, training=None):
            if training:
                keep_prob = 1 - self.drop_prob
                shape = (keras.ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
                random_tensor = keep_prob + keras.random.uniform(shape, 0, 1, seed=self.seed_generator)
                random_tensor = keras.ops.floor(random_tensor)
                return (x / keep_prob) * random_tensor
            return x

    def mlp(x, hidden_units, dropout_rate):
        for units in hidden_units:
            x = layers.Dense(units, activation=keras.ops.gelu)(x)
            x = layers.Dropout(dropout_rate)(x)
        return x

    full_augmentation = keras.Sequential(
        [
            layers.Rescaling(scale=1.0 / 255),
            layers.RandomCrop(image_size, image_size),
            layers.RandomFlip("horizontal"),
        ],
        name="data_augmentation",
    )
    data_augmentation = keras.Sequential(full_augmentation.layers[:2], name="data_augmentation")

    def create_cct_model(
        image_size=image_size,
        input_shape=input_shape,
        num_heads=num_heads,
        projection_dim=projection_dim,
        transformer_units=transformer_units,
    ):
        inputs = layers.Input(input_shape)
        augmented = data_augmentation(inputs)
        cct_tokenizer = CCTTokenizer()
        encoded_patches = cct_tokenizer(augmented)
        if positional_emb:
            sequence_length = encoded_patches.shape[1]
            encoded_patches += PositionEmbedding(sequence_length=sequence_length)(encoded_patches)

        dpr = [x for x in np.linspace(0, stochastic_depth_rate, transformer_layers)]
        for i in range(transformer_layers):
            x1 = layers.LayerNormalization(epsilon=1e-5)(encoded_patches)
            attention_output = layers.MultiHeadAttention(
                num_heads=num_heads, key_dim=projection_dim, dropout=0.0
            )(x1, x1)
            attention_output = StochasticDepth(dpr[i])(attention_output)
            x2 = layers.Add()([attention_output, encoded_patches])
            x3 = layers.LayerNormalization(epsilon=1e-5)(x2)
            x3 = mlp(x3, hidden_units=transformer_units, dropout_rate=0.0)
            x3 = StochasticDepth(dpr[i])(x3)
            encoded_patches = layers.Add()([x3, x2])

        representation = layers.LayerNormalization(epsilon=1e-5)(encoded_patches)
        weighted_representation = SequencePooling()(representation)
        logits = layers.Dense(num_classes)(weighted_representation)
        model = keras.Model(inputs=inputs, outputs=logits)
        return model

    def run_experiment(model, folder):
        optimizer = keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay)
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
            metrics=[
                keras.metrics.CategoricalAccuracy(name="accuracy"),
                keras.metrics.TopKCategoricalAccuracy(5, name="top-5-accuracy"),
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
            validation_split=0.25,
            callbacks=[checkpoint_callback],
            shuffle=False,
            verbose=0,
        )
        model.load_weights(checkpoint_filepath)
        _, accuracy, top_5_accuracy = model.evaluate(x_test, y_test, verbose=0)
        return history, accuracy, top_5_accuracy

    cct_model = create_cct_model()
    sync(cct_model)
    with tempfile.TemporaryDirectory() as folder:
        history, accuracy, top_5_accuracy = run_experiment(cct_model, folder)
    return {"history": history.history, "accuracy": accuracy, "top_5_accuracy": top_5_accuracy,
            "augmented": full_augmentation.predict(x_test[:4], verbose=0),
            "logits": cct_model.predict(x_test[:4], verbose=0), "params": cct_model.count_params()}


def test_cct():
    check_program(cct)
