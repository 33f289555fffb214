"""An Embedding + LSTM classifier on a sentiment task where word order matters.

The data is synthetic but shaped like short reviews: sentences of 4 to 20 words
drawn from a vocabulary of filler, positive and negative words, where "not"
flips the sentiment of the word after it ("not good" is negative). A bag of
words cannot solve it; a recurrent network reading in order can. Sentences are
padded with 0 at the end and ``mask_zero=True`` lets the LSTM skip the padding.

    KERASPORT_BACKEND=torch python examples/sequence_classifier.py
    KERASPORT_BACKEND=tensorflow python examples/sequence_classifier.py

Set ``KERASPORT_EXAMPLE_FAST=1`` for a short run (used by the tests).
"""
import os

import numpy as np

import kerasport as keras
from kerasport import layers

FAST = os.environ.get("KERASPORT_EXAMPLE_FAST") == "1"
EPOCHS = 2 if FAST else 10
SAMPLES = 1000 if FAST else 3000
MAX_LEN = 20

PAD, NOT = 0, 1
POSITIVE = list(range(2, 12))     # "good", "great", ...
NEGATIVE = list(range(12, 22))    # "bad", "awful", ...
FILLER = list(range(22, 100))     # "the", "movie", "was", ...
VOCAB_SIZE = 100


def make_reviews(n, rng):
    """Token sentences (n, MAX_LEN), 0-padded, and labels: 1 when the negation-aware sentiment is positive."""
    x = np.zeros((n, MAX_LEN), "int32")
    y = np.zeros(n, "float32")
    for i in range(n):
        length = rng.integers(4, MAX_LEN + 1)
        words = list(rng.choice(FILLER, size=length))
        score = 0
        for _ in range(rng.integers(1, 4)):
            positive = rng.random() < 0.5
            negated = rng.random() < 0.4
            at = rng.integers(0, length - 1)
            words[at + 1] = rng.choice(POSITIVE if positive else NEGATIVE)
            if negated:
                words[at] = NOT
            else:
                words[at] = rng.choice(FILLER)
            score += (1 if positive else -1) * (-1 if negated else 1)
        if score == 0:  # a tie: one more plain sentiment word decides
            words[-1] = rng.choice(POSITIVE)
            score = 1
        x[i, :length] = words
        y[i] = score > 0
    return x, y


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_reviews(SAMPLES, rng)
    x_test, y_test = make_reviews(500, rng)

    model = keras.Sequential([
        keras.Input(shape=(MAX_LEN,), dtype="int32"),
        layers.Embedding(VOCAB_SIZE, 32, mask_zero=True),
        layers.LSTM(32),
        layers.Dense(1, activation="sigmoid"),
    ], name="review_lstm")
    model.compile(optimizer=keras.optimizers.Adam(5e-3), loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, batch_size=64, epochs=EPOCHS, validation_split=0.1, verbose=2)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")
    probe = np.zeros((2, MAX_LEN), "int32")
    probe[0, :4] = [30, 40, NOT, POSITIVE[0]]   # "... not good"
    probe[1, :4] = [30, 40, 50, POSITIVE[0]]    # "... good"
    not_good, good = model.predict(probe, verbose=0)[:, 0]
    print(f"P(positive | '... not good') = {not_good:.2f}, P(positive | '... good') = {good:.2f}")


if __name__ == "__main__":
    main()
