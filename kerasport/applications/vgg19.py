"""VGG19 (Simonyan & Zisserman, 2014)."""
from kerasport.applications import imagenet_utils as iu
from kerasport.applications.vgg16 import VGG, decode_predictions, preprocess_input  # noqa: F401


@iu.model_doc("Instantiate the VGG19 architecture (16 convolutions, 3 dense layers).", "vgg19")
def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    return VGG((2, 2, 4, 4, 4), "vgg19", include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name)
