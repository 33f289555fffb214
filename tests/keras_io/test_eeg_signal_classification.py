"""keras.io example "Electroencephalogram Signal Classification for action identification"
(examples/timeseries/eeg_signal_classification.py). TensorFlow only (its pipeline is ``tf.data``).

The example as written: one-hot labels from ``keras.utils.to_categorical``, ``tf.data`` datasets, ``class_weight``
of ``1 - count / total`` keyed by class (with one-hot targets), a Conv1D / BatchNormalization stack with ``L2()``
kernel regularizers on the dense head, ``ModelCheckpoint("best_model.h5", save_best_only=True, monitor="loss")``
(a legacy HDF5 file), ``ReduceLROnPlateau(monitor="val_top_k_categorical_accuracy", ...)``, ``Adam(amsgrad=True)``,
``CategoricalCrossentropy`` with ``TopKCategoricalAccuracy(k=3)``, ``AUC()``, ``Precision()`` and ``Recall()``,
``evaluate`` unpacked into five numbers, and ``predict`` on a one-element list holding the batch
(``view_evaluated_eeg_plots``). Added: the best checkpoint loaded back and evaluated.

Changed: the EEG CSV (a download, read with pandas; scikit-learn's ``LabelEncoder`` / ``MinMaxScaler``) becomes
60 random series of 64 steps in 5 classes, min-max scaled with NumPy; widths divided by 16 to 64; ``Dropout(0.2)``
-> ``Dropout(0.0)`` (dropout masks are random); no shuffling; batch 16, 3 epochs.
"""
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

NUM_CLASSES, STEPS = 5, 64


def eeg(keras, sync):
    import tensorflow as tf
    layers = keras.layers
    rng = np.random.RandomState(0)
    labels_list = rng.randint(0, NUM_CLASSES, 60)
    series = rng.normal(size=(60, STEPS)) + labels_list[:, None] * np.sin(np.arange(STEPS) / 4.0)
    series_list = (series - series.min(1, keepdims=True)) / np.ptp(series, axis=1, keepdims=True)
    x_train, x_test = series_list[:48], series_list[48:]
    y_train, y_test = labels_list[:48], labels_list[48:]
    x_train = np.asarray(x_train).astype(np.float32).reshape(-1, STEPS, 1)
    y_train = keras.utils.to_categorical(np.asarray(y_train).astype(np.float32).reshape(-1, 1))
    x_test = np.asarray(x_test).astype(np.float32).reshape(-1, STEPS, 1)
    y_test = keras.utils.to_categorical(np.asarray(y_test).astype(np.float32).reshape(-1, 1), NUM_CLASSES)
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(16)
    test_dataset = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(16)

    vals_dict = {}
    for i in labels_list:
        vals_dict[int(i)] = vals_dict.get(int(i), 0) + 1
    total = sum(vals_dict.values())
    weight_dict = {k: (1 - (v / total)) for k, v in vals_dict.items()}

    def create_model():
        input_layer = keras.Input(shape=(STEPS, 1))
        x = input_layer
        for filters, kernel_size in ((2, 3), (4, 3), (8, 5), (16, 5), (32, 7), (64, 7)):
            x = layers.Conv1D(filters=filters, kernel_size=kernel_size, strides=2, activation="relu",
                              padding="same")(x)
            x = layers.BatchNormalization()(x)
        x = layers.Dropout(0.0)(x)
        x = layers.Flatten()(x)
        x = layers.Dense(64, activation="relu")(x)
        x = layers.Dropout(0.0)(x)
        x = layers.Dense(32, activation="relu", kernel_regularizer=keras.regularizers.L2())(x)
        x = layers.Dropout(0.0)(x)
        x = layers.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.L2())(x)
        x = layers.Dropout(0.0)(x)
        x = layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2())(x)
        output_layer = layers.Dense(NUM_CLASSES, activation="softmax")(x)
        return keras.Model(inputs=input_layer, outputs=output_layer)

    conv_model = create_model()
    sync(conv_model)
    folder = tempfile.mkdtemp()
    callbacks = [
        keras.callbacks.ModelCheckpoint(os.path.join(folder, "best_model.h5"), save_best_only=True, monitor="loss"),
        keras.callbacks.ReduceLROnPlateau(monitor="val_top_k_categorical_accuracy", factor=0.2, patience=2,
                                          min_lr=0.000001),
    ]
    optimizer = keras.optimizers.Adam(amsgrad=True, learning_rate=0.001)
    loss = keras.losses.CategoricalCrossentropy()
    conv_model.compile(optimizer=optimizer, loss=loss,
                       metrics=[keras.metrics.TopKCategoricalAccuracy(k=3), keras.metrics.AUC(),
                                keras.metrics.Precision(), keras.metrics.Recall()])
    conv_model_history = conv_model.fit(train_dataset, epochs=3, callbacks=callbacks, validation_data=test_dataset,
                                        class_weight=weight_dict, verbose=0)
    loss, accuracy, auc, precision, recall = conv_model.evaluate(test_dataset, verbose=0)
    data_array = [np.asarray(series_list[:12]).astype(np.float32).reshape(-1, STEPS, 1)]
    predicted_labels = np.argmax(conv_model.predict(data_array, verbose=0), axis=1)
    best = keras.saving.load_model(os.path.join(folder, "best_model.h5"), compile=False)
    return {"history": conv_model_history.history, "evaluate": [loss, accuracy, auc, precision, recall],
            "predicted": predicted_labels, "best": best.predict(x_test, verbose=0),
            "lr": keras.ops.convert_to_numpy(conv_model.optimizer.learning_rate)}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's pipeline is tf.data: TensorFlow only")
def test_eeg_signal_classification():
    check_program(eeg)
