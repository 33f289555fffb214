"""keras.io example "Review Classification using Active Learning"
(examples/nlp/active_learning_review_classification.py).

Kept as written: the balanced validation, test and training splits and the positive / negative pools, the
``TextVectorization`` (``"lower_and_strip_punctuation"``, ``output_sequence_length``) adapted on the training
texts, ``append_history``, ``create_model`` (``Embedding``, ``Bidirectional(LSTM(return_sequences=True))``,
``GlobalMaxPool1D``, ``Dense``, ``Dropout``, a sigmoid ``Dense``), ``train_full_model`` and
``train_active_learning_models``: ``rmsprop`` with ``BinaryAccuracy``, ``FalseNegatives`` and ``FalsePositives``,
``EarlyStopping(patience=4)``, a ``ModelCheckpoint(..., save_best_only=True)`` to ``.keras`` shared by every
round, ``load_model`` of the best checkpoint, ``predict`` and ``ops.where(ops.greater(...))``, ``evaluate`` (also
with ``return_dict=True``), the ratio sampling of the pools from the false negatives and positives, and the
recompiled model trained again on the grown training set.

Shrunk: 96 synthetic reviews from a 40-word list (positive and negative words decide the label) instead of IMDB
from ``tensorflow_datasets``; splits of 8 / 8 / 12 reviews per class, pools of 24 per class, ``max_tokens=50``,
``output_sequence_length=20``, ``Embedding(50, 8)``, ``LSTM(4)``, ``Dense(8)``, batches of 8, 3 epochs per fit,
2 active-learning rounds of ``sampling_size=16``. Changed: the ``tf.data`` pipeline (``map`` of the vectorizer,
``cache``, ``shuffle``, ``take`` / ``skip`` / ``concatenate`` of the pools) is the same vectorizer applied to arrays
and the same slicing and concatenation of arrays, given to ``fit`` with ``shuffle=False``; ``Dropout(0.5)`` is
``Dropout(0.0)`` (dropout masks are random); callbacks run with ``verbose=0``; the plots are the histories.

Keras 3 on TensorFlow gets the Embedding's gradients as ``IndexedSlices`` and RMSprop squares them per token
occurrence, where Keras on torch and kerasport square the summed gradient: the oracle is Keras 3 on torch, in a
child process, on both backends. The training history's ``false_negatives`` / ``false_positives`` are left out of
the comparison: Keras 3 on torch logs the validation counts under those names as well (the metric's result is a
view of its variable, overwritten by the validation pass; Keras on TensorFlow logs the training counts, as
kerasport does); ``val_false_negatives`` / ``val_false_positives`` and the ``evaluate`` counts that drive the
sampling are compared.
"""
import os
import tempfile

import numpy as np

from tests.keras_io.keras_on_torch_program import check_torch_program

NEUTRAL = ["the", "movie", "film", "was", "is", "and", "it", "this", "i", "have", "watched", "a", "plot", "actor",
           "story", "scene", "end", "cast", "music", "script", "of", "in", "to", "with", "but", "so"]
POSITIVE = ["great", "awesome", "good", "fun", "superb", "loved", "moving"]
NEGATIVE = ["bad", "boring", "awful", "dull", "weak", "hated", "slow"]
SEQUENCE_LENGTH = 20
EPOCHS = 3
# Keras 3 on torch logs the validation counts under these names too (the metric's result aliases its variable,
# which the validation pass overwrites); Keras on TensorFlow and kerasport log the training counts.
TRAINING_COUNTS = ("false_negatives", "false_positives")


def _reviews(n, seed):
    rng = np.random.RandomState(seed)
    reviews, labels = [], []
    for i in range(n):
        label = int(rng.rand() < 0.5)
        words = list(rng.choice(NEUTRAL, rng.randint(5, 18)))
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randint(len(words)), rng.choice(POSITIVE if label else NEGATIVE))
        if rng.rand() < 0.3:  # a word of the other side
            words.insert(rng.randint(len(words)), rng.choice(NEGATIVE if label else POSITIVE))
        reviews.append(" ".join(words).capitalize() + rng.choice([".", "!", "..."]))
        labels.append(label)
    return np.array(reviews), np.array(labels)


def active_learning(keras, sync):
    layers, ops = keras.layers, keras.ops
    reviews, labels = _reviews(160, 0)
    val_split, test_split, train_split = 8, 8, 12
    x_positives, y_positives = reviews[labels == 1], labels[labels == 1]
    x_negatives, y_negatives = reviews[labels == 0], labels[labels == 0]

    def split(start, stop):
        return (np.concatenate((x_positives[start:stop], x_negatives[start:stop]), 0),
                np.concatenate((y_positives[start:stop], y_negatives[start:stop]), 0))

    x_val, y_val = split(0, val_split)
    x_test, y_test = split(val_split, val_split + test_split)
    x_train, y_train = split(val_split + test_split, val_split + test_split + train_split)
    start = val_split + test_split + train_split
    x_pool_positives, y_pool_positives = x_positives[start:start + 24], y_positives[start:start + 24]
    x_pool_negatives, y_pool_negatives = x_negatives[start:start + 24], y_negatives[start:start + 24]

    vectorizer = layers.TextVectorization(50, standardize="lower_and_strip_punctuation",
                                          output_sequence_length=SEQUENCE_LENGTH)
    vectorizer.adapt(x_train)

    def vectorize_text(text, label):
        text = ops.convert_to_numpy(vectorizer(text))
        return text, label

    train_dataset = vectorize_text(x_train, y_train)
    pool_negatives = vectorize_text(x_pool_negatives, y_pool_negatives)
    pool_positives = vectorize_text(x_pool_positives, y_pool_positives)
    val_dataset = vectorize_text(x_val, y_val)
    test_dataset = vectorize_text(x_test, y_test)
    folder = tempfile.mkdtemp()
    out = {"vocabulary": vectorizer.get_vocabulary(), "train tokens": train_dataset[0]}

    def append_history(losses, val_losses, accuracy, val_accuracy, history):
        losses = losses + history.history["loss"]
        val_losses = val_losses + history.history["val_loss"]
        accuracy = accuracy + history.history["binary_accuracy"]
        val_accuracy = val_accuracy + history.history["val_binary_accuracy"]
        return losses, val_losses, accuracy, val_accuracy

    def create_model():
        model = keras.models.Sequential(
            [
                layers.Input(shape=(SEQUENCE_LENGTH,)),
                layers.Embedding(input_dim=50, output_dim=8),
                layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
                layers.GlobalMaxPool1D(),
                layers.Dense(8, activation="relu"),
                layers.Dropout(0.0),
                layers.Dense(1, activation="sigmoid"),
            ]
        )
        sync(model)
        return model

    def compile_model(model):
        model.compile(loss="binary_crossentropy", optimizer="rmsprop",
                      metrics=[keras.metrics.BinaryAccuracy(), keras.metrics.FalseNegatives(),
                               keras.metrics.FalsePositives()])

    def concatenate(*datasets):
        return tuple(np.concatenate(parts, 0) for parts in zip(*datasets))

    def train_full_model(full_train_dataset, val_dataset, test_dataset):
        model = create_model()
        compile_model(model)
        path = os.path.join(folder, "FullModelCheckpoint.keras")
        history = model.fit(*full_train_dataset, batch_size=8, epochs=EPOCHS, validation_data=val_dataset,
                            shuffle=False, verbose=0,
                            callbacks=[keras.callbacks.EarlyStopping(patience=4, verbose=0),
                                       keras.callbacks.ModelCheckpoint(path, verbose=0, save_best_only=True)])
        out["full history"] = {key: value for key, value in history.history.items() if key not in TRAINING_COUNTS}
        model = keras.models.load_model(path)
        out["full test"] = model.evaluate(*test_dataset, verbose=0, return_dict=True)
        return model

    full_train_dataset = concatenate(train_dataset, pool_positives, pool_negatives)
    train_full_model(full_train_dataset, val_dataset, test_dataset)

    def train_active_learning_models(train_dataset, pool_negatives, pool_positives, val_dataset, test_dataset,
                                     num_iterations=2, sampling_size=16):
        losses, val_losses, accuracies, val_accuracies = [], [], [], []
        model = create_model()
        compile_model(model)
        path = os.path.join(folder, "AL_Model.keras")
        checkpoint = keras.callbacks.ModelCheckpoint(path, save_best_only=True, verbose=0)
        early_stopping = keras.callbacks.EarlyStopping(patience=4, verbose=0)
        history = model.fit(*train_dataset, batch_size=8, epochs=EPOCHS, validation_data=val_dataset,
                            shuffle=False, verbose=0, callbacks=[checkpoint, early_stopping])
        losses, val_losses, accuracies, val_accuracies = append_history(
            losses, val_losses, accuracies, val_accuracies, history)

        rounds = []
        for iteration in range(num_iterations):
            predictions = model.predict(test_dataset[0], verbose=0)
            rounded = ops.where(ops.greater(predictions, 0.5), 1, 0)
            _, _, false_negatives, false_positives = model.evaluate(*test_dataset, verbose=0)

            if false_negatives != 0 and false_positives != 0:
                total = false_negatives + false_positives
                sample_ratio_ones, sample_ratio_zeros = (false_positives / total, false_negatives / total)
            else:
                sample_ratio_ones, sample_ratio_zeros = 0.5, 0.5

            n_zeros, n_ones = int(sample_ratio_zeros * sampling_size), int(sample_ratio_ones * sampling_size)
            sampled_dataset = concatenate(tuple(part[:n_zeros] for part in pool_negatives),
                                          tuple(part[:n_ones] for part in pool_positives))
            pool_negatives = tuple(part[n_zeros:] for part in pool_negatives)
            pool_positives = tuple(part[n_ones:] for part in pool_positives)
            train_dataset = concatenate(train_dataset, sampled_dataset)
            rounds.append({"rounded": rounded, "false_negatives": false_negatives,
                           "false_positives": false_positives, "train size": len(train_dataset[0])})

            compile_model(model)
            history = model.fit(*train_dataset, batch_size=8, validation_data=val_dataset, epochs=EPOCHS,
                                shuffle=False, verbose=0,
                                callbacks=[checkpoint, keras.callbacks.EarlyStopping(patience=4, verbose=0)])
            losses, val_losses, accuracies, val_accuracies = append_history(
                losses, val_losses, accuracies, val_accuracies, history)
            model = keras.models.load_model(path)

        out.update(rounds=rounds, losses=losses, val_losses=val_losses, accuracies=accuracies,
                   val_accuracies=val_accuracies,
                   active_learning_test=model.evaluate(*test_dataset, verbose=0, return_dict=True))
        return model

    train_active_learning_models(train_dataset, pool_negatives, pool_positives, val_dataset, test_dataset)
    return out


def test_active_learning_review_classification():
    check_torch_program(active_learning, [active_learning])
