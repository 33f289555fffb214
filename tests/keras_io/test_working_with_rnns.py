"""keras.io guide "Working with RNNs" (guides/working_with_rnns.py), with small synthetic data."""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers, ops = keras.layers, keras.ops
    out = {}
    rng = np.random.RandomState(0)

    model = keras.Sequential()
    model.add(keras.Input(shape=(None,), dtype="int64"))
    model.add(layers.Embedding(input_dim=1000, output_dim=64))
    model.add(layers.LSTM(128))
    model.add(layers.Dense(10))
    sync(model)
    out["lstm_params"] = model.count_params()

    model = keras.Sequential()
    model.add(keras.Input(shape=(None,), dtype="int64"))
    model.add(layers.Embedding(input_dim=1000, output_dim=64))
    model.add(layers.GRU(256, return_sequences=True))
    model.add(layers.SimpleRNN(128))
    model.add(layers.Dense(10))
    sync(model)
    out["gru_out"] = model.predict(rng.randint(0, 1000, (2, 7)), verbose=0)

    encoder_vocab = 1000
    decoder_vocab = 2000
    encoder_input = layers.Input(shape=(None,))
    encoder_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=64)(encoder_input)
    output, state_h, state_c = layers.LSTM(64, return_state=True, name="encoder")(encoder_embedded)
    encoder_state = [state_h, state_c]
    decoder_input = layers.Input(shape=(None,))
    decoder_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=64)(decoder_input)
    decoder_output = layers.LSTM(64, name="decoder")(decoder_embedded, initial_state=encoder_state)
    output = layers.Dense(10)(decoder_output)
    model = keras.Model([encoder_input, decoder_input], output)
    sync(model)
    out["seq2seq"] = model.predict([rng.randint(0, 1000, (3, 5)), rng.randint(0, 2000, (3, 4))], verbose=0)

    paragraph1 = rng.random_sample((20, 10, 50)).astype(np.float32)
    paragraph2 = rng.random_sample((20, 10, 50)).astype(np.float32)
    paragraph3 = rng.random_sample((20, 10, 50)).astype(np.float32)
    lstm_layer = layers.LSTM(64, stateful=True)
    lstm_layer(paragraph1)
    sync(lstm_layer)
    lstm_layer.reset_states()
    lstm_layer(paragraph1)
    lstm_layer(paragraph2)
    out["stateful"] = lstm_layer(paragraph3)
    lstm_layer.reset_states()

    model = keras.Sequential()
    model.add(keras.Input(shape=(5, 10)))
    model.add(layers.Bidirectional(layers.LSTM(64, return_sequences=True)))
    model.add(layers.Bidirectional(layers.LSTM(32)))
    model.add(layers.Dense(10))
    sync(model)
    out["bidirectional_params"] = model.count_params()

    # The MNIST-as-sequences model, trained briefly.
    batch_size = 16
    input_dim = 28
    units = 64
    output_size = 10

    def build_model():
        lstm_layer = keras.layers.LSTM(units, input_shape=(None, input_dim))
        return keras.models.Sequential([lstm_layer, keras.layers.BatchNormalization(),
                                        keras.layers.Dense(output_size)])

    x_train = rng.rand(48, 28, 28).astype("float32")
    y_train = rng.randint(0, 10, 48)
    model = build_model()
    sync(model)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="sgd",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, validation_data=(x_train[:16], y_train[:16]), batch_size=batch_size,
                        epochs=1, shuffle=False, verbose=0)
    out["mnist_rnn"] = {"history": history.history, "predict": model.predict(x_train[:2], verbose=0)}

    return out


def test_working_with_rnns():
    check_program(program)
