"""keras.io example "End-to-end Masked Language Modeling with BERT" (examples/nlp/masked_language_modeling.py, its
Keras 3 backend-agnostic form).

Kept as written: ``get_vectorize_layer`` (``TextVectorization`` with a ``custom_standardization``, ``adapt``, then
``set_vocabulary`` with ``[mask]`` appended), ``encode``, ``get_masked_input_and_labels`` (BERT's 15% masking, the
labels and the sample weights), ``bert_module`` (``MultiHeadAttention``, residual ``LayerNormalization``s, a
feed-forward ``Sequential``), the ``MaskedLanguageModel`` that overrides ``compute_loss`` (a summed per-token
``SparseCategoricalCrossentropy(reduction=None)`` with sample weights), ``compute_metrics`` and ``metrics`` around
a module-level ``Mean`` tracker, the ``MaskedTextGenerator`` callback (``predict`` at each epoch end, the top-k
tokens at the mask), ``save`` to ``.keras`` and ``load_model`` with ``custom_objects``, the frozen
``pretrained_bert_model`` cut at ``encoder_0_ffn_layernormalization``, the classifier trained frozen, then unfrozen
and recompiled, and the ``ModelEndtoEnd`` whose overridden ``evaluate`` vectorizes raw text first.

Shrunk: 48 synthetic reviews of 4-10 words from a 34-word list (half with "good" words, labelled by them) instead
of IMDB, ``MAX_LEN=12``, ``VOCAB_SIZE=30``, ``EMBED_DIM=16``, ``NUM_HEAD=2``, ``FF_DIM=16``, ``BATCH_SIZE=8``,
2 epochs per ``fit``. Changed:

- KerasHub's ``PositionEmbedding`` (KerasHub is not a dependency) is written here with Keras layers as KerasHub
  writes it: one ``(sequence_length, feature_dim)`` ``glorot_uniform`` weight, sliced to the input's length.
- ``custom_standardization`` uses ``tf.strings`` where it is given a ``tf.string`` tensor and, where it is given a
  NumPy array of ``str`` (kerasport on torch), the same regular expressions in Python.
- The masking draws from ``np.random.RandomState(0)`` instead of the global ``np.random``; ``tf.data`` pipelines
  (shuffled) become arrays given to ``fit`` / ``evaluate`` with ``shuffle=False``; the DataFrames are dicts of
  lists (pandas is not a dependency); the callback records its top-k predictions instead of ``pprint``-ing them.
- ``Dropout(0.1)`` is ``Dropout(0.0)``: dropout masks are random, and the two libraries' streams differ.

Keras 3 on TensorFlow gets the Embeddings' gradients as ``IndexedSlices`` and Adam squares them per token
occurrence, where Keras on torch and kerasport square the summed gradient: the oracle is Keras 3 on torch, in a
child process, on both backends (as in ``test_neural_machine_translation_with_transformer.py``).
"""
import os
import re
import tempfile

import numpy as np

from tests.keras_io.keras_on_torch_program import check_torch_program

NEUTRAL = ["the", "movie", "film", "was", "is", "and", "it", "this", "i", "have", "watched", "a", "plot", "actor",
           "story", "scene", "end", "cast", "music", "director", "script", "of", "in", "to"]
GOOD, BAD = ["great", "awesome", "good", "fun", "superb"], ["bad", "boring", "awful", "dull", "weak"]


class Config:
    MAX_LEN = 12
    BATCH_SIZE = 8
    LR = 0.001
    VOCAB_SIZE = 30
    EMBED_DIM = 16
    NUM_HEAD = 2  # used in bert model
    FF_DIM = 16  # used in bert model
    NUM_LAYERS = 1


config = Config()


def _reviews(n, seed):
    rng = np.random.RandomState(seed)
    reviews, sentiments = [], []
    for i in range(n):
        words = [NEUTRAL[j] for j in rng.randint(0, len(NEUTRAL), rng.randint(3, 9))]
        positive = i % 2
        words.insert(rng.randint(0, len(words)), (GOOD if positive else BAD)[rng.randint(0, 5)])
        words.append("<br />" if i % 3 == 0 else "!")
        reviews.append(" ".join(words).capitalize())
        sentiments.append(positive)
    return {"review": reviews, "sentiment": sentiments}


def masked_language_modeling(keras, sync):
    layers = keras.layers
    TextVectorization = layers.TextVectorization
    train_df, test_df = _reviews(32, 0), _reviews(16, 1)
    all_data = {key: train_df[key] + test_df[key] for key in train_df}
    strip_chars = "!#$%&'()*+,-./:;<=>?@\\^_`{|}~"

    def custom_standardization(input_data):
        if isinstance(input_data, np.ndarray):  # kerasport on torch gives NumPy strings
            texts = [re.sub("[%s]" % re.escape(strip_chars), "", s.lower().replace("<br />", " "))
                     for s in input_data.ravel()]
            return np.array(texts, dtype=object).reshape(input_data.shape)
        import tensorflow as tf
        lowercase = tf.strings.lower(input_data)
        stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
        return tf.strings.regex_replace(stripped_html, "[%s]" % re.escape(strip_chars), "")

    def get_vectorize_layer(texts, vocab_size, max_seq, special_tokens=["[MASK]"]):
        vectorize_layer = TextVectorization(
            max_tokens=vocab_size,
            output_mode="int",
            standardize=custom_standardization,
            output_sequence_length=max_seq,
        )
        vectorize_layer.adapt(texts)

        # Insert mask token in vocabulary
        vocab = vectorize_layer.get_vocabulary()
        vocab = vocab[2: vocab_size - len(special_tokens)] + ["[mask]"]
        vectorize_layer.set_vocabulary(vocab)
        return vectorize_layer

    vectorize_layer = get_vectorize_layer(all_data["review"], config.VOCAB_SIZE, config.MAX_LEN,
                                          special_tokens=["[mask]"])
    out = {"vocabulary": vectorize_layer.get_vocabulary()}

    # Get mask token id for masked language model
    mask_token_id = keras.ops.convert_to_numpy(vectorize_layer(["[mask]"]))[0][0]
    out["mask_token_id"] = mask_token_id

    def encode(texts):
        encoded_texts = vectorize_layer(texts)
        return keras.ops.convert_to_numpy(encoded_texts)

    rng = np.random.RandomState(0)

    def get_masked_input_and_labels(encoded_texts):
        # 15% BERT masking
        inp_mask = rng.rand(*encoded_texts.shape) < 0.15
        # Do not mask special tokens
        inp_mask[encoded_texts <= 2] = False
        # Set targets to -1 by default, it means ignore
        labels = -1 * np.ones(encoded_texts.shape, dtype=int)
        # Set labels for masked tokens
        labels[inp_mask] = encoded_texts[inp_mask]

        # Prepare input
        encoded_texts_masked = np.copy(encoded_texts)
        # Set input to [MASK] which is the last token for the 90% of tokens
        inp_mask_2mask = inp_mask & (rng.rand(*encoded_texts.shape) < 0.90)
        encoded_texts_masked[inp_mask_2mask] = mask_token_id

        # Set 10% to a random token
        inp_mask_2random = inp_mask_2mask & (rng.rand(*encoded_texts.shape) < 1 / 9)
        encoded_texts_masked[inp_mask_2random] = rng.randint(3, mask_token_id, inp_mask_2random.sum())

        # Prepare sample_weights to pass to .fit() method
        sample_weights = np.ones(labels.shape)
        sample_weights[labels == -1] = 0

        # y_labels would be same as encoded_texts i.e input tokens
        y_labels = np.copy(encoded_texts)
        return encoded_texts_masked, y_labels, sample_weights

    x_train = encode(train_df["review"])
    y_train = np.array(train_df["sentiment"])
    x_test = encode(test_df["review"])
    y_test = np.array(test_df["sentiment"])
    x_all_review = encode(all_data["review"])
    x_masked_train, y_masked_labels, sample_weights = get_masked_input_and_labels(x_all_review)
    out.update(x_all_review=x_all_review, x_masked_train=x_masked_train, sample_weights=sample_weights)

    class PositionEmbedding(layers.Layer):
        """KerasHub's ``PositionEmbedding``: a learned embedding per position, sliced to the input's length."""

        def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
            super().__init__(**kwargs)
            self.sequence_length = int(sequence_length)
            self.initializer = keras.initializers.get(initializer)

        def get_config(self):
            config = super().get_config()
            config.update({"sequence_length": self.sequence_length,
                           "initializer": keras.initializers.serialize(self.initializer)})
            return config

        def build(self, inputs_shape):
            feature_size = inputs_shape[-1]
            self.position_embeddings = self.add_weight(
                name="embeddings", shape=[self.sequence_length, feature_size], initializer=self.initializer,
                trainable=True)

        def call(self, inputs):
            shape = keras.ops.shape(inputs)
            feature_length, sequence_length = shape[-1], shape[-2]
            position_embeddings = keras.ops.slice(self.position_embeddings, (0, 0),
                                                  (sequence_length, feature_length))
            return keras.ops.broadcast_to(position_embeddings, shape)

    def bert_module(query, key, value, i):
        # Multi headed self-attention
        attention_output = layers.MultiHeadAttention(
            num_heads=config.NUM_HEAD,
            key_dim=config.EMBED_DIM // config.NUM_HEAD,
            name="encoder_{}_multiheadattention".format(i),
        )(query, key, value)
        attention_output = layers.Dropout(0.0, name="encoder_{}_att_dropout".format(i))(attention_output)
        attention_output = layers.LayerNormalization(
            epsilon=1e-6, name="encoder_{}_att_layernormalization".format(i)
        )(query + attention_output)

        # Feed-forward layer
        ffn = keras.Sequential(
            [
                layers.Dense(config.FF_DIM, activation="relu"),
                layers.Dense(config.EMBED_DIM),
            ],
            name="encoder_{}_ffn".format(i),
        )
        ffn_output = ffn(attention_output)
        ffn_output = layers.Dropout(0.0, name="encoder_{}_ffn_dropout".format(i))(ffn_output)
        sequence_output = layers.LayerNormalization(
            epsilon=1e-6, name="encoder_{}_ffn_layernormalization".format(i)
        )(attention_output + ffn_output)
        return sequence_output

    loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction=None)
    loss_tracker = keras.metrics.Mean(name="loss")

    class MaskedLanguageModel(keras.Model):

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            loss = loss_fn(y, y_pred, sample_weight)
            loss_tracker.update_state(loss, sample_weight=sample_weight)
            return keras.ops.sum(loss)

        def compute_metrics(self, x, y, y_pred, sample_weight):
            # Return a dict mapping metric names to current value
            return {"loss": loss_tracker.result()}

        @property
        def metrics(self):
            return [loss_tracker]

    def create_masked_language_bert_model():
        inputs = layers.Input((config.MAX_LEN,), dtype="int64")

        word_embeddings = layers.Embedding(config.VOCAB_SIZE, config.EMBED_DIM, name="word_embedding")(inputs)
        position_embeddings = PositionEmbedding(sequence_length=config.MAX_LEN)(word_embeddings)
        embeddings = word_embeddings + position_embeddings

        encoder_output = embeddings
        for i in range(config.NUM_LAYERS):
            encoder_output = bert_module(encoder_output, encoder_output, encoder_output, i)

        mlm_output = layers.Dense(config.VOCAB_SIZE, name="mlm_cls", activation="softmax")(encoder_output)
        mlm_model = MaskedLanguageModel(inputs, mlm_output, name="masked_bert_model")
        sync(mlm_model)

        optimizer = keras.optimizers.Adam(learning_rate=config.LR)
        mlm_model.compile(optimizer=optimizer)
        return mlm_model

    id2token = dict(enumerate(vectorize_layer.get_vocabulary()))
    generated = []

    class MaskedTextGenerator(keras.callbacks.Callback):
        def __init__(self, sample_tokens, top_k=5):
            self.sample_tokens = sample_tokens
            self.k = top_k

        def decode(self, tokens):
            return " ".join([id2token[t] for t in tokens if t != 0])

        def convert_ids_to_tokens(self, id):
            return id2token[id]

        def on_epoch_end(self, epoch, logs=None):
            prediction = self.model.predict(self.sample_tokens, verbose=0)

            masked_index = np.where(self.sample_tokens == mask_token_id)
            masked_index = masked_index[1]
            mask_prediction = prediction[0][masked_index]

            top_indices = mask_prediction[0].argsort()[-self.k:][::-1]
            values = mask_prediction[0][top_indices]

            for i in range(len(top_indices)):
                p = top_indices[i]
                v = values[i]
                tokens = np.copy(self.sample_tokens[0])
                tokens[masked_index[0]] = p
                generated.append({
                    "input_text": self.decode(self.sample_tokens[0]),
                    "prediction": self.decode(tokens),
                    "probability": v,
                    "predicted mask token": self.convert_ids_to_tokens(p),
                })

    sample_tokens = vectorize_layer(["I have watched this [mask] and it was awesome"])
    generator_callback = MaskedTextGenerator(keras.ops.convert_to_numpy(sample_tokens))

    bert_masked_model = create_masked_language_bert_model()
    out["mlm_params"] = bert_masked_model.count_params()

    history = bert_masked_model.fit(x_masked_train, y_masked_labels, sample_weight=sample_weights,
                                    batch_size=config.BATCH_SIZE, epochs=2, callbacks=[generator_callback],
                                    shuffle=False, verbose=0)
    out.update(mlm_history=history.history, generated=generated)
    path = os.path.join(tempfile.mkdtemp(), "bert_mlm_imdb.keras")
    bert_masked_model.save(path)

    # Load pretrained bert model
    mlm_model = keras.models.load_model(
        path, custom_objects={"MaskedLanguageModel": MaskedLanguageModel, "PositionEmbedding": PositionEmbedding})
    out["reloaded_predict"] = mlm_model.predict(x_masked_train[:4], verbose=0)
    pretrained_bert_model = keras.Model(mlm_model.input,
                                        mlm_model.get_layer("encoder_0_ffn_layernormalization").output)

    # Freeze it
    pretrained_bert_model.trainable = False

    def create_classifier_bert_model():
        inputs = layers.Input((config.MAX_LEN,), dtype="int64")
        sequence_output = pretrained_bert_model(inputs)
        pooled_output = layers.GlobalMaxPooling1D()(sequence_output)
        hidden_layer = layers.Dense(64, activation="relu")(pooled_output)
        outputs = layers.Dense(1, activation="sigmoid")(hidden_layer)
        classifer_model = keras.Model(inputs, outputs, name="classification")
        sync(classifer_model)
        optimizer = keras.optimizers.Adam()
        classifer_model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
        return classifer_model

    classifer_model = create_classifier_bert_model()
    out["frozen_trainable_weights"] = len(classifer_model.trainable_weights)

    # Train the classifier with frozen BERT stage
    history = classifer_model.fit(x_train, y_train, batch_size=config.BATCH_SIZE, epochs=2,
                                  validation_data=(x_test, y_test), shuffle=False, verbose=0)
    out["frozen_history"] = history.history

    # Unfreeze the BERT model for fine-tuning
    pretrained_bert_model.trainable = True
    optimizer = keras.optimizers.Adam()
    classifer_model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    history = classifer_model.fit(x_train, y_train, batch_size=config.BATCH_SIZE, epochs=2,
                                  validation_data=(x_test, y_test), shuffle=False, verbose=0)
    out["fine_tuned_history"] = history.history

    class ModelEndtoEnd(keras.Model):

        def evaluate(self, inputs):
            features = encode(inputs["review"])
            labels = np.array(inputs["sentiment"])
            return super().evaluate(features, labels, batch_size=config.BATCH_SIZE, verbose=0)

        # Build the model
        def build(self, input_shape):
            self.built = True

    def get_end_to_end(model):
        inputs = classifer_model.inputs
        outputs = classifer_model.outputs
        end_to_end_model = ModelEndtoEnd(inputs, outputs, name="end_to_end_model")
        optimizer = keras.optimizers.Adam(learning_rate=config.LR)
        end_to_end_model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
        return end_to_end_model

    end_to_end_classification_model = get_end_to_end(classifer_model)
    # Pass raw text to the model
    out["end_to_end_evaluate"] = end_to_end_classification_model.evaluate(test_df)
    return out


def test_masked_language_modeling():
    check_torch_program(masked_language_modeling, [masked_language_modeling])
