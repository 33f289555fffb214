"""ResNet50V2/101V2/152V2 (He et al., 2016): pre-activation residual networks."""
from kerasport.applications import imagenet_utils as iu
from kerasport.applications.resnet import ResNet, stages


@iu.model_doc("Instantiate the ResNet50V2 architecture.", "resnet_v2")
def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
               classes=1000, classifier_activation="softmax", name="resnet50v2"):
    return ResNet(stages((3, 4, 6, 3), v2=True), True, True, include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name, "resnet50v2")


@iu.model_doc("Instantiate the ResNet101V2 architecture.", "resnet_v2")
def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet101v2"):
    return ResNet(stages((3, 4, 23, 3), v2=True), True, True, include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name, "resnet101v2")


@iu.model_doc("Instantiate the ResNet152V2 architecture.", "resnet_v2")
def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="resnet152v2"):
    return ResNet(stages((3, 8, 36, 3), v2=True), True, True, include_top, weights, input_tensor, input_shape,
                  pooling, classes, classifier_activation, name, "resnet152v2")


def preprocess_input(x, data_format=None):
    """Preprocess images for ResNetV2: scale to [-1, 1] (``mode="tf"``)."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = iu.decode_predictions
