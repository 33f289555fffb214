"""keras.io example "Timeseries anomaly detection using an Autoencoder" (examples/timeseries/timeseries_anomaly_detection.py).

A synthetic daily-periodic series instead of NAB; normalization, ``create_sequences``, the
Conv1D / Conv1DTranspose autoencoder (dropout 0: random masks), the MAE threshold and the anomaly
indices are the example's.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)
    t = np.arange(400)
    train = (np.sin(2 * np.pi * t / 24) + 0.05 * rng.randn(400)).astype("float32")[:, None]
    test = train.copy()
    test[200:210] += 3.0
    training_mean = train.mean()
    training_std = train.std()
    df_training_value = (train - training_mean) / training_std
    TIME_STEPS = 24

    def create_sequences(values, time_steps=TIME_STEPS):
        output = []
        for i in range(len(values) - time_steps + 1):
            output.append(values[i: (i + time_steps)])
        return np.stack(output)

    x_train = create_sequences(df_training_value)
    model = keras.Sequential([
        layers.Input(shape=(x_train.shape[1], x_train.shape[2])),
        layers.Conv1D(filters=8, kernel_size=7, padding="same", strides=2, activation="relu"),
        layers.Dropout(rate=0.0),
        layers.Conv1D(filters=4, kernel_size=7, padding="same", strides=2, activation="relu"),
        layers.Conv1DTranspose(filters=4, kernel_size=7, padding="same", strides=2, activation="relu"),
        layers.Dropout(rate=0.0),
        layers.Conv1DTranspose(filters=8, kernel_size=7, padding="same", strides=2, activation="relu"),
        layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
    ])
    sync(model)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    history = model.fit(x_train, x_train, epochs=2, batch_size=64, validation_split=0.1, shuffle=False,
                        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")],
                        verbose=0)
    x_train_pred = model.predict(x_train, verbose=0)
    train_mae_loss = np.mean(np.abs(x_train_pred - x_train), axis=1)
    threshold = np.max(train_mae_loss)
    df_test_value = (test - training_mean) / training_std
    x_test = create_sequences(df_test_value)
    x_test_pred = model.predict(x_test, verbose=0)
    test_mae_loss = np.mean(np.abs(x_test_pred - x_test), axis=1).reshape((-1))
    anomalies = test_mae_loss > threshold
    return {"history": history.history, "threshold": threshold, "n_anomalies": int(np.sum(anomalies)),
            "anomalies": np.where(anomalies)[0]}


def test_timeseries_anomaly_detection():
    check_program(program)
