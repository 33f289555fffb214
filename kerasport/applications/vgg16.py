"""VGG16 (Simonyan & Zisserman, 2014) and the plain VGG builder VGG19 shares."""
from kerasport import backend, layers
from kerasport.applications import imagenet_utils as iu

WEIGHTS_HASHES = {"vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
                  "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6")}


def VGG(convs_per_block, weights_name, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name):
    """Build a VGG network with ``convs_per_block[i]`` 3x3 convolutions in block ``i + 1`` (5 blocks).

    ``weights_name`` (``"vgg16"`` or ``"vgg19"``) picks the ImageNet weight file.
    """
    iu.check_weights(weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, 224, 32, backend.image_data_format(), include_top, weights)
    img_input = iu.image_input(input_tensor, input_shape)
    x = img_input
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        iu.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.pool(x, pooling)
    file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    imagenet = (file_name, f"{iu.KERAS_APPLICATIONS}{weights_name}/{file_name}",
                WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return iu.build(input_tensor, img_input, x, name, weights, imagenet)


@iu.model_doc("Instantiate the VGG16 architecture (13 convolutions, 3 dense layers).", "vgg16")
def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    return VGG((2, 2, 3, 3, 3), "vgg16", include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name)


def preprocess_input(x, data_format=None):
    """Preprocess images for VGG: RGB to BGR, minus the ImageNet channel means (``mode="caffe"``)."""
    return iu.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = iu.decode_predictions
