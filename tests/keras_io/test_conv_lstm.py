"""keras.io example "Next-Frame Video Prediction with Convolutional LSTMs" (examples/vision/conv_lstm.py).

Small synthetic moving-dot frames instead of Moving MNIST; ``create_shifted_frames`` and the
ConvLSTM2D / BatchNormalization / Conv3D model are the example's, shrunk.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)
    dataset = np.zeros((8, 5, 12, 12), "float32")
    for i in range(8):
        r, c = rng.randint(0, 12, 2)
        for t in range(5):
            dataset[i, t, r, (c + t) % 12] = 1.0
    dataset = np.expand_dims(dataset, axis=-1)
    indexes = np.arange(dataset.shape[0])
    train_index = indexes[: int(0.75 * dataset.shape[0])]
    val_index = indexes[int(0.75 * dataset.shape[0]):]
    train_dataset = dataset[train_index]
    val_dataset = dataset[val_index]

    def create_shifted_frames(data):
        x = data[:, 0: data.shape[1] - 1, :, :]
        y = data[:, 1: data.shape[1], :, :]
        return x, y

    x_train, y_train = create_shifted_frames(train_dataset)
    x_val, y_val = create_shifted_frames(val_dataset)
    inp = layers.Input(shape=(None, *x_train.shape[2:]))
    x = layers.ConvLSTM2D(filters=4, kernel_size=(5, 5), padding="same", return_sequences=True,
                          activation="relu")(inp)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(filters=4, kernel_size=(3, 3), padding="same", return_sequences=True,
                          activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(filters=4, kernel_size=(1, 1), padding="same", return_sequences=True,
                          activation="relu")(x)
    x = layers.Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same")(x)
    model = keras.models.Model(inp, x)
    sync(model)
    model.compile(loss=keras.losses.binary_crossentropy, optimizer=keras.optimizers.Adam())
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)
    reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=5)
    history = model.fit(x_train, y_train, batch_size=3, epochs=2, validation_data=(x_val, y_val),
                        callbacks=[early_stopping, reduce_lr], shuffle=False, verbose=0)
    frames = val_dataset[0][:3]
    new_prediction = model.predict(np.expand_dims(frames, axis=0), verbose=0)
    return {"history": history.history, "prediction": new_prediction}


def test_conv_lstm():
    check_program(program)
