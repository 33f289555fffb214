"""keras.io example "Neural style transfer" (examples/generative/neural_style_transfer.py). TensorFlow only.

The example as written: pictures read with ``keras.utils.load_img(path, target_size=...)`` and
``keras.utils.img_to_array``, ``vgg19.preprocess_input`` and a hand-written ``deprocess_image``; a feature extractor
``keras.Model(inputs=model.inputs, outputs=outputs_dict)`` whose outputs are a dict of every VGG19 layer's
``layer.output`` by name; Gram-matrix style, content and total-variation losses in ``tf`` ops; the loss and its
gradient in a ``tf.function`` with ``tf.GradientTape``; a ``tf.Variable`` image trained by a Keras ``SGD`` with an
``ExponentialDecay`` schedule (``optimizer.apply_gradients([(grads, combination_image)])``); the result saved with
``keras.preprocessing.image.save_img``.

Changed: ``VGG19(weights=None, ...)`` (the ImageNet weights are a download; Keras's initial weights are copied);
the two pictures are random 32x40 PNGs written in the test with ``keras.utils.save_img``, read at 32x40
(``img_nrows = 32``); the learning rate 100 -> 1 and 3 iterations.
"""
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


def style_transfer(keras, sync):
    import tensorflow as tf
    vgg19 = keras.applications.vgg19
    folder = tempfile.mkdtemp()
    rng = np.random.RandomState(0)
    base_image_path = os.path.join(folder, "paris.png")
    style_reference_image_path = os.path.join(folder, "starry_night.png")
    keras.utils.save_img(base_image_path, rng.randint(0, 256, (32, 40, 3)).astype("uint8"))
    keras.utils.save_img(style_reference_image_path, rng.randint(0, 256, (32, 40, 3)).astype("uint8"))
    result_prefix = os.path.join(folder, "paris_generated")
    total_variation_weight, style_weight, content_weight = 1e-6, 1e-6, 2.5e-8
    width, height = keras.utils.load_img(base_image_path).size
    img_nrows = 32
    img_ncols = int(width * img_nrows / height)

    def preprocess_image(image_path):
        img = keras.utils.load_img(image_path, target_size=(img_nrows, img_ncols))
        img = keras.utils.img_to_array(img)
        img = np.expand_dims(img, axis=0)
        img = vgg19.preprocess_input(img)
        return tf.convert_to_tensor(img)

    def deprocess_image(x):
        x = x.reshape((img_nrows, img_ncols, 3))
        x[:, :, 0] += 103.939
        x[:, :, 1] += 116.779
        x[:, :, 2] += 123.68
        x = x[:, :, ::-1]
        return np.clip(x, 0, 255).astype("uint8")

    def gram_matrix(x):
        x = tf.transpose(x, (2, 0, 1))
        features = tf.reshape(x, (tf.shape(x)[0], -1))
        return tf.matmul(features, tf.transpose(features))

    def style_loss(style, combination):
        S = gram_matrix(style)
        C = gram_matrix(combination)
        channels = 3
        size = img_nrows * img_ncols
        return tf.reduce_sum(tf.square(S - C)) / (4.0 * (channels**2) * (size**2))

    def content_loss(base, combination):
        return tf.reduce_sum(tf.square(combination - base))

    def total_variation_loss(x):
        a = tf.square(x[:, : img_nrows - 1, : img_ncols - 1, :] - x[:, 1:, : img_ncols - 1, :])
        b = tf.square(x[:, : img_nrows - 1, : img_ncols - 1, :] - x[:, : img_nrows - 1, 1:, :])
        return tf.reduce_sum(tf.pow(a + b, 1.25))

    model = vgg19.VGG19(weights=None, include_top=False)
    sync(model)
    outputs_dict = dict([(layer.name, layer.output) for layer in model.layers])
    feature_extractor = keras.Model(inputs=model.inputs, outputs=outputs_dict)
    style_layer_names = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
    content_layer_name = "block5_conv2"

    def compute_loss(combination_image, base_image, style_reference_image):
        input_tensor = tf.concat([base_image, style_reference_image, combination_image], axis=0)
        features = feature_extractor(input_tensor)
        loss = tf.zeros(shape=())
        layer_features = features[content_layer_name]
        base_image_features = layer_features[0, :, :, :]
        combination_features = layer_features[2, :, :, :]
        loss = loss + content_weight * content_loss(base_image_features, combination_features)
        for layer_name in style_layer_names:
            layer_features = features[layer_name]
            style_reference_features = layer_features[1, :, :, :]
            combination_features = layer_features[2, :, :, :]
            sl = style_loss(style_reference_features, combination_features)
            loss += (style_weight / len(style_layer_names)) * sl
        loss += total_variation_weight * total_variation_loss(combination_image)
        return loss

    @tf.function
    def compute_loss_and_grads(combination_image, base_image, style_reference_image):
        with tf.GradientTape() as tape:
            loss = compute_loss(combination_image, base_image, style_reference_image)
        grads = tape.gradient(loss, combination_image)
        return loss, grads

    optimizer = keras.optimizers.SGD(
        keras.optimizers.schedules.ExponentialDecay(initial_learning_rate=1.0, decay_steps=2, decay_rate=0.96))
    base_image = preprocess_image(base_image_path)
    style_reference_image = preprocess_image(style_reference_image_path)
    combination_image = tf.Variable(preprocess_image(base_image_path))
    losses = []
    for i in range(1, 4):
        loss, grads = compute_loss_and_grads(combination_image, base_image, style_reference_image)
        optimizer.apply_gradients([(grads, combination_image)])
        losses.append(loss.numpy())
    img = deprocess_image(combination_image.numpy())
    fname = result_prefix + "_at_iteration_%d.png" % 3
    keras.preprocessing.image.save_img(fname, img)
    return {"losses": losses, "image": combination_image.numpy(), "features": sorted(outputs_dict),
            "saved": np.asarray(keras.utils.load_img(fname)), "lr": keras.ops.convert_to_numpy(
                optimizer.learning_rate), "iterations": keras.ops.convert_to_numpy(optimizer.iterations)}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example computes its losses with tf ops and tf.GradientTape: TensorFlow only")
def test_neural_style_transfer():
    check_program(style_transfer)
