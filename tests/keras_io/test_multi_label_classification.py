"""keras.io example "Large-scale multi-label text classification" (examples/nlp/multi_label_classification.py).
TensorFlow only (the example's data pipeline is ``tf.data`` with ``tf.ragged`` labels).

The example as written: ``StringLookup(output_mode="multi_hot")`` adapted on a ``tf.ragged.constant`` of label
lists, its vocabulary inverted by hand (``invert_multi_hot``), ``tf.data`` pipelines that multi-hot the labels in
a ``map``, ``TextVectorization(max_tokens=..., ngrams=2, output_mode="tf_idf")`` adapted on the text of a
dataset and mapped over the datasets, a shallow MLP with sigmoid outputs compiled with ``binary_crossentropy`` /
``binary_accuracy``, ``fit`` with validation data, ``evaluate``, then an inference model
``keras.Sequential([text_vectorizer, shallow_mlp_model])`` that ``predict``s on raw strings.

Changed: the arXiv abstracts (a download, with pandas) become 24 made-up abstracts with 1 to 3 of 5 subject
terms; widths 512 / 256 become 16 / 8; batch 8, 2 epochs; no shuffling (``shuffle`` draws TensorFlow's own random
numbers).
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

WORDS = ("graph neural network learning deep model vision image language text quantum field theory "
         "energy physics optimization convex gradient descent robust").split()
TERMS = ["cs.LG", "cs.CV", "cs.CL", "hep-th", "math.OC"]


def corpus():
    rng = np.random.RandomState(0)
    abstracts = [" ".join(rng.choice(WORDS, rng.randint(6, 14))) for _ in range(24)]
    terms = [list(rng.choice(TERMS, rng.randint(1, 4), replace=False)) for _ in range(24)]
    return abstracts, terms


def multi_label(keras, sync):
    import tensorflow as tf
    layers = keras.layers
    abstracts, terms_lists = corpus()
    terms = tf.ragged.constant(terms_lists)
    lookup = layers.StringLookup(output_mode="multi_hot")
    lookup.adapt(terms)
    vocab = lookup.get_vocabulary()

    def invert_multi_hot(encoded_labels):
        hot_indices = np.argwhere(encoded_labels == 1.0)[..., 0]
        return np.take(vocab, hot_indices)

    sample_label = terms_lists[0]
    label_binarized = lookup([sample_label])
    batch_size, auto = 8, tf.data.AUTOTUNE

    def make_dataset(texts, labels):
        labels = tf.ragged.constant(labels)
        label_binarized = lookup(labels).numpy()
        dataset = tf.data.Dataset.from_tensor_slices((texts, label_binarized))
        return dataset.batch(batch_size)

    train_dataset = make_dataset(abstracts[:16], terms_lists[:16])
    validation_dataset = make_dataset(abstracts[16:20], terms_lists[16:20])
    test_dataset = make_dataset(abstracts[20:], terms_lists[20:])
    vocabulary_size = 40
    text_vectorizer = layers.TextVectorization(max_tokens=vocabulary_size, ngrams=2, output_mode="tf_idf")
    with tf.device("/CPU:0"):
        text_vectorizer.adapt(train_dataset.map(lambda text, label: text))
    train_dataset = train_dataset.map(lambda text, label: (text_vectorizer(text), label),
                                      num_parallel_calls=auto).prefetch(auto)
    validation_dataset = validation_dataset.map(lambda text, label: (text_vectorizer(text), label),
                                                num_parallel_calls=auto).prefetch(auto)
    test_dataset = test_dataset.map(lambda text, label: (text_vectorizer(text), label),
                                    num_parallel_calls=auto).prefetch(auto)

    shallow_mlp_model = keras.Sequential([
        layers.Dense(16, activation="relu"),
        layers.Dense(8, activation="relu"),
        layers.Dense(lookup.vocabulary_size(), activation="sigmoid"),
    ])
    shallow_mlp_model.build((None, vocabulary_size))
    sync(shallow_mlp_model)
    shallow_mlp_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["binary_accuracy"])
    history = shallow_mlp_model.fit(train_dataset, validation_data=validation_dataset, epochs=2, verbose=0)
    _, binary_acc = shallow_mlp_model.evaluate(test_dataset, verbose=0)

    model_for_inference = keras.Sequential([text_vectorizer, shallow_mlp_model])
    text_batch = tf.constant(abstracts[20:])
    predicted_probabilities = model_for_inference.predict(text_batch, verbose=0)
    top_3 = [[x for _, x in sorted(zip(p, vocab), key=lambda pair: pair[0], reverse=True)][:3]
             for p in predicted_probabilities]
    return {"vocab": " ".join(vocab), "sample": " ".join(invert_multi_hot(label_binarized[0].numpy())),
            "tf_idf_vocab": " ".join(text_vectorizer.get_vocabulary()),
            "tf_idf": text_vectorizer(tf.constant(abstracts[:3])), "history": history.history,
            "binary_acc": binary_acc, "probabilities": predicted_probabilities,
            "top_3": " | ".join(" ".join(t) for t in top_3)}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's pipeline is tf.data with tf.ragged labels: TensorFlow only")
def test_multi_label_classification():
    check_program(multi_label)
