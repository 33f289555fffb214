"""keras.io example "Model interpretability with Integrated Gradients" (examples/vision/integrated_gradients.py).

The example takes gradients with ``tf.GradientTape``, so it runs only under ``KERASPORT_BACKEND=tensorflow``,
against Keras 3 on TensorFlow. As written: ``xception.Xception``, ``get_img_array``
(``keras.utils.load_img`` / ``img_to_array`` of an image file), ``xception.preprocess_input``, ``predict`` and
the top class, ``get_gradients`` (the top class's probability differentiated with respect to the image),
``get_integrated_gradients`` (interpolated images, preprocessed, one gradient each, the trapezoidal rule) and
``random_baseline_integrated_gradients``.

Changed: the ImageNet weights and the elephant picture are downloads, so Xception is built with
``weights=None`` and ``classes=10`` (Keras's initial weights given to kerasport by ``sync``) on a 71x71 picture
(Xception's smallest input) of random pixels saved as a PNG; ``num_steps=8`` instead of 50. The random
baselines come from NumPy's global generator, seeded here (``np.random.seed(0)``) so that both runs draw the
same. ``decode_predictions`` (a download of ImageNet's class names) and ``GradVisualizer`` (NumPy, SciPy and
matplotlib on the attributions, no Keras) are left out: the gradients and integrated gradients it draws are
compared instead.
"""
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the example is written for TensorFlow (tf.GradientTape)")

# Size of the input image
img_size = (71, 71, 3)


def integrated_gradients(keras, sync):
    import tensorflow as tf

    xception = keras.applications.xception
    np.random.seed(0)

    model = xception.Xception(weights=None, classes=10, input_shape=img_size)
    sync(model)

    folder = tempfile.mkdtemp()
    img_path = os.path.join(folder, "elephant.png")
    pixels = np.random.RandomState(0).randint(0, 256, img_size).astype("uint8")
    keras.utils.save_img(img_path, pixels)

    def get_img_array(img_path, size=(71, 71)):
        # `img` is a PIL image of size 71x71
        img = keras.utils.load_img(img_path, target_size=size)
        # `array` is a float32 Numpy array of shape (71, 71, 3)
        array = keras.utils.img_to_array(img)
        # We add a dimension to transform our array into a "batch"
        # of size (1, 71, 71, 3)
        array = np.expand_dims(array, axis=0)
        return array

    def get_gradients(img_input, top_pred_idx):
        images = tf.cast(img_input, tf.float32)

        with tf.GradientTape() as tape:
            tape.watch(images)
            preds = model(images)
            top_class = preds[:, top_pred_idx]

        grads = tape.gradient(top_class, images)
        return grads

    def get_integrated_gradients(img_input, top_pred_idx, baseline=None, num_steps=8):
        # If baseline is not provided, start with a black image
        # having same size as the input image.
        if baseline is None:
            baseline = np.zeros(img_size).astype(np.float32)
        else:
            baseline = baseline.astype(np.float32)

        # 1. Do interpolation.
        img_input = img_input.astype(np.float32)
        interpolated_image = [
            baseline + (step / num_steps) * (img_input - baseline)
            for step in range(num_steps + 1)
        ]
        interpolated_image = np.array(interpolated_image).astype(np.float32)

        # 2. Preprocess the interpolated images
        interpolated_image = xception.preprocess_input(interpolated_image)

        # 3. Get the gradients
        grads = []
        for i, img in enumerate(interpolated_image):
            img = tf.expand_dims(img, axis=0)
            grad = get_gradients(img, top_pred_idx=top_pred_idx)
            grads.append(grad[0])
        grads = tf.convert_to_tensor(grads, dtype=tf.float32)

        # 4. Approximate the integral using the trapezoidal rule
        grads = (grads[:-1] + grads[1:]) / 2.0
        avg_grads = tf.reduce_mean(grads, axis=0)

        # 5. Calculate integrated gradients and return
        integrated_grads = (img_input - baseline) * avg_grads
        return integrated_grads

    def random_baseline_integrated_gradients(
        img_input, top_pred_idx, num_steps=8, num_runs=2
    ):
        # 1. List to keep track of Integrated Gradients (IG) for all the images
        integrated_grads = []

        # 2. Get the integrated gradients for all the baselines
        for run in range(num_runs):
            baseline = np.random.random(img_size) * 255
            igrads = get_integrated_gradients(
                img_input=img_input,
                top_pred_idx=top_pred_idx,
                baseline=baseline,
                num_steps=num_steps,
            )
            integrated_grads.append(igrads)

        # 3. Return the average integrated gradients for the image
        integrated_grads = tf.convert_to_tensor(integrated_grads)
        return tf.reduce_mean(integrated_grads, axis=0)

    # 1. Convert the image to numpy array
    img = get_img_array(img_path)

    # 2. Keep a copy of the original image
    orig_img = np.copy(img[0]).astype(np.uint8)

    # 3. Preprocess the image
    img_processed = tf.cast(xception.preprocess_input(img), dtype=tf.float32)

    # 4. Get model predictions
    preds = model.predict(img_processed, verbose=0)
    top_pred_idx = tf.argmax(preds[0])

    # 5. Get the gradients of the last layer for the predicted label
    grads = get_gradients(img_processed, top_pred_idx=top_pred_idx)

    # 6. Get the integrated gradients
    igrads = random_baseline_integrated_gradients(
        np.copy(orig_img), top_pred_idx=top_pred_idx, num_steps=8, num_runs=2
    )
    return {"image": orig_img, "preds": preds, "top_pred_idx": int(top_pred_idx), "grads": grads[0].numpy(),
            "igrads": igrads.numpy(), "params": model.count_params()}


def test_integrated_gradients():
    check_program(integrated_gradients)
