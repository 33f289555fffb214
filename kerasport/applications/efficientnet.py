"""EfficientNetB0-B7 (Tan & Le, 2019): compound-scaled MBConv networks with squeeze-and-excitation.

The models take pixels in [0, 255]: rescaling and normalization are layers of the model, so
``preprocess_input`` passes its input through.
"""
import math

from kerasport import backend, layers
from kerasport.applications import imagenet_utils as iu

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"
WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
# (kernel_size, repeats, filters_in, filters_out, expand_ratio, strides); every block: id_skip, se_ratio 0.25
DEFAULT_BLOCKS_ARGS = [
    dict(kernel_size=k, repeats=r, filters_in=i, filters_out=o, expand_ratio=e, id_skip=True, strides=s,
         se_ratio=0.25)
    for k, r, i, o, e, s in [(3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
                             (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1)]]
CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                           "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                            "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"}}
IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]


def squeeze_excite(x, filters, filters_se, activation, name):
    """Squeeze-and-excitation: ``x`` times a per-channel gate computed from its global average."""
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se_shape = (filters, 1, 1) if iu.channel_axis() == 1 else (1, 1, filters)
    se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(filters_se, 1, padding="same", activation=activation, kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid", kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def block(inputs, activation="swish", drop_rate=0.0, name="", filters_in=32, filters_out=16, kernel_size=3, strides=1,
          expand_ratio=1, se_ratio=0.0, id_skip=True):
    """An inverted residual (MBConv) block: expansion, depthwise convolution, squeeze-excite, projection."""
    axis = iu.channel_axis()
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(filters, 1, padding="same", use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER,
                          name=f"{name}expand_conv")(x)
        x = layers.BatchNormalization(axis=axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    if strides == 2:
        x = layers.ZeroPadding2D(padding=iu.correct_pad(x, kernel_size), name=f"{name}dwconv_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="valid" if strides == 2 else "same",
                               use_bias=False, depthwise_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}dwconv")(x)
    x = layers.BatchNormalization(axis=axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters, max(1, int(filters_in * se_ratio)), activation, name)
    x = layers.Conv2D(filters_out, 1, padding="same", use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER,
                      name=f"{name}project_conv")(x)
    x = layers.BatchNormalization(axis=axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def round_filters(filters, width_coefficient, divisor=8):
    """``filters`` scaled by ``width_coefficient`` and rounded to a multiple of ``divisor``."""
    filters *= width_coefficient
    new_filters = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(new_filters + divisor if new_filters < 0.9 * filters else new_filters)


def EfficientNet(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2, drop_connect_rate=0.2,
                 depth_divisor=8, activation="swish", blocks_args="default", name="efficientnet", include_top=True,
                 weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
                 classifier_activation="softmax", weights_name=None):
    """Build an EfficientNet scaled by ``width_coefficient`` (channels) and ``depth_coefficient`` (repeats).

    ``default_size`` is the image side, ``dropout_rate`` the rate before the classifier,
    ``drop_connect_rate`` the largest stochastic-depth rate, ``weights_name`` (``"b0"``...) the
    ImageNet file; other arguments as in ``EfficientNetB0``.
    """
    blocks_args = DEFAULT_BLOCKS_ARGS if blocks_args == "default" else blocks_args
    iu.check_weights(weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, default_size, 32, backend.image_data_format(), include_top,
                                        weights)
    img_input = iu.image_input(input_tensor, input_shape)
    axis = iu.channel_axis() % 4
    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=axis)(x)
    if weights == "imagenet":  # the published weights were trained with this (wrong) std; keep it to match them
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=iu.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(round_filters(32, width_coefficient, depth_divisor), 3, strides=2, padding="valid",
                      use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv")(x)
    x = layers.BatchNormalization(axis=axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    repeats = [int(math.ceil(depth_coefficient * args["repeats"])) for args in blocks_args]
    total, b = float(sum(repeats)), 0
    for i, (args, n) in enumerate(zip(blocks_args, repeats)):
        if args["repeats"] <= 0:
            raise ValueError(f"The number of repeats in `EfficientNet` must be > 0. Received: {args['repeats']}")
        args = {k: v for k, v in args.items() if k != "repeats"}
        args["filters_in"] = round_filters(args["filters_in"], width_coefficient, depth_divisor)
        args["filters_out"] = round_filters(args["filters_out"], width_coefficient, depth_divisor)
        for j in range(n):
            if j > 0:
                args["strides"], args["filters_in"] = 1, args["filters_out"]
            x = block(x, activation, drop_connect_rate * b / total, name=f"block{i + 1}{chr(j + 97)}_", **args)
            b += 1
    x = layers.Conv2D(round_filters(1280, width_coefficient, depth_divisor), 1, padding="same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv")(x)
    x = layers.BatchNormalization(axis=axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        iu.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         name="predictions")(x)
    else:
        x = iu.pool(x, pooling, "avg_pool", "max_pool")
    imagenet = None
    if weights_name in WEIGHTS_HASHES:
        file_name = f"efficientnet{weights_name}{'.h5' if include_top else '_notop.h5'}"
        imagenet = (file_name, BASE_WEIGHTS_PATH + file_name, WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return iu.build(input_tensor, img_input, x, name, weights, imagenet)


def _doc(variant, size):
    return iu.model_doc(f"Instantiate the EfficientNet{variant} architecture. The model takes pixels in [0, 255].",
                        "efficientnet", size=f"({size}, {size}, 3)")


@_doc("B0", 224)
def EfficientNetB0(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb0"):
    return EfficientNet(1.0, 1.0, 224, 0.2, name=name, include_top=include_top, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation, weights_name="b0")


@_doc("B1", 240)
def EfficientNetB1(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb1"):
    return EfficientNet(1.0, 1.1, 240, 0.2, name=name, include_top=include_top, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation, weights_name="b1")


@_doc("B2", 260)
def EfficientNetB2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb2"):
    return EfficientNet(1.1, 1.2, 260, 0.3, name=name, include_top=include_top, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation, weights_name="b2")


@_doc("B3", 300)
def EfficientNetB3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb3"):
    return EfficientNet(1.2, 1.4, 300, 0.3, name=name, include_top=include_top, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation, weights_name="b3")


@_doc("B4", 380)
def EfficientNetB4(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb4"):
    return EfficientNet(1.4, 1.8, 380, 0.4, name=name, include_top=include_top, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation, weights_name="b4")


@_doc("B5", 456)
def EfficientNetB5(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb5"):
    return EfficientNet(1.6, 2.2, 456, 0.4, name=name, include_top=include_top, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation, weights_name="b5")


@_doc("B6", 528)
def EfficientNetB6(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb6"):
    return EfficientNet(1.8, 2.6, 528, 0.5, name=name, include_top=include_top, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation, weights_name="b6")


@_doc("B7", 600)
def EfficientNetB7(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb7"):
    return EfficientNet(2.0, 3.1, 600, 0.5, name=name, include_top=include_top, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation, weights_name="b7")


def preprocess_input(x, data_format=None):
    """A pass-through: EfficientNet models rescale and normalize their [0, 255] inputs themselves."""
    return x


decode_predictions = iu.decode_predictions
