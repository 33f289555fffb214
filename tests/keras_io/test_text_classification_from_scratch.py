"""keras.io example "Text classification from scratch" (examples/nlp/text_classification_from_scratch.py).

Synthetic reviews instead of IMDB. The example's ``custom_standardization`` is written with
``tf.strings`` (no string ops on torch), so the default ``"lower_and_strip_punctuation"`` stands in;
the ``TextVectorization`` layer adapted on the text, the 1-D convnet on its indices and the
end-to-end model on raw strings are the example's.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

_WORDS = ["great", "awful", "movie", "plot", "<br />", "Loved", "it", "boring", "fine", "the", "acting", "bad!"]


def program(keras, sync):
    layers, ops = keras.layers, keras.ops
    rng = np.random.RandomState(0)
    texts = np.array([" ".join(rng.choice(_WORDS, rng.randint(3, 12))) for _ in range(40)], dtype=object)
    labels = np.array([("great" in t) or ("Loved" in t) for t in texts], "int64")
    if keras.__name__ != "kerasport":  # Keras takes string tensors, not NumPy string arrays
        texts = ops.convert_to_tensor(texts)

    max_features = 20
    embedding_dim = 8
    sequence_length = 10
    vectorize_layer = keras.layers.TextVectorization(max_tokens=max_features,
                                                     output_mode="int", output_sequence_length=sequence_length)
    vectorize_layer.adapt(texts)

    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    x = layers.Dropout(0.0)(x)  # the example's 0.5: dropout masks are random, so 0 here
    x = layers.Conv1D(16, 3, padding="valid", activation="relu", strides=1)(x)
    x = layers.Conv1D(16, 3, padding="valid", activation="relu", strides=1)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(16, activation="relu")(x)
    x = layers.Dropout(0.0)(x)
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    model = keras.Model(inputs, predictions)
    sync(model)
    # The example's Adam squares the embedding's sparse gradient per token on TF Keras; SGD agrees everywhere.
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  metrics=["accuracy"])
    x_ids = vectorize_layer(texts)
    history = model.fit(x_ids, labels, validation_split=0.25, batch_size=8, epochs=2, shuffle=False, verbose=0)

    inputs = keras.Input(shape=(1,), dtype="string")
    indices = vectorize_layer(inputs)
    outputs = model(indices)
    end_to_end_model = keras.Model(inputs, outputs)
    end_to_end_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return {"history": history.history, "vocabulary": vectorize_layer.get_vocabulary(),
            "evaluate": end_to_end_model.evaluate(texts, labels, verbose=0)}


def test_text_classification_from_scratch():
    check_program(program)
