"""keras.io example "Highly accurate boundaries segmentation using BASNet" (examples/vision/basnet_segmentation.py).

As keras.io writes it (TensorFlow only: its loss calls ``tf.image.ssim``): the example's ``PyDataset`` (shuffled
by ``np.random.permutation`` at construction), ``basic_block``, ``convolution_block``, ``segmentation_head``,
``get_resnet_block`` (sub-models cut out of a backbone by ``get_layer(...).input`` / ``.output``), the prediction
module (encoder, dilated bridge, a decoder whose ``Resizing(shape[1] * 2, shape[2] * 2)`` reads the static
shapes), the residual refinement module, and the ``BASNet`` Functional subclass with its own ``compute_loss``
(cross-entropy, SSIM and IoU, the latter two on the whole list of outputs, as keras.io writes it), ``summary``,
``compile`` with no loss and one ``MeanAbsoluteError`` per output, ``fit`` with validation data and ``predict``.
Shrunk: DUTS (a download) becomes 8 random 32x32 images and their thresholded means, 4 filters instead of 64,
one block a stage, one convolution block in the bridge and in each decoder stage, a 2-stage refinement
module, 2 epochs. Changed: keras_cv's ``ResNet34Backbone`` (keras_cv is not installed) becomes a small
backbone on ``Input((None, None, 4))`` with keras_cv's layer names. Tolerance 1e-3: BatchNormalization (the
known drift of TensorFlow's fused kernel).
What it fixed: a Functional (or Sequential) model built on unknown image sizes gave unknown output sizes when
called on known ones (Keras runs the graph for them); one target for 8 outputs with a metric each updated every
output's metric (an ``IndexError``), where Keras zips the targets with the outputs and keeps the first only.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

IMAGE_SIZE = 32
BATCH_SIZE = 4
OUT_CLASSES = 1
FILTERS = 4


def basnet(keras, sync):
    import tensorflow as tf
    layers, ops = keras.layers, keras.ops
    rng = np.random.RandomState(0)
    images = rng.rand(8, IMAGE_SIZE, IMAGE_SIZE, 3).astype("float32")
    masks = (images.mean(-1, keepdims=True) > 0.5).astype("float32")

    class Dataset(keras.utils.PyDataset):
        def __init__(self, images, masks, img_size, out_classes, batch, shuffle=True, **kwargs):
            if shuffle:
                perm = np.random.permutation(len(images))
                images, masks = images[perm], masks[perm]
            self.images, self.masks = images, masks
            self.img_size = img_size
            self.out_classes = out_classes
            self.batch_size = batch
            super().__init__(*kwargs)

        def __len__(self):
            return len(self.images) // self.batch_size

        def __getitem__(self, idx):
            sl = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
            return self.images[sl], self.masks[sl]

    train_dataset = Dataset(images[:4], masks[:4], IMAGE_SIZE, OUT_CLASSES, BATCH_SIZE, shuffle=True)
    val_dataset = Dataset(images[4:], masks[4:], IMAGE_SIZE, OUT_CLASSES, BATCH_SIZE, shuffle=False)

    def basic_block(x_input, filters, stride=1, down_sample=None, activation=None):
        residual = x_input
        x = layers.Conv2D(filters, (3, 3), strides=stride, padding="same", use_bias=False)(x_input)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(filters, (3, 3), strides=(1, 1), padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        if down_sample is not None:
            residual = down_sample
        x = layers.Add()([x, residual])
        if activation is not None:
            x = layers.Activation(activation)(x)
        return x

    def convolution_block(x_input, filters, dilation=1):
        x = layers.Conv2D(filters, (3, 3), padding="same", dilation_rate=dilation)(x_input)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)

    def segmentation_head(x_input, out_classes, final_size):
        x = layers.Conv2D(out_classes, kernel_size=(3, 3), padding="same")(x_input)
        if final_size is not None:
            x = layers.Resizing(final_size[0], final_size[1])(x)
        return x

    resnet_layers = [1, 1, 1, 1]

    def tiny_resnet_backbone():
        # stands in for keras_cv's ResNet34Backbone: stacks with keras_cv's layer names
        inputs = layers.Input((None, None, FILTERS))
        x = inputs
        for s, blocks in enumerate(resnet_layers):
            for b in range(1, blocks + 1):
                stride = 2 if (s > 0 and b == 1) else 1
                name = f"v2_stack_{s}_block{b}"
                y = layers.Conv2D(FILTERS, 3, strides=stride, padding="same", name=f"{name}_1_conv")(x)
                y = layers.BatchNormalization(name=f"{name}_1_bn")(y)
                y = layers.Activation("relu", name=f"{name}_1_relu")(y)
                y = layers.Conv2D(FILTERS, 3, padding="same", name=f"{name}_2_conv")(y)
                shortcut = layers.Conv2D(FILTERS, 1, strides=stride, name=f"{name}_0_conv")(x) if b == 1 else x
                x = layers.Add(name=f"{name}_add")([shortcut, y])
        return keras.Model(inputs, x, name="resnet34")

    def get_resnet_block(_resnet, block_num):
        return keras.models.Model(
            inputs=_resnet.get_layer(f"v2_stack_{block_num}_block1_1_conv").input,
            outputs=_resnet.get_layer(f"v2_stack_{block_num}_block{resnet_layers[block_num]}_add").output,
            name=f"resnet34_block{block_num + 1}")

    def basnet_predict(input_shape, out_classes):
        filters = FILTERS
        num_stages = 6
        x_input = layers.Input(input_shape)
        x = layers.Conv2D(filters, kernel_size=(3, 3), padding="same")(x_input)
        resnet = tiny_resnet_backbone()
        encoder_blocks = []
        for i in range(num_stages):
            if i < 4:
                x = get_resnet_block(resnet, i)(x)
                encoder_blocks.append(x)
                x = layers.Activation("relu")(x)
            else:
                x = layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2))(x)
                x = basic_block(x, filters=filters * 2, down_sample=layers.Conv2D(filters * 2, 1)(x),
                                activation="relu")
                encoder_blocks.append(x)
        x = convolution_block(x, filters=filters * 2, dilation=2)
        encoder_blocks.append(x)
        decoder_blocks = []
        for i in reversed(range(num_stages)):
            if i != (num_stages - 1):
                shape = x.shape
                x = layers.Resizing(shape[1] * 2, shape[2] * 2)(x)
            x = layers.concatenate([encoder_blocks[i], x], axis=-1)
            x = convolution_block(x, filters=filters * 2)
            decoder_blocks.append(x)
        decoder_blocks.reverse()
        decoder_blocks.append(encoder_blocks[-1])
        decoder_blocks = [segmentation_head(decoder_block, out_classes, input_shape[:2])
                          for decoder_block in decoder_blocks]
        return keras.models.Model(inputs=[x_input], outputs=decoder_blocks)

    def basnet_rrm(base_model, out_classes):
        num_stages = 2
        filters = FILTERS
        x_input = base_model.output[0]
        x = layers.Conv2D(filters, kernel_size=(3, 3), padding="same")(x_input)
        encoder_blocks = []
        for _ in range(num_stages):
            x = convolution_block(x, filters=filters)
            encoder_blocks.append(x)
            x = layers.MaxPool2D(pool_size=(2, 2), strides=(2, 2))(x)
        x = convolution_block(x, filters=filters)
        for i in reversed(range(num_stages)):
            shape = x.shape
            x = layers.Resizing(shape[1] * 2, shape[2] * 2)(x)
            x = layers.concatenate([encoder_blocks[i], x], axis=-1)
            x = convolution_block(x, filters=filters)
        x = segmentation_head(x, out_classes, None)
        x = layers.Add()([x_input, x])
        return keras.models.Model(inputs=base_model.input[0], outputs=x)

    class BASNet(keras.Model):
        def __init__(self, input_shape, out_classes):
            predict_model = basnet_predict(input_shape, out_classes)
            refine_model = basnet_rrm(predict_model, out_classes)
            output = refine_model.outputs
            output.extend(predict_model.output)
            output = [layers.Activation("sigmoid")(x) for x in output]
            super().__init__(inputs=predict_model.input[0], outputs=output)
            self.smooth = 1.0e-9
            self.cross_entropy_loss = keras.losses.BinaryCrossentropy()
            self.ssim_value = tf.image.ssim
            self.iou_value = self.calculate_iou

        def calculate_iou(self, y_true, y_pred):
            intersection = ops.sum(ops.abs(y_true * y_pred), axis=[1, 2, 3])
            union = ops.sum(y_true, [1, 2, 3]) + ops.sum(y_pred, [1, 2, 3])
            union = union - intersection
            return ops.mean((intersection + self.smooth) / (union + self.smooth), axis=0)

        def compute_loss(self, x, y_true, y_pred, sample_weight=None, training=False):
            total = 0.0
            for y_pred_i in y_pred:
                cross_entropy_loss = self.cross_entropy_loss(y_true, y_pred_i)
                ssim_value = self.ssim_value(y_true, y_pred, max_val=1)
                ssim_loss = ops.mean(1 - ssim_value + self.smooth, axis=0)
                iou_value = self.iou_value(y_true, y_pred)
                iou_loss = 1 - iou_value
                total += cross_entropy_loss + ssim_loss + iou_loss
            return total

    basnet_model = BASNet(input_shape=[IMAGE_SIZE, IMAGE_SIZE, 3], out_classes=OUT_CLASSES)
    sync(basnet_model)
    lines = []
    basnet_model.summary(print_fn=lambda text, *a, **k: lines.append(text))
    optimizer = keras.optimizers.Adam(learning_rate=1e-4, epsilon=1e-8)
    basnet_model.compile(optimizer=optimizer,
                         metrics=[keras.metrics.MeanAbsoluteError(name="mae") for _ in basnet_model.outputs])
    history = basnet_model.fit(train_dataset, validation_data=val_dataset, epochs=2, verbose=0)
    pred = basnet_model.predict(images[4:5], verbose=0)
    return {"history": history.history, "n_outputs": len(basnet_model.outputs), "params": basnet_model.count_params(),
            "layers": [layer.name for layer in basnet_model.layers if "resnet34" in layer.name],
            "summary_total": [line for line in "\n".join(lines).split("\n") if "Total params" in line],
            "pred": pred}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow", reason="tf.image.ssim in compute_loss")
def test_basnet():
    check_program(basnet, rtol=1e-3, atol=1e-3)
