"""keras.io example "Gradient Centralization for Better Training Performance" (vision/gradient_centralization.py).

The example's CNN (five ``Conv2D`` / ``MaxPooling2D(2, 2)`` stages, ``input_shape=`` on the first layer,
``Flatten``, ``Dense``, a sigmoid output), its ``TimeHistory`` callback, ``compile`` with ``RMSprop(1e-4)``,
``binary_crossentropy`` and accuracy, ``summary()``, ``fit`` with the callback; then a second ``compile`` of the
same model with the example's ``GCRMSprop`` (an ``RMSprop`` subclass overriding ``get_gradients``) and a second
``fit`` that goes on from the trained weights, and the printed comparison (the last loss and accuracy of each
run). Keras 3's optimizers never call ``get_gradients``, so there the subclass trains exactly as ``RMSprop``;
kerasport must do the same. A second program writes the recipe's centralization where Keras 3's trainer does
call an optimizer, ``apply(grads, trainable_variables)``, so that the centralized gradients are really used.

Changed: the Horses-or-Humans images (300x300, a ``tensorflow_datasets`` download) become 16 random images of
94x94 (the smallest size that the five valid 3x3 convolutions and 2x2 poolings leave at least 1x1), rescaled
with the example's ``Rescaling(1.0 / 255)`` layer and fed as arrays with ``batch_size=8``, ``shuffle=False``;
filters 16/32/64 become 4/8/8 and ``Dense(512)`` ``Dense(16)``; 2 epochs instead of 10. ``Dropout(0.5)``
becomes ``Dropout(0.0)`` and the ``RandomFlip`` / ``RandomRotation`` / ``RandomZoom`` augmentation of the
``tf.data`` pipeline is left out: their random draws differ between the two libraries. ``TimeHistory``'s
times are wall-clock times, so only their count is compared.
"""
from time import time

import numpy as np

from tests.programs.test_keras_programs import check_program

batch_size = 8
input_shape = (94, 94, 3)


def _images(keras):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (16,) + input_shape).astype("float32")
    labels = rng.randint(0, 2, (16, 1)).astype("float32")
    rescale = keras.layers.Rescaling(1.0 / 255)
    return keras.ops.convert_to_numpy(rescale(images)), labels


def _model(keras):
    layers = keras.layers
    return keras.Sequential(
        [
            layers.Conv2D(4, (3, 3), activation="relu", input_shape=input_shape),
            layers.MaxPooling2D(2, 2),
            layers.Conv2D(8, (3, 3), activation="relu"),
            layers.Dropout(0.0),
            layers.MaxPooling2D(2, 2),
            layers.Conv2D(8, (3, 3), activation="relu"),
            layers.Dropout(0.0),
            layers.MaxPooling2D(2, 2),
            layers.Conv2D(8, (3, 3), activation="relu"),
            layers.MaxPooling2D(2, 2),
            layers.Conv2D(8, (3, 3), activation="relu"),
            layers.MaxPooling2D(2, 2),
            layers.Flatten(),
            layers.Dropout(0.0),
            layers.Dense(16, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def _time_history(keras):
    class TimeHistory(keras.callbacks.Callback):
        def on_train_begin(self, logs={}):
            self.times = []

        def on_epoch_begin(self, batch, logs={}):
            self.epoch_time_start = time()

        def on_epoch_end(self, batch, logs={}):
            self.times.append(time() - self.epoch_time_start)

    return TimeHistory()


def _summary_totals(model):
    lines = []
    model.summary(print_fn=lambda text, *args, **kwargs: lines.append(text))
    text = "\n".join(lines)
    return [line.split(":")[1].split("(")[0].strip() for line in text.splitlines() if "params:" in line]


def _train_twice(keras, sync, optimizer):
    """The example's two runs: RMSprop without GC, then the same model recompiled with ``optimizer``."""
    train_x, train_y = _images(keras)
    model = _model(keras)
    sync(model)

    time_callback_no_gc = _time_history(keras)
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.RMSprop(learning_rate=1e-4),
                  metrics=["accuracy"])
    summary_no_gc = _summary_totals(model)
    history_no_gc = model.fit(train_x, train_y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0,
                              callbacks=[time_callback_no_gc])

    time_callback_gc = _time_history(keras)
    model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    summary_gc = _summary_totals(model)
    history_gc = model.fit(train_x, train_y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0,
                           callbacks=[time_callback_gc])
    return {
        "history_no_gc": history_no_gc.history, "history_gc": history_gc.history,
        "printed": [history_no_gc.history["loss"][-1], history_no_gc.history["accuracy"][-1],
                    history_gc.history["loss"][-1], history_gc.history["accuracy"][-1]],
        "n_times": [len(time_callback_no_gc.times), len(time_callback_gc.times)],
        "summaries": [summary_no_gc, summary_gc], "weights": model.get_weights(),
    }


def gradient_centralization(keras, sync):
    """The example as written: ``GCRMSprop.get_gradients``, which Keras 3's optimizers do not call."""
    ops = keras.ops

    class GCRMSprop(keras.optimizers.RMSprop):
        def get_gradients(self, loss, params):
            # We here just provide a modified get_gradients() function since we are
            # trying to just compute the centralized gradients.

            grads = []
            gradients = super().get_gradients()
            for grad in gradients:
                grad_len = len(grad.shape)
                if grad_len > 1:
                    axis = list(range(grad_len - 1))
                    grad -= ops.mean(grad, axis=axis, keepdims=True)
                grads.append(grad)

            return grads

    return _train_twice(keras, sync, GCRMSprop(learning_rate=1e-4))


def gradient_centralization_in_apply(keras, sync):
    """The recipe's centralization in ``apply``, the method Keras 3's trainers call with the gradients."""
    ops = keras.ops

    class GCRMSprop(keras.optimizers.RMSprop):
        def apply(self, grads, trainable_variables=None):
            centralized = []
            for grad in grads:
                grad_len = len(grad.shape)
                if grad_len > 1:
                    axis = list(range(grad_len - 1))
                    grad = grad - ops.mean(grad, axis=axis, keepdims=True)
                centralized.append(grad)
            return super().apply(centralized, trainable_variables)

    return _train_twice(keras, sync, GCRMSprop(learning_rate=1e-4))


def test_gradient_centralization():
    check_program(gradient_centralization)


def test_gradient_centralization_in_apply():
    check_program(gradient_centralization_in_apply)
