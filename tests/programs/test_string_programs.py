"""String inputs inside compiled models give Keras 3's numbers: ``Input(dtype="string")`` into
``Hashing``, ``StringLookup`` and ``TextVectorization``, then a classifier that trains and predicts.

On TensorFlow these layers run inside the traced train, test and predict steps (their graph path,
with ``tf.string`` kernels); the bins, indices and histories must equal Keras's.
"""
import numpy as np
import pytest

from tests.programs.test_keras_programs import check_program, program_id

_WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "far", "away", "and", "Sun", "rose", "A", "bird"]


def _strings(keras, array):
    """Keras's array adapter refuses NumPy string arrays and takes a ``tf.string`` tensor; kerasport
    takes the NumPy array on both backends (torch has no string tensor)."""
    return array if keras.__name__ == "kerasport" else keras.ops.convert_to_tensor(array)


def _texts(n=24, seed=0):
    rng = np.random.RandomState(seed)
    texts = []
    for _ in range(n):
        words = list(rng.choice(_WORDS, rng.randint(1, 8)))
        texts.append(" ".join(words) + rng.choice(["", ".", "!", ", ok?"]))
    y = np.array([("cat" in t) or ("dog" in t) for t in texts], "float32")
    return np.array(texts, dtype=object), y


def hashing_strings_in_compiled_model(keras, sync):
    rng = np.random.RandomState(1)
    x = rng.choice(["red", "green", "blue", "cyan", "magenta", "black"], size=(24, 1)).astype(object)
    y = np.isin(x[:, 0], ["red", "blue"]).astype("float32")
    x = _strings(keras, x)
    inputs = keras.Input((1,), dtype="string")
    bins = keras.layers.Hashing(num_bins=7, mask_value="black")(inputs)
    salted = keras.layers.Hashing(num_bins=5, salt=[3, 11], output_mode="one_hot")(inputs)
    h = keras.layers.Concatenate()([keras.layers.CategoryEncoding(7, output_mode="one_hot")(bins), salted])
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
    sync(model)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    bin_model = keras.Model(inputs, bins)
    return {"history": history.history, "evaluate": model.evaluate(x, y, batch_size=5, verbose=0),
            "predict": model.predict(x, batch_size=7, verbose=0), "bins": bin_model.predict(x, verbose=0)}


def hashing_integers_in_compiled_model(keras, sync):
    rng = np.random.RandomState(121)
    ids = rng.choice([3, 7, 11, 19, 42], size=(20, 1)).astype("int64")
    y = (ids[:, 0] > 10).astype("float32")
    id_in = keras.Input((1,), dtype="int64")
    h = keras.layers.CategoryEncoding(num_tokens=5, output_mode="one_hot")(keras.layers.Hashing(num_bins=5)(id_in))
    model = keras.Model(id_in, keras.layers.Dense(1, activation="sigmoid")(h))
    sync(model)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    return {"history": model.fit(ids, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history,
            "predict": model.predict(ids, verbose=0)}


def string_lookup_embedding_classifier(keras, sync):
    rng = np.random.RandomState(2)
    x = rng.choice(["a", "b", "c", "d", "zz", "", "unseen"], size=(30, 3)).astype(object)
    y = (x == "a").sum(1).astype("int64") % 2
    x = _strings(keras, x)
    lookup = keras.layers.StringLookup(vocabulary=["a", "b", "c", "d", "zz"], mask_token="", num_oov_indices=2)
    inputs = keras.Input((3,), dtype="string")
    ids = lookup(inputs)
    h = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(lookup.vocabulary_size(), 4)(ids))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(h))
    sync(model)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x, y, verbose=0),
            "predict": model.predict(x[:5], verbose=0), "ids": keras.Model(inputs, ids).predict(x, verbose=0)}


def string_lookup_multi_hot_adapted(keras, sync):
    rng = np.random.RandomState(3)
    x = rng.choice(["x", "y", "z", "w", "q"], size=(28, 2)).astype(object)
    y = (x[:, 0] == "x").astype("float32")
    x = _strings(keras, x)
    lookup = keras.layers.StringLookup(output_mode="multi_hot")
    lookup.adapt(x[:20])
    inputs = keras.Input((2,), dtype="string")
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(lookup(inputs)))
    sync(model)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=7, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "predict": model.predict(x, verbose=0),
            "vocabulary": lookup.get_vocabulary()}


def text_vectorization_int_embedding(keras, sync):
    texts, y = _texts(24, seed=4)
    texts = _strings(keras, texts)
    vectorize = keras.layers.TextVectorization(max_tokens=12, output_sequence_length=6)
    vectorize.adapt(texts[:16])
    inputs = keras.Input((1,), dtype="string")
    ids = vectorize(inputs)
    h = keras.layers.Embedding(12, 5, mask_zero=True)(ids)
    h = keras.layers.GlobalAveragePooling1D()(h)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
    sync(model)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(texts, y, batch_size=6, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(texts, y, verbose=0),
            "predict": model.predict(texts[:5], verbose=0), "ids": keras.Model(inputs, ids).predict(texts, verbose=0),
            "vocabulary": vectorize.get_vocabulary()}


def text_vectorization_ngrams_tf_idf(keras, sync):
    texts, y = _texts(20, seed=5)
    texts = _strings(keras, texts)
    vectorize = keras.layers.TextVectorization(max_tokens=30, ngrams=2, output_mode="tf_idf")
    vectorize.adapt(texts)
    inputs = keras.Input((), dtype="string")
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(vectorize(inputs)))
    sync(model)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    history = model.fit(texts, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "predict": model.predict(texts, verbose=0)}


def text_vectorization_count_characters(keras, sync):
    texts, y = _texts(20, seed=6)
    texts = _strings(keras, texts)
    vectorize = keras.layers.TextVectorization(standardize="lower", split="character", output_mode="count",
                                               max_tokens=20)
    vectorize.adapt(texts)
    inputs = keras.Input((1,), dtype="string")
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(vectorize(inputs)))
    sync(model)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(texts[:, None], y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "predict": model.predict(texts[:6, None], verbose=0)}


def text_vectorization_longest_row_conv(keras, sync):
    texts, y = _texts(18, seed=7)
    texts = _strings(keras, texts)
    vectorize = keras.layers.TextVectorization(standardize="strip_punctuation", max_tokens=16,
                                               output_sequence_length=8)
    vectorize.adapt(texts)
    model = keras.Sequential([keras.Input((1,), dtype="string"), vectorize, keras.layers.Embedding(16, 4),
                              keras.layers.Conv1D(3, 2, activation="relu"), keras.layers.GlobalMaxPooling1D(),
                              keras.layers.Dense(1, activation="sigmoid")])
    sync(model)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(texts, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(texts, y, verbose=0)}


PROGRAMS = [hashing_strings_in_compiled_model, hashing_integers_in_compiled_model, string_lookup_embedding_classifier,
            string_lookup_multi_hot_adapted, text_vectorization_int_embedding, text_vectorization_ngrams_tf_idf,
            text_vectorization_count_characters, text_vectorization_longest_row_conv]


@pytest.mark.parametrize("program", PROGRAMS, ids=program_id)
def test_string_program_gives_keras_numbers(program):
    check_program(program)
