"""keras.io recipe "Estimating required sample size for model training"
(examples/keras_recipes/sample_size_estimate.py).

The recipe as written: ``build_model`` puts ``layers.Rescaling(scale=1.0 / 127.5, offset=-1)`` between an ``Input``
and ``keras.applications.MobileNetV2(include_top=False, input_tensor=x)``, freezes it (``model.trainable = False``)
and builds ``keras.Model(inputs, outputs)`` on ``model.output``, so the application's layers are the new model's
own; ``compile_and_train`` with ``EarlyStopping(monitor="val_auc", mode="max", min_delta=0,
restore_best_weights=True)``, ``validation_split=0.1``, ``AUC(name="auc")`` and ``"acc"``; ``unfreeze`` walks
``model.layers`` from the first whose name holds ``"block_10"`` and makes all but the ``BatchNormalization`` layers
trainable; the fine-tuning runs ``history.epoch[-1] + fine_tune_epochs`` epochs at a lower learning rate; the test
accuracy unpacked from ``evaluate``. On TensorFlow, also (a program of its own) the learning-curve fit: ``tf.Variable``s ``a``, ``b`` fitted
with ``tf.GradientTape`` through ``keras.losses.MeanSquaredError()``, scored with ``MeanAbsoluteError()``.

Changed: the TF Flowers images (a download) become 40 random 32x32 pictures in 3 classes with one-hot labels;
``MobileNetV2(weights=None, alpha=0.35)`` (ImageNet weights are a download); ``top_dropout=0.0`` (dropout masks are
random); the random augmentation model is left out (its draws are the framework's); 2 + 1 epochs; 50 curve-fit
steps.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

TF = kerasport.backend.backend() == "tensorflow"


def sample_size(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)
    num_classes, image_size = 3, (32, 32)
    labels = rng.randint(0, num_classes, 40)
    images = (rng.rand(40, 32, 32, 3) * 255).astype("float32")
    img_train, label_train = images[:32], np.eye(num_classes)[labels[:32]]
    img_test, label_test = images[32:], np.eye(num_classes)[labels[32:]]

    def build_model(num_classes, img_size=image_size[0], top_dropout=0.0):
        inputs = layers.Input(shape=(img_size, img_size, 3))
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1)(inputs)
        model = keras.applications.MobileNetV2(include_top=False, weights=None, input_tensor=x, alpha=0.35)
        model.trainable = False
        x = layers.GlobalAveragePooling2D(name="avg_pool")(model.output)
        x = layers.Dropout(top_dropout)(x)
        outputs = layers.Dense(num_classes, activation="softmax")(x)
        model = keras.Model(inputs, outputs)
        return model, (len(model.trainable_weights), len(model.non_trainable_weights))

    def compile_and_train(model, training_data, training_labels, metrics, optimizer, patience=5, epochs=5):
        stopper = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", min_delta=0, patience=patience,
                                                verbose=0, restore_best_weights=True)
        model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=metrics)
        return model.fit(x=training_data, y=training_labels, batch_size=8, epochs=epochs, validation_split=0.1,
                         callbacks=[stopper], shuffle=False, verbose=0)

    def unfreeze(model, block_name):
        set_trainable = False
        for layer in model.layers:
            if block_name in layer.name:
                set_trainable = True
            if set_trainable and not isinstance(layer, layers.BatchNormalization):
                layer.trainable = True
        return model, (len(model.trainable_weights), len(model.non_trainable_weights))

    model, counts = build_model(num_classes)
    sync(model)
    history = compile_and_train(model, img_train, label_train, metrics=[keras.metrics.AUC(name="auc"), "acc"],
                                optimizer=keras.optimizers.Adam(), patience=3, epochs=2)
    model, unfrozen = unfreeze(model, "block_10")
    total_epochs = history.epoch[-1] + 2
    history_fine = compile_and_train(model, img_train, label_train, metrics=[keras.metrics.AUC(name="auc"), "acc"],
                                     optimizer=keras.optimizers.Adam(learning_rate=1e-4), patience=5,
                                     epochs=total_epochs)
    _, _, acc = model.evaluate(img_test, label_test, verbose=0)
    return {"counts": counts, "unfrozen": unfrozen, "layers": len(model.layers), "history": history.history,
            "history_fine": history_fine.history, "acc": np.round(acc, 4)}


def learning_curve(keras, sync):
    """The recipe's learning-curve fit (``fit_and_predict``), on the accuracies it prints."""
    import tensorflow as tf
    x = [165, 330, 825, 1651]
    mean_acc = tf.convert_to_tensor([0.807, 0.875, 0.900, 0.906])
    mse = keras.losses.MeanSquaredError()

    def exp_func(x, a, b):
        return a * x**b

    a, b = tf.Variable(0.0), tf.Variable(0.0)
    for epoch in range(50):
        with tf.GradientTape() as tape:
            y_pred = exp_func(x, a, b)
            cost_function = mse(y_pred, mean_acc)
        gradients = tape.gradient(cost_function, [a, b])
        a.assign_sub(gradients[0] * 0.01)
        b.assign_sub(gradients[1] * 0.01)
    mae = keras.losses.MeanAbsoluteError()
    return {"a": a.numpy(), "b": b.numpy(), "mae": mae(mean_acc, exp_func(x, a, b)).numpy(),
            "max_acc": exp_func(3303, a, b).numpy()}


def test_sample_size_estimate():
    check_program(sample_size)


@pytest.mark.skipif(not TF, reason="the curve fit uses tf.Variable and tf.GradientTape: TensorFlow only")
def test_sample_size_learning_curve():
    check_program(learning_curve)
