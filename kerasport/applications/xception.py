"""Xception (Chollet, 2017): depthwise-separable convolutions with residual connections."""
from kerasport import backend, layers
from kerasport.applications import imagenet_utils as iu

BASE_WEIGHTS_PATH = iu.KERAS_APPLICATIONS + "xception/"
WEIGHTS_HASHES = ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")


def _bn(x, name=None):
    return layers.BatchNormalization(axis=iu.channel_axis(), name=name)(x)


def _sep(x, filters, name, act=True):
    """(ReLU,) 3x3 separable convolution, batch normalization."""
    if act:
        x = layers.Activation("relu", name=f"{name}_act")(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return _bn(x, f"{name}_bn")


def _down_block(x, filters, block, first_act=True):
    """Two separable convolutions and a stride-2 max pool, plus a strided 1x1 projection of ``x``."""
    residual = _bn(layers.Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same", use_bias=False)(x))
    x = _sep(x, filters[0], f"block{block}_sepconv1", act=first_act)
    if not first_act:
        x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
        x = _sep(x, filters[1], f"block{block}_sepconv2", act=False)
    else:
        x = _sep(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


@iu.model_doc("Instantiate the Xception architecture.", "xception", size="(299, 299, 3)")
def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="xception"):
    iu.check_weights(weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, 299, 71, backend.image_data_format(), include_top, weights)
    img_input = iu.image_input(input_tensor, input_shape)
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.Activation("relu", name="block1_conv1_act")(_bn(x, "block1_conv1_bn"))
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(_bn(x, "block1_conv2_bn"))
    x = _down_block(x, (128, 128), 2, first_act=False)
    x = _down_block(x, (256, 256), 3)
    x = _down_block(x, (728, 728), 4)
    for i in range(8):
        residual = x
        for j in (1, 2, 3):
            x = _sep(x, 728, f"block{i + 5}_sepconv{j}")
        x = layers.add([x, residual])
    x = _down_block(x, (728, 1024), 13)
    x = _sep(x, 1536, "block14_sepconv1", act=False)
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sep(x, 2048, "block14_sepconv2", act=False)
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    if include_top:
        x = iu.dense_top(x, classes, classifier_activation, weights)
    else:
        x = iu.pool(x, pooling)
    file_name = f"xception_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    imagenet = (file_name, BASE_WEIGHTS_PATH + file_name, WEIGHTS_HASHES[0 if include_top else 1])
    return iu.build(input_tensor, img_input, x, name, weights, imagenet)


def preprocess_input(x, data_format=None):
    """Preprocess images for Xception: scale to [-1, 1] (``mode="tf"``)."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
