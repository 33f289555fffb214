"""keras.io example "Image Segmentation using Composable Fully-Convolutional Networks"
(examples/vision/fully_convolutional_network.py).

The example's steps as written: ``keras.layers.Resizing`` of the uint8 images and masks (called on the arrays,
where the example maps it over a ``tf.data`` pipeline), ``keras.applications.vgg19.preprocess_input``, a VGG19
backbone cut at ``block3_pool`` / ``block4_pool`` / ``block5_pool`` with ``keras.models.Model`` and frozen, the
"dense" convolutions (``Constant(1.0)`` kernels, then weights set from reshaped arrays) in a frozen ``Sequential``,
and FCN-32S / FCN-16S / FCN-8S sharing layers, each compiled with ``AdamW``, ``SparseCategoricalCrossentropy``,
``MeanIoU(sparse_y_pred=False)`` and ``SparseCategoricalAccuracy``, fitted with validation data, then ``predict``.

It found that Keras's ``Resizing`` returns integer images in their own dtype (rounded, saturated), so that
``preprocess_input`` then wraps around in uint8; kerasport returned floats.

Changed: Oxford-IIIT Pets (a download) becomes 6 random 40x40 uint8 images and masks (values 1..3) resized to
32x32 (224x224 in the example); ``VGG19(include_top=False, weights=None)`` (no download; the example's ``fc1`` /
``fc2`` weights become random arrays of the same reshaping, 16 units instead of 4096); ``Dropout(0.0)`` (dropout
masks are random); batch 4, 2 epochs, ``shuffle=False``. The example's ``mixed_float16`` policy is switched off
here (float16 convolutions on torch's CPU take 40 s); run with it (scratch), everything agreed except
``argmax`` of near-tied float16 predictions.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

NUM_CLASSES = 4
INPUT_HEIGHT = 32
INPUT_WIDTH = 32
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 1e-4
EPOCHS = 2
BATCH_SIZE = 4
MIXED_PRECISION = False


def fcn(keras, sync):
    if MIXED_PRECISION:
        policy = keras.mixed_precision.Policy("mixed_float16")
        keras.mixed_precision.set_global_policy(policy)
    try:
        return _fcn(keras, sync)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def _fcn(keras, sync):
    rng = np.random.RandomState(0)
    raw_images = rng.randint(0, 256, (6, 40, 40, 3)).astype("uint8")
    raw_masks = rng.randint(1, 4, (6, 40, 40, 1)).astype("uint8")

    def unpack_resize_data(image, segmentation_mask):
        resize_layer = keras.layers.Resizing(INPUT_HEIGHT, INPUT_WIDTH)
        image = resize_layer(image)
        segmentation_mask = resize_layer(segmentation_mask)
        return image, segmentation_mask

    def preprocess_data(image, segmentation_mask):
        image = keras.applications.vgg19.preprocess_input(image)
        return image, segmentation_mask

    images, masks = preprocess_data(*unpack_resize_data(raw_images, raw_masks))
    images = keras.ops.convert_to_numpy(images)
    masks = keras.ops.convert_to_numpy(masks)
    x_train, y_train = images[:4], masks[:4]
    x_val, y_val = images[4:], masks[4:]

    input_layer = keras.Input(shape=(INPUT_HEIGHT, INPUT_WIDTH, 3))
    vgg_model = keras.applications.vgg19.VGG19(include_top=False, weights=None,
                                               input_shape=(INPUT_HEIGHT, INPUT_WIDTH, 3))
    fcn_backbone = keras.models.Model(
        inputs=vgg_model.layers[1].input,
        outputs=[vgg_model.get_layer(block_name).output
                 for block_name in ["block3_pool", "block4_pool", "block5_pool"]],
    )
    fcn_backbone.trainable = False
    x = fcn_backbone(input_layer)
    units = [16, 16]
    dense_convs = []
    for filter_idx in range(len(units)):
        dense_conv = keras.layers.Conv2D(
            filters=units[filter_idx], kernel_size=(7, 7) if filter_idx == 0 else (1, 1), strides=(1, 1),
            activation="relu", padding="same", use_bias=False,
            kernel_initializer=keras.initializers.Constant(1.0),
        )
        dense_convs.append(dense_conv)
        dropout_layer = keras.layers.Dropout(0.0)
        dense_convs.append(dropout_layer)
    dense_convs = keras.Sequential(dense_convs)
    dense_convs.trainable = False
    x[-1] = dense_convs(x[-1])
    pool3_output, pool4_output, pool5_output = x

    pool5 = keras.layers.Conv2D(filters=NUM_CLASSES, kernel_size=(1, 1), padding="same", strides=(1, 1),
                                activation="relu")
    fcn32s_conv_layer = keras.layers.Conv2D(filters=NUM_CLASSES, kernel_size=(1, 1), activation="softmax",
                                            padding="same", strides=(1, 1))
    fcn32s_upsampling = keras.layers.UpSampling2D(size=(32, 32), data_format=keras.backend.image_data_format(),
                                                  interpolation="bilinear")
    final_fcn32s_pool = pool5(pool5_output)
    final_fcn32s_output = fcn32s_conv_layer(final_fcn32s_pool)
    final_fcn32s_output = fcn32s_upsampling(final_fcn32s_output)
    fcn32s_model = keras.Model(inputs=input_layer, outputs=final_fcn32s_output)

    pool4 = keras.layers.Conv2D(filters=NUM_CLASSES, kernel_size=(1, 1), padding="same", strides=(1, 1),
                                activation="linear", kernel_initializer=keras.initializers.Zeros())(pool4_output)
    pool5 = keras.layers.UpSampling2D(size=(2, 2), data_format=keras.backend.image_data_format(),
                                      interpolation="bilinear")(final_fcn32s_pool)
    fcn16s_conv_layer = keras.layers.Conv2D(filters=NUM_CLASSES, kernel_size=(1, 1), activation="softmax",
                                            padding="same", strides=(1, 1))
    fcn16s_upsample_layer = keras.layers.UpSampling2D(size=(16, 16), data_format=keras.backend.image_data_format(),
                                                      interpolation="bilinear")
    final_fcn16s_pool = keras.layers.Add()([pool4, pool5])
    final_fcn16s_output = fcn16s_conv_layer(final_fcn16s_pool)
    final_fcn16s_output = fcn16s_upsample_layer(final_fcn16s_output)
    fcn16s_model = keras.models.Model(inputs=input_layer, outputs=final_fcn16s_output)

    pool3 = keras.layers.Conv2D(filters=NUM_CLASSES, kernel_size=(1, 1), padding="same", strides=(1, 1),
                                activation="linear", kernel_initializer=keras.initializers.Zeros())(pool3_output)
    intermediate_pool_output = keras.layers.UpSampling2D(size=(2, 2), data_format=keras.backend.image_data_format(),
                                                         interpolation="bilinear")(final_fcn16s_pool)
    fcn8s_conv_layer = keras.layers.Conv2D(filters=NUM_CLASSES, kernel_size=(1, 1), activation="softmax",
                                           padding="same", strides=(1, 1))
    fcn8s_upsample_layer = keras.layers.UpSampling2D(size=(8, 8), data_format=keras.backend.image_data_format(),
                                                     interpolation="bilinear")
    final_fcn8s_pool = keras.layers.Add()([pool3, intermediate_pool_output])
    final_fcn8s_output = fcn8s_conv_layer(final_fcn8s_pool)
    final_fcn8s_output = fcn8s_upsample_layer(final_fcn8s_output)
    fcn8s_model = keras.models.Model(inputs=input_layer, outputs=final_fcn8s_output)
    sync(fcn8s_model)
    sync(fcn32s_model)
    sync(fcn16s_model)

    wrng = np.random.RandomState(1)
    weights1 = (wrng.randn(7 * 7 * 512, 16) * 0.01).astype("float32")
    weights2 = (wrng.randn(16, 16) * 0.1).astype("float32")
    weights1 = weights1.reshape(7, 7, 512, 16)
    weights2 = weights2.reshape(1, 1, 16, 16)
    dense_convs.layers[0].set_weights([weights1])
    dense_convs.layers[2].set_weights([weights2])

    out = {"prep": images[:2], "masks": masks[:2], "dtypes": [str(fcn8s_model.layers[-1].compute_dtype),
                                                               str(fcn8s_model.layers[-1].variable_dtype)],
           "n_trainable": [len(m.trainable_weights) for m in (fcn32s_model, fcn16s_model, fcn8s_model)],
           "params": [m.count_params() for m in (fcn32s_model, fcn16s_model, fcn8s_model)]}
    for name, model in (("fcn32s", fcn32s_model), ("fcn16s", fcn16s_model), ("fcn8s", fcn8s_model)):
        optimizer = keras.optimizers.AdamW(learning_rate=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
        loss = keras.losses.SparseCategoricalCrossentropy()
        model.compile(optimizer=optimizer, loss=loss, metrics=[
            keras.metrics.MeanIoU(num_classes=NUM_CLASSES, sparse_y_pred=False),
            keras.metrics.SparseCategoricalAccuracy()])
        history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_data=(x_val, y_val),
                            shuffle=False, verbose=0)
        out[name] = history.history
    pred_image = keras.ops.expand_dims(raw_images[0].astype("float"), axis=0)
    pred_image = keras.applications.vgg19.preprocess_input(pred_image)
    for name, model in (("fcn32s", fcn32s_model), ("fcn16s", fcn16s_model), ("fcn8s", fcn8s_model)):
        pred = model.predict(keras.ops.image.resize(pred_image, (INPUT_HEIGHT, INPUT_WIDTH)),
                             verbose=0).astype("float")
        out["pred_" + name] = pred
    return out


def test_fully_convolutional_network():
    check_program(fcn, rtol=2e-3, atol=1e-3)
