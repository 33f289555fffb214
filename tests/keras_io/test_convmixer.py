"""keras.io example "Image classification with ConvMixer" (examples/vision/convmixer.py).

The example's ``tf.data`` pipelines (``augment_images`` mapped over the training batches), ConvMixer
(``Rescaling``, a patch ``Conv2D`` stem, ``DepthwiseConv2D`` blocks with ``gelu`` activations, ``BatchNormalization``
and residual ``Add``) and ``run_experiment`` (``AdamW``, ``ModelCheckpoint`` saving the whole best model as a
``.keras`` file, ``load_weights`` from it, ``evaluate``), and the weights the example plots. Shrunk: 40 images of
32x32x3 uniform noise (24 for training, 8 for validation, 8 for test) instead of CIFAR-10, ``filters=8``,
``depth=2``, ``batch_size=8``, 2 epochs; the checkpoint is written to a temporary folder; the plots are the
min-max normalized weights they draw; the indices of the 5x5 depthwise layers are returned instead of printed,
and the kernel plotted is the first of them (the example's index 26 is in its depth-8 model). Changed:
``RandomFlip`` is left out of ``augmentation_layers`` and the training dataset is not shuffled (their draws
differ between the two libraries); ``RandomCrop(32, 32)`` on 32x32 images stays (it crops nothing).
Under ``KERASPORT_BACKEND=torch`` the ``dataset.map`` of ``augment_images`` cannot run (kerasport's torch layers
take no ``tf.data`` graph tensors): that case is an expected failure there, and the program is also checked
without the map, which changes nothing else (the crop is the identity).
"""
import os
import tempfile

import numpy as np
import pytest
import tensorflow as tf

import kerasport
from tests.programs.test_keras_programs import check_program

learning_rate = 0.001
weight_decay = 0.0001
batch_size = 8
num_epochs = 2
image_size = 32
auto = tf.data.AUTOTUNE


def _convmixer(keras, sync, map_augmentation):
    layers = keras.layers
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (32, 32, 32, 3)).astype("uint8")
    y_train = rng.randint(0, 10, (32, 1))
    x_test = rng.randint(0, 256, (8, 32, 32, 3)).astype("uint8")
    y_test = rng.randint(0, 10, (8, 1))
    val_split = 0.25

    val_indices = int(len(x_train) * val_split)
    new_x_train, new_y_train = x_train[val_indices:], y_train[val_indices:]
    x_val, y_val = x_train[:val_indices], y_train[:val_indices]

    augmentation_layers = [
        keras.layers.RandomCrop(image_size, image_size),
    ]

    def augment_images(images):
        for layer in augmentation_layers:
            images = layer(images, training=True)
        return images

    def make_datasets(images, labels, is_train=False):
        dataset = tf.data.Dataset.from_tensor_slices((images, labels))
        dataset = dataset.batch(batch_size)
        if is_train and map_augmentation:
            dataset = dataset.map(
                lambda x, y: (augment_images(x), y), num_parallel_calls=auto
            )
        return dataset.prefetch(auto)

    train_dataset = make_datasets(new_x_train, new_y_train, is_train=True)
    val_dataset = make_datasets(x_val, y_val)
    test_dataset = make_datasets(x_test, y_test)

    def activation_block(x):
        x = layers.Activation("gelu")(x)
        return layers.BatchNormalization()(x)

    def conv_stem(x, filters: int, patch_size: int):
        x = layers.Conv2D(filters, kernel_size=patch_size, strides=patch_size)(x)
        return activation_block(x)

    def conv_mixer_block(x, filters: int, kernel_size: int):
        x0 = x
        x = layers.DepthwiseConv2D(kernel_size=kernel_size, padding="same")(x)
        x = layers.Add()([activation_block(x), x0])  # Residual.

        x = layers.Conv2D(filters, kernel_size=1)(x)
        x = activation_block(x)

        return x

    def get_conv_mixer_256_8(
        image_size=32,
        filters=8,
        depth=2,
        kernel_size=5,
        patch_size=2,
        num_classes=10,
    ):
        inputs = keras.Input((image_size, image_size, 3))
        x = layers.Rescaling(scale=1.0 / 255)(inputs)

        x = conv_stem(x, filters, patch_size)

        for _ in range(depth):
            x = conv_mixer_block(x, filters, kernel_size)

        x = layers.GlobalAvgPool2D()(x)
        outputs = layers.Dense(num_classes, activation="softmax")(x)

        return keras.Model(inputs, outputs)

    def run_experiment(model, folder):
        optimizer = keras.optimizers.AdamW(
            learning_rate=learning_rate, weight_decay=weight_decay
        )

        model.compile(
            optimizer=optimizer,
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )

        checkpoint_filepath = os.path.join(folder, "checkpoint.keras")
        checkpoint_callback = keras.callbacks.ModelCheckpoint(
            checkpoint_filepath,
            monitor="val_accuracy",
            save_best_only=True,
            save_weights_only=False,
        )

        history = model.fit(
            train_dataset,
            validation_data=val_dataset,
            epochs=num_epochs,
            callbacks=[checkpoint_callback],
            verbose=0,
        )

        model.load_weights(checkpoint_filepath)
        _, accuracy = model.evaluate(test_dataset, verbose=0)
        return history, model, accuracy

    def visualization_plot(weights):
        p_min, p_max = weights.min(), weights.max()
        return (weights - p_min) / (p_max - p_min)

    conv_mixer_model = get_conv_mixer_256_8()
    sync(conv_mixer_model)
    with tempfile.TemporaryDirectory() as folder:
        history, conv_mixer_model, accuracy = run_experiment(conv_mixer_model, folder)

    patch_embeddings = conv_mixer_model.layers[2].get_weights()[0]
    depthwise = []
    for i, layer in enumerate(conv_mixer_model.layers):
        if isinstance(layer, layers.DepthwiseConv2D):
            if layer.get_config()["kernel_size"] == (5, 5):
                depthwise.append(i)
    kernel = conv_mixer_model.layers[depthwise[0]].get_weights()[0]
    kernel = np.expand_dims(kernel.squeeze(), axis=2)
    return {"history": history.history, "accuracy": accuracy, "depthwise_layers": depthwise,
            "patch_embeddings": visualization_plot(patch_embeddings), "kernel": visualization_plot(kernel),
            "predict": conv_mixer_model.predict(x_test[:4], verbose=0), "params": conv_mixer_model.count_params()}


def convmixer(keras, sync):
    return _convmixer(keras, sync, map_augmentation=True)


def convmixer_unmapped(keras, sync):
    return _convmixer(keras, sync, map_augmentation=False)


@pytest.mark.xfail(kerasport.backend.backend() == "torch", strict=True,
                   reason="kerasport's torch layers cannot run in a tf.data map (Keras 3 runs its preprocessing "
                          "layers there on TensorFlow; a kerasport torch process does not use TensorFlow)")
def test_convmixer():
    check_program(convmixer)


def test_convmixer_without_the_augmentation_map():
    check_program(convmixer_unmapped)
