"""Transfer learning and fine-tuning with a pretrained architecture, following keras.io's guide.

1. Take ``ResNet50`` without its classifier as a frozen feature extractor.
2. Train a new head (pooling, dropout, a Dense layer) on top of it.
3. Unfreeze the base and fine-tune the whole model at a low learning rate, with its
   BatchNormalization layers kept in inference mode: their statistics do not move, which the
   script checks. The guide calls the base with ``training=False`` for this; Keras 3.15 (and
   kerasport with it) lets ``fit``'s ``training=True`` reach the nested model's layers anyway,
   so the BatchNormalization layers are also left frozen (``trainable=False``), which makes
   them run in inference mode.

The data are the 8x8 handwritten digits that ship with kerasport, upscaled to 32x32 RGB
images, so nothing is downloaded. The base starts from random weights unless
``KERASPORT_WEIGHTS`` names a weights file for ``ResNet50(include_top=False)``,
or is ``imagenet`` (Keras's published ImageNet weights, fetched once into ``~/.keras/models``;
they were trained on 224x224 images, so larger inputs get more out of them).

    KERASPORT_BACKEND=torch python examples/transfer_learning.py
    KERASPORT_BACKEND=tensorflow python examples/transfer_learning.py

Set ``KERASPORT_EXAMPLE_FAST=1`` for a short run (used by the tests).
"""
import os

import numpy as np

import kerasport as keras
from kerasport import layers
from kerasport.applications import resnet50

FAST = os.environ.get("KERASPORT_EXAMPLE_FAST") == "1"
EPOCHS_HEAD, EPOCHS_FINE_TUNE = (1, 1) if FAST else (8, 4)
WEIGHTS = os.environ.get("KERASPORT_WEIGHTS") or None
SIZE = 32


def to_rgb_images(digits):
    """8x8 digits with values 0-16 -> SIZE x SIZE x 3 float images with values 0-255."""
    scale = SIZE // digits.shape[1]
    big = np.kron(digits.astype("float32") * (255.0 / 16.0), np.ones((scale, scale), "float32"))
    return np.repeat(big[..., None], 3, axis=-1)


(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
if FAST:
    x_train, y_train, x_test, y_test = x_train[:256], y_train[:256], x_test[:128], y_test[:128]
x_train = resnet50.preprocess_input(to_rgb_images(x_train))
x_test = resnet50.preprocess_input(to_rgb_images(x_test))

keras.utils.set_random_seed(0)
base_model = resnet50.ResNet50(weights=WEIGHTS, include_top=False, input_shape=(SIZE, SIZE, 3))
base_model.trainable = False

inputs = keras.Input((SIZE, SIZE, 3))
x = base_model(inputs, training=False)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.2)(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs)

loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, metrics=["accuracy"])
print(f"training the new head: {len(model.trainable_weights)} trainable weights")
model.fit(x_train, y_train, batch_size=32, epochs=EPOCHS_HEAD, validation_data=(x_test, y_test), verbose=2)

bn = next(layer for layer in base_model.layers if isinstance(layer, layers.BatchNormalization))
before = keras.ops.convert_to_numpy(bn.moving_mean).copy()
base_model.trainable = True
for layer in base_model.layers:
    if isinstance(layer, layers.BatchNormalization):
        layer.trainable = False  # a frozen BatchNormalization layer runs in inference mode
model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=loss, metrics=["accuracy"])  # recompile after unfreezing
print(f"fine-tuning everything: {len(model.trainable_weights)} trainable weights")
model.fit(x_train, y_train, batch_size=32, epochs=EPOCHS_FINE_TUNE, validation_data=(x_test, y_test), verbose=2)

if not np.array_equal(before, keras.ops.convert_to_numpy(bn.moving_mean)):
    raise SystemExit("BatchNormalization statistics moved during fine-tuning")
print("BatchNormalization statistics unchanged by fine-tuning")
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {test_accuracy:.3f}, test loss {test_loss:.3f}")
