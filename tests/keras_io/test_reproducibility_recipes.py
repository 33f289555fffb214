"""keras.io example "Reproducibility in Keras Models" (examples/keras_recipes/reproducibility_recipes.py).

The example's claim, checked as it checks it: after ``keras.utils.set_random_seed(812)`` and
``tf.config.experimental.enable_op_determinism()``, a seeded initializer gives the same value each call, two
initializers with the same seed agree, two unseeded ones differ, and a model trained on a shuffled, mapped
``tf.data`` pipeline (``Dropout`` at its rate 0.2, ``jit_compile=False``) gives the same history when the program
runs again in a fresh process ("restart the kernel"); the unseeded initializers repeat across runs too. Here the
program runs twice, each time in a child process of its own, and both runs must agree exactly. TensorFlow only
(``tf.data``, ``enable_op_determinism``).

Changed: ``float(initializer(seed=42)(shape=(1, 1)))`` takes element ``[0, 0]`` first (NumPy 2 refuses ``float`` of a
2-D array, under Keras 3 as here). Shrunk: 256 random 28x28 "MNIST" images (64 to test), the example's batch size 64, its 2 epochs.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kerasport

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def reproducibility(keras):
    import tensorflow as tf

    layers, initializers = keras.layers, keras.initializers
    report = {}

    keras.utils.set_random_seed(812)
    tf.config.experimental.enable_op_determinism()

    initializers_list = [
        initializers.RandomNormal,
        initializers.RandomUniform,
        initializers.TruncatedNormal,
        initializers.VarianceScaling,
        initializers.GlorotNormal,
        initializers.GlorotUniform,
        initializers.HeNormal,
        initializers.HeUniform,
        initializers.LecunNormal,
        initializers.LecunUniform,
        initializers.Orthogonal,
    ]

    for initializer in initializers_list:
        results = []
        for iteration in range(2):
            # In order to get same results across multiple runs from an initializer,
            # you can specify a seed value.
            result = float(initializer(seed=42)(shape=(1, 1))[0, 0])
            results.append(result)
        report[initializer.__name__] = results

    glorot_normal_1 = keras.initializers.GlorotNormal(seed=42)
    glorot_normal_2 = keras.initializers.GlorotNormal(seed=42)

    input_dim, neurons = 3, 5

    # Call two different objects with same shape
    result_1 = glorot_normal_1(shape=(input_dim, neurons))
    result_2 = glorot_normal_2(shape=(input_dim, neurons))
    report["seeded_equal"] = bool(np.allclose(result_1, result_2))

    glorot_normal_3 = keras.initializers.GlorotNormal()
    glorot_normal_4 = keras.initializers.GlorotNormal()
    result_3 = glorot_normal_3(shape=(input_dim, neurons))
    result_4 = glorot_normal_4(shape=(input_dim, neurons))
    report["unseeded_equal"] = bool(np.allclose(result_3, result_4))
    report["result_3"] = np.asarray(result_3).tolist()

    def train_model(train_data, test_data):
        model = keras.Sequential(
            [
                layers.Conv2D(32, (3, 3), activation="relu"),
                layers.MaxPooling2D((2, 2)),
                layers.Dropout(0.2),
                layers.Conv2D(32, (3, 3), activation="relu"),
                layers.MaxPooling2D((2, 2)),
                layers.Dropout(0.2),
                layers.Conv2D(32, (3, 3), activation="relu"),
                layers.GlobalAveragePooling2D(),
                layers.Dense(64, activation="relu"),
                layers.Dropout(0.2),
                layers.Dense(10, activation="softmax"),
            ]
        )

        model.compile(
            optimizer="adam",
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            jit_compile=False,
        )
        history = model.fit(train_data, epochs=2, validation_data=test_data, verbose=0)
        report["test_accuracy"] = model.evaluate(test_data, verbose=0)[1]
        return history.history

    rng = np.random.RandomState(0)
    train_images, train_labels = rng.randint(0, 256, (256, 28, 28)).astype("uint8"), rng.randint(0, 10, 256)
    test_images, test_labels = rng.randint(0, 256, (64, 28, 28)).astype("uint8"), rng.randint(0, 10, 64)

    train_ds = tf.data.Dataset.from_tensor_slices((train_images, train_labels))
    test_ds = tf.data.Dataset.from_tensor_slices((test_images, test_labels))

    def prepare_dataset(image, label):
        # Cast and normalize the image
        image = tf.cast(image, tf.float32) / 255.0

        # Expand the channel dimension
        image = tf.expand_dims(image, axis=-1)

        # Resize the image
        image = tf.image.resize(image, (32, 32))

        return image, label

    train_data = (
        train_ds.shuffle(buffer_size=len(train_images))
        .batch(batch_size=64)
        .map(prepare_dataset, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(buffer_size=tf.data.AUTOTUNE)
    )

    test_data = (
        test_ds.batch(batch_size=64)
        .map(prepare_dataset, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(buffer_size=tf.data.AUTOTUNE)
    )

    report["history"] = train_model(train_data, test_data)
    return report


def _run_in_a_fresh_process():
    child = subprocess.run([sys.executable, os.path.abspath(__file__)], capture_output=True, timeout=300, cwd=ROOT,
                           env=dict(os.environ, KERASPORT_BACKEND="tensorflow", PYTHONPATH=ROOT))
    assert child.returncode == 0, child.stderr.decode()[-3000:]
    return json.loads(child.stdout.decode().strip().splitlines()[-1])


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example seeds tf.data and TensorFlow's op determinism: TensorFlow only")
def test_reproducibility_recipes():
    first, second = _run_in_a_fresh_process(), _run_in_a_fresh_process()
    assert first == second
    for name in ("RandomNormal", "GlorotUniform", "Orthogonal"):
        assert first[name][0] == first[name][1] != 0.0
    assert first["seeded_equal"] and not first["unseeded_equal"]
    history = first["history"]
    assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(history["loss"]) == 2 and history["loss"][0] != history["loss"][1]


if __name__ == "__main__":
    print(json.dumps(reproducibility(kerasport)))
