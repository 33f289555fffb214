"""keras.io example "Timeseries classification from scratch" (examples/timeseries/timeseries_classification_from_scratch.py).

Synthetic univariate series instead of FordA; the fully convolutional network, its callbacks
(ModelCheckpoint left out: no files) and training loop are the example's, shrunk.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    rng = np.random.RandomState(1)  # (with seed 0 one validation series sits on the decision boundary: losses agree, its class flips)
    x_train = rng.randn(48, 50).astype("float32")
    y_train = (x_train[:, :25].mean(1) > 0).astype("int64") * 2 - 1
    x_test, y_test = x_train[:16], y_train[:16]
    x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
    x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))
    num_classes = len(np.unique(y_train))
    y_train[y_train == -1] = 0
    y_test[y_test == -1] = 0

    def make_model(input_shape):
        input_layer = keras.layers.Input(input_shape)
        conv1 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(input_layer)
        conv1 = keras.layers.BatchNormalization()(conv1)
        conv1 = keras.layers.ReLU()(conv1)
        conv2 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(conv1)
        conv2 = keras.layers.BatchNormalization()(conv2)
        conv2 = keras.layers.ReLU()(conv2)
        conv3 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(conv2)
        conv3 = keras.layers.BatchNormalization()(conv3)
        conv3 = keras.layers.ReLU()(conv3)
        gap = keras.layers.GlobalAveragePooling1D()(conv3)
        output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)
        return keras.models.Model(inputs=input_layer, outputs=output_layer)

    model = make_model(input_shape=x_train.shape[1:])
    sync(model)
    epochs = 3
    batch_size = 16
    callbacks = [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.0001),
                 keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=0)]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, callbacks=callbacks,
                        validation_split=0.25, shuffle=False, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    return {"history": history.history, "test_loss": test_loss, "test_acc": test_acc}


def test_timeseries_classification_from_scratch():
    check_program(program)
