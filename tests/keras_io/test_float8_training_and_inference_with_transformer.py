"""keras.io recipe "Float8 Quantization-Aware Training and Inference with a simple Transformer model"
(examples/keras_recipes/float8_training_and_inference_with_transformer.py).

The recipe's classifier is trained (under ``float32``, not the recipe's ``mixed_bfloat16``: see ``POLICY``), then a fresh one is quantized with
``model.quantize("float8")``: the scales and amax histories of the attention's query projection and the float8
policies are printed, the model trained and evaluated, and the float8 variables printed again (delayed
scaling: the backward pass writes their next values). Every number must equal Keras 3's on the same initial
weights. Changed: synthetic token ids instead of IMDB and KerasHub's WordPiece tokenizer (a download); KerasHub's
``TokenAndPositionEmbedding`` and ``TransformerDecoder`` are written with Keras layers (token and position
``Embedding``s; causal self-attention, residuals, layer norms and the feed-forward network in a layer named
``transformer_decoder``, so the recipe's variable pattern matches); the float8 layers' policies are compared
sorted (Keras's ``_flatten_layers`` lists a layer's sublayers last to first, kerasport's first to last);
dropout rates 0 (their masks are random);
small sizes, two epochs of a few steps. The recipe saves nothing; float8 ``.keras`` files (both ways, with
Keras) are checked in tests/layers/test_quantization.py (this model's sublayers, built inside the decoder's
``build``, would not take the float8 policy when reloaded, in Keras as in kerasport).
"""
import re

import numpy as np

from tests.programs.test_keras_programs import check_program

# The recipe's "mixed_bfloat16": the frameworks' bfloat16 kernels round otherwise (sums in another order), and
# a prediction near 0.5 flips an accuracy; float32 gives the same numbers (float8 still rounds through e4m3/e5m2).
POLICY = "float32"
VOCABULARY_SIZE, MAX_SEQUENCE_LENGTH, HIDDEN_DIM, NUM_HEADS, INTERMEDIATE_DIM = 50, 12, 16, 2, 16


def float8_recipe(keras, sync):
    layers, ops, out = keras.layers, keras.ops, {}

    class TransformerDecoder(layers.Layer):
        """KerasHub's decoder block without cross-attention: causal self-attention and a feed-forward network,
        each added to its input and layer-normalized."""

        def __init__(self, intermediate_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.intermediate_dim, self.num_heads = intermediate_dim, num_heads

        def build(self, input_shape):
            hidden_dim = input_shape[-1]
            self.self_attention = layers.MultiHeadAttention(num_heads=self.num_heads,
                                                            key_dim=hidden_dim // self.num_heads)
            self.self_attention.build(input_shape, input_shape)
            self.self_attention_layer_norm = layers.LayerNormalization(epsilon=1e-5)
            self.self_attention_layer_norm.build(input_shape)
            self.feedforward_intermediate_dense = layers.Dense(self.intermediate_dim, activation="relu")
            self.feedforward_intermediate_dense.build(input_shape)
            self.feedforward_output_dense = layers.Dense(hidden_dim)
            self.feedforward_output_dense.build(tuple(input_shape[:-1]) + (self.intermediate_dim,))
            self.feedforward_layer_norm = layers.LayerNormalization(epsilon=1e-5)
            self.feedforward_layer_norm.build(input_shape)

        def call(self, x):
            attended = self.self_attention(x, x, use_causal_mask=True)
            x = self.self_attention_layer_norm(x + attended)
            ffn = self.feedforward_output_dense(self.feedforward_intermediate_dense(x))
            return self.feedforward_layer_norm(x + ffn)

    class TokenAndPositionEmbedding(layers.Layer):
        """KerasHub's layer: a token embedding plus a learned position embedding."""

        def __init__(self, vocabulary_size, sequence_length, embedding_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_embedding = layers.Embedding(vocabulary_size, embedding_dim)
            self.position_embedding = layers.Embedding(sequence_length, embedding_dim)

        def call(self, inputs):
            positions = ops.arange(ops.shape(inputs)[-1])
            return self.token_embedding(inputs) + self.position_embedding(positions)

    def build_model():
        token_id_input = keras.layers.Input(shape=(MAX_SEQUENCE_LENGTH,), dtype="int32", name="input_ids")
        x = TokenAndPositionEmbedding(VOCABULARY_SIZE, MAX_SEQUENCE_LENGTH, HIDDEN_DIM)(token_id_input)
        x = TransformerDecoder(INTERMEDIATE_DIM, NUM_HEADS, name="transformer_decoder")(x)
        x = keras.layers.GlobalAveragePooling1D()(x)
        x = keras.layers.Dense(INTERMEDIATE_DIM, activation="relu")(x)
        outputs = keras.layers.Dense(1, activation="sigmoid")(x)
        model = keras.Model(inputs=token_id_input, outputs=outputs)
        sync(model)
        return model

    rng = np.random.RandomState(0)
    x_train = rng.randint(0, VOCABULARY_SIZE, size=(48, MAX_SEQUENCE_LENGTH)).astype("int32")
    y_train = (x_train[:, :3].sum(axis=1) > 1.5 * VOCABULARY_SIZE).astype("float32")
    x_test, y_test = x_train[:16], y_train[:16]

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(POLICY)
    try:
        model = build_model()
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x_train, y_train, batch_size=16, epochs=2, shuffle=False, verbose=0)
        result = model.evaluate(x_test, y_test, verbose=0)
        out[POLICY] = {"history": history.history, "result": result, f"Accuracy ({POLICY})": f"{result[1]:.2%}"}

        model = build_model()
        model.quantize("float8")
        pattern = r"(transformer).+(multi_head).+(query).+(scale|amax_history)"

        def float8_variables():
            # A copy: on torch (kerasport's and Keras's backend alike) a CPU variable's array shares its memory.
            # ``v`` rather than the recipe's ``v.value``: kerasport's TensorFlow variable is a ``tf.Variable``, whose
            # ``value`` is a method.
            return {v.path: np.array(keras.ops.convert_to_numpy(v)) for v in model.trainable_variables
                    if re.findall(pattern, v.path)}

        out["before"] = float8_variables()
        out["policies"] = sorted(f"{layer.name}: {layer.dtype_policy}"
                                 for layer in model._flatten_layers(recursive=True)
                                 if "float8" in str(layer.dtype_policy))
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x_train, y_train, batch_size=16, epochs=2, shuffle=False, verbose=0)
        result = model.evaluate(x_test, y_test, verbose=0)
        out["float8"] = {"history": history.history, "result": result, "Accuracy (float8)": f"{result[1]:.2%}"}
        out["after"] = float8_variables()

    finally:
        keras.config.set_dtype_policy(previous)
    return out


def test_float8_training_and_inference_with_transformer():
    check_program(float8_recipe)


# Keras 3.15's float8 layers cannot take gradients eagerly on TensorFlow (``tf.custom_gradient`` sees the
# variables they read and wants ``(input_grads, variable_grads)``): Keras's answer comes from its traced step.
float8_recipe.keras_traced = True
