"""keras.io example "Image Super-Resolution using an Efficient Sub-Pixel CNN"
(examples/vision/super_resolution_sub_pixel.py).

The example's steps: ``image_dataset_from_directory(label_mode=None)`` resizing the images on loading, scaling to
[0, 1], the Y channel of YUV as target and its ``"area"`` downsizing as input, the ESPCN model (four orthogonally
initialised ``Conv2D``, then depth-to-space), the ``ESPCNCallback`` (PSNR from ``logs["loss"]`` in
``on_test_batch_end``, a PIL ``upscale_image`` prediction at each epoch end), ``EarlyStopping(monitor="loss")``,
``ModelCheckpoint(save_weights_only=True, save_best_only=True)``, ``fit`` with validation data, ``load_weights``
of the best checkpoint and a final ``upscale_image``.

It found that ``image_dataset_from_directory`` resized with Pillow's filters, up to 7 % away from Keras's
``tf.image.resize`` pixels.

Changed: BSDS500 (a download) becomes 10 random 30x30 PNG images loaded at 24x24 (300x300), upscale factor 3;
widths 16 / 16 / 8 (64 / 64 / 32); 3 epochs, ``shuffle=False``, no plots. The ``tf.image`` / ``tf.split`` /
``tf.nn.depth_to_space`` steps are written with ``keras.ops`` (a YUV matrix, ``ops.split``,
``ops.image.resize(interpolation="area")``, and a ``DepthToSpace`` layer of reshapes and a transpose) so that
the program runs on both backends; the model's input is ``(None, None, 1)``; the checkpoint is ``.weights.h5``
(Keras 3 needs that suffix); the PSNR of the predictions is left out (the images are compared).
"""
import math
import os
import tempfile

import numpy as np

from tests.programs.test_keras_programs import check_program

crop_size = 24
upscale_factor = 3
batch_size = 4
YUV = np.array([[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
                [0.114, 0.43601035, -0.10001026]], "float32")


def espcn(keras, sync):
    import PIL.Image
    layers, ops = keras.layers, keras.ops
    load_img, img_to_array = keras.utils.load_img, keras.utils.img_to_array
    tmp = tempfile.mkdtemp()
    root_dir = os.path.join(tmp, "images")
    os.makedirs(os.path.join(root_dir, "train"))
    rng = np.random.RandomState(0)
    for i in range(10):
        base = rng.randint(0, 256, (8, 8, 3)).astype("uint8")
        img = PIL.Image.fromarray(base).resize((30, 30), PIL.Image.BICUBIC)
        img.save(os.path.join(root_dir, "train", f"{i}.png"))
    test_img_paths = sorted(os.path.join(root_dir, "train", f) for f in os.listdir(os.path.join(root_dir, "train")))

    ds = keras.utils.image_dataset_from_directory(root_dir, batch_size=batch_size, image_size=(crop_size, crop_size),
                                                  label_mode=None, shuffle=False)
    images = np.concatenate([ops.convert_to_numpy(b) for b in ds]) / 255.0

    def process_input(input, crop_size, upscale_factor):
        input = ops.matmul(input, YUV)
        y, u, v = ops.split(input, 3, axis=-1)
        crop_size = crop_size // upscale_factor
        return ops.image.resize(y, [crop_size, crop_size], interpolation="area")

    def process_target(input):
        input = ops.matmul(input, YUV)
        y, u, v = ops.split(input, 3, axis=-1)
        return y

    x_all = ops.convert_to_numpy(process_input(images, crop_size, upscale_factor))
    y_all = ops.convert_to_numpy(process_target(images))
    x_train, y_train, x_val, y_val = x_all[:8], y_all[:8], x_all[8:], y_all[8:]

    class DepthToSpace(layers.Layer):
        def __init__(self, block_size):
            super().__init__()
            self.block_size = block_size

        def call(self, input):
            batch, height, width, depth = ops.shape(input)
            depth = depth // (self.block_size**2)
            x = ops.reshape(input, [batch, height, width, self.block_size, self.block_size, depth])
            x = ops.transpose(x, [0, 1, 3, 2, 4, 5])
            x = ops.reshape(x, [batch, height * self.block_size, width * self.block_size, depth])
            return x

    def get_model(upscale_factor=3, channels=1):
        conv_args = {"activation": "relu", "kernel_initializer": "orthogonal", "padding": "same"}
        inputs = keras.Input(shape=(None, None, channels))
        x = layers.Conv2D(16, 5, **conv_args)(inputs)
        x = layers.Conv2D(16, 3, **conv_args)(x)
        x = layers.Conv2D(8, 3, **conv_args)(x)
        x = layers.Conv2D(channels * (upscale_factor**2), 3, **conv_args)(x)
        outputs = DepthToSpace(upscale_factor)(x)
        return keras.Model(inputs, outputs)

    def get_lowres_image(img, upscale_factor):
        return img.resize((img.size[0] // upscale_factor, img.size[1] // upscale_factor), PIL.Image.BICUBIC)

    def upscale_image(model, img):
        ycbcr = img.convert("YCbCr")
        y, cb, cr = ycbcr.split()
        y = img_to_array(y)
        y = y.astype("float32") / 255.0
        input = np.expand_dims(y, axis=0)
        out = model.predict(input, verbose=0)
        out_img_y = out[0]
        out_img_y *= 255.0
        out_img_y = out_img_y.clip(0, 255)
        out_img_y = out_img_y.reshape((np.shape(out_img_y)[0], np.shape(out_img_y)[1]))
        return out_img_y

    psnrs = []

    class ESPCNCallback(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.test_img = get_lowres_image(load_img(test_img_paths[0]), upscale_factor)

        def on_epoch_begin(self, epoch, logs=None):
            self.psnr = []

        def on_epoch_end(self, epoch, logs=None):
            psnrs.append(np.mean(self.psnr))
            self.prediction = upscale_image(self.model, self.test_img)

        def on_test_batch_end(self, batch, logs=None):
            self.psnr.append(10 * math.log10(1 / logs["loss"]))

    early_stopping_callback = keras.callbacks.EarlyStopping(monitor="loss", patience=10)
    checkpoint_filepath = os.path.join(tmp, "checkpoint.weights.h5")
    model_checkpoint_callback = keras.callbacks.ModelCheckpoint(filepath=checkpoint_filepath, save_weights_only=True,
                                                                monitor="loss", mode="min", save_best_only=True)
    model = get_model(upscale_factor=upscale_factor, channels=1)
    sync(model)
    espcn_cb = ESPCNCallback()
    callbacks = [espcn_cb, early_stopping_callback, model_checkpoint_callback]
    loss_fn = keras.losses.MeanSquaredError()
    optimizer = keras.optimizers.Adam(learning_rate=0.001)
    model.compile(optimizer=optimizer, loss=loss_fn)
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=3, callbacks=callbacks,
                        validation_data=(x_val, y_val), shuffle=False, verbose=0)
    model.load_weights(checkpoint_filepath)
    img = load_img(test_img_paths[9])
    lowres_input = get_lowres_image(img, upscale_factor)
    prediction = upscale_image(model, lowres_input)
    return {"x": x_all[:2], "y": y_all[:2], "history": history.history, "psnrs": psnrs,
            "cb_pred": espcn_cb.prediction / 255.0, "prediction": prediction / 255.0,
            "out_shape": list(model.output_shape), "d2s": model.predict(x_all[:2], verbose=0)}



def test_super_resolution_sub_pixel():
    check_program(espcn, rtol=1e-3, atol=3e-4)
