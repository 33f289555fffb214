"""keras.io example "Image classification with EANet (External Attention Transformer)" (examples/vision/eanet.py).

The example's ``PatchExtract`` (``ops.image.extract_patches``), ``PatchEmbedding``, ``external_attention`` (``ops``
reshapes and transposes of symbolic tensors, ``Softmax(axis=2)``, a ``Lambda`` double normalization),
``mlp`` (``activation=ops.gelu``), ``transformer_encoder`` and ``get_model``, compiled with label-smoothed
categorical cross-entropy, ``AdamW`` and top-5 accuracy, trained with a validation split and evaluated. Shrunk:
32 images of 16x16x3 uniform noise with 10 classes instead of CIFAR-100 (32x32x3), ``patch_size=4``,
``embedding_dim=mlp_dim=8``, ``num_heads=2``, 2 transformer blocks, ``batch_size=8``, 2 epochs,
``shuffle=False``; the plot is the history's numbers. Changed: every dropout rate is 0 (dropout masks are
random). ``RandomFlip``, ``RandomRotation``, ``RandomContrast`` and ``RandomZoom`` draw random numbers whose
streams differ between the two libraries, so the model that is trained has ``data_augmentation`` without them;
the example's full ``data_augmentation`` is compared in inference (where the random layers pass images through).
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

num_classes = 10
input_shape = (16, 16, 3)
weight_decay = 0.0001
learning_rate = 0.001
label_smoothing = 0.1
validation_split = 0.2
batch_size = 8
num_epochs = 2
patch_size = 4
num_patches = (input_shape[0] // patch_size) ** 2
embedding_dim = 8
mlp_dim = 8
dim_coefficient = 4
num_heads = 2
attention_dropout = 0.0
projection_dropout = 0.0
num_transformer_blocks = 2


def eanet(keras, sync):
    layers, ops = keras.layers, keras.ops
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (32,) + input_shape).astype("uint8")
    y_train = keras.utils.to_categorical(rng.randint(0, num_classes, (32, 1)), num_classes)
    x_test, y_test = x_train[:16], y_train[:16]

    full_augmentation = keras.Sequential(
        [
            layers.Normalization(),
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(factor=0.1),
            layers.RandomContrast(factor=0.1),
            layers.RandomZoom(height_factor=0.2, width_factor=0.2),
        ],
        name="data_augmentation",
    )
    full_augmentation.layers[0].adapt(x_train)
    data_augmentation = keras.Sequential(full_augmentation.layers[:1], name="data_augmentation")

    class PatchExtract(layers.Layer):
        def __init__(self, patch_size, **kwargs):
            super().__init__(**kwargs)
            self.patch_size = patch_size

        def call(self, x):
            B, C = ops.shape(x)[0], ops.shape(x)[-1]
            x = ops.image.extract_patches(x, self.patch_size)
            x = ops.reshape(x, (B, -1, self.patch_size * self.patch_size * C))
            return x

    class PatchEmbedding(layers.Layer):
        def __init__(self, num_patch, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.num_patch = num_patch
            self.proj = layers.Dense(embed_dim)
            self.pos_embed = layers.Embedding(
                input_dim=num_patch, output_dim=embed_dim
            )

        def call(self, patch):
            pos = ops.arange(start=0, stop=self.num_patch, step=1)
            return self.proj(patch) + self.pos_embed(pos)

    def external_attention(
        x,
        dim,
        num_heads,
        dim_coefficient=4,
        attention_dropout=0,
        projection_dropout=0,
    ):
        _, num_patch, channel = x.shape
        assert dim % num_heads == 0
        num_heads = num_heads * dim_coefficient

        x = layers.Dense(dim * dim_coefficient)(x)
        # create tensor [batch_size, num_patches, num_heads, dim*dim_coefficient//num_heads]
        x = ops.reshape(
            x, (-1, num_patch, num_heads, dim * dim_coefficient // num_heads)
        )
        x = ops.transpose(x, axes=[0, 2, 1, 3])
        # a linear layer M_k
        attn = layers.Dense(dim // dim_coefficient)(x)
        # normalize attention map
        attn = layers.Softmax(axis=2)(attn)
        # dobule-normalization
        attn = layers.Lambda(
            lambda attn: ops.divide(
                attn,
                ops.convert_to_tensor(1e-9) + ops.sum(attn, axis=-1, keepdims=True),
            )
        )(attn)
        attn = layers.Dropout(attention_dropout)(attn)
        # a linear layer M_v
        x = layers.Dense(dim * dim_coefficient // num_heads)(attn)
        x = ops.transpose(x, axes=[0, 2, 1, 3])
        x = ops.reshape(x, [-1, num_patch, dim * dim_coefficient])
        # a linear layer to project original dim
        x = layers.Dense(dim)(x)
        x = layers.Dropout(projection_dropout)(x)
        return x

    def mlp(x, embedding_dim, mlp_dim, drop_rate=0.0):
        x = layers.Dense(mlp_dim, activation=ops.gelu)(x)
        x = layers.Dropout(drop_rate)(x)
        x = layers.Dense(embedding_dim)(x)
        x = layers.Dropout(drop_rate)(x)
        return x

    def transformer_encoder(
        x,
        embedding_dim,
        mlp_dim,
        num_heads,
        dim_coefficient,
        attention_dropout,
        projection_dropout,
        attention_type="external_attention",
    ):
        residual_1 = x
        x = layers.LayerNormalization(epsilon=1e-5)(x)
        if attention_type == "external_attention":
            x = external_attention(
                x,
                embedding_dim,
                num_heads,
                dim_coefficient,
                attention_dropout,
                projection_dropout,
            )
        elif attention_type == "self_attention":
            x = layers.MultiHeadAttention(
                num_heads=num_heads,
                key_dim=embedding_dim,
                dropout=attention_dropout,
            )(x, x)
        x = layers.add([x, residual_1])
        residual_2 = x
        x = layers.LayerNormalization(epsilon=1e-5)(x)
        x = mlp(x, embedding_dim, mlp_dim)
        x = layers.add([x, residual_2])
        return x

    def get_model(attention_type="external_attention"):
        inputs = layers.Input(shape=input_shape)
        x = data_augmentation(inputs)
        x = PatchExtract(patch_size)(x)
        x = PatchEmbedding(num_patches, embedding_dim)(x)
        for _ in range(num_transformer_blocks):
            x = transformer_encoder(
                x,
                embedding_dim,
                mlp_dim,
                num_heads,
                dim_coefficient,
                attention_dropout,
                projection_dropout,
                attention_type,
            )

        x = layers.GlobalAveragePooling1D()(x)
        outputs = layers.Dense(num_classes, activation="softmax")(x)
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    model = get_model(attention_type="external_attention")
    sync(model)

    model.compile(
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
        optimizer=keras.optimizers.AdamW(
            learning_rate=learning_rate, weight_decay=weight_decay
        ),
        metrics=[
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.TopKCategoricalAccuracy(5, name="top-5-accuracy"),
        ],
    )

    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=num_epochs,
        validation_split=validation_split,
        shuffle=False,
        verbose=0,
    )

    loss, accuracy, top_5_accuracy = model.evaluate(x_test, y_test, verbose=0)
    return {"history": history.history, "loss": loss, "accuracy": accuracy, "top_5_accuracy": top_5_accuracy,
            "augmented": full_augmentation.predict(x_test[:4], verbose=0),
            "predict": model.predict(x_test[:4], verbose=0), "params": model.count_params()}


def test_eanet():
    check_program(eanet)
