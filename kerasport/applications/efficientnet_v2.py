"""EfficientNetV2 B0-B3, S, M and L (Tan & Le, 2021): Fused-MBConv early stages, MBConv later ones.
The models take pixels in [0, 255] (``include_preprocessing``); ``preprocess_input`` passes through."""
import math

from kerasport import backend, initializers, layers
from kerasport.applications import imagenet_utils as iu
from kerasport.applications.efficientnet import CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER, squeeze_excite

BASE_WEIGHTS_PATH = iu.KERAS_APPLICATIONS + "efficientnet_v2/"
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
_B = [(3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1), (3, 3, 48, 96, 4, 0.25, 2, 0),
      (3, 5, 96, 112, 6, 0.25, 1, 0), (3, 8, 112, 192, 6, 0.25, 2, 0)]
# (kernel_size, num_repeat, input_filters, output_filters, expand_ratio, se_ratio, strides, conv_type: 1 = fused)
DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": [(3, 2, 24, 24, 1, 0, 1, 1), (3, 4, 24, 48, 4, 0, 2, 1), (3, 4, 48, 64, 4, 0, 2, 1),
                         (3, 6, 64, 128, 4, 0.25, 2, 0), (3, 9, 128, 160, 6, 0.25, 1, 0),
                         (3, 15, 160, 256, 6, 0.25, 2, 0)],
    "efficientnetv2-m": [(3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1), (3, 5, 48, 80, 4, 0, 2, 1),
                         (3, 7, 80, 160, 4, 0.25, 2, 0), (3, 14, 160, 176, 6, 0.25, 1, 0),
                         (3, 18, 176, 304, 6, 0.25, 2, 0), (3, 5, 304, 512, 6, 0.25, 1, 0)],
    "efficientnetv2-l": [(3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1), (3, 7, 64, 96, 4, 0, 2, 1),
                         (3, 10, 96, 192, 4, 0.25, 2, 0), (3, 19, 192, 224, 6, 0.25, 1, 0),
                         (3, 25, 224, 384, 6, 0.25, 2, 0), (3, 7, 384, 640, 6, 0.25, 1, 0)],
    "efficientnetv2-b0": _B, "efficientnetv2-b1": _B, "efficientnetv2-b2": _B, "efficientnetv2-b3": _B,
}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """``filters`` scaled by ``width_coefficient``, rounded to a multiple of ``depth_divisor``."""
    filters *= width_coefficient
    return int(max(min_depth or depth_divisor, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def _conv(filters, kernel_size, strides, name, **kwargs):
    return layers.Conv2D(filters, kernel_size=kernel_size, strides=strides, kernel_initializer=CONV_KERNEL_INITIALIZER,
                         padding="same", use_bias=False, name=name, **kwargs)


def _bn_act(x, momentum, activation, name, act_name):
    x = layers.BatchNormalization(axis=iu.channel_axis(), momentum=momentum, name=name)(x)
    return x if activation is None else layers.Activation(activation, name=act_name)(x)


def _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name):
    if strides == 1 and input_filters == output_filters:
        if survival_probability:
            x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def MBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0, bn_momentum=0.9,
                activation="swish", survival_probability=0.8, name=None):
    """An MBConv block (1x1 expansion, depthwise conv, squeeze-excite, 1x1 projection); returns a function."""
    name = name or backend.get_uid("block0")

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _bn_act(_conv(filters, 1, 1, f"{name}expand_conv")(x), bn_momentum, activation, f"{name}expand_bn",
                        f"{name}expand_activation")
        x = layers.DepthwiseConv2D(kernel_size=kernel_size, strides=strides, depthwise_initializer=CONV_KERNEL_INITIALIZER,
                                   padding="same", use_bias=False, name=f"{name}dwconv2")(x)
        x = _bn_act(x, bn_momentum, activation, f"{name}bn", f"{name}activation")
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)), activation, name)
        x = _bn_act(_conv(output_filters, 1, 1, f"{name}project_conv")(x), bn_momentum, None, f"{name}project_bn", None)
        return _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name)
    return apply


def FusedMBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,
                     bn_momentum=0.9, activation="swish", survival_probability=0.8, name=None):
    """A Fused-MBConv block (one full kxk expansion conv instead of 1x1 + depthwise); returns a function."""
    name = name or backend.get_uid("block0")

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _bn_act(_conv(filters, kernel_size, strides, f"{name}expand_conv")(x), bn_momentum, activation,
                        f"{name}expand_bn", f"{name}expand_activation")
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)), activation, name)
        fused = expand_ratio == 1
        x = _conv(output_filters, kernel_size if fused else 1, strides if fused else 1, f"{name}project_conv")(x)
        x = _bn_act(x, bn_momentum, activation if fused else None, f"{name}project_bn", f"{name}project_activation")
        return _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name)
    return apply


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2, drop_connect_rate=0.2,
                   depth_divisor=8, min_depth=8, bn_momentum=0.9, activation="swish", blocks_args="default",
                   name="efficientnetv2", include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax", include_preprocessing=True,
                   weights_name=None):
    """Build an EfficientNetV2 from ``blocks_args`` (tuples as in ``DEFAULT_BLOCKS_ARGS``; ``"default"``
    picks the variant's by ``weights_name``); other arguments as in ``EfficientNetV2B0``."""
    variant = f"efficientnetv2-{(weights_name or name.split('-')[-1]).lstrip('-')}"
    blocks_args = DEFAULT_BLOCKS_ARGS[variant] if blocks_args == "default" else blocks_args
    iu.check_weights(weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, default_size, 32, backend.image_data_format(), include_top,
                                        weights)
    img_input = iu.image_input(input_tensor, input_shape)
    axis = iu.channel_axis() % 4
    x = img_input
    if include_preprocessing:
        if variant.split("-")[-1].startswith("b") and input_shape[axis - 1] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2],
                                     axis=axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def rounded(f):
        return round_filters(f, width_coefficient, min_depth, depth_divisor)

    x = _bn_act(_conv(rounded(blocks_args[0][2]), 3, 2, "stem_conv")(x), bn_momentum, activation, "stem_bn",
                "stem_activation")
    total, b = float(sum(args[1] for args in blocks_args)), 0
    for i, (kernel_size, num_repeat, filters_in, filters_out, expand_ratio, se_ratio, strides, conv_type) in \
            enumerate(blocks_args):
        if num_repeat <= 0:
            raise ValueError(f"The number of repeats in `EfficientNetV2` must be > 0. Received: {num_repeat}")
        block = FusedMBConvBlock if conv_type else MBConvBlock
        filters_in, filters_out = rounded(filters_in), rounded(filters_out)
        for j in range(int(math.ceil(depth_coefficient * num_repeat))):
            if j > 0:
                strides, filters_in = 1, filters_out
            x = block(filters_in, filters_out, expand_ratio, kernel_size, strides, se_ratio, bn_momentum, activation,
                      drop_connect_rate * b / total, name=f"block{i + 1}{chr(j + 97)}_")(x)
            b += 1
    x = _bn_act(_conv(rounded(1280), 1, 1, "top_conv")(x), bn_momentum, activation, "top_bn", "top_activation")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        iu.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         bias_initializer=initializers.Constant(0.0), name="predictions")(x)
    else:
        x = iu.pool(x, pooling, "avg_pool", "max_pool")
    imagenet = None
    if weights_name in WEIGHTS_HASHES:
        file_name = f"efficientnetv2-{weights_name.lstrip('-')}{'.h5' if include_top else '_notop.h5'}"
        imagenet = (file_name, BASE_WEIGHTS_PATH + file_name, WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return iu.build(input_tensor, img_input, x, name, weights, imagenet)


def _variant(suffix, width, depth, size):
    weights_name = suffix if suffix.startswith("b") else f"-{suffix}"

    def make(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", include_preprocessing=True, name=f"efficientnetv2-{suffix}"):
        return EfficientNetV2(width, depth, size, name=name, include_top=include_top, weights=weights,
                              input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing, weights_name=weights_name)
    make.__name__ = make.__qualname__ = f"EfficientNetV2{suffix.upper()}"
    return iu.model_doc(f"Instantiate the {make.__name__} architecture. The model takes pixels in [0, 255].",
                        "efficientnet_v2", size=f"({size}, {size}, 3)", extra="""
        include_preprocessing: whether the model rescales and normalizes its input itself.""")(make)


EfficientNetV2B0 = _variant("b0", 1.0, 1.0, 224)
EfficientNetV2B1 = _variant("b1", 1.0, 1.1, 240)
EfficientNetV2B2 = _variant("b2", 1.1, 1.2, 260)
EfficientNetV2B3 = _variant("b3", 1.2, 1.4, 300)
EfficientNetV2S = _variant("s", 1.0, 1.0, 384)
EfficientNetV2M = _variant("m", 1.0, 1.0, 480)
EfficientNetV2L = _variant("l", 1.0, 1.0, 480)


def preprocess_input(x, data_format=None):
    """A pass-through: EfficientNetV2 models rescale their [0, 255] inputs themselves."""
    return x


decode_predictions = iu.decode_predictions
