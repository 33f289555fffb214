"""keras.io example "Timeseries forecasting for weather prediction" (examples/timeseries/timeseries_weather_forecasting.py).

A synthetic 7-feature series instead of the Jena climate data: normalization by the training
split, ``timeseries_dataset_from_array`` windows, and the LSTM regressor, shrunk.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    rng = np.random.RandomState(0)
    t = np.arange(400, dtype="float32")
    features = np.stack([np.sin(t / (5 + i)) + 0.1 * rng.randn(400) for i in range(7)], axis=1).astype("float32")
    split_fraction = 0.715
    train_split = int(split_fraction * int(features.shape[0]))
    step = 6
    past = 36
    future = 12
    batch_size = 32
    epochs = 2

    def normalize(data, train_split):
        data_mean = data[:train_split].mean(axis=0)
        data_std = data[:train_split].std(axis=0)
        return (data - data_mean) / data_std

    features = normalize(features, train_split)
    train_data = features[0:train_split - 1]
    val_data = features[train_split:]
    start = past + future
    end = start + train_split
    x_train = train_data[:, :7]
    y_train = features[start:end][:, 1]
    sequence_length = int(past / step)
    dataset_train = keras.utils.timeseries_dataset_from_array(x_train, y_train, sequence_length=sequence_length,
                                                              sampling_rate=step, batch_size=batch_size)
    x_end = len(val_data) - past - future
    label_start = train_split + past + future
    x_val = val_data.iloc[:x_end][[i for i in range(7)]].values if hasattr(val_data, "iloc") else val_data[:x_end]
    y_val = features[label_start:][:, 1]
    dataset_val = keras.utils.timeseries_dataset_from_array(x_val, y_val, sequence_length=sequence_length,
                                                            sampling_rate=step, batch_size=batch_size)
    for batch in dataset_train.take(1) if hasattr(dataset_train, "take") else [next(iter(dataset_train))]:
        inputs, targets = batch

    inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
    lstm_out = keras.layers.LSTM(32)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)
    model = keras.Model(inputs=inputs, outputs=outputs)
    sync(model)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    history = model.fit(dataset_train, epochs=epochs, validation_data=dataset_val, verbose=0)
    x, y = next(iter(dataset_val))
    return {"history": history.history, "input_shape": tuple(inputs.shape), "predict": model.predict(x, verbose=0)}


def test_timeseries_weather_forecasting():
    check_program(program)
