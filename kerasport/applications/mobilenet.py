"""MobileNet (Howard et al., 2017): depthwise-separable convolutions with a width multiplier ``alpha``."""
import warnings

from kerasport import backend, layers
from kerasport.applications import imagenet_utils as iu

BASE_WEIGHT_PATH = iu.KERAS_APPLICATIONS + "mobilenet/"
ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}


def rows_of(input_shape, sizes):
    """The side of a square ``input_shape`` when it is one of ``sizes`` (sizes with weights), else 224."""
    if input_shape is None:
        return 224
    rows, cols = (input_shape[1], input_shape[2]) if backend.image_data_format() == "channels_first" \
        else (input_shape[0], input_shape[1])
    return rows if rows == cols and rows in sizes else 224


def imagenet_rows(input_shape, sizes):
    """The image side whose ImageNet file is loaded (224 with a warning when ``input_shape`` has none)."""
    rows, cols = input_shape[1:] if backend.image_data_format() == "channels_first" else input_shape[:2]
    if rows != cols or rows not in sizes:
        warnings.warn(f"`input_shape` is undefined or non-square, or `rows` is not in {sizes}. Weights for input "
                      "shape (224, 224) will be loaded as the default.", stacklevel=3)
        return 224
    return rows


@iu.model_doc("Instantiate the MobileNet architecture.", "mobilenet", extra="""
        alpha: width multiplier (number of filters per layer scaled by it); ImageNet weights exist
            for 0.25, 0.5, 0.75 and 1.0 and image sides 128, 160, 192 and 224.
        depth_multiplier: depthwise convolutions' depth multiplier.
        dropout: dropout rate before the classifier.""")
def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True, weights="imagenet",
              input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax", name=None):
    iu.check_weights(weights, include_top, classes)
    sizes = [128, 160, 192, 224]
    input_shape = iu.obtain_input_shape(input_shape, rows_of(input_shape, sizes), 32, backend.image_data_format(),
                                        include_top, weights)
    rows = input_shape[1] if backend.image_data_format() == "channels_first" else input_shape[0]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("If imagenet weights are being loaded, depth multiplier must be 1.  Received "
                             f"depth_multiplier={depth_multiplier}")
        if alpha not in ALPHA_TEXT:
            raise ValueError("If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, `0.75` or "
                             f"`1.0` only.  Received alpha={alpha}")
        rows = imagenet_rows(input_shape, sizes)
    img_input = iu.image_input(input_tensor, input_shape)
    axis = iu.channel_axis()
    x = layers.Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2), name="conv1")(img_input)
    x = layers.ReLU(6.0, name="conv1_relu")(layers.BatchNormalization(axis=axis, name="conv1_bn")(x))
    plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    for block_id, (filters, stride) in enumerate(plan, start=1):
        if stride == 2:
            x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
        x = layers.DepthwiseConv2D((3, 3), padding="same" if stride == 1 else "valid",
                                   depth_multiplier=depth_multiplier, strides=stride, use_bias=False,
                                   name=f"conv_dw_{block_id}")(x)
        x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
        x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
        x = layers.Conv2D(int(filters * alpha), (1, 1), padding="same", use_bias=False, strides=(1, 1),
                          name=f"conv_pw_{block_id}")(x)
        x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
        x = layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        iu.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.pool(x, pooling)
    imagenet = None
    if alpha in ALPHA_TEXT:
        file_name = f"mobilenet_{ALPHA_TEXT[alpha]}_{rows}_tf{'' if include_top else '_no_top'}.h5"
        imagenet = (file_name, BASE_WEIGHT_PATH + file_name, None)
    return iu.build(input_tensor, img_input, x, name or f"mobilenet_{alpha:0.2f}_{rows}", weights, imagenet)


def preprocess_input(x, data_format=None):
    """Preprocess images for MobileNet: scale to [-1, 1] (``mode="tf"``)."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
