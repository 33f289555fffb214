"""keras.io example "Image segmentation with a U-Net-like architecture"
(examples/vision/oxford_pets_image_segmentation.py), on tiny synthetic images and masks.

Kept as written: the Xception-style U-Net (``SeparableConv2D``, ``BatchNormalization``, ``MaxPooling2D``,
``Conv2DTranspose``, ``UpSampling2D``, residual projections joined by ``layers.add``), ``Adam(1e-4)`` with
``sparse_categorical_crossentropy``, the ``ModelCheckpoint(save_best_only=True)`` callback, validation data,
``predict`` on the validation set and ``display_mask`` (its image becomes the pixel array it shows).
Shrunk: 8 training and 4 validation 32x32 images of uniform noise with random 3-class masks instead of the
Oxford-IIIT Pets files read through ``tf.data`` (no downloads), filters 8/8-16-32/32-16-8-4 instead of
32/64-128-256/256-128-64-32, ``batch_size=4``, 2 epochs, ``verbose=0``; the checkpoint goes to a temporary folder.
"""
import os
import tempfile

import numpy as np

from tests.programs.test_keras_programs import _summary_totals, check_program

img_size = (32, 32)
num_classes = 3
batch_size = 4


def program(keras, sync):
    layers = keras.layers

    def get_model(img_size, num_classes):
        inputs = keras.Input(shape=img_size + (3,))

        ### [First half of the network: downsampling inputs] ###

        # Entry block
        x = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)

        previous_block_activation = x  # Set aside residual

        # Blocks 1, 2, 3 are identical apart from the feature depth.
        for filters in [8, 16, 32]:
            x = layers.Activation("relu")(x)
            x = layers.SeparableConv2D(filters, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)

            x = layers.Activation("relu")(x)
            x = layers.SeparableConv2D(filters, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)

            x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

            # Project residual
            residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous_block_activation)
            x = layers.add([x, residual])  # Add back residual
            previous_block_activation = x  # Set aside next residual

        ### [Second half of the network: upsampling inputs] ###

        for filters in [32, 16, 8, 4]:
            x = layers.Activation("relu")(x)
            x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)

            x = layers.Activation("relu")(x)
            x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)

            x = layers.UpSampling2D(2)(x)

            # Project residual
            residual = layers.UpSampling2D(2)(previous_block_activation)
            residual = layers.Conv2D(filters, 1, padding="same")(residual)
            x = layers.add([x, residual])  # Add back residual
            previous_block_activation = x  # Set aside next residual

        # Add a per-pixel classification layer
        outputs = layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)

        # Define the model
        model = keras.Model(inputs, outputs)
        return model

    # Build model
    model = get_model(img_size, num_classes)
    sync(model)

    rng = np.random.RandomState(0)
    images = rng.random_sample((12,) + img_size + (3,)).astype("float32")
    masks = rng.randint(0, num_classes, (12,) + img_size + (1,)).astype("uint8")
    train_images, train_masks = images[:8], masks[:8]
    val_images, val_masks = images[8:], masks[8:]

    # Configure the model for training.
    # We use the "sparse" version of categorical_crossentropy
    # because our target data is integers.
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "oxford_segmentation.keras")
        callbacks = [keras.callbacks.ModelCheckpoint(path, save_best_only=True)]

        # Train the model, doing validation at the end of each epoch.
        epochs = 2
        history = model.fit(train_images, train_masks, batch_size=batch_size, epochs=epochs,
                            validation_data=(val_images, val_masks), callbacks=callbacks, shuffle=False, verbose=0)
        saved = os.path.exists(path)

    # Generate predictions for all images in the validation set
    val_preds = model.predict(val_images, batch_size=batch_size, verbose=0)

    def display_mask(i):
        """Quick utility to display a model's prediction."""
        mask = np.argmax(val_preds[i], axis=-1)
        mask = np.expand_dims(mask, axis=-1)
        return np.asarray(keras.utils.array_to_img(mask))

    # A convolution's bias just before a BatchNormalization has a gradient that is zero but for float rounding,
    # which Adam turns into steps of up to its learning rate: those biases differ between runs on different CPU
    # kernels by ~1e-4 and are left out; every other weight is compared.
    weights = []
    for layer, after in zip(model.layers, model.layers[1:] + [None]):
        arrays = layer.get_weights()
        before_bn = isinstance(after, keras.layers.BatchNormalization) and getattr(layer, "use_bias", False)
        weights += arrays[:-1] if before_bn else arrays
    return {"history": history.history, "val_preds": val_preds, "mask": display_mask(2), "saved": saved,
            "weights": weights, "summary": _summary_totals(model)}


def test_oxford_pets_image_segmentation():
    # Batch normalization over batches of 4 small images and Adam's first steps magnify float rounding: Keras's
    # own predictions move by 3e-5 between TF_ENABLE_ONEDNN_OPTS=0 and =1, kerasport's by up to 6e-5. Hence 1e-4.
    check_program(program, atol=1e-4)
