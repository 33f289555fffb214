"""keras.io example "Monocular Depth Estimation" (examples/vision/depth_estimation.py), TensorFlow only.

The example's ``DataGenerator`` (a ``keras.utils.Sequence`` whose ``__getitem__`` shrinks ``self.batch_size`` when
it reaches the last, partial batch, so that ``__len__`` grows), its masked log-depth targets, the ``DownscaleBlock``
/ ``UpscaleBlock`` / ``BottleNeckBlock`` layers (``LeakyReLU(alpha=0.2)``, ``x += d``, two outputs), the
``DepthEstimationModel`` with its ``loss_metric``, ``tf.image.image_gradients`` / ``tf.image.ssim`` loss and
``tf.GradientTape`` ``train_step`` / ``test_step``, compiled with an unused ``SparseCategoricalCrossentropy`` and
fitted on the ``Sequence`` with a validation ``Sequence``, then ``predict`` on a batch.

Changed: the DIODE images and depth files (a download, read with OpenCV) become 10 random 32x32 images and depth
maps in NumPy arrays (no ``cv2.resize``: they are made at size); the batches are ``float32`` (the example's float64
``np.empty`` targets meet a float32 prediction in ``tf.image.image_gradients``, which Keras 3 rejects);
``np.log(..., where=mask)`` writes into zeros (left uninitialized, the masked entries made Keras's own losses vary
from run to run); batches of 4, 2 epochs. What it found: Keras reads the first two batches to learn their structure
(here that shrinks the batch size) and keeps the number of batches ``__len__`` gave at the start of ``fit``.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

HEIGHT = 32
WIDTH = 32
LR = 0.0002
BATCH_SIZE = 4


def depth_estimation(keras, sync):
    import tensorflow as tf
    layers = keras.layers
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (10, HEIGHT, WIDTH, 3)).astype("uint8")
    depths = rng.uniform(0.05, 20, (10, HEIGHT, WIDTH)).astype("float32")
    masks = rng.uniform(size=(10, HEIGHT, WIDTH)) > 0.1

    class DataGenerator(keras.utils.Sequence):
        def __init__(self, data, batch_size=6, dim=(768, 1024), n_channels=3, shuffle=True):
            self.data = data
            self.indices = list(range(len(data["image"])))
            self.dim = dim
            self.n_channels = n_channels
            self.batch_size = batch_size
            self.shuffle = shuffle
            self.min_depth = 0.1
            self.on_epoch_end()

        def __len__(self):
            return int(np.ceil(len(self.data["image"]) / self.batch_size))

        def __getitem__(self, index):
            if (index + 1) * self.batch_size > len(self.indices):
                self.batch_size = len(self.indices) - index * self.batch_size
            index = self.indices[index * self.batch_size:(index + 1) * self.batch_size]
            batch = [self.indices[k] for k in index]
            x, y = self.data_generation(batch)
            return x, y

        def on_epoch_end(self):
            self.index = np.arange(len(self.indices))
            if self.shuffle == True:  # noqa: E712
                np.random.shuffle(self.index)

        def load(self, image_path, depth_map, mask):
            image_ = tf.image.convert_image_dtype(image_path, tf.float32)
            depth_map = depth_map.squeeze()
            mask = mask > 0
            max_depth = min(300, np.percentile(depth_map, 99))
            depth_map = np.clip(depth_map, self.min_depth, max_depth)
            depth_map = np.log(depth_map, where=mask, out=np.zeros_like(depth_map))
            depth_map = np.ma.masked_where(~mask, depth_map)
            depth_map = np.clip(depth_map, 0.1, np.log(max_depth))
            depth_map = np.expand_dims(depth_map, axis=2)
            depth_map = tf.image.convert_image_dtype(depth_map, tf.float32)
            return image_, depth_map

        def data_generation(self, batch):
            x = np.empty((self.batch_size, *self.dim, self.n_channels), "float32")
            y = np.empty((self.batch_size, *self.dim, 1), "float32")
            for i, batch_id in enumerate(batch):
                x[i,], y[i,] = self.load(self.data["image"][batch_id], self.data["depth"][batch_id],
                                         self.data["mask"][batch_id])
            return x, y

    class DownscaleBlock(layers.Layer):
        def __init__(self, filters, kernel_size=(3, 3), padding="same", strides=1):
            super().__init__()
            self.convA = layers.Conv2D(filters, kernel_size, strides, padding)
            self.convB = layers.Conv2D(filters, kernel_size, strides, padding)
            self.reluA = layers.LeakyReLU(alpha=0.2)
            self.reluB = layers.LeakyReLU(alpha=0.2)
            self.bn2a = keras.layers.BatchNormalization()
            self.bn2b = keras.layers.BatchNormalization()
            self.pool = layers.MaxPool2D((2, 2), (2, 2))

        def call(self, input_tensor):
            d = self.convA(input_tensor)
            x = self.bn2a(d)
            x = self.reluA(x)
            x = self.convB(x)
            x = self.bn2b(x)
            x = self.reluB(x)
            x += d
            p = self.pool(x)
            return x, p

    class UpscaleBlock(layers.Layer):
        def __init__(self, filters, kernel_size=(3, 3), padding="same", strides=1):
            super().__init__()
            self.us = layers.UpSampling2D((2, 2))
            self.convA = layers.Conv2D(filters, kernel_size, strides, padding)
            self.convB = layers.Conv2D(filters, kernel_size, strides, padding)
            self.reluA = layers.LeakyReLU(alpha=0.2)
            self.reluB = layers.LeakyReLU(alpha=0.2)
            self.bn2a = keras.layers.BatchNormalization()
            self.bn2b = keras.layers.BatchNormalization()
            self.conc = layers.Concatenate()

        def call(self, x, skip):
            x = self.us(x)
            concat = self.conc([x, skip])
            x = self.convA(concat)
            x = self.bn2a(x)
            x = self.reluA(x)
            x = self.convB(x)
            x = self.bn2b(x)
            x = self.reluB(x)
            return x

    class BottleNeckBlock(layers.Layer):
        def __init__(self, filters, kernel_size=(3, 3), padding="same", strides=1):
            super().__init__()
            self.convA = layers.Conv2D(filters, kernel_size, strides, padding)
            self.convB = layers.Conv2D(filters, kernel_size, strides, padding)
            self.reluA = layers.LeakyReLU(alpha=0.2)
            self.reluB = layers.LeakyReLU(alpha=0.2)

        def call(self, x):
            x = self.convA(x)
            x = self.reluA(x)
            x = self.convB(x)
            x = self.reluB(x)
            return x

    class DepthEstimationModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.ssim_loss_weight = 0.85
            self.l1_loss_weight = 0.1
            self.edge_loss_weight = 0.9
            self.loss_metric = keras.metrics.Mean(name="loss")
            f = [16, 32, 64, 128, 256]
            self.downscale_blocks = [DownscaleBlock(f[0]), DownscaleBlock(f[1]), DownscaleBlock(f[2]),
                                     DownscaleBlock(f[3])]
            self.bottle_neck_block = BottleNeckBlock(f[4])
            self.upscale_blocks = [UpscaleBlock(f[3]), UpscaleBlock(f[2]), UpscaleBlock(f[1]), UpscaleBlock(f[0])]
            self.conv_layer = layers.Conv2D(1, (1, 1), padding="same", activation="tanh")

        def calculate_loss(self, target, pred):
            dy_true, dx_true = tf.image.image_gradients(target)
            dy_pred, dx_pred = tf.image.image_gradients(pred)
            weights_x = tf.exp(tf.reduce_mean(tf.abs(dx_true)))
            weights_y = tf.exp(tf.reduce_mean(tf.abs(dy_true)))
            smoothness_x = dx_pred * weights_x
            smoothness_y = dy_pred * weights_y
            l_edges = tf.reduce_mean(abs(smoothness_x)) + tf.reduce_mean(abs(smoothness_y))
            l_ssim = tf.reduce_mean(1 - tf.image.ssim(target, pred, max_val=WIDTH, filter_size=7, k1=0.01 ** 2,
                                                      k2=0.03 ** 2))
            l1_loss = tf.reduce_mean(tf.abs(target - pred))
            return (self.ssim_loss_weight * l_ssim) + (self.l1_loss_weight * l1_loss) + \
                (self.edge_loss_weight * l_edges)

        @property
        def metrics(self):
            return [self.loss_metric]

        def train_step(self, batch_data):
            input, target = batch_data
            with tf.GradientTape() as tape:
                pred = self(input, training=True)
                loss = self.calculate_loss(target, pred)
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
            self.loss_metric.update_state(loss)
            return {"loss": self.loss_metric.result()}

        def test_step(self, batch_data):
            input, target = batch_data
            pred = self(input, training=False)
            loss = self.calculate_loss(target, pred)
            self.loss_metric.update_state(loss)
            return {"loss": self.loss_metric.result()}

        def call(self, x):
            c1, p1 = self.downscale_blocks[0](x)
            c2, p2 = self.downscale_blocks[1](p1)
            c3, p3 = self.downscale_blocks[2](p2)
            c4, p4 = self.downscale_blocks[3](p3)
            bn = self.bottle_neck_block(p4)
            u1 = self.upscale_blocks[0](bn, c4)
            u2 = self.upscale_blocks[1](u1, c3)
            u3 = self.upscale_blocks[2](u2, c2)
            u4 = self.upscale_blocks[3](u3, c1)
            return self.conv_layer(u4)

    optimizer = keras.optimizers.Adam(learning_rate=LR, amsgrad=False)
    dem = DepthEstimationModel()
    dem(np.zeros((1, HEIGHT, WIDTH, 3), "float32"))
    sync(dem)
    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    dem.compile(optimizer, loss=cross_entropy)
    data = {"image": images, "depth": depths, "mask": masks}
    train_loader = DataGenerator(data={k: v[:7] for k, v in data.items()}, batch_size=BATCH_SIZE, dim=(HEIGHT, WIDTH))
    validation_loader = DataGenerator(data={k: v[7:] for k, v in data.items()}, batch_size=BATCH_SIZE,
                                      dim=(HEIGHT, WIDTH))
    before = dem.predict(images[:2].astype("float32") / 255.0, verbose=0)
    history = dem.fit(train_loader, epochs=2, validation_data=validation_loader, verbose=0)
    test_loader = next(iter(DataGenerator(data={k: v[5:] for k, v in data.items()}, batch_size=3,
                                          dim=(HEIGHT, WIDTH))))
    pred = dem.predict(test_loader[0], verbose=0)
    return {"before": before, "history": history.history, "pred_shape": pred.shape,
            "batch_sizes": [train_loader.batch_size, validation_loader.batch_size],
            "n_weights": len(dem.weights)}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="tf.GradientTape train_step, tf.image.ssim / image_gradients in the loss")
def test_depth_estimation():
    # A U-Net of BatchNormalization blocks trained on batches of 1 to 3 samples: 1e-3 (relative) as for BN nets.
    check_program(depth_estimation, rtol=1e-3, atol=1e-4)
