"""InceptionResNetV2 (Szegedy et al., 2016): Inception blocks with scaled residual connections."""
from kerasport import backend, layers
from kerasport.applications import imagenet_utils as iu

BASE_WEIGHT_URL = iu.KERAS_APPLICATIONS + "inception_resnet_v2/"
WEIGHTS_HASHES = ("e693bd0210a403b3192acc6073ad2e96", "d19885ff4a710c122648d3b5c3b684e4")


class CustomScaleLayer(layers.Layer):
    """``inputs[0] + inputs[1] * scale``: the scaled residual connection of InceptionResNetV2.

    Args:
        scale: the factor applied to the residual branch.
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu", use_bias=False, name=None):
    """Convolution, then (without bias) batch normalization without scale, then ``activation``."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=iu.channel_axis(), scale=False,
                                      name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def _chain(x, convs):
    for spec in convs:
        x = conv2d_bn(x, *spec)
    return x


BLOCKS = {"block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
          "block17": [[(192, 1)], [(128, 1), (160, [1, 7]), (192, [7, 1])]],
          "block8": [[(192, 1)], [(192, 1), (224, [1, 3]), (256, [3, 1])]]}


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """An Inception-ResNet block (``"block35"``, ``"block17"`` or ``"block8"``) adding ``scale`` times its
    branches to ``x``."""
    if block_type not in BLOCKS:
        raise ValueError(f'Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", but '
                         f"got: {block_type}")
    name = f"{block_type}_{block_idx}"
    axis = iu.channel_axis()
    mixed = layers.Concatenate(axis=axis, name=f"{name}_mixed")([_chain(x, b) for b in BLOCKS[block_type]])
    up = conv2d_bn(mixed, x.shape[axis], 1, activation=None, use_bias=True, name=f"{name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    return x if activation is None else layers.Activation(activation, name=f"{name}_ac")(x)


@iu.model_doc("Instantiate the Inception-ResNet v2 architecture.", "inception_resnet_v2", size="(299, 299, 3)")
def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                      classes=1000, classifier_activation="softmax", name="inception_resnet_v2"):
    iu.check_weights(weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, 299, 75, backend.image_data_format(), include_top, weights)
    img_input = iu.image_input(input_tensor, input_shape)
    axis = iu.channel_axis()
    x = _chain(img_input, [(32, 3, 2, "valid"), (32, 3, 1, "valid"), (64, 3)])
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = _chain(x, [(80, 1, 1, "valid"), (192, 3, 1, "valid")])
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = layers.Concatenate(axis=axis, name="mixed_5b")(
        [_chain(x, [(96, 1)]), _chain(x, [(48, 1), (64, 5)]), _chain(x, [(64, 1), (96, 3), (96, 3)]),
         conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)])
    for i in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=i)
    x = layers.Concatenate(axis=axis, name="mixed_6a")(
        [_chain(x, [(384, 3, 2, "valid")]), _chain(x, [(256, 1), (256, 3), (384, 3, 2, "valid")]),
         layers.MaxPooling2D(3, strides=2, padding="valid")(x)])
    for i in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=i)
    x = layers.Concatenate(axis=axis, name="mixed_7a")(
        [_chain(x, [(256, 1), (384, 3, 2, "valid")]), _chain(x, [(256, 1), (288, 3, 2, "valid")]),
         _chain(x, [(256, 1), (288, 3), (320, 3, 2, "valid")]), layers.MaxPooling2D(3, strides=2, padding="valid")(x)])
    for i in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=i)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    if include_top:
        x = iu.dense_top(x, classes, classifier_activation, weights)
    else:
        x = iu.pool(x, pooling)
    file_name = f"inception_resnet_v2_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    imagenet = (file_name, BASE_WEIGHT_URL + file_name, WEIGHTS_HASHES[0 if include_top else 1])
    return iu.build(input_tensor, img_input, x, name, weights, imagenet)


def preprocess_input(x, data_format=None):
    """Preprocess images for InceptionResNetV2: scale to [-1, 1] (``mode="tf"``)."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
