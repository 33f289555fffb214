"""keras.io example "Grad-CAM class activation visualization" (examples/vision/grad_cam.py), TF and torch forms.

The example's ``make_gradcam_heatmap`` as written: the classifier's last activation removed by
``model.layers[-1].activation = None``, a model from ``model.inputs`` to the last convolution's output and the
predictions, and the gradient of the top class with respect to that output (``tf.GradientTape``, under
TensorFlow; ``torch.autograd.grad``, the same steps as a torch user writes them, under torch). Shrunk: a small
convnet with random weights on a 16x16 noise image instead of Xception with ImageNet weights (no download);
the heatmap's numbers replace its picture. The filter-visualization example's gradient ascent
(examples/vision/visualizing_what_convnets_learn.py: a feature extractor from ``model.inputs`` to a layer's
output, a ``tf.function`` step on the image) runs in the TensorFlow form too.
"""
import numpy as np
import pytest

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program
from tests.programs.test_keras_programs import check_program


def _model(keras, sync):
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv_a")(inputs)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="last_conv")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(x))
    sync(model)
    img_array = np.random.RandomState(9).rand(1, 16, 16, 3).astype("float32")
    preds = model.predict(img_array, verbose=0)
    # Remove last layer's softmax
    model.layers[-1].activation = None
    return model, img_array, preds


def grad_cam_tensorflow(keras, sync):
    import tensorflow as tf
    model, img_array, preds = _model(keras, sync)

    def make_gradcam_heatmap(img_array, model, last_conv_layer_name, pred_index=None):
        grad_model = keras.models.Model(model.inputs, [model.get_layer(last_conv_layer_name).output, model.output])
        with tf.GradientTape() as tape:
            last_conv_layer_output, preds = grad_model(img_array)
            if pred_index is None:
                pred_index = tf.argmax(preds[0])
            class_channel = preds[:, pred_index]
        grads = tape.gradient(class_channel, last_conv_layer_output)
        pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
        last_conv_layer_output = last_conv_layer_output[0]
        heatmap = last_conv_layer_output @ pooled_grads[..., tf.newaxis]
        heatmap = tf.squeeze(heatmap)
        heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
        return heatmap.numpy()

    feature_extractor = keras.Model(inputs=model.inputs, outputs=model.get_layer("conv_a").output)

    def compute_loss(input_image, filter_index):
        activation = feature_extractor(input_image)
        filter_activation = activation[:, 2:-2, 2:-2, filter_index]
        return tf.reduce_mean(filter_activation)

    @tf.function
    def gradient_ascent_step(img, filter_index, learning_rate):
        with tf.GradientTape() as tape:
            tape.watch(img)
            loss = compute_loss(img, filter_index)
        grads = tape.gradient(loss, img)
        grads = tf.math.l2_normalize(grads)
        img += learning_rate * grads
        return loss, img

    img = tf.constant(img_array)
    for _ in range(5):
        loss, img = gradient_ascent_step(img, 1, 10.0)
    return {"preds": preds, "heatmap": make_gradcam_heatmap(img_array, model, "last_conv"),
            "logits": model.predict(img_array, verbose=0), "ascent_loss": float(loss), "ascent_image": img.numpy()}


# The first predict traces Keras's predict function with the softmax; setting ``activation = None`` afterwards
# does not retrace it, so the second predict still gives probabilities, in Keras's traced mode as in kerasport.
grad_cam_tensorflow.keras_traced = True


def grad_cam_torch(keras, sync):
    import torch
    model, img_array, preds = _model(keras, sync)

    def make_gradcam_heatmap(img_array, model, last_conv_layer_name, pred_index=None):
        grad_model = keras.models.Model(model.inputs, [model.get_layer(last_conv_layer_name).output, model.output])
        last_conv_layer_output, preds = grad_model(torch.from_numpy(img_array))
        if pred_index is None:
            pred_index = torch.argmax(preds[0])
        class_channel = preds[:, pred_index]
        grads, = torch.autograd.grad(class_channel.sum(), last_conv_layer_output)
        pooled_grads = grads.mean(dim=(0, 1, 2))
        heatmap = (last_conv_layer_output[0] @ pooled_grads[..., None]).squeeze()
        heatmap = torch.clamp(heatmap, min=0) / heatmap.max()
        return heatmap.detach().cpu().numpy()

    return {"preds": preds, "heatmap": make_gradcam_heatmap(img_array, model, "last_conv"),
            "logits": model.predict(img_array, verbose=0)}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the TensorFlow form of the example (tf.GradientTape) runs under TensorFlow only")
def test_grad_cam_tensorflow_form():
    check_program(grad_cam_tensorflow)


@pytest.mark.skipif(kerasport.backend.backend() != "torch",
                    reason="the torch form of the example (torch.autograd.grad) runs under torch only")
def test_grad_cam_torch_form():
    check_torch_program(grad_cam_torch, [grad_cam_torch])
