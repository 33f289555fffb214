"""keras.io example "Few-Shot learning with Reptile" (examples/vision/reptile.py). TensorFlow only.

The example's meta-learning loop as written: a Functional model of ``conv_bn`` blocks compiled with no arguments
(``model.compile()``), an SGD optimizer used by hand (``tf.GradientTape`` over ``model(images)``,
``keras.losses.sparse_categorical_crossentropy``, ``optimizer.apply_gradients(zip(grads,
model.trainable_weights))``), the meta step on ``model.get_weights()`` / ``model.set_weights(...)`` lists of
NumPy arrays, and the evaluation that trains on a support set, ``predict``s, takes ``tf.argmax`` (over axis 0, as
written) and restores the old weights.

Changed: Omniglot (a download) becomes random 28x28 "characters" of 10 classes with a fixed sampler
(``np.random.RandomState``) in place of ``random.choices``; the mini datasets are not shuffled (``shuffle(100)``
draws TensorFlow's own random numbers); filters 64 -> 8; 3 meta iterations of 2 inner steps, one evaluation.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

CLASSES, SHOTS = 3, 2


def reptile(keras, sync):
    import tensorflow as tf
    layers = keras.layers
    rng = np.random.RandomState(0)
    data = {c: rng.rand(6, 28, 28, 1).astype("float32") for c in range(10)}

    def get_mini_dataset(batch_size, repetitions, shots, num_classes, split=False):
        label_subset = rng.choice(10, num_classes, replace=False)
        images = np.concatenate([data[c][rng.choice(6, shots + split, replace=False)] for c in label_subset])
        labels = np.repeat(np.arange(num_classes), shots + split).astype("int32")
        test = np.arange(len(labels)) % (shots + split) == shots if split else np.zeros(len(labels), bool)
        dataset = tf.data.Dataset.from_tensor_slices((images[~test], labels[~test]))
        dataset = dataset.batch(batch_size).repeat(repetitions)
        if split:
            return dataset, images[test], labels[test]
        return dataset

    def conv_bn(x):
        x = layers.Conv2D(filters=8, kernel_size=3, strides=2, padding="same")(x)
        x = layers.BatchNormalization()(x)
        return layers.ReLU()(x)

    inputs = layers.Input(shape=(28, 28, 1))
    x = conv_bn(inputs)
    x = conv_bn(x)
    x = conv_bn(x)
    x = conv_bn(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(CLASSES, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile()
    sync(model)
    optimizer = keras.optimizers.SGD(learning_rate=0.003)

    meta_iters, meta_step_size, losses = 3, 0.25, []
    for meta_iter in range(meta_iters):
        frac_done = meta_iter / meta_iters
        cur_meta_step_size = (1 - frac_done) * meta_step_size
        old_vars = model.get_weights()
        mini_dataset = get_mini_dataset(5, 2, SHOTS, CLASSES)
        for images, labels in mini_dataset:
            with tf.GradientTape() as tape:
                preds = model(images)
                loss = keras.losses.sparse_categorical_crossentropy(labels, preds)
            grads = tape.gradient(loss, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
            losses.append(keras.ops.convert_to_numpy(loss))
        new_vars = model.get_weights()
        for var in range(len(new_vars)):
            new_vars[var] = old_vars[var] + ((new_vars[var] - old_vars[var]) * cur_meta_step_size)
        model.set_weights(new_vars)

    train_set, test_images, test_labels = get_mini_dataset(5, 2, SHOTS, CLASSES, split=True)
    old_vars = model.get_weights()
    for images, labels in train_set:
        with tf.GradientTape() as tape:
            preds = model(images)
            loss = keras.losses.sparse_categorical_crossentropy(labels, preds)
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
    test_preds = model.predict(test_images, verbose=0)
    test_preds = tf.argmax(test_preds).numpy()
    num_correct = (test_preds == test_labels).sum()
    adapted = model.get_weights()
    model.set_weights(old_vars)
    return {"losses": losses, "num_correct": num_correct, "test_preds": test_preds, "adapted": adapted,
            "restored": model.get_weights(), "iterations": keras.ops.convert_to_numpy(optimizer.iterations)}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example trains with tf.GradientTape: TensorFlow only")
def test_reptile():
    check_program(reptile)
