"""NASNetMobile and NASNetLarge (Zoph et al., 2018): cells found by neural architecture search (channels_last)."""
from kerasport import backend, layers
from kerasport.applications import imagenet_utils as iu

BASE_WEIGHTS_PATH = iu.KERAS_APPLICATIONS + "nasnet/"
IMAGENET_FILES = {  # default_size -> ((file name, url name, hash) with top, without top)
    224: (("nasnet_mobile.h5", "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"),
          ("nasnet_mobile_no_top.h5", "NASNet-mobile-no-top.h5", "1ed92395b5b598bdda52abe5c0dbfd63")),
    331: (("nasnet_large.h5", "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"),
          ("nasnet_large_no_top.h5", "NASNet-large-no-top.h5", "d81d89dc07e6e56530c4e77faddd61b5")),
}


def _bn(name):
    return layers.BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)


def _conv1x1(x, filters, name):
    return layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", use_bias=False, name=name,
                         kernel_initializer="he_normal")(x)


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """ReLU, separable conv (strided with explicit padding), BN, ReLU, separable conv, BN."""
    x = layers.Activation("relu")(ip)
    if strides == (2, 2):
        x = layers.ZeroPadding2D(padding=iu.correct_pad(x, kernel_size), name=f"separable_conv_1_pad_{block_id}")(x)
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides, name=f"separable_conv_1_{block_id}",
                               padding="valid" if strides == (2, 2) else "same", use_bias=False)(x)
    x = _bn(f"separable_conv_1_bn_{block_id}")(x)
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, name=f"separable_conv_2_{block_id}", padding="same",
                               use_bias=False)(x)
    return _bn(f"separable_conv_2_bn_{block_id}")(x)


def _adjust_block(p, ip, filters, block_id=None):
    """Bring the previous cell's output ``p`` to ``ip``'s spatial size and ``filters`` channels."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = _conv1x1(p1, filters // 2, f"adjust_conv_1_{block_id}")
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p))
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = _conv1x1(p2, filters // 2, f"adjust_conv_2_{block_id}")
        return _bn(f"adjust_bn_{block_id}")(layers.concatenate([p1, p2], axis=-1))
    if p.shape[-1] != filters:
        p = _conv1x1(layers.Activation("relu")(p), filters, f"adjust_conv_projection_{block_id}")
        return _bn(f"adjust_bn_{block_id}")(p)
    return p


def _normal_a_cell(ip, p, filters, block_id=None):
    p = _adjust_block(p, ip, filters, block_id)
    h = _conv1x1(layers.Activation("relu")(ip), filters, f"normal_conv_1_{block_id}")
    h = _bn(f"normal_bn_1_{block_id}")(h)
    x1 = layers.add([_separable_conv_block(h, filters, (5, 5), block_id=f"normal_left1_{block_id}"),
                     _separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}")],
                    name=f"normal_add_1_{block_id}")
    x2 = layers.add([_separable_conv_block(p, filters, (5, 5), block_id=f"normal_left2_{block_id}"),
                     _separable_conv_block(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")],
                    name=f"normal_add_2_{block_id}")
    x3 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"normal_left3_{block_id}")(h)
    x3 = layers.add([x3, p], name=f"normal_add_3_{block_id}")
    x4 = layers.add([layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"normal_left4_{block_id}")(p),
                     layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"normal_right4_{block_id}")(p)],
                    name=f"normal_add_4_{block_id}")
    x5 = layers.add([_separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}"), h],
                    name=f"normal_add_5_{block_id}")
    return layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}"), ip


def _reduction_a_cell(ip, p, filters, block_id=None):
    p = _adjust_block(p, ip, filters, block_id)
    h = _conv1x1(layers.Activation("relu")(ip), filters, f"reduction_conv_1_{block_id}")
    h = _bn(f"reduction_bn_1_{block_id}")(h)
    h3 = layers.ZeroPadding2D(padding=iu.correct_pad(h, 3), name=f"reduction_pad_1_{block_id}")(h)
    s2 = (2, 2)
    x1 = layers.add([_separable_conv_block(h, filters, (5, 5), s2, block_id=f"reduction_left1_{block_id}"),
                     _separable_conv_block(p, filters, (7, 7), s2, block_id=f"reduction_right1_{block_id}")],
                    name=f"reduction_add_1_{block_id}")
    x2 = layers.add([layers.MaxPooling2D((3, 3), strides=s2, padding="valid", name=f"reduction_left2_{block_id}")(h3),
                     _separable_conv_block(p, filters, (7, 7), s2, block_id=f"reduction_right2_{block_id}")],
                    name=f"reduction_add_2_{block_id}")
    x3 = layers.add([layers.AveragePooling2D((3, 3), strides=s2, padding="valid", name=f"reduction_left3_{block_id}")(h3),
                     _separable_conv_block(p, filters, (5, 5), s2, block_id=f"reduction_right3_{block_id}")],
                    name=f"reduction_add3_{block_id}")
    x4 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"reduction_left4_{block_id}")(x1)
    x4 = layers.add([x2, x4])
    x5 = layers.add([_separable_conv_block(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}"),
                     layers.MaxPooling2D((3, 3), strides=s2, padding="valid", name=f"reduction_right5_{block_id}")(h3)],
                    name=f"reduction_add4_{block_id}")
    return layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}"), ip


def NASNet(input_shape=None, penultimate_filters=4032, num_blocks=6, stem_block_filters=96, skip_reduction=True,
           filter_multiplier=2, include_top=True, weights="imagenet", input_tensor=None, pooling=None, classes=1000,
           default_size=None, classifier_activation="softmax", name="NASNet"):
    """Build a NASNet-A: ``num_blocks`` normal cells per stage, ``penultimate_filters`` channels at the end
    (a multiple of ``24 * filter_multiplier ** 2``); other arguments as in ``NASNetLarge``."""
    if backend.image_data_format() == "channels_first":
        raise ValueError("NASNet does not support the `channels_first` image data format. Switch to "
                         "`channels_last` by editing your local config file at ~/.keras/keras.json")
    iu.check_weights(weights, include_top, classes)
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError("When specifying the input shape of a NASNet and loading `ImageNet` weights, the "
                         f"input_shape argument must be static (no None entries). Got: `input_shape={input_shape}`.")
    default_size = default_size or 331
    if penultimate_filters % (24 * filter_multiplier ** 2) != 0:
        raise ValueError("For NASNet-A models, the `penultimate_filters` must be a multiple of 24 * "
                         f"(`filter_multiplier` ** 2). Current value: {penultimate_filters}")
    input_shape = iu.obtain_input_shape(input_shape, default_size, 32, backend.image_data_format(), include_top,
                                        weights)
    img_input = iu.image_input(input_tensor, input_shape)
    filters = penultimate_filters // 24
    x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid", use_bias=False, name="stem_conv1",
                      kernel_initializer="he_normal")(img_input)
    x = _bn("stem_bn1")(x)
    p = None
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier ** 2, block_id="stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
    for stage in range(3):
        if stage:
            x, p0 = _reduction_a_cell(x, p, filters * filter_multiplier ** stage,
                                      block_id=f"reduce_{stage * num_blocks}")
            p = p if skip_reduction else p0
        for i in range(num_blocks):
            x, p = _normal_a_cell(x, p, filters * filter_multiplier ** stage,
                                  block_id=f"{stage * num_blocks + i + bool(stage)}")
    x = layers.Activation("relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        iu.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.pool(x, pooling)
    if weights == "imagenet" and default_size not in IMAGENET_FILES:
        raise ValueError("ImageNet weights can only be loaded with NASNetLarge or NASNetMobile")
    imagenet = None
    if default_size in IMAGENET_FILES:
        file_name, url_name, file_hash = IMAGENET_FILES[default_size][0 if include_top else 1]
        imagenet = (file_name, BASE_WEIGHTS_PATH + url_name, file_hash)
    return iu.build(input_tensor, img_input, x, name, weights, imagenet)


@iu.model_doc("Instantiate the NASNet model in the Mobile ImageNet configuration.", "nasnet")
def NASNetMobile(input_shape=None, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                 classes=1000, classifier_activation="softmax", name="nasnet_mobile"):
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32, skip_reduction=False,
                  filter_multiplier=2, include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=224, classifier_activation=classifier_activation,
                  name=name)


@iu.model_doc("Instantiate the NASNet model in the Large ImageNet configuration.", "nasnet", size="(331, 331, 3)")
def NASNetLarge(input_shape=None, include_top=True, weights="imagenet", input_tensor=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="nasnet_large"):
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96, skip_reduction=True,
                  filter_multiplier=2, include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=331, classifier_activation=classifier_activation,
                  name=name)


def preprocess_input(x, data_format=None):
    """Preprocess images for NASNet: scale to [-1, 1] (``mode="tf"``)."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
