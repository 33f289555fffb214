"""keras.io example "Bidirectional LSTM on IMDB" (examples/nlp/bidirectional_lstm_imdb.py), on synthetic reviews."""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers = keras.layers
    max_features = 200
    maxlen = 20
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(max_features, 16)(inputs)
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(8))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    sync(model)
    rng = np.random.RandomState(0)
    x_train = [list(rng.randint(1, max_features, rng.randint(5, 30))) for _ in range(32)]
    y_train = rng.randint(0, 2, 32)
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
    x_val, y_val = x_train[:8], y_train[:8]
    # The example's Adam squares the embedding's sparse gradient per token on TF Keras; SGD agrees everywhere.
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=8, epochs=2, validation_data=(x_val, y_val), shuffle=False,
                        verbose=0)
    return {"history": history.history, "params": model.count_params()}


def test_bidirectional_lstm_imdb():
    check_program(program)
