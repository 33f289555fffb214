"""MobileNetV2 (Sandler et al., 2018): inverted residual blocks with linear bottlenecks."""
from kerasport import backend, layers
from kerasport.applications import imagenet_utils as iu
from kerasport.applications.mobilenet import imagenet_rows, rows_of

BASE_WEIGHT_PATH = iu.KERAS_APPLICATIONS + "mobilenet_v2/"
SIZES = [96, 128, 160, 192, 224]


def make_divisible(v, divisor, min_value=None):
    """``v`` rounded to a multiple of ``divisor`` (at least ``min_value``), never more than 10% below ``v``."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _bn(name):
    return layers.BatchNormalization(axis=iu.channel_axis(), epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[iu.channel_axis()]
    pointwise_filters = make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(_bn(f"{prefix}expand_BN")(x))
    if stride == 2:
        x = layers.ZeroPadding2D(padding=iu.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, use_bias=False, padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(_bn(f"{prefix}depthwise_BN")(x))
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


@iu.model_doc("Instantiate the MobileNetV2 architecture.", "mobilenet_v2", extra="""
        alpha: width multiplier; ImageNet weights exist for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4
            and image sides 96, 128, 160, 192 and 224.""")
def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", name=None):
    iu.check_weights(weights, include_top, classes)
    first = backend.image_data_format() == "channels_first"
    if input_shape is not None and input_tensor is not None and iu.graph_utils.is_keras_tensor(input_tensor):
        if input_tensor.shape[2 if not first else 1] != input_shape[1]:
            raise ValueError(f"input_tensor's shape {tuple(input_tensor.shape)} does not match "
                             f"input_shape={input_shape}")
    if input_shape is None and input_tensor is not None and iu.graph_utils.is_keras_tensor(input_tensor):
        default_size = rows_of(tuple(input_tensor.shape[1:]), SIZES)
    else:
        default_size = rows_of(input_shape, SIZES)
    input_shape = iu.obtain_input_shape(input_shape, default_size, 32, backend.image_data_format(), include_top,
                                        weights)
    rows = input_shape[1] if first else input_shape[0]
    if weights == "imagenet":
        if alpha not in [0.35, 0.5, 0.75, 1.0, 1.3, 1.4]:
            raise ValueError("If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, `0.75`, "
                             f"`1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`")
        rows = imagenet_rows(input_shape, SIZES)
    img_input = iu.image_input(input_tensor, input_shape)
    x = layers.Conv2D(make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="Conv1")(img_input)
    x = layers.ReLU(6.0, name="Conv1_relu")(_bn("bn_Conv1")(x))
    plan = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
            (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6),
            (320, 1, 6)]
    for block_id, (filters, stride, expansion) in enumerate(plan):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.ReLU(6.0, name="out_relu")(_bn("Conv_1_bn")(x))
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        iu.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.pool(x, pooling)
    file_name = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
                 f"{'' if include_top else '_no_top'}.h5")
    return iu.build(input_tensor, img_input, x, name or f"mobilenetv2_{alpha:0.2f}_{rows}", weights,
                    (file_name, BASE_WEIGHT_PATH + file_name, None))


def preprocess_input(x, data_format=None):
    """Preprocess images for MobileNetV2: scale to [-1, 1] (``mode="tf"``)."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
