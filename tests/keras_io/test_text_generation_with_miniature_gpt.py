"""keras.io example "Text generation with a miniature GPT" (examples/generative/text_generation_with_miniature_gpt.py).

The Keras 3 form of the example: ``causal_attention_mask`` built with ``keras.ops``, the ``TransformerBlock`` and
``TokenAndPositionEmbedding`` layers, a model with two outputs (logits and the block's embeddings, whose loss is
``None``) compiled with ``"adam"``, and the ``TextGenerator`` callback that samples from ``ops.top_k`` of
``model.predict`` at the end of each epoch.

Shrunk: a vocabulary of at most 40 words (the model's ``vocab_size`` is the vocabulary's length, so that every
sampled token has a word), ``maxlen`` 10, ``embed_dim`` 16, two epochs of a 32-line corpus; dropout rates 0
(their masks are random). Data: under TensorFlow, the example's pipeline as written (``TextLineDataset`` over a few
text files, its ``custom_standardization`` with ``tf.strings``, ``TextVectorization.adapt`` on the dataset, the
shifted ``prepare_lm_inputs_labels`` map); under both backends, the same corpus tokenized in NumPy. The callback's
``np.random.choice`` is seeded, so both libraries sample the same tokens where their probabilities agree.

The oracle is Keras 3 on torch (in a child process): on Keras 3.15's TensorFlow backend the example's
``ops.tile(mask, mult)`` with a symbolic ``mult`` fails while the functional model is built ("Iterating over a
symbolic tf.Tensor"); keras.io runs the example on TensorFlow with an earlier Keras, and says it runs on torch.
"""
import os
import string
import tempfile

import numpy as np
import pytest

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program, keras_on_torch_answer
from tests.programs.test_keras_programs import _assert_same, check_program

WORDS = ["the", "movie", "is", "good", "bad", "plot", "actor", "was", "great", "boring", "and", "very", "film",
         "story", "i", "liked", "hated", "it", "a", "scene"]


def _corpus():
    rng = np.random.RandomState(0)
    return [" ".join(rng.choice(WORDS, rng.randint(4, 14))) + rng.choice([".", "!", "<br />"]) for _ in range(32)]


def _gpt(keras, sync, data, vocab):
    """The example's model and callback, trained on ``data`` (``fit``'s data arguments, a dict)."""
    layers, ops = keras.layers, keras.ops

    def causal_attention_mask(batch_size, n_dest, n_src, dtype):
        """
        Mask the upper half of the dot product matrix in self attention.
        This prevents flow of information from future tokens to current token.
        1's in the lower triangle, counting from the lower right corner.
        """
        i = ops.arange(n_dest)[:, None]
        j = ops.arange(n_src)
        m = i >= j - n_src + n_dest
        mask = ops.cast(m, dtype)
        mask = ops.reshape(mask, [1, n_dest, n_src])
        mult = ops.concatenate(
            [ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])], 0
        )
        return ops.tile(mask, mult)

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads, embed_dim)
            self.ffn = keras.Sequential(
                [
                    layers.Dense(ff_dim, activation="relu"),
                    layers.Dense(embed_dim),
                ]
            )
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs):
            input_shape = ops.shape(inputs)
            batch_size = input_shape[0]
            seq_len = input_shape[1]
            causal_mask = causal_attention_mask(batch_size, seq_len, seq_len, "bool")
            attention_output = self.att(inputs, inputs, attention_mask=causal_mask)
            attention_output = self.dropout1(attention_output)
            out1 = self.layernorm1(inputs + attention_output)
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
            positions = ops.arange(0, maxlen, 1)
            positions = self.pos_emb(positions)
            x = self.token_emb(x)
            return x + positions

    vocab_size = len(vocab)
    maxlen = 10
    embed_dim = 16
    num_heads = 2
    feed_forward_dim = 16

    def create_model():
        inputs = layers.Input(shape=(maxlen,), dtype="int32")
        embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
        x = embedding_layer(inputs)
        transformer_block = TransformerBlock(embed_dim, num_heads, feed_forward_dim, rate=0.0)
        x = transformer_block(x)
        outputs = layers.Dense(vocab_size)(x)
        model = keras.Model(inputs=inputs, outputs=[outputs, x])
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(
            "adam",
            loss=[loss_fn, None],
        )  # No loss and optimization based on word embeddings from transformer block
        return model

    generated = []

    class TextGenerator(keras.callbacks.Callback):
        def __init__(self, max_tokens, start_tokens, index_to_word, top_k=10, print_every=1):
            self.max_tokens = max_tokens
            self.start_tokens = start_tokens
            self.index_to_word = index_to_word
            self.print_every = print_every
            self.k = top_k

        def sample_from(self, logits):
            logits, indices = ops.top_k(logits, k=self.k, sorted=True)
            indices = np.asarray(indices).astype("int32")
            preds = keras.activations.softmax(ops.expand_dims(logits, 0))[0]
            preds = np.asarray(preds).astype("float32")
            return np.random.choice(indices, p=preds)

        def detokenize(self, number):
            return self.index_to_word[number]

        def on_epoch_end(self, epoch, logs=None):
            start_tokens = [_ for _ in self.start_tokens]
            if (epoch + 1) % self.print_every != 0:
                return
            num_tokens_generated = 0
            tokens_generated = []
            while num_tokens_generated <= self.max_tokens:
                pad_len = maxlen - len(start_tokens)
                sample_index = len(start_tokens) - 1
                if pad_len < 0:
                    x = start_tokens[:maxlen]
                    sample_index = maxlen - 1
                elif pad_len > 0:
                    x = start_tokens + [0] * pad_len
                else:
                    x = start_tokens
                x = np.array([x])
                y, _ = self.model.predict(x, verbose=0)
                sample_token = self.sample_from(y[0][sample_index])
                tokens_generated.append(sample_token)
                start_tokens.append(sample_token)
                num_tokens_generated = len(tokens_generated)
            txt = " ".join([self.detokenize(_) for _ in self.start_tokens + tokens_generated])
            generated.append(txt)

    word_to_index = {}
    for index, word in enumerate(vocab):
        word_to_index[word] = index

    start_prompt = "this movie is"
    start_tokens = [word_to_index.get(_, 1) for _ in start_prompt.split()]
    num_tokens_generated = 12
    text_gen_callback = TextGenerator(num_tokens_generated, start_tokens, vocab)

    model = create_model()
    sync(model)
    np.random.seed(0)
    history = model.fit(**data, verbose=0, epochs=2, callbacks=[text_gen_callback])
    return {"history": history.history, "generated": generated,
            "logits": model.predict(np.array([start_tokens + [0] * (maxlen - 3)]), verbose=0)[0]}


def _example_pipeline(keras):
    """The example's data pipeline on the test corpus: its ``text_ds`` of (inputs, shifted labels), its vocabulary."""
    import tensorflow
    import tensorflow.data as tf_data
    import tensorflow.strings as tf_strings

    vocab_size, maxlen, batch_size = 40, 10, 8
    folder = tempfile.mkdtemp()
    filenames = []
    for i, line in enumerate(_corpus()):
        filenames.append(os.path.join(folder, f"{i}.txt"))
        with open(filenames[-1], "w") as f:
            f.write(line + "\n")

    text_ds = tf_data.TextLineDataset(filenames)
    text_ds = text_ds.batch(batch_size)

    def custom_standardization(input_string):
        """Remove html line-break tags and handle punctuation"""
        lowercased = tf_strings.lower(input_string)
        stripped_html = tf_strings.regex_replace(lowercased, "<br />", " ")
        return tf_strings.regex_replace(stripped_html, f"([{string.punctuation}])", r" \1")

    vectorize_layer = keras.layers.TextVectorization(
        standardize=custom_standardization,
        max_tokens=vocab_size - 1,
        output_mode="int",
        output_sequence_length=maxlen + 1,
    )
    vectorize_layer.adapt(text_ds)
    vocab = vectorize_layer.get_vocabulary()  # To get words back from token indices

    def prepare_lm_inputs_labels(text):
        """
        Shift word sequences by 1 position so that the target for position (i) is
        word at position (i+1). The model will use all words up till position (i)
        to predict the next word.
        """
        text = tensorflow.expand_dims(text, -1)
        tokenized_sentences = vectorize_layer(text)
        x = tokenized_sentences[:, :-1]
        y = tokenized_sentences[:, 1:]
        return x, y

    text_ds = text_ds.map(prepare_lm_inputs_labels, num_parallel_calls=tf_data.AUTOTUNE)
    text_ds = text_ds.prefetch(tf_data.AUTOTUNE)
    return text_ds, vocab


def miniature_gpt_pipeline(keras, sync):
    text_ds, vocab = _example_pipeline(keras)
    batches = [(np.asarray(x), np.asarray(y)) for x, y in text_ds]
    return {"vocab": " ".join(vocab), "x": np.concatenate([x for x, _ in batches]),
            "y": np.concatenate([y for _, y in batches])}


def miniature_gpt_numpy(keras, sync):
    """The corpus tokenized as the example's ``TextVectorization`` does (words by count, ties in reverse order)."""
    maxlen = 10
    lines = [line.lower().replace("<br />", " ").replace(".", " .").replace("!", " !").split() for line in _corpus()]
    counts = {}
    for word in (w for line in lines for w in line):
        counts[word] = counts.get(word, 0) + 1
    vocab = ["", "[UNK]"] + sorted(counts, key=lambda w: (counts[w], w.encode()), reverse=True)
    index = {w: i for i, w in enumerate(vocab)}
    tokens = np.zeros((len(lines), maxlen + 1), "int32")
    for row, line in zip(tokens, lines):
        ids = [index[w] for w in line][:maxlen + 1]
        row[:len(ids)] = ids
    return _gpt(keras, sync, {"x": tokens[:, :-1], "y": tokens[:, 1:], "batch_size": 8, "shuffle": False}, vocab)


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's data pipeline (tf.data, tf.strings) runs under TensorFlow only")
def test_miniature_gpt_data_pipeline_gives_keras_tokens():
    check_program(miniature_gpt_pipeline)


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's data pipeline (tf.data, tf.strings) runs under TensorFlow only")
def test_miniature_gpt_trained_on_the_examples_tf_data_pipeline():
    # The same tokens as ``miniature_gpt_numpy`` (the test above holds the pipeline to Keras's); so Keras's
    # answer to that program, from the same initial weights, is this run's answer.
    want, initial = keras_on_torch_answer(miniature_gpt_numpy)
    queue = iter(initial)
    kerasport.backend.clear_session()
    text_ds, vocab = _example_pipeline(kerasport)
    got = _gpt(kerasport, lambda model: model.set_weights(next(queue)), {"x": text_ds}, vocab)
    _assert_same(got, want)


def test_miniature_gpt_on_tokenized_arrays():
    check_torch_program(miniature_gpt_numpy, [miniature_gpt_numpy])
