"""keras.io example "Evaluating and exporting scikit-learn metrics in a Keras callback"
(examples/keras_recipes/sklearn_metric_callbacks.py).

The example on TensorFlow: a ``JaccardScoreCallback`` whose ``__init__`` is given the model and makes a standalone
``keras.metrics.Mean``; at each epoch's end it
``predict``s, scores with ``sklearn.metrics.jaccard_score``, feeds the per-class scores to the metric, and writes
``result().numpy()`` with ``tf.summary.scalar``. TensorFlow only (``tf.summary``).

Changed: ``__init__`` calls ``super().__init__()`` and ``self.set_model(model)`` instead of assigning
``self.model`` (a read-only property in Keras 3, where the example's line raises ``AttributeError``); the values
written are also kept, to be compared; the log folder is a temporary one. Shrunk: 96 random
12x12 images of 4 classes instead of MNIST, batch size 16, 2 epochs, ``shuffle=False`` and ``Dropout`` rate 0 (the
shuffled order and the dropout mask are random).
"""
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

sklearn_metrics = pytest.importorskip("sklearn.metrics", reason="the example scores with scikit-learn")


def sklearn_callback(keras, sync):
    import tensorflow as tf

    layers = keras.layers
    jaccard_score = sklearn_metrics.jaccard_score
    written = []

    class JaccardScoreCallback(keras.callbacks.Callback):
        """Computes the Jaccard score and logs the results to TensorBoard."""

        def __init__(self, model, x_test, y_test, log_dir):
            super().__init__()
            self.set_model(model)
            self.x_test = x_test
            self.y_test = y_test
            self.keras_metric = keras.metrics.Mean("jaccard_score")
            self.epoch = 0
            self.summary_writer = tf.summary.create_file_writer(
                os.path.join(log_dir, model.name)
            )

        def on_epoch_end(self, batch, logs=None):
            self.epoch += 1
            self.keras_metric.reset_state()
            predictions = self.model.predict(self.x_test, verbose=0)
            jaccard_value = jaccard_score(
                np.argmax(predictions, axis=-1), self.y_test, average=None
            )
            self.keras_metric.update_state(jaccard_value)
            self._write_metric(
                self.keras_metric.name, self.keras_metric.result().numpy().astype(float)
            )

        def _write_metric(self, name, value):
            written.append((name, value))
            with self.summary_writer.as_default():
                tf.summary.scalar(
                    name,
                    value,
                    step=self.epoch,
                )
                self.summary_writer.flush()

    num_classes = 4
    input_shape = (12, 12, 1)
    rng = np.random.RandomState(0)
    x_train, y_train = rng.rand(96, 12, 12).astype("float32"), rng.randint(0, num_classes, 96)
    x_test, y_test = rng.rand(32, 12, 12).astype("float32"), rng.randint(0, num_classes, 32)
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)

    # Convert class vectors to binary class matrices.
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.0),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )
    sync(model)

    batch_size = 16
    epochs = 2

    log_dir = tempfile.mkdtemp()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    callbacks = [JaccardScoreCallback(model, x_test, np.argmax(y_test, axis=-1), log_dir)]
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_split=0.1,
        callbacks=callbacks,
        shuffle=False,
        verbose=0,
    )
    event_files = os.listdir(os.path.join(log_dir, model.name))
    return {"history": history.history, "names": " ".join(name for name, _ in written),
            "jaccard": [value for _, value in written], "event_files": len(event_files)}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's callback writes with tf.summary: TensorFlow only")
def test_sklearn_metric_callbacks():
    check_program(sklearn_callback)
