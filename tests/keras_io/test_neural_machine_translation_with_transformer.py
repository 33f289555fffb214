"""keras.io example "English-to-Spanish translation with a sequence-to-sequence Transformer"
(examples/nlp/neural_machine_translation_with_transformer.py, its Keras 3 form written with ``keras.ops``).

Shrunk: 24 made-up English/Spanish pairs written here instead of the ``spa-eng.zip`` download (18 to train,
3 to validate, 3 to translate), ``vocab_size=20`` (fewer than the words of either language, so that every index the decoder predicts is in both vocabularies, as with the full data), ``sequence_length=8``, ``embed_dim=16``, ``latent_dim=32``,
``num_heads=2``, ``batch_size=6``, 2 epochs; 2 test sentences are translated, taken in order instead of by
``random.choice``. Changed:

- The ``tf.data`` pipeline (``TextVectorization`` inside ``Dataset.map``, which kerasport does not support) is
  the same ``format_dataset`` applied to the whole lists of strings; ``fit`` gets the resulting dict of arrays
  with ``shuffle=False`` instead of a shuffled dataset.
- ``custom_standardization`` lower-cases and strips ``strip_chars`` with ``tf.strings`` where it is given a
  ``tf.string`` tensor and, where it is given a NumPy array of ``str`` (kerasport on torch), with the same
  regular expression and ASCII-only lower-casing in Python.
- ``PositionalEmbedding.compute_mask`` always returns ``inputs != 0`` (as the example's TensorFlow form does), so
  the padding masks reach the encoder, the decoder and their attention layers.
- ``Dropout(0.5)`` is ``Dropout(0.0)``: dropout masks are random, and the two libraries' streams differ.
- ``decode_sequence`` takes ``argmax`` of ``ops.convert_to_numpy(predictions)`` (torch's outputs need it).

Keras 3 on TensorFlow gets the Embeddings' gradients as ``IndexedSlices`` and RMSprop squares them per token
occurrence, where Keras on torch and kerasport square the summed gradient: the oracle is Keras 3 on torch, in a
child process, on both backends (as in ``test_collaborative_filtering_movielens.py``).
"""
import re
import string

import numpy as np

from tests.keras_io.keras_on_torch_program import check_torch_program

PAIRS = [("Go.", "Ve."), ("Hi.", "Hola."), ("Run!", "¡Corre!"), ("Who?", "¿Quién?"), ("Fire!", "¡Fuego!"),
         ("Help!", "¡Ayuda!"), ("Stop!", "¡Para!"), ("Wait!", "¡Espera!"), ("I see.", "Ya veo."),
         ("I try.", "Lo intento."), ("I won!", "¡He ganado!"), ("Smile.", "Sonríe."), ("Attack!", "¡Al ataque!"),
         ("Get up.", "Levántate."), ("Got it?", "¿Lo tienes?"), ("He ran.", "Él corrió."), ("Hug me.", "Abrázame."),
         ("I fell.", "Me caí."), ("I know.", "Lo sé."), ("I left.", "Me fui."), ("I lied.", "Mentí."),
         ("I paid.", "Pagué."), ("I'm OK.", "Estoy bien."), ("Listen.", "Escucha.")]


def program(keras, sync):
    layers, ops = keras.layers, keras.ops
    TextVectorization = layers.TextVectorization

    text_pairs = [(eng, "[start] " + spa + " [end]") for eng, spa in PAIRS]
    train_pairs, val_pairs, test_pairs = text_pairs[:18], text_pairs[18:21], text_pairs[21:]

    strip_chars = string.punctuation + "¿"
    strip_chars = strip_chars.replace("[", "")
    strip_chars = strip_chars.replace("]", "")

    vocab_size = 20
    sequence_length = 8
    batch_size = 6

    def custom_standardization(input_string):
        if isinstance(input_string, np.ndarray):  # tf_strings.lower lower-cases ASCII letters only
            lowercase = ["".join(c.lower() if c.isascii() else c for c in s) for s in input_string.ravel()]
            return np.array([re.sub("[%s]" % re.escape(strip_chars), "", s) for s in lowercase],
                            dtype=object).reshape(input_string.shape)
        import tensorflow.strings as tf_strings
        lowercase = tf_strings.lower(input_string)
        return tf_strings.regex_replace(lowercase, "[%s]" % re.escape(strip_chars), "")

    eng_vectorization = TextVectorization(
        max_tokens=vocab_size,
        output_mode="int",
        output_sequence_length=sequence_length,
    )
    spa_vectorization = TextVectorization(
        max_tokens=vocab_size,
        output_mode="int",
        output_sequence_length=sequence_length + 1,
        standardize=custom_standardization,
    )
    train_eng_texts = [pair[0] for pair in train_pairs]
    train_spa_texts = [pair[1] for pair in train_pairs]
    eng_vectorization.adapt(train_eng_texts)
    spa_vectorization.adapt(train_spa_texts)

    def format_dataset(eng, spa):
        eng = eng_vectorization(eng)
        spa = spa_vectorization(spa)
        return (
            {
                "encoder_inputs": eng,
                "decoder_inputs": spa[:, :-1],
            },
            spa[:, 1:],
        )

    def make_dataset(pairs):
        eng_texts, spa_texts = zip(*pairs)
        return format_dataset(list(eng_texts), list(spa_texts))

    train_ds = make_dataset(train_pairs)
    val_ds = make_dataset(val_pairs)

    class TransformerEncoder(layers.Layer):
        def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim = embed_dim
            self.dense_dim = dense_dim
            self.num_heads = num_heads
            self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = keras.Sequential(
                [
                    layers.Dense(dense_dim, activation="relu"),
                    layers.Dense(embed_dim),
                ]
            )
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, mask=None):
            if mask is not None:
                padding_mask = ops.cast(mask[:, None, :], dtype="int32")
            else:
                padding_mask = None

            attention_output = self.attention(query=inputs, value=inputs, key=inputs, attention_mask=padding_mask)
            proj_input = self.layernorm_1(inputs + attention_output)
            proj_output = self.dense_proj(proj_input)
            return self.layernorm_2(proj_input + proj_output)

        def get_config(self):
            config = super().get_config()
            config.update(
                {
                    "embed_dim": self.embed_dim,
                    "dense_dim": self.dense_dim,
                    "num_heads": self.num_heads,
                }
            )
            return config

    class PositionalEmbedding(layers.Layer):
        def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_embeddings = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.position_embeddings = layers.Embedding(input_dim=sequence_length, output_dim=embed_dim)
            self.sequence_length = sequence_length
            self.vocab_size = vocab_size
            self.embed_dim = embed_dim

        def call(self, inputs):
            length = ops.shape(inputs)[-1]
            positions = ops.arange(0, length, 1)
            embedded_tokens = self.token_embeddings(inputs)
            embedded_positions = self.position_embeddings(positions)
            return embedded_tokens + embedded_positions

        def compute_mask(self, inputs, mask=None):
            return ops.not_equal(inputs, 0)

        def get_config(self):
            config = super().get_config()
            config.update(
                {
                    "sequence_length": self.sequence_length,
                    "vocab_size": self.vocab_size,
                    "embed_dim": self.embed_dim,
                }
            )
            return config

    class TransformerDecoder(layers.Layer):
        def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim = embed_dim
            self.latent_dim = latent_dim
            self.num_heads = num_heads
            self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = keras.Sequential(
                [
                    layers.Dense(latent_dim, activation="relu"),
                    layers.Dense(embed_dim),
                ]
            )
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()
            self.layernorm_3 = layers.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, encoder_outputs, mask=None):
            causal_mask = self.get_causal_attention_mask(inputs)
            if mask is not None:
                padding_mask = ops.cast(mask[:, None, :], dtype="int32")
                padding_mask = ops.minimum(padding_mask, causal_mask)
            else:
                padding_mask = None

            attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs, attention_mask=causal_mask)
            out_1 = self.layernorm_1(inputs + attention_output_1)

            attention_output_2 = self.attention_2(
                query=out_1,
                value=encoder_outputs,
                key=encoder_outputs,
                attention_mask=padding_mask,
            )
            out_2 = self.layernorm_2(out_1 + attention_output_2)

            proj_output = self.dense_proj(out_2)
            return self.layernorm_3(out_2 + proj_output)

        def get_causal_attention_mask(self, inputs):
            input_shape = ops.shape(inputs)
            batch_size, sequence_length = input_shape[0], input_shape[1]
            i = ops.arange(sequence_length)[:, None]
            j = ops.arange(sequence_length)
            mask = ops.cast(i >= j, dtype="int32")
            mask = ops.reshape(mask, (1, input_shape[1], input_shape[1]))
            mult = ops.concatenate(
                [ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])],
                axis=0,
            )
            return ops.tile(mask, mult)

        def get_config(self):
            config = super().get_config()
            config.update(
                {
                    "embed_dim": self.embed_dim,
                    "latent_dim": self.latent_dim,
                    "num_heads": self.num_heads,
                }
            )
            return config

    embed_dim = 16
    latent_dim = 32
    num_heads = 2

    encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(encoder_inputs)
    encoder_outputs = TransformerEncoder(embed_dim, latent_dim, num_heads)(x)
    encoder = keras.Model(encoder_inputs, encoder_outputs)

    decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    encoded_seq_inputs = keras.Input(shape=(None, embed_dim), name="decoder_state_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(decoder_inputs)
    x = TransformerDecoder(embed_dim, latent_dim, num_heads)(x, encoded_seq_inputs)
    x = layers.Dropout(0.0)(x)
    decoder_outputs = layers.Dense(vocab_size, activation="softmax")(x)
    decoder = keras.Model([decoder_inputs, encoded_seq_inputs], decoder_outputs)

    decoder_outputs = decoder([decoder_inputs, encoder_outputs])
    transformer = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="transformer")
    sync(transformer)

    epochs = 2
    transformer.compile("rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = transformer.fit(train_ds[0], train_ds[1], batch_size=batch_size, epochs=epochs,
                              validation_data=val_ds, shuffle=False, verbose=0)

    spa_vocab = spa_vectorization.get_vocabulary()
    spa_index_lookup = dict(zip(range(len(spa_vocab)), spa_vocab))
    max_decoded_sentence_length = sequence_length

    def decode_sequence(input_sentence):
        tokenized_input_sentence = eng_vectorization([input_sentence])
        decoded_sentence = "[start]"
        for i in range(max_decoded_sentence_length):
            tokenized_target_sentence = spa_vectorization([decoded_sentence])[:, :-1]
            predictions = transformer([tokenized_input_sentence, tokenized_target_sentence])

            sampled_token_index = np.argmax(ops.convert_to_numpy(predictions)[0, i, :])
            sampled_token = spa_index_lookup[sampled_token_index]
            decoded_sentence += " " + sampled_token

            if sampled_token == "[end]":
                break
        return decoded_sentence

    test_eng_texts = [pair[0] for pair in test_pairs]
    translated = [decode_sequence(input_sentence) for input_sentence in test_eng_texts[:2]]
    return {"history": history.history, "vocabularies": [eng_vectorization.get_vocabulary(), spa_vocab],
            "train_targets": train_ds[1], "translated": translated,
            "predict": transformer.predict(train_ds[0], verbose=0),
            "configs": [{k: layer.get_config()[k] for k in ("embed_dim", "num_heads")}
                        for layer in encoder.layers[2:] + decoder.layers[3:4]]}


def test_neural_machine_translation_with_transformer():
    check_torch_program(program, [program])
