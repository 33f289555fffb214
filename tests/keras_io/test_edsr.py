"""keras.io example "Enhanced Deep Residual Networks for single-image super-resolution" (examples/vision/edsr.py).

The example's ``EDSRModel``, a ``Model`` subclass built as a Functional model (``EDSRModel(input_layer,
output_layer)``) with its own ``predict_step`` (expand, clip, round, cast to ``uint8``, squeeze) called directly on
one image; ``ResBlock``s, the ``Upsampling`` block of two depth-to-space steps, ``Rescaling`` in and out; ``Adam``
on a ``PiecewiseConstantDecay`` schedule, the ``"mae"`` loss and the ``PSNR`` metric function; ``fit`` with
``steps_per_epoch`` and validation data. Two programs: ``edsr_tf`` as keras.io writes it for TensorFlow (its
``tf.GradientTape`` ``train_step`` with ``compiled_loss`` / ``compiled_metrics``, ``tf.nn.depth_to_space`` in a
``Lambda``, ``tf.image.psnr``, a repeated ``tf.data`` pipeline, inputs of unknown height and width), run under
``KERASPORT_BACKEND=tensorflow`` only; ``edsr`` in ``keras.ops`` (a ``DepthToSpace`` layer of reshapes and a
transpose, PSNR from the mean squared error, the default ``train_step``) on both backends.

Changed: DIV2K (a download) becomes 24 random 16x16 images and their 4x4 block means; 8 filters instead of 64, 1
residual block instead of 16; the random crop / flip / rotation of the ``tf.data`` pipeline is left out; 2 epochs
of 3 steps, the learning rate dropping after 3 steps. ``predict_step`` rounds outputs near .5 either way between
the libraries: its pixels are checked to be the rounded, clipped raw output, and the raw output is compared.
What it fixed: a metric function (``PSNR``) was logged under its own ``__name__``; Keras logs ``psnr``.
"""
import numpy as np
import pytest
import kerasport
from tests.programs.test_keras_programs import check_program

F = 8  # num_filters (64)


def _edsr(keras, sync, tf_version):
    layers, ops = keras.layers, keras.ops
    rng = np.random.RandomState(0)
    highres = rng.randint(0, 256, (24, 16, 16, 3)).astype("float32")
    lowres = highres.reshape(24, 4, 4, 4, 4, 3).mean(axis=(2, 4)).round()
    if tf_version:
        import tensorflow as tf

        class EDSRModel(keras.Model):
            def train_step(self, data):
                x, y = data
                with tf.GradientTape() as tape:
                    y_pred = self(x, training=True)
                    loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
                trainable_vars = self.trainable_variables
                gradients = tape.gradient(loss, trainable_vars)
                self.optimizer.apply_gradients(zip(gradients, trainable_vars))
                self.compiled_metrics.update_state(y, y_pred)
                return {m.name: m.result() for m in self.metrics}

            def predict_step(self, x):
                x = tf.cast(tf.expand_dims(x, axis=0), tf.float32)
                super_resolution_img = self(x, training=False)
                super_resolution_img = tf.clip_by_value(super_resolution_img, 0, 255)
                super_resolution_img = tf.round(super_resolution_img)
                return tf.squeeze(tf.cast(super_resolution_img, tf.uint8), axis=0)

        def depth_to_space(x, factor):
            return layers.Lambda(lambda t: tf.nn.depth_to_space(t, block_size=factor))(x)

        def PSNR(super_resolution, high_resolution):
            return tf.image.psnr(high_resolution, super_resolution, max_val=255)[0]
    else:
        class EDSRModel(keras.Model):
            def predict_step(self, x):
                x = ops.cast(ops.expand_dims(x, axis=0), "float32")
                super_resolution_img = self(x, training=False)
                super_resolution_img = ops.clip(super_resolution_img, 0, 255)
                super_resolution_img = ops.round(super_resolution_img)
                return ops.squeeze(ops.cast(super_resolution_img, "uint8"), axis=0)

        class DepthToSpace(layers.Layer):
            def __init__(self, block_size, **kwargs):
                super().__init__(**kwargs)
                self.block_size = block_size

            def call(self, x):
                b, h, w, c = ops.shape(x)
                f = self.block_size
                x = ops.reshape(x, (-1, h, w, f, f, c // (f * f)))
                x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
                return ops.reshape(x, (-1, h * f, w * f, c // (f * f)))

        def depth_to_space(x, factor):
            return DepthToSpace(factor)(x)

        def PSNR(super_resolution, high_resolution):
            mse = ops.mean(ops.square(high_resolution - super_resolution), axis=(1, 2, 3))
            return (10.0 * ops.log(255.0 ** 2 / mse) / ops.log(10.0))[0]

    def ResBlock(inputs):
        x = layers.Conv2D(F, 3, padding="same", activation="relu")(inputs)
        x = layers.Conv2D(F, 3, padding="same")(x)
        return layers.Add()([inputs, x])

    def Upsampling(inputs, factor=2, **kwargs):
        x = layers.Conv2D(F * (factor**2), 3, padding="same", **kwargs)(inputs)
        x = depth_to_space(x, factor)
        x = layers.Conv2D(F * (factor**2), 3, padding="same", **kwargs)(x)
        return depth_to_space(x, factor)

    def make_model(num_filters, num_of_residual_blocks):
        input_layer = layers.Input(shape=(None, None, 3)) if tf_version else layers.Input(shape=(4, 4, 3))
        x = layers.Rescaling(scale=1.0 / 255)(input_layer)
        x = x_new = layers.Conv2D(num_filters, 3, padding="same")(x)
        for _ in range(num_of_residual_blocks):
            x_new = ResBlock(x_new)
        x_new = layers.Conv2D(num_filters, 3, padding="same")(x_new)
        x = layers.Add()([x, x_new])
        x = Upsampling(x)
        x = layers.Conv2D(3, 3, padding="same")(x)
        output_layer = layers.Rescaling(scale=255)(x)
        return EDSRModel(input_layer, output_layer)

    model = make_model(num_filters=F, num_of_residual_blocks=1)
    sync(model)
    optim_edsr = keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.PiecewiseConstantDecay(
        boundaries=[3], values=[1e-3, 5e-4]))
    model.compile(optimizer=optim_edsr, loss="mae", metrics=[PSNR])
    if tf_version:
        train_ds = tf.data.Dataset.from_tensor_slices((lowres[:16], highres[:16])).batch(4).repeat()
        val_ds = tf.data.Dataset.from_tensor_slices((lowres[16:], highres[16:])).batch(4)
        history = model.fit(train_ds, epochs=2, steps_per_epoch=3, validation_data=val_ds, verbose=0)
    else:
        history = model.fit(lowres[:16], highres[:16], batch_size=4, epochs=2, steps_per_epoch=3, shuffle=False,
                            validation_data=(lowres[16:], highres[16:]), verbose=0)
    preds = [ops.convert_to_numpy(model.predict_step(lowres[i])) for i in range(16, 18)]
    raw = ops.convert_to_numpy(model(lowres[16:18], training=False))
    # predict_step's rounding of outputs near .5 may go either way between the libraries: its pixels are compared
    # by being the rounded, clipped raw output; the raw output is compared to Keras's
    rounded = all(np.abs(p.astype("float32") - np.clip(r, 0, 255)).max() <= 0.5 + 1e-3 for p, r in zip(preds, raw))
    preds = [{"dtype": str(p.dtype), "shape": p.shape, "rounded": rounded} for p in preds]
    whole = model.evaluate(lowres[16:], highres[16:], batch_size=4, verbose=0)
    return {"history": history.history, "preds": preds, "raw": raw, "evaluate": whole, "lr": float(
        ops.convert_to_numpy(model.optimizer.learning_rate))}


def edsr(keras, sync):
    return _edsr(keras, sync, tf_version=False)


def edsr_tf(keras, sync):
    return _edsr(keras, sync, tf_version=True)


def test_edsr():
    check_program(edsr, rtol=1e-3, atol=1e-3)


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow", reason="tf.GradientTape train_step")
def test_edsr_tf():
    check_program(edsr_tf, rtol=1e-3, atol=1e-3)
