"""keras.io example "Text classification with Transformer" (examples/nlp/text_classification_with_transformer.py).

Synthetic token sequences instead of IMDB; the ``TransformerBlock`` and ``TokenAndPositionEmbedding``
layers are the example's (dropout rates 0: their masks are random), trained briefly.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers, ops = keras.layers, keras.ops

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            positions = ops.arange(start=0, stop=maxlen, step=1)
            positions = self.pos_emb(positions)
            x = self.token_emb(x)
            return x + positions

    vocab_size = 200
    maxlen = 20
    rng = np.random.RandomState(0)
    x_train = keras.utils.pad_sequences([list(rng.randint(1, vocab_size, rng.randint(3, 30))) for _ in range(32)],
                                        maxlen=maxlen)
    y_train = rng.randint(0, 2, 32)

    embed_dim = 16
    num_heads = 2
    ff_dim = 16
    inputs = layers.Input(shape=(maxlen,))
    embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
    x = embedding_layer(inputs)
    transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim, rate=0.0)
    x = transformer_block(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.0)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.0)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    sync(model)
    # The example's Adam squares the embeddings' sparse gradients per token on TF Keras; SGD agrees everywhere.
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=8, epochs=2, validation_data=(x_train[:8], y_train[:8]),
                        shuffle=False, verbose=0)
    return {"history": history.history, "predict": model.predict(x_train[:3], verbose=0)}


def test_text_classification_with_transformer():
    check_program(program)
