"""keras.io example "Learning to Resize in Computer Vision" (examples/vision/learnable_resizer.py).

The example's learnable resizer as written: ``conv_block`` (whose default ``activation=layers.LeakyReLU(0.2)``
is one layer instance, shared by every block that uses it), ``res_block``, ``get_learnable_resizer`` (an
``Input(shape=[None, None, 3])`` of any size, ``Resizing(*TARGET_SIZE, interpolation="bilinear")`` of the
inputs and of the features as a bottleneck, ``Conv2D`` / ``LeakyReLU`` / ``BatchNormalization``, ``Add``
skips); the resized images of the untrained resizer; ``get_model`` (``Rescaling(1 / 255)``, the resizer, a
``keras.applications.DenseNet121(weights=None, include_top=True, classes=2)`` backbone), compiled with
``CategoricalCrossentropy(label_smoothing=0.1)``, ``"sgd"`` and accuracy, ``fit`` with validation data; the
resized images of the trained resizer. Runs on both backends.

Changed: the Cats-vs-Dogs images (a ``tensorflow_datasets`` download resized to 300x300) become 8 random
images of 48x48 (4 for validation) with one-hot labels (``to_categorical`` instead of ``tf.one_hot`` in a
``tf.data`` map), and the resizer's target is 32x32 (DenseNet121's smallest input) instead of 150x150; arrays
with ``batch_size=8`` (one step) and ``shuffle=False`` instead of a shuffled ``tf.data`` pipeline; 1 epoch
instead of 5. The plots are the resized images' numbers. DenseNet121 on 32x32 images ends in 1x1 maps whose
``BatchNormalization`` statistics over a few samples make its training chaotic (Keras's own losses differ
between TensorFlow's CPU kernels after a second step), hence the single step; the validation numbers and the resized images after training are
not compared as numbers (see the program).
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

INP_SIZE = (48, 48)
TARGET_SIZE = (32, 32)
INTERPOLATION = "bilinear"

BATCH_SIZE = 8
EPOCHS = 1


def learnable_resizer_program(keras, sync):
    layers = keras.layers

    def conv_block(x, filters, kernel_size, strides, activation=layers.LeakyReLU(0.2)):
        x = layers.Conv2D(filters, kernel_size, strides, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        if activation:
            x = activation(x)
        return x

    def res_block(x):
        inputs = x
        x = conv_block(x, 16, 3, 1)
        x = conv_block(x, 16, 3, 1, activation=None)
        return layers.Add()([inputs, x])

    def get_learnable_resizer(filters=16, num_res_blocks=1, interpolation=INTERPOLATION):
        inputs = layers.Input(shape=[None, None, 3])

        # First, perform naive resizing.
        naive_resize = layers.Resizing(*TARGET_SIZE, interpolation=interpolation)(inputs)

        # First convolution block without batch normalization.
        x = layers.Conv2D(filters=filters, kernel_size=7, strides=1, padding="same")(inputs)
        x = layers.LeakyReLU(0.2)(x)

        # Second convolution block with batch normalization.
        x = layers.Conv2D(filters=filters, kernel_size=1, strides=1, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.BatchNormalization()(x)

        # Intermediate resizing as a bottleneck.
        bottleneck = layers.Resizing(*TARGET_SIZE, interpolation=interpolation)(x)

        # Residual passes.
        for _ in range(num_res_blocks):
            x = res_block(bottleneck)

        # Projection.
        x = layers.Conv2D(
            filters=filters, kernel_size=3, strides=1, padding="same", use_bias=False
        )(x)
        x = layers.BatchNormalization()(x)

        # Skip connection.
        x = layers.Add()([bottleneck, x])

        # Final resized image.
        x = layers.Conv2D(filters=3, kernel_size=7, strides=1, padding="same")(x)
        final_resize = layers.Add()([naive_resize, x])

        return keras.Model(inputs, final_resize, name="learnable_resizer")

    learnable_resizer = get_learnable_resizer()
    sync(learnable_resizer)

    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (12,) + INP_SIZE + (3,)).astype("float32")
    labels = keras.utils.to_categorical(rng.randint(0, 2, 12), 2)
    train_x, train_y, validation_x, validation_y = images[:8], labels[:8], images[8:], labels[8:]
    sample_images = train_x[:BATCH_SIZE]

    def resized(sample_images):
        out = []
        for i, image in enumerate(sample_images[:2]):
            image = image / 255
            resized_image = learnable_resizer(image[None, ...])
            out.append(keras.ops.convert_to_numpy(resized_image).squeeze())
        return out

    resized_before = resized(sample_images)

    def get_model():
        backbone = keras.applications.DenseNet121(
            weights=None,
            include_top=True,
            classes=2,
            input_shape=((TARGET_SIZE[0], TARGET_SIZE[1], 3)),
        )
        backbone.trainable = True

        inputs = layers.Input((INP_SIZE[0], INP_SIZE[1], 3))
        x = layers.Rescaling(scale=1.0 / 255)(inputs)
        x = learnable_resizer(x)
        outputs = backbone(x)

        return keras.Model(inputs, outputs)

    model = get_model()
    sync(model.layers[-1])
    model.compile(
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        optimizer="sgd",
        metrics=["accuracy"],
    )
    history = model.fit(train_x, train_y, batch_size=BATCH_SIZE, validation_data=(validation_x, validation_y),
                        epochs=EPOCHS, shuffle=False, verbose=0)

    # Validation runs DenseNet121's 120 BatchNormalizations on moving statistics that one step has barely moved:
    # Keras's own val_loss goes from 5e9 to 2e4 between TensorFlow's oneDNN and Eigen kernels, so only the names
    # of the validation entries are compared. The step's gradient reaches the resizer through BatchNormalizations
    # of 8 values (1x1 maps): Keras's own resized images after it move by 0.14 between its eager and traced steps,
    # so those are compared by shape and finiteness; the loss and accuracy, and the images before, as numbers.
    train_logs = {key: value for key, value in history.history.items() if not key.startswith("val_")}
    resized_after = resized(sample_images)
    return {"resized_before": resized_before, "history": train_logs, "logged": sorted(history.history),
            "resized_after": [(image.shape, bool(np.isfinite(image).all())) for image in resized_after],
            "resizer_params": learnable_resizer.count_params(), "params": model.count_params(),
            "resizer_layers": [type(layer).__name__ for layer in learnable_resizer.layers]}


def test_learnable_resizer():
    check_program(learnable_resizer_program)
