"""ResNet50/101/152 (He et al., 2015) and the ResNet builder and residual stacks that ResNetV2 shares."""
from kerasport import backend, layers
from kerasport.applications import imagenet_utils as iu

BASE_WEIGHTS_PATH = iu.KERAS_APPLICATIONS + "resnet/"
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
EPS = 1.001e-5


def _bn(name):
    return layers.BatchNormalization(axis=iu.channel_axis(), epsilon=EPS, name=name)


def ResNet(stack_fn, preact, use_bias, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
           pooling=None, classes=1000, classifier_activation="softmax", name="resnet", weights_name=None):
    """Build a ResNet (``preact=False``) or ResNetV2 (``preact=True``) around ``stack_fn``'s residual stages.

    ``weights_name`` (e.g. ``"resnet50"``) picks the ImageNet weight file; other arguments as in ``ResNet50``.
    """
    iu.check_weights(weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, 224, 32, backend.image_data_format(), include_top, weights)
    img_input = iu.image_input(input_tensor, input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _bn("conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = _bn("post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    if include_top:
        x = iu.dense_top(x, classes, classifier_activation, weights)
    else:
        x = iu.pool(x, pooling, "avg_pool", "max_pool")
    imagenet = None
    if weights_name in WEIGHTS_HASHES:
        file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        imagenet = (file_name, BASE_WEIGHTS_PATH + file_name, WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return iu.build(input_tensor, img_input, x, name, weights, imagenet)


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck residual block (1x1, kxk, 1x1 convolutions; post-activation)."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(_bn(f"{name}_1_bn")(x))
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(_bn(f"{name}_2_bn")(x))
    x = _bn(f"{name}_3_bn")(layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x))
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """``blocks`` ``residual_block_v1``s, the first with a projection shortcut and stride ``stride1``."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck residual block (ResNetV2)."""
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(_bn(f"{name}_preact_bn")(x))
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = layers.Activation("relu", name=f"{name}_1_relu")(_bn(f"{name}_1_bn")(x))
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(_bn(f"{name}_2_bn")(x))
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """``blocks`` ``residual_block_v2``s; the first projects, the last has stride ``stride1``."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def stages(depths, v2=False):
    """The ``stack_fn`` of a ResNet with ``depths`` blocks in its four stages (64, 128, 256, 512 filters)."""
    def stack_fn(x):
        for i, (filters, blocks) in enumerate(zip((64, 128, 256, 512), depths)):
            if v2:
                x = stack_residual_blocks_v2(x, filters, blocks, stride1=1 if i == 3 else 2, name=f"conv{i + 2}")
            else:
                x = stack_residual_blocks_v1(x, filters, blocks, stride1=1 if i == 0 else 2, name=f"conv{i + 2}")
        return x
    return stack_fn


@iu.model_doc("Instantiate the ResNet50 architecture.", "resnet")
def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet50"):
    return ResNet(stages((3, 4, 6, 3)), False, True, include_top, weights, input_tensor, input_shape, pooling,
                  classes, classifier_activation, name, "resnet50")


@iu.model_doc("Instantiate the ResNet101 architecture.", "resnet")
def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name="resnet101"):
    return ResNet(stages((3, 4, 23, 3)), False, True, include_top, weights, input_tensor, input_shape, pooling,
                  classes, classifier_activation, name, "resnet101")


@iu.model_doc("Instantiate the ResNet152 architecture.", "resnet")
def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name="resnet152"):
    return ResNet(stages((3, 8, 36, 3)), False, True, include_top, weights, input_tensor, input_shape, pooling,
                  classes, classifier_activation, name, "resnet152")


def preprocess_input(x, data_format=None):
    """Preprocess images for ResNet: RGB to BGR, minus the ImageNet channel means (``mode="caffe"``)."""
    return iu.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = iu.decode_predictions
