"""keras.io example "Text Generation using FNet" (examples/generative/text_generation_fnet.py).

The example is written for TensorFlow (``tf.signal.fft2d`` of the inputs cast to ``complex64``, ``tf.shape`` /
``tf.range`` / ``tf.tile`` masks, a ``tf.data`` pipeline that vectorizes in ``Dataset.map``). Kept as written, under
TensorFlow only: ``preprocess_text`` with ``tf.strings``, the ``TextVectorization`` adapted on a batched dataset,
``vectorize_text`` mapped over the question/answer dataset (``tf.pad``), ``FNetEncoder``, ``PositionalEmbedding``
(``compute_mask``), ``FNetDecoder`` (a causal mask combined with the padding mask), ``create_model`` (an encoder,
a decoder ``Model`` with two inputs called on the encoder's output, the whole ``fnet`` model), ``compile("adam",
...)``, ``fit`` with validation data and ``decode_sentence``'s greedy decoding with ``fnet.predict``. Under both
backends the same program with the TensorFlow calls written with ``keras.ops`` (``ops.fft2`` of ``(inputs,
zeros)``, ``ops.arange``, ``ops.tile``), on the same texts vectorized without ``tf.data``.

Shrunk: 24 made-up question/answer pairs written here instead of the Cornell dialogs (a download), 16 to train,
8 to validate; ``VOCAB_SIZE=40``, ``MAX_LENGTH=8``, ``EMBED_DIM=16``, ``LATENT_DIM=32``, ``NUM_HEADS=2``,
``BATCH_SIZE=8``, 2 epochs; the dataset is not shuffled (``shuffle`` draws TensorFlow's random numbers). Changed:

- ``FNetDecoder.call`` sets ``padding_mask = None`` where it is given no ``mask``, as the Keras 3 form of the
  same decoder (examples/nlp/neural_machine_translation_with_transformer.py) does: the example is written for
  Keras 2, and Keras 3 gives a layer called on several tensors no ``mask`` (only ``<argument>_mask``), so, as
  written, ``padding_mask`` is unbound and building the model fails, in Keras 3 and kerasport alike.
- ``Dropout(0.5)`` is ``Dropout(0.0)`` (dropout masks are random); on kerasport on torch ``preprocess_text`` is
  given NumPy strings and applies the same regular expressions in Python; ``decode_sentence`` vectorizes the
  sentence as a batch of one (``preprocess_text`` adds the start and end tokens) and stops at ``MAX_LENGTH``.
- In the ``keras.ops`` form the targets are the array, not ``{"outputs": array}``: Keras 3 refuses a dict of
  targets for a model with one output (it converts the key ``"outputs"`` to a tensor); kerasport takes both, and
  the TensorFlow form keeps the example's dict.

Keras 3 on TensorFlow gets the Embeddings' gradients as ``IndexedSlices`` and Adam squares them per token
occurrence, where Keras on torch and kerasport square the summed gradient: the oracle of the training is Keras 3
on torch, in a child process, running the ``keras.ops`` form; the TensorFlow form (same layers, same weights in
the same order, same tokens: the pipeline test holds them to Keras's) must give that program's numbers.
"""
import re

import numpy as np
import pytest

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program, keras_on_torch_answer
from tests.programs.test_keras_programs import _assert_same, check_program

VOCAB_SIZE = 40
MAX_LENGTH = 8
EMBED_DIM = 16
LATENT_DIM = 32
NUM_HEADS = 2
BATCH_SIZE = 8

QA = [("Where have you been?", "I was at home."), ("How are you?", "Fine, thanks!"),
      ("What is your name?", "My name is Bob."), ("Are you hungry?", "No, I just ate."),
      ("Did you see the movie?", "Yes, it was good."), ("Can you help me?", "Sure, what is it?"),
      ("Is it late?", "It is very late."), ("Who called you?", "My brother called."),
      ("Why are you sad?", "I lost my keys."), ("Where is the car?", "It is outside."),
      ("Do you like tea?", "I like coffee more."), ("What time is it?", "It is ten."),
      ("Are you coming?", "Yes, wait for me!"), ("Is he your friend?", "He is my brother."),
      ("What did you eat?", "I ate some bread."), ("Did you call him?", "No, not yet."),
      ("Where are my keys?", "On the table."), ("Are you ready?", "Almost, wait."),
      ("Who is that man?", "That is my father."), ("How was the film?", "It was very long."),
      ("What do you want?", "I want some tea."), ("Is the car ready?", "Yes, it is outside."),
      ("Can you see me?", "No, I can not."), ("Why are you late?", "I lost the car keys.")]
questions, answers = [q for q, _ in QA], [a for _, a in QA]
SENTENCES = ["Where have you been all this time?", "Are you ready?"]  # the first is decoded


def _preprocess_numpy(sentences):
    """``preprocess_text``'s regular expressions on NumPy strings (kerasport on torch gives those)."""
    out = []
    for sentence in sentences.ravel():
        sentence = re.sub(r"([?.!,])", r" \1 ", sentence.lower())
        sentence = re.sub(r"\s\s+", " ", sentence)
        sentence = re.sub(r"[^a-z?.!,]+", " ", sentence).strip()
        out.append(" ".join(["[start]", sentence, "[end]"]))
    return np.array(out, dtype=object).reshape(sentences.shape)


def fnet_ops(keras, sync):
    """The example with its TensorFlow calls written in ``keras.ops``, on both backends."""
    layers, ops = keras.layers, keras.ops

    def preprocess_text(sentence):
        if isinstance(sentence, np.ndarray):
            return _preprocess_numpy(sentence)
        import tensorflow as tf
        sentence = tf.strings.lower(sentence)
        sentence = tf.strings.regex_replace(sentence, r"([?.!,])", r" \1 ")
        sentence = tf.strings.regex_replace(sentence, r"\s\s+", " ")
        sentence = tf.strings.regex_replace(sentence, r"[^a-z?.!,]+", " ")
        sentence = tf.strings.strip(sentence)
        return tf.strings.join(["[start]", sentence, "[end]"], separator=" ")

    vectorizer = layers.TextVectorization(VOCAB_SIZE, standardize=preprocess_text, output_mode="int",
                                          output_sequence_length=MAX_LENGTH)
    vectorizer.adapt(questions + answers)

    def vectorize_text(inputs, outputs):
        inputs, outputs = ops.convert_to_numpy(vectorizer(inputs)), ops.convert_to_numpy(vectorizer(outputs))
        # One extra padding token to the right to match the output shape
        outputs = np.pad(outputs, [[0, 0], [0, 1]])
        return {"encoder_inputs": inputs, "decoder_inputs": outputs[:, :-1]}, outputs[:, 1:]

    train_x, train_y = vectorize_text(questions[:16], answers[:16])
    val_data = vectorize_text(questions[16:], answers[16:])

    class FNetEncoder(layers.Layer):
        def __init__(self, embed_dim, dense_dim, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim = embed_dim
            self.dense_dim = dense_dim
            self.dense_proj = keras.Sequential([layers.Dense(dense_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()

        def call(self, inputs):
            # The real part of the inputs' 2D FFT
            fft, _ = ops.fft2((inputs, ops.zeros_like(inputs)))
            proj_input = self.layernorm_1(inputs + fft)
            proj_output = self.dense_proj(proj_input)
            return self.layernorm_2(proj_input + proj_output)

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

    class FNetDecoder(layers.Layer):
        def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim = embed_dim
            self.latent_dim = latent_dim
            self.num_heads = num_heads
            self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = keras.Sequential([layers.Dense(latent_dim, activation="relu"), layers.Dense(embed_dim)])
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

            attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs,
                                                  attention_mask=causal_mask)
            out_1 = self.layernorm_1(inputs + attention_output_1)

            attention_output_2 = self.attention_2(query=out_1, value=encoder_outputs, key=encoder_outputs,
                                                  attention_mask=padding_mask)
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
            mult = ops.concatenate([ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])], axis=0)
            return ops.tile(mask, mult)

    out = {"vocabulary": vectorizer.get_vocabulary(), "train_x": train_x, "train_y": train_y}
    return _train_and_decode(keras, sync, out, FNetEncoder, PositionalEmbedding, FNetDecoder, vectorizer,
                             (train_x, train_y), val_data)


def _train_and_decode(keras, sync, out, FNetEncoder, PositionalEmbedding, FNetDecoder, vectorizer, train, val):
    """The example's ``create_model``, ``compile``, ``fit`` and ``decode_sentence`` on the layers it is given."""
    layers, ops = keras.layers, keras.ops

    def create_model():
        encoder_inputs = keras.Input(shape=(None,), dtype="int32", name="encoder_inputs")
        x = PositionalEmbedding(MAX_LENGTH, VOCAB_SIZE, EMBED_DIM)(encoder_inputs)
        encoder_outputs = FNetEncoder(EMBED_DIM, LATENT_DIM)(x)
        encoder = keras.Model(encoder_inputs, encoder_outputs)
        decoder_inputs = keras.Input(shape=(None,), dtype="int32", name="decoder_inputs")
        encoded_seq_inputs = keras.Input(shape=(None, EMBED_DIM), name="decoder_state_inputs")
        x = PositionalEmbedding(MAX_LENGTH, VOCAB_SIZE, EMBED_DIM)(decoder_inputs)
        x = FNetDecoder(EMBED_DIM, LATENT_DIM, NUM_HEADS)(x, encoded_seq_inputs)
        x = layers.Dropout(0.0)(x)
        decoder_outputs = layers.Dense(VOCAB_SIZE, activation="softmax")(x)
        decoder = keras.Model([decoder_inputs, encoded_seq_inputs], decoder_outputs, name="outputs")
        decoder_outputs = decoder([decoder_inputs, encoder_outputs])
        fnet = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="fnet")
        return encoder, fnet

    encoder, fnet = create_model()
    sync(fnet)
    fnet.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    out["params"] = (encoder.count_params(), fnet.count_params())
    if isinstance(train, tuple):
        history = fnet.fit(*train, batch_size=BATCH_SIZE, epochs=2, validation_data=val, shuffle=False, verbose=0)
    else:
        history = fnet.fit(train, epochs=2, validation_data=val, verbose=0)
    out["history"] = history.history

    VOCAB = vectorizer.get_vocabulary()

    def decode_sentence(input_sentence):
        # Mapping the input sentence to tokens (the vectorizer's standardize adds start and end tokens)
        tokenized_input_sentence = ops.convert_to_numpy(vectorizer([input_sentence]))[0]
        # Initializing the initial sentence consisting of only the start token.
        tokenized_target_sentence = np.array([VOCAB.index("[start]")])
        decoded_sentence = ""
        for i in range(MAX_LENGTH):
            predictions = fnet.predict({
                "encoder_inputs": tokenized_input_sentence[None],
                "decoder_inputs": np.pad(tokenized_target_sentence,
                                         [[0, MAX_LENGTH - tokenized_target_sentence.shape[0]]])[None],
            }, verbose=0)
            sampled_token_index = int(np.argmax(predictions[0, i, :]))
            sampled_token = VOCAB[sampled_token_index]
            if sampled_token_index == VOCAB.index("[end]"):
                break
            decoded_sentence += sampled_token + " "
            tokenized_target_sentence = np.concatenate([tokenized_target_sentence, [sampled_token_index]], 0)
            if tokenized_target_sentence.shape[0] == MAX_LENGTH:
                break
        return decoded_sentence

    out["decoded"] = decode_sentence(SENTENCES[0])
    probe = {"encoder_inputs": ops.convert_to_numpy(vectorizer(SENTENCES)),
             "decoder_inputs": ops.convert_to_numpy(vectorizer(SENTENCES))}
    out["predict"] = fnet.predict(probe, verbose=0)
    return out


def _tensorflow_form(keras):
    """The example's TensorFlow code as written: ``preprocess_text``, the vectorizer, the ``tf.data`` pipeline."""
    import tensorflow as tf
    layers = keras.layers

    train_dataset = tf.data.Dataset.from_tensor_slices((questions[:16], answers[:16]))
    val_dataset = tf.data.Dataset.from_tensor_slices((questions[16:], answers[16:]))

    def preprocess_text(sentence):
        sentence = tf.strings.lower(sentence)
        # Adding a space between the punctuation and the last word to allow better tokenization
        sentence = tf.strings.regex_replace(sentence, r"([?.!,])", r" \1 ")
        # Replacing multiple continuous spaces with a single space
        sentence = tf.strings.regex_replace(sentence, r"\s\s+", " ")
        # Replacing non english words with spaces
        sentence = tf.strings.regex_replace(sentence, r"[^a-z?.!,]+", " ")
        sentence = tf.strings.strip(sentence)
        sentence = tf.strings.join(["[start]", sentence, "[end]"], separator=" ")
        return sentence

    vectorizer = layers.TextVectorization(VOCAB_SIZE, standardize=preprocess_text, output_mode="int",
                                          output_sequence_length=MAX_LENGTH)
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices((questions + answers)).batch(128))

    def vectorize_text(inputs, outputs):
        inputs, outputs = vectorizer(inputs), vectorizer(outputs)
        # One extra padding token to the right to match the output shape
        outputs = tf.pad(outputs, [[0, 1]])
        return {"encoder_inputs": inputs, "decoder_inputs": outputs[:-1]}, {"outputs": outputs[1:]}

    train_dataset = train_dataset.map(vectorize_text, num_parallel_calls=tf.data.AUTOTUNE)
    val_dataset = val_dataset.map(vectorize_text, num_parallel_calls=tf.data.AUTOTUNE)
    train_dataset = train_dataset.cache().batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)
    val_dataset = val_dataset.cache().batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)
    return vectorizer, train_dataset, val_dataset


def fnet_pipeline(keras, sync):
    """The example's ``tf.data`` pipeline (TensorFlow only): the vocabulary and the batches it yields."""
    vectorizer, train_dataset, val_dataset = _tensorflow_form(keras)
    batches = [(x, y) for x, y in train_dataset]
    return {"vocabulary": vectorizer.get_vocabulary(),
            "train_x": {key: np.concatenate([np.asarray(x[key]) for x, _ in batches]) for key in batches[0][0]},
            "train_y": np.concatenate([np.asarray(y["outputs"]) for _, y in batches]),
            "batches": len(batches), "val_batches": len(list(val_dataset))}


def fnet_tensorflow(keras, sync):
    """The example's model as written, with TensorFlow ops in its layers' ``call`` (TensorFlow only)."""
    import tensorflow as tf
    layers = keras.layers
    vectorizer, train_dataset, val_dataset = _tensorflow_form(keras)

    class FNetEncoder(layers.Layer):
        def __init__(self, embed_dim, dense_dim, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim = embed_dim
            self.dense_dim = dense_dim
            self.dense_proj = keras.Sequential([layers.Dense(dense_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()

        def call(self, inputs):
            # Casting the inputs to complex64
            inp_complex = tf.cast(inputs, tf.complex64)
            # Projecting the inputs to the frequency domain using FFT2D and
            # extracting the real part of the output
            fft = tf.math.real(tf.signal.fft2d(inp_complex))
            proj_input = self.layernorm_1(inputs + fft)
            proj_output = self.dense_proj(proj_input)
            return self.layernorm_2(proj_input + proj_output)

    class PositionalEmbedding(layers.Layer):
        def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_embeddings = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.position_embeddings = layers.Embedding(input_dim=sequence_length, output_dim=embed_dim)
            self.sequence_length = sequence_length
            self.vocab_size = vocab_size
            self.embed_dim = embed_dim

        def call(self, inputs):
            length = tf.shape(inputs)[-1]
            positions = tf.range(start=0, limit=length, delta=1)
            embedded_tokens = self.token_embeddings(inputs)
            embedded_positions = self.position_embeddings(positions)
            return embedded_tokens + embedded_positions

        def compute_mask(self, inputs, mask=None):
            return tf.math.not_equal(inputs, 0)

    class FNetDecoder(layers.Layer):
        def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim = embed_dim
            self.latent_dim = latent_dim
            self.num_heads = num_heads
            self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = keras.Sequential([layers.Dense(latent_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()
            self.layernorm_3 = layers.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, encoder_outputs, mask=None):
            causal_mask = self.get_causal_attention_mask(inputs)
            if mask is not None:
                padding_mask = tf.cast(mask[:, tf.newaxis, :], dtype="int32")
                padding_mask = tf.minimum(padding_mask, causal_mask)
            else:
                padding_mask = None

            attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs,
                                                  attention_mask=causal_mask)
            out_1 = self.layernorm_1(inputs + attention_output_1)

            attention_output_2 = self.attention_2(query=out_1, value=encoder_outputs, key=encoder_outputs,
                                                  attention_mask=padding_mask)
            out_2 = self.layernorm_2(out_1 + attention_output_2)

            proj_output = self.dense_proj(out_2)
            return self.layernorm_3(out_2 + proj_output)

        def get_causal_attention_mask(self, inputs):
            input_shape = tf.shape(inputs)
            batch_size, sequence_length = input_shape[0], input_shape[1]
            i = tf.range(sequence_length)[:, tf.newaxis]
            j = tf.range(sequence_length)
            mask = tf.cast(i >= j, dtype="int32")
            mask = tf.reshape(mask, (1, input_shape[1], input_shape[1]))
            mult = tf.concat([tf.expand_dims(batch_size, -1), tf.constant([1, 1], dtype=tf.int32)], axis=0)
            return tf.tile(mask, mult)

    batches = [(x, y) for x, y in train_dataset]
    out = {"vocabulary": vectorizer.get_vocabulary(),
           "train_x": {key: np.concatenate([np.asarray(x[key]) for x, _ in batches]) for key in batches[0][0]},
           "train_y": np.concatenate([np.asarray(y["outputs"]) for _, y in batches])}
    return _train_and_decode(keras, sync, out, FNetEncoder, PositionalEmbedding, FNetDecoder, vectorizer,
                             train_dataset, val_dataset)


tensorflow_only = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                     reason="the example's tf.data pipeline and tf ops run under TensorFlow only")


@tensorflow_only
def test_fnet_data_pipeline_gives_keras_tokens():
    check_program(fnet_pipeline)


@tensorflow_only
def test_fnet_as_written_with_tensorflow_ops():
    # The same layers, weights and tokens as ``fnet_ops``: Keras's answer to that program is this run's answer.
    want, initial = keras_on_torch_answer(fnet_ops)
    queue = iter(initial)
    kerasport.backend.clear_session()
    got = fnet_tensorflow(kerasport, lambda model: model.set_weights(next(queue)))
    _assert_same(got, want)


def test_fnet_with_keras_ops():
    check_torch_program(fnet_ops, [fnet_ops])
