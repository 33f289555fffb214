"""InceptionV3 (Szegedy et al., 2015)."""
from kerasport import backend, layers
from kerasport.applications import imagenet_utils as iu

BASE_WEIGHTS_PATH = iu.KERAS_APPLICATIONS + "inception_v3/"
WEIGHTS_HASHES = ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution (no bias), batch normalization without scale, ReLU."""
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
                      name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=iu.channel_axis(), scale=False, name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _chain(x, convs):
    """``conv2d_bn`` applied in turn for each ``(filters, rows, cols[, strides, padding])``."""
    for spec in convs:
        filters, rows, cols, *rest = spec
        x = conv2d_bn(x, filters, rows, cols, strides=rest[0] if rest else (1, 1),
                      padding=rest[1] if rest else "same")
    return x


def _avg_branch(x, filters):
    return conv2d_bn(layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x), filters, 1, 1)


def _concat(branches, name=None):
    return layers.concatenate(branches, axis=iu.channel_axis(), name=name)


@iu.model_doc("Instantiate the Inception v3 architecture.", "inception_v3", size="(299, 299, 3)")
def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="inception_v3"):
    iu.check_weights(weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, 299, 75, backend.image_data_format(), include_top, weights)
    img_input = iu.image_input(input_tensor, input_shape)
    s2v = ((2, 2), "valid")
    x = _chain(img_input, [(32, 3, 3, *s2v), (32, 3, 3, (1, 1), "valid"), (64, 3, 3)])
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _chain(x, [(80, 1, 1, (1, 1), "valid"), (192, 3, 3, (1, 1), "valid")])
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for i, pool_filters in enumerate((32, 64, 64)):  # mixed 0-2: 35 x 35 x 256/288
        x = _concat([_chain(x, [(64, 1, 1)]), _chain(x, [(48, 1, 1), (64, 5, 5)]),
                     _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)]), _avg_branch(x, pool_filters)], f"mixed{i}")
    x = _concat([_chain(x, [(384, 3, 3, *s2v)]), _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3, *s2v)]),
                 layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed3")
    for i, f in enumerate((128, 160, 160, 192)):  # mixed 4-7: 17 x 17 x 768
        x = _concat([_chain(x, [(192, 1, 1)]), _chain(x, [(f, 1, 1), (f, 1, 7), (192, 7, 1)]),
                     _chain(x, [(f, 1, 1), (f, 7, 1), (f, 1, 7), (f, 7, 1), (192, 1, 7)]), _avg_branch(x, 192)],
                    f"mixed{4 + i}")
    x = _concat([_chain(x, [(192, 1, 1), (320, 3, 3, *s2v)]),
                 _chain(x, [(192, 1, 1), (192, 1, 7), (192, 7, 1), (192, 3, 3, *s2v)]),
                 layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed8")
    for i in range(2):  # mixed 9-10: 8 x 8 x 2048
        branch1x1 = _chain(x, [(320, 1, 1)])
        branch3x3 = _chain(x, [(384, 1, 1)])
        branch3x3 = _concat([_chain(branch3x3, [(384, 1, 3)]), _chain(branch3x3, [(384, 3, 1)])], f"mixed9_{i}")
        dbl = _chain(x, [(448, 1, 1), (384, 3, 3)])
        dbl = _concat([_chain(dbl, [(384, 1, 3)]), _chain(dbl, [(384, 3, 1)])])
        x = _concat([branch1x1, branch3x3, dbl, _avg_branch(x, 192)], f"mixed{9 + i}")
    if include_top:
        x = iu.dense_top(x, classes, classifier_activation, weights)
    else:
        x = iu.pool(x, pooling)
    file_name = f"inception_v3_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    imagenet = (file_name, BASE_WEIGHTS_PATH + file_name, WEIGHTS_HASHES[0 if include_top else 1])
    return iu.build(input_tensor, img_input, x, name, weights, imagenet)


def preprocess_input(x, data_format=None):
    """Preprocess images for InceptionV3: scale to [-1, 1] (``mode="tf"``)."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
