"""keras.io example "When Recurrence meets Transformers" (examples/vision/temporal_latent_bottleneck.py).

The example's ``PatchEmbedding`` (a patchifying ``Conv2D``, position ``Embedding``, chunking ``Reshape``),
``FeedForwardNetwork``, ``BaseAttention`` (``MultiHeadAttention`` with ``return_attention_scores``),
``AttentionWithFFN`` and ``CustomRecurrentCell`` (the fast and slow streams) run by ``layers.RNN`` inside the
subclassed ``TemporalLatentBottleneckModel``, trained with ``AdamW`` and validation data; then the cell records
the slow stream's attention scores and the example's visualization drops the first record (``[1:]``: Keras's
non-unrolled RNN loop runs the cell once more on the first step before the loop), reshapes the rest to the patch
grid and upsamples it bilinearly. Shrunk: 12 images of 16x16x3 uniform noise, ``image_size=16``,
``patch_size=4``, ``embed_dim=8``, ``chunk_size=4``, 1 layer, ``batch_size=4``, 1 epoch, ``shuffle=False``.
Changed: the ``tf.data`` pipeline and its random crop and flip are left out (the test-time ``Rescaling`` and
``Resizing`` run once on the arrays); dropout rates are 0 (random masks); ``tf.range`` / ``tf.nn.gelu`` are
``ops.arange`` / ``ops.gelu``. The cell's state is flat (``state_size = chunk_size * embed_dim``, reshaped in
``call``) and its ``build`` builds the attention layers: Keras 3 takes neither the example's ``TensorShape`` state
nor layers first built inside TensorFlow's loop. ``mixed_float16`` is off: with it the first step's float16
gradients (about 5e4) overflow in one library and not the other, which skips a different step.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

config = {
    "batch_size": 4, "input_shape": [16, 16, 3], "image_size": 16, "num_classes": 10,
    "learning_rate": 1e-3, "weight_decay": 1e-4, "epochs": 1, "patch_size": 4, "embed_dim": 8,
    "chunk_size": 4, "r": 2, "num_layers": 1, "ffn_drop": 0.0, "attn_drop": 0.0, "num_heads": 1,
}


def temporal_latent_bottleneck(keras, sync):
    layers, ops = keras.layers, keras.ops
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (12, 16, 16, 3)).astype("float32")
    y_train = rng.randint(0, 10, (12, 1))
    test_augmentation = keras.Sequential([
        layers.Rescaling(1 / 255.0, dtype="float32"),
        layers.Resizing(config["image_size"], config["image_size"], dtype="float32"),
    ], name="test_data_augmentation")
    x_train = np.asarray(test_augmentation(x_train))

    class PatchEmbedding(layers.Layer):
        def __init__(self, image_size, patch_size, embed_dim, chunk_size, **kwargs):
            super().__init__(**kwargs)
            patch_resolution = [image_size[0] // patch_size[0], image_size[1] // patch_size[1]]
            self.image_size = image_size
            self.patch_size = patch_size
            self.embed_dim = embed_dim
            self.patch_resolution = patch_resolution
            self.num_patches = patch_resolution[0] * patch_resolution[1]
            self.positions = ops.arange(start=0, stop=self.num_patches, step=1)
            self.projection = layers.Conv2D(filters=embed_dim, kernel_size=patch_size, strides=patch_size,
                                            name="projection")
            self.flatten = layers.Reshape(target_shape=(-1, embed_dim), name="flatten")
            self.position_embedding = layers.Embedding(input_dim=self.num_patches, output_dim=embed_dim,
                                                       name="position_embedding")
            self.layernorm = keras.layers.LayerNormalization(epsilon=1e-5, name="layernorm")
            self.chunking_layer = layers.Reshape(target_shape=(self.num_patches // chunk_size, chunk_size, embed_dim),
                                                 name="chunking_layer")

        def call(self, inputs):
            x = self.projection(inputs)
            x = self.flatten(x)
            x = x + self.position_embedding(self.positions)
            x = self.layernorm(x)
            x = self.chunking_layer(x)
            return x

    class FeedForwardNetwork(layers.Layer):
        def __init__(self, dims, dropout, **kwargs):
            super().__init__(**kwargs)
            self.ffn = keras.Sequential([layers.Dense(units=4 * dims, activation=ops.gelu), layers.Dense(units=dims),
                                         layers.Dropout(rate=dropout)], name="ffn")
            self.layernorm = layers.LayerNormalization(epsilon=1e-5, name="layernorm")

        def call(self, inputs):
            x = self.layernorm(inputs)
            x = inputs + self.ffn(x)
            return x

    class BaseAttention(layers.Layer):
        def __init__(self, num_heads, key_dim, dropout, **kwargs):
            super().__init__(**kwargs)
            self.multi_head_attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=key_dim,
                                                                  dropout=dropout, name="mha")
            self.query_layernorm = layers.LayerNormalization(epsilon=1e-5, name="q_layernorm")
            self.key_layernorm = layers.LayerNormalization(epsilon=1e-5, name="k_layernorm")
            self.value_layernorm = layers.LayerNormalization(epsilon=1e-5, name="v_layernorm")
            self.attention_scores = None

        def call(self, input_query, key, value):
            query = self.query_layernorm(input_query)
            key = self.key_layernorm(key)
            value = self.value_layernorm(value)
            (attention_outputs, attention_scores) = self.multi_head_attention(
                query=query, key=key, value=value, return_attention_scores=True)
            self.attention_scores = attention_scores
            x = input_query + attention_outputs
            return x

    class AttentionWithFFN(layers.Layer):
        def __init__(self, ffn_dims, ffn_dropout, num_heads, key_dim, attn_dropout, **kwargs):
            super().__init__(**kwargs)
            self.attention = BaseAttention(num_heads=num_heads, key_dim=key_dim, dropout=attn_dropout,
                                           name="base_attn")
            self.ffn = FeedForwardNetwork(dims=ffn_dims, dropout=ffn_dropout, name="ffn")
            self.attention_scores = None

        def call(self, query, key, value):
            x = self.attention(query, key, value)
            self.attention_scores = self.attention.attention_scores
            x = self.ffn(x)
            return x

    class CustomRecurrentCell(layers.Layer):
        def __init__(self, chunk_size, r, num_layers, ffn_dims, ffn_dropout, num_heads, key_dim, attn_dropout,
                     **kwargs):
            super().__init__(**kwargs)
            self.chunk_size = chunk_size
            self.r = r
            self.num_layers = num_layers
            self.ffn_dims = ffn_dims
            self.ffn_droput = ffn_dropout
            self.num_heads = num_heads
            self.key_dim = key_dim
            self.attn_dropout = attn_dropout
            self.state_size = chunk_size * ffn_dims
            self.get_attention_scores = False
            self.attention_scores = []
            perceptual_module = list()
            for layer_idx in range(num_layers):
                perceptual_module.append(AttentionWithFFN(ffn_dims=ffn_dims, ffn_dropout=ffn_dropout,
                                                          num_heads=num_heads, key_dim=key_dim,
                                                          attn_dropout=attn_dropout,
                                                          name=f"pm_self_attn_{layer_idx}"))
                if layer_idx % r == 0:
                    perceptual_module.append(AttentionWithFFN(ffn_dims=ffn_dims, ffn_dropout=ffn_dropout,
                                                              num_heads=num_heads, key_dim=key_dim,
                                                              attn_dropout=attn_dropout,
                                                              name=f"pm_cross_attn_ffn_{layer_idx}"))
            self.perceptual_module = perceptual_module
            self.tlb_module = AttentionWithFFN(ffn_dims=ffn_dims, ffn_dropout=ffn_dropout, num_heads=num_heads,
                                               key_dim=key_dim, attn_dropout=attn_dropout, name="tlb_cross_attn_ffn")

        def build(self, input_shape):
            for layer in self.perceptual_module + [self.tlb_module]:
                layer.attention.multi_head_attention.build(input_shape[1:] if len(input_shape) > 3 else input_shape,
                                                           input_shape)
            super().build(input_shape)

        def call(self, inputs, states):
            slow_stream = ops.reshape(states[0], (-1, self.chunk_size, self.ffn_dims))
            fast_stream = inputs
            for layer_idx, layer in enumerate(self.perceptual_module):
                fast_stream = layer(query=fast_stream, key=fast_stream, value=fast_stream)
                if layer_idx % self.r == 0:
                    fast_stream = layer(query=fast_stream, key=slow_stream, value=slow_stream)
            slow_stream = self.tlb_module(query=slow_stream, key=fast_stream, value=fast_stream)
            if self.get_attention_scores:
                self.attention_scores.append(self.tlb_module.attention_scores)
            return fast_stream, [ops.reshape(slow_stream, (-1, self.chunk_size * self.ffn_dims))]

    class TemporalLatentBottleneckModel(keras.Model):
        def __init__(self, patch_layer, custom_cell, **kwargs):
            super().__init__(**kwargs)
            self.patch_layer = patch_layer
            self.rnn = layers.RNN(custom_cell, name="rnn")
            self.gap = layers.GlobalAveragePooling1D(name="gap")
            self.head = layers.Dense(10, activation="softmax", dtype="float32", name="head")

        def call(self, inputs):
            x = self.patch_layer(inputs)
            x = self.rnn(x)
            x = self.gap(x)
            outputs = self.head(x)
            return outputs

    patch_layer = PatchEmbedding(image_size=(config["image_size"], config["image_size"]),
                                 patch_size=(config["patch_size"], config["patch_size"]),
                                 embed_dim=config["embed_dim"], chunk_size=config["chunk_size"])
    custom_rnn_cell = CustomRecurrentCell(chunk_size=config["chunk_size"], r=config["r"],
                                          num_layers=config["num_layers"], ffn_dims=config["embed_dim"],
                                          ffn_dropout=config["ffn_drop"], num_heads=config["num_heads"],
                                          key_dim=config["embed_dim"], attn_dropout=config["attn_drop"])
    model = TemporalLatentBottleneckModel(patch_layer=patch_layer, custom_cell=custom_rnn_cell)
    model(x_train[:1])
    sync(model)
    optimizer = keras.optimizers.AdamW(learning_rate=config["learning_rate"], weight_decay=config["weight_decay"])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train[:8], y_train[:8], batch_size=config["batch_size"], epochs=config["epochs"],
                        validation_data=(x_train[8:], y_train[8:]), shuffle=False, verbose=0)

    def score_to_viz(chunk_score):
        chunk_viz = ops.max(chunk_score, axis=-2)
        chunk_viz = ops.mean(chunk_viz, axis=1)
        return chunk_viz

    images = x_train[8:]
    model.rnn.cell.get_attention_scores = True
    outputs = model(images)
    list_chunk_scores = model.rnn.cell.attention_scores
    list_chunk_viz = [score_to_viz(x) for x in list_chunk_scores]
    chunk_viz = ops.concatenate(list_chunk_viz[1:], axis=-1)
    side = config["image_size"] // config["patch_size"]
    chunk_viz = ops.reshape(chunk_viz, (config["batch_size"], side, side, 1))
    upsampled_heat_map = layers.UpSampling2D(size=(4, 4), interpolation="bilinear", dtype="float32")(chunk_viz)
    return {"history": history.history, "outputs": outputs, "n_scores": len(list_chunk_scores),
            "heat_map": upsampled_heat_map}


def test_temporal_latent_bottleneck():
    check_program(temporal_latent_bottleneck, rtol=1e-3, atol=1e-4)
