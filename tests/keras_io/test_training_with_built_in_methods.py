"""keras.io guide "Training & evaluation with the built-in methods" (guides/training_with_built_in_methods.py).

Small synthetic MNIST-shaped data: the uncompiled/compiled model helpers, fit with validation data,
evaluate and predict, a custom loss function and a custom loss class, a custom metric
(``CategoricalTruePositives``), ``add_loss`` in a layer, ``validation_split``, class and sample
weights, and the EarlyStopping callback, as in the guide.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers, ops = keras.layers, keras.ops
    out = {}
    rng = np.random.RandomState(0)
    x_train = rng.rand(80, 784).astype("float32")
    y_train = rng.randint(0, 10, 80).astype("float32")
    x_test, y_test = x_train[:20], y_train[:20]
    x_val, y_val = x_train[-20:], y_train[-20:]
    x_train, y_train = x_train[:-20], y_train[:-20]

    def get_uncompiled_model():
        inputs = keras.Input(shape=(784,), name="digits")
        x = layers.Dense(16, activation="relu", name="dense_1")(inputs)
        x = layers.Dense(16, activation="relu", name="dense_2")(x)
        outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
        model = keras.Model(inputs=inputs, outputs=outputs)
        sync(model)
        return model

    def get_compiled_model():
        model = get_uncompiled_model()
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                      metrics=["sparse_categorical_accuracy"])
        return model

    model = get_compiled_model()
    history = model.fit(x_train, y_train, batch_size=16, epochs=2, validation_data=(x_val, y_val), shuffle=False,
                        verbose=0)
    out["fit"] = history.history
    out["evaluate"] = model.evaluate(x_test, y_test, batch_size=32, verbose=0)
    out["predict_shape"] = model.predict(x_test[:3], verbose=0).shape

    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)
    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    out["custom_fn"] = model.fit(x_train, y_train_one_hot, batch_size=16, epochs=1, shuffle=False,
                                 verbose=0).history

    class CustomMSE(keras.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
            reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor

    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())
    out["custom_class"] = model.fit(x_train, y_train_one_hot, batch_size=16, epochs=1, shuffle=False,
                                    verbose=0).history

    class CategoricalTruePositives(keras.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives

        def reset_state(self):
            self.true_positives.assign(0.0)

    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(), metrics=[CategoricalTruePositives()])
    out["custom_metric"] = model.fit(x_train, y_train[:, None], batch_size=16, epochs=2, shuffle=False,
                                     verbose=0).history

    class ActivityRegularizationLayer(layers.Layer):
        def call(self, inputs):
            self.add_loss(ops.sum(inputs) * 0.1)
            return inputs

    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(16, activation="relu", name="dense_1")(inputs)
    x = ActivityRegularizationLayer()(x)
    x = layers.Dense(16, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    sync(model)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    out["add_loss"] = model.fit(x_train, y_train, batch_size=16, epochs=1, shuffle=False, verbose=0).history

    model = get_compiled_model()
    out["validation_split"] = model.fit(x_train, y_train, batch_size=16, validation_split=0.2, epochs=1,
                                        shuffle=False, verbose=0).history

    class_weight = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 2.0, 6: 1.0, 7: 1.0, 8: 1.0, 9: 1.0}
    model = get_compiled_model()
    out["class_weight"] = model.fit(x_train, y_train, class_weight=class_weight, batch_size=16, epochs=1,
                                    shuffle=False, verbose=0).history
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0
    model = get_compiled_model()
    out["sample_weight"] = model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=16, epochs=1,
                                     shuffle=False, verbose=0).history

    model = get_compiled_model()
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=0)]
    history = model.fit(x_train, y_train, epochs=6, batch_size=16, callbacks=callbacks, validation_split=0.2,
                        shuffle=False, verbose=0)
    out["early_stopping"] = {"history": history.history, "epochs": history.epoch}
    return out


def test_training_with_built_in_methods():
    check_program(program)
