"""keras.io example "Character-level text generation with LSTM"
(examples/generative/lstm_character_level_text_generation.py), on a short built-in text.

The corpus cutting into ``maxlen`` windows, the one-hot vectorization, the LSTM / softmax model and
``sample`` with the diversity temperature (greedy-comparable here: argmax of the reweighted
distribution, since the example's multinomial draw is random) are the example's.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

_TEXT = ("the quick brown fox jumps over the lazy dog. a stitch in time saves nine. "
         "all that glitters is not gold. the early bird catches the worm. ") * 2


def program(keras, sync):
    layers = keras.layers
    text = _TEXT.lower().replace("\n", " ")
    chars = sorted(list(set(text)))
    char_indices = dict((c, i) for i, c in enumerate(chars))
    indices_char = dict((i, c) for i, c in enumerate(chars))
    maxlen = 20
    step = 6
    sentences, next_chars = [], []
    for i in range(0, len(text) - maxlen, step):
        sentences.append(text[i: i + maxlen])
        next_chars.append(text[i + maxlen])
    x = np.zeros((len(sentences), maxlen, len(chars)), dtype="bool")
    y = np.zeros((len(sentences), len(chars)), dtype="bool")
    for i, sentence in enumerate(sentences):
        for t, char in enumerate(sentence):
            x[i, t, char_indices[char]] = 1
        y[i, char_indices[next_chars[i]]] = 1

    model = keras.Sequential([keras.Input(shape=(maxlen, len(chars))), layers.LSTM(32),
                              layers.Dense(len(chars), activation="softmax")])
    sync(model)
    optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
    model.compile(loss="categorical_crossentropy", optimizer=optimizer)

    def sample(preds, temperature=1.0):
        preds = np.asarray(preds).astype("float64")
        preds = np.log(preds) / temperature
        exp_preds = np.exp(preds)
        preds = exp_preds / np.sum(exp_preds)
        return int(np.argmax(preds))

    losses, generated_texts = [], []
    for epoch in range(2):
        history = model.fit(x.astype("float32"), y.astype("float32"), batch_size=16, epochs=1, shuffle=False,
                            verbose=0)
        losses.append(history.history["loss"])
        start_index = 3
        for diversity in [0.2, 1.0]:
            generated = ""
            sentence = text[start_index: start_index + maxlen]
            for i in range(10):
                x_pred = np.zeros((1, maxlen, len(chars)), "float32")
                for t, char in enumerate(sentence):
                    x_pred[0, t, char_indices[char]] = 1.0
                preds = model.predict(x_pred, verbose=0)[0]
                next_char = indices_char[sample(preds, diversity)]
                sentence = sentence[1:] + next_char
                generated += next_char
            generated_texts.append(generated)
    return {"losses": losses, "generated": generated_texts}


def test_lstm_character_level_text_generation():
    check_program(program)
