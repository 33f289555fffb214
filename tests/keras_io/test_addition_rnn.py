"""keras.io example "Sequence to sequence learning for performing number addition" (examples/nlp/addition_rnn.py).

The ``CharacterTable`` one-hot encoding of "a+b" questions and the LSTM encoder / RepeatVector /
LSTM decoder / Dense softmax model are the example's; fewer questions and epochs.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers = keras.layers
    TRAINING_SIZE = 60
    DIGITS = 2
    REVERSE = True
    MAXLEN = DIGITS + 1 + DIGITS

    class CharacterTable:
        def __init__(self, chars):
            self.chars = sorted(set(chars))
            self.char_indices = dict((c, i) for i, c in enumerate(self.chars))
            self.indices_char = dict((i, c) for i, c in enumerate(self.chars))

        def encode(self, C, num_rows):
            x = np.zeros((num_rows, len(self.chars)))
            for i, c in enumerate(C):
                x[i, self.char_indices[c]] = 1
            return x

        def decode(self, x, calc_argmax=True):
            if calc_argmax:
                x = x.argmax(axis=-1)
            return "".join(self.indices_char[x] for x in x)

    chars = "0123456789+ "
    ctable = CharacterTable(chars)
    questions, expected, seen = [], [], set()
    rng = np.random.RandomState(0)
    while len(questions) < TRAINING_SIZE:
        f = lambda: int("".join(rng.choice(list("0123456789")) for i in range(rng.randint(1, DIGITS + 1))))  # noqa
        a, b = f(), f()
        key = tuple(sorted((a, b)))
        if key in seen:
            continue
        seen.add(key)
        q = "{}+{}".format(a, b)
        query = q + " " * (MAXLEN - len(q))
        ans = str(a + b)
        ans += " " * (DIGITS + 1 - len(ans))
        if REVERSE:
            query = query[::-1]
        questions.append(query)
        expected.append(ans)

    x = np.zeros((len(questions), MAXLEN, len(chars)), dtype=bool)
    y = np.zeros((len(questions), DIGITS + 1, len(chars)), dtype=bool)
    for i, sentence in enumerate(questions):
        x[i] = ctable.encode(sentence, MAXLEN)
    for i, sentence in enumerate(expected):
        y[i] = ctable.encode(sentence, DIGITS + 1)
    split_at = len(x) - len(x) // 10
    (x_train, x_val) = x[:split_at], x[split_at:]
    (y_train, y_val) = y[:split_at], y[split_at:]

    num_layers = 1
    model = keras.Sequential()
    model.add(layers.Input((MAXLEN, len(chars))))
    model.add(layers.LSTM(32))
    model.add(layers.RepeatVector(DIGITS + 1))
    for _ in range(num_layers):
        model.add(layers.LSTM(32, return_sequences=True))
    model.add(layers.Dense(len(chars), activation="softmax"))
    sync(model)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x_train.astype("float32"), y_train.astype("float32"), batch_size=16, epochs=2,
                        validation_data=(x_val.astype("float32"), y_val.astype("float32")), shuffle=False, verbose=0)
    preds = np.argmax(model.predict(x_val[:3].astype("float32"), verbose=0), axis=-1)
    guesses = [ctable.decode(pred, calc_argmax=False) for pred in preds]
    return {"history": history.history, "guesses": guesses}


def test_addition_rnn():
    check_program(program)
