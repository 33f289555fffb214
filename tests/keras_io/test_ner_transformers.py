"""keras.io example "Named Entity Recognition using Transformers" (examples/nlp/ner_transformers.py).

Kept as written: ``TransformerBlock``, ``TokenAndPositionEmbedding``, the subclassed ``NERModel``, the tag lookup
table, the vocabulary from a ``Counter`` and ``StringLookup``, the custom ``CustomNonPaddingTokenLoss``, the
sample inference and ``calculate_metrics`` (up to the ``conlleval`` call, replaced by the tag lists it scores).
Shrunk: 24 synthetic sentences of 3-8 words (from a 30-word list, mixed case, tags drawn at random) instead of
CoNLL 2003 from the HuggingFace hub, ``vocab_size=40``, 2 epochs, ``batch_size=8``. Changed: the example reads
the data from text files through a ``tf.data`` pipeline (``tf.strings`` ops, ``padded_batch``); here the same
records are turned into ids by the same ``lookup_layer`` in Python and padded with ``keras.utils.pad_sequences``
to the longest sentence, so that the program runs on both backends; ``fit`` gets the arrays with
``shuffle=False``. The dropout rates (0.1) are 0 here: dropout masks are random, and the streams differ
between the two libraries. The model is built by calling it once before its initial weights are copied.
``ops.reshape(sample_input, shape=[1, -1])`` loses its ``shape=`` keyword: Keras 3.15 names that argument
``newshape`` and rejects ``shape``.

The oracle is Keras 3 on torch (in a child process) under both backends: the example's Adam gets the token
embedding's gradient as ``tf.IndexedSlices`` in Keras on TensorFlow and squares it per token occurrence, where
Keras on torch and kerasport (on both backends, deliberately) square the summed dense gradient; see
``embedding_adam_repeated_tokens`` in ``tests/programs/test_guide_programs.py``.
"""
from collections import Counter

import numpy as np

from tests.keras_io.keras_on_torch_program import check_torch_program

WORDS = ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", ".", "Peter", "Blackburn",
         "BRUSSELS", "the", "European", "Commission", "said", "on", "Thursday", "it", "disagreed", "with",
         "advice", "sheep", "Germany", "Britain", "Paris", "France", "shares", "rose", "in"]


def _records(n=24, seed=0):
    rng = np.random.RandomState(seed)
    records = []
    for _ in range(n):
        length = rng.randint(3, 9)
        tokens = [WORDS[i] for i in rng.randint(0, len(WORDS), length)]
        records.append({"tokens": tokens, "ner_tags": list(rng.randint(0, 9, length))})
    return records


def program(keras, sync):
    layers, ops = keras.layers, keras.ops

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.0):
            super().__init__()
            self.att = keras.layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential(
                [
                    keras.layers.Dense(ff_dim, activation="relu"),
                    keras.layers.Dense(embed_dim),
                ]
            )
            self.layernorm1 = keras.layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = keras.layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = keras.layers.Dropout(rate)
            self.dropout2 = keras.layers.Dropout(rate)

        def call(self, inputs, training=False):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output, training=training)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output, training=training)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = keras.layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = keras.layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, inputs):
            maxlen = ops.shape(inputs)[-1]
            positions = ops.arange(start=0, stop=maxlen, step=1)
            position_embeddings = self.pos_emb(positions)
            token_embeddings = self.token_emb(inputs)
            return token_embeddings + position_embeddings

    class NERModel(keras.Model):
        def __init__(self, num_tags, vocab_size, maxlen=128, embed_dim=32, num_heads=2, ff_dim=32):
            super().__init__()
            self.embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
            self.transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
            self.dropout1 = layers.Dropout(0.0)
            self.ff = layers.Dense(ff_dim, activation="relu")
            self.dropout2 = layers.Dropout(0.0)
            self.ff_final = layers.Dense(num_tags, activation="softmax")

        def call(self, inputs, training=False):
            x = self.embedding_layer(inputs)
            x = self.transformer_block(x)
            x = self.dropout1(x, training=training)
            x = self.ff(x)
            x = self.dropout2(x, training=training)
            x = self.ff_final(x)
            return x

    def make_tag_lookup_table():
        iob_labels = ["B", "I"]
        ner_labels = ["PER", "ORG", "LOC", "MISC"]
        all_labels = [(label1, label2) for label2 in ner_labels for label1 in iob_labels]
        all_labels = ["-".join([a, b]) for a, b in all_labels]
        all_labels = ["[PAD]", "O"] + all_labels
        return dict(zip(range(0, len(all_labels) + 1), all_labels))

    mapping = make_tag_lookup_table()
    conll_train = _records()

    all_tokens = sum([record["tokens"] for record in conll_train], [])
    all_tokens_array = np.array(list(map(str.lower, all_tokens)))

    counter = Counter(all_tokens_array)

    num_tags = len(mapping)
    vocab_size = 40

    # We only take (vocab_size - 2) most commons words from the training data since
    # the `StringLookup` class uses 2 additional tokens - one denoting an unknown
    # token and another one denoting a masking token
    vocabulary = [token for token, count in counter.most_common(vocab_size - 2)]

    # The StringLook class will convert tokens to token IDs
    lookup_layer = keras.layers.StringLookup(vocabulary=vocabulary)

    def lowercase_and_convert_to_ids(tokens):
        tokens = [token.lower() for token in tokens]
        return lookup_layer(tokens)

    ids = [ops.convert_to_numpy(lowercase_and_convert_to_ids(r["tokens"])) for r in conll_train]
    tags = [np.array(r["ner_tags"]) + 1 for r in conll_train]
    x_train = keras.utils.pad_sequences(ids, padding="post")
    y_train = keras.utils.pad_sequences(tags, padding="post")

    ner_model = NERModel(num_tags, vocab_size, embed_dim=32, num_heads=4, ff_dim=64)
    ner_model(x_train[:1])
    sync(ner_model)

    class CustomNonPaddingTokenLoss(keras.losses.Loss):
        def __init__(self, name="custom_ner_loss"):
            super().__init__(name=name)

        def call(self, y_true, y_pred):
            loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=False, reduction=None)
            loss = loss_fn(y_true, y_pred)
            mask = ops.cast((y_true > 0), dtype="float32")
            loss = loss * mask
            return ops.sum(loss) / ops.sum(mask)

    loss = CustomNonPaddingTokenLoss()

    ner_model.compile(optimizer="adam", loss=loss)
    history = ner_model.fit(x_train, y_train, batch_size=8, epochs=2, shuffle=False, verbose=0)

    def tokenize_and_convert_to_ids(text):
        tokens = text.split()
        return lowercase_and_convert_to_ids(tokens)

    # Sample inference using the trained model
    sample_input = tokenize_and_convert_to_ids("eu rejects german call to boycott british lamb")
    sample_input = ops.reshape(sample_input, [1, -1])

    output = ner_model.predict(sample_input, verbose=0)
    prediction = np.argmax(output, axis=-1)[0]
    prediction = [mapping[i] for i in prediction]

    def calculate_metrics(dataset):
        all_true_tag_ids, all_predicted_tag_ids = [], []

        for x, y in dataset:
            output = ner_model.predict(x, verbose=0)
            predictions = ops.argmax(output, axis=-1)
            predictions = ops.reshape(predictions, [-1])

            true_tag_ids = ops.reshape(y, [-1])

            mask = (true_tag_ids > 0) & (predictions > 0)
            true_tag_ids = true_tag_ids[mask]
            predicted_tag_ids = predictions[mask]

            all_true_tag_ids.append(true_tag_ids)
            all_predicted_tag_ids.append(predicted_tag_ids)

        all_true_tag_ids = np.concatenate(all_true_tag_ids)
        all_predicted_tag_ids = np.concatenate(all_predicted_tag_ids)

        predicted_tags = [mapping[tag] for tag in all_predicted_tag_ids]
        real_tags = [mapping[tag] for tag in all_true_tag_ids]
        return real_tags, predicted_tags

    val_dataset = [(ops.convert_to_tensor(x_train[i:i + 8]), ops.convert_to_tensor(y_train[i:i + 8]))
                   for i in range(0, len(x_train), 8)]
    real_tags, predicted_tags = calculate_metrics(val_dataset)
    return {"history": history.history, "vocabulary": lookup_layer.get_vocabulary(),
            "sample_input": sample_input, "output": output, "prediction": prediction,
            "real_tags": real_tags, "predicted_tags": predicted_tags, "weights": ner_model.get_weights()}


def test_ner_transformers():
    check_torch_program(program, [program])
