"""keras.io guide "Packaging Keras models for wide distribution using Functional Subclassing"
(examples/keras_recipes/packaging_keras_models_for_wide_distribution.py).

The guide's ``MnistModel`` (a ``keras.Model`` subclass whose ``__init__`` builds a functional graph on a ``uint8``
``Input(shape=(None, None, 1))``: ``Rescaling``, three ``Conv2D``, ``GlobalAveragePooling2D``, ``Dense`` head named
``classification_head``), trained with ``steps_per_epoch`` and ``validation_data``, called on another image size,
summarised and walked with the guide's ``walk_layers`` (``hasattr(layer, "layers")``), the model surgery that cuts
before ``get_layer("classification_head").input`` and trains a new binary head on ``uint8`` 0/1 labels, and
``MnistDictModel`` with a dict input. Shrunk: 48 random 16x16 ``uint8`` images instead of MNIST, batches of 16,
1 epoch each. Changed: ``Dropout(0.4)`` has rate 0 (dropout masks are random) and the ``tf.data`` pipeline has no
``shuffle`` (the two libraries shuffle differently). The ``tf.data`` pipeline (``map`` with ``tf.expand_dims``,
``batch``, ``cache``, ``repeat``, the binary labels by ``tf.math.equal``) runs under TensorFlow only; under both
backends the same steps run on Python generators and arrays. What it fixed: a plain layer had a ``layers``
attribute (Keras's ``Layer`` has none, only models do), so ``walk_layers`` listed no layer at all.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

TF = kerasport.backend.backend() == "tensorflow"
BATCH_SIZE = 16


def _models(keras):
    class MnistModel(keras.Model):
        def __init__(self, **kwargs):
            inputs = keras.layers.Input(shape=(None, None, 1), dtype="uint8")
            y = keras.layers.Rescaling(1 / 255.0)(inputs)
            y = keras.layers.Conv2D(filters=16, kernel_size=3, padding="same", activation="relu")(y)
            y = keras.layers.Conv2D(filters=32, kernel_size=6, padding="same", activation="relu", strides=2)(y)
            y = keras.layers.Conv2D(filters=48, kernel_size=6, padding="same", activation="relu", strides=2)(y)
            y = keras.layers.GlobalAveragePooling2D()(y)
            y = keras.layers.Dense(48, activation="relu")(y)
            y = keras.layers.Dropout(0.0)(y)
            outputs = keras.layers.Dense(10, activation="softmax", name="classification_head")(y)
            super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    class MnistDictModel(keras.Model):
        def __init__(self, **kwargs):
            inputs = {"image": keras.layers.Input(shape=(None, None, 1), dtype="uint8", name="image")}
            y = keras.layers.Rescaling(1 / 255.0)(inputs["image"])
            y = keras.layers.Conv2D(filters=16, kernel_size=3, padding="same", activation="relu")(y)
            y = keras.layers.Conv2D(filters=32, kernel_size=6, padding="same", activation="relu", strides=2)(y)
            y = keras.layers.Conv2D(filters=48, kernel_size=6, padding="same", activation="relu", strides=2)(y)
            y = keras.layers.GlobalAveragePooling2D()(y)
            y = keras.layers.Dense(48, activation="relu")(y)
            y = keras.layers.Dropout(0.0)(y)
            outputs = keras.layers.Dense(10, activation="softmax", name="classification_head")(y)
            super().__init__(inputs=inputs, outputs=outputs, **kwargs)
    return MnistModel, MnistDictModel


def _data():
    rng = np.random.RandomState(0)
    x = rng.randint(0, 256, (48, 16, 16)).astype("uint8")
    y = rng.randint(0, 10, (48,)).astype("uint8")
    return x[:32], y[:32], x[32:], y[32:]


def _walk(layer, names):
    if hasattr(layer, "layers"):
        for layer in layer.layers:
            _walk(layer, names)
    else:
        names.append(layer.name)
    return names


def _program(keras, sync, datasets):
    MnistModel, MnistDictModel = _models(keras)
    out = {}
    train_data, test_data, bin_train, bin_test, dict_train, dict_test, steps = datasets
    model = MnistModel()
    sync(model)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    out["h1"] = model.fit(train_data, steps_per_epoch=steps, epochs=1, validation_data=test_data, verbose=0).history
    out["other_size"] = model.predict(np.full((2, 20, 12, 1), 100, "uint8"), verbose=0)
    model = MnistModel()
    sync(model)
    model.summary()
    out["walk"] = len(_walk(model, []))
    model = MnistModel()
    sync(model)
    input = model.input
    y = model.get_layer("classification_head").input
    output = keras.layers.Dense(1, activation="sigmoid", name="binary_classification_head")(y)
    binary_model = keras.Model(input, output)
    sync(binary_model)
    binary_model.summary()
    out["bin_params"] = binary_model.count_params()
    out["bin_layers"] = [l.name for l in binary_model.layers][1:]
    binary_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["binary_accuracy"])
    out["h2"] = binary_model.fit(bin_train, steps_per_epoch=steps, epochs=1, validation_data=bin_test,
                                 verbose=0).history
    model = MnistDictModel()
    sync(model)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    out["h3"] = model.fit(dict_train, steps_per_epoch=steps, epochs=1, validation_data=dict_test, verbose=0).history
    return out


def packaging_tf_data(keras, sync):
    import tensorflow as tf
    x_train, train_labels, x_test, test_labels = _data()
    train_data = tf.data.Dataset.from_tensor_slices((x_train, train_labels))
    train_data = train_data.map(lambda x, y: (tf.expand_dims(x, axis=-1), y))
    train_data = train_data.batch(BATCH_SIZE)
    train_data = train_data.cache()
    train_data = train_data.repeat()
    test_data = tf.data.Dataset.from_tensor_slices((x_test, test_labels))
    test_data = test_data.map(lambda x, y: (tf.expand_dims(x, axis=-1), y))
    test_data = test_data.batch(10000)
    test_data = test_data.cache()
    steps = len(train_labels) // BATCH_SIZE
    bin_train_data = train_data.map(lambda x, y: (x, tf.cast(tf.math.equal(y, tf.zeros_like(y)), dtype=tf.uint8)))
    bin_test_data = test_data.map(lambda x, y: (x, tf.cast(tf.math.equal(y, tf.zeros_like(y)), dtype=tf.uint8)))
    dict_train_data = train_data.map(lambda x, y: ({"image": x}, y))
    dict_test_data = test_data.map(lambda x, y: ({"image": x}, y))
    return _program(keras, sync, (train_data, test_data, bin_train_data, bin_test_data, dict_train_data,
                                  dict_test_data, steps))


def packaging_arrays(keras, sync):
    x_train, y_train, x_test, y_test = _data()
    x_train, x_test = x_train[..., None], x_test[..., None]

    def gen(x, y):
        while True:
            for i in range(0, len(x), BATCH_SIZE):
                yield x[i:i + BATCH_SIZE], y[i:i + BATCH_SIZE]
    def b(y):
        return (y == 0).astype("uint8")

    def dgen(x, y):
        for a, c in gen(x, y):
            yield {"image": a}, c
    return _program(keras, sync, (gen(x_train, y_train), (x_test, y_test), gen(x_train, b(y_train)),
                                  (x_test, b(y_test)), dgen(x_train, y_train), ({"image": x_test}, y_test), 2))


@pytest.mark.skipif(not TF, reason="the guide's tf.data pipeline (TensorFlow ops) runs under TensorFlow only")
def test_packaging_keras_models_with_tf_data():
    check_program(packaging_tf_data)


def test_packaging_keras_models_with_generators():
    check_program(packaging_arrays)
