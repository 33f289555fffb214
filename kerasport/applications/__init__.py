"""Keras's pretrained image architectures (``keras.applications``): one module per family, each with its
model functions, ``preprocess_input`` and ``decode_predictions``; the model functions are also here."""
from kerasport.applications import (densenet, efficientnet, imagenet_utils, inception_resnet_v2, inception_v3,  # noqa: F401
                                    mobilenet, mobilenet_v2, resnet, resnet50, resnet_v2, vgg16, vgg19, xception)
from kerasport.applications.mobilenet import MobileNet  # noqa: F401
from kerasport.applications.mobilenet_v2 import MobileNetV2  # noqa: F401
from kerasport.applications.resnet import ResNet50, ResNet101, ResNet152  # noqa: F401
from kerasport.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2  # noqa: F401
from kerasport.applications.vgg16 import VGG16  # noqa: F401
from kerasport.applications.vgg19 import VGG19  # noqa: F401
from kerasport.applications.densenet import DenseNet121, DenseNet169, DenseNet201  # noqa: F401
from kerasport.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,  # noqa: F401
                                                 EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from kerasport.applications.inception_resnet_v2 import InceptionResNetV2  # noqa: F401
from kerasport.applications.inception_v3 import InceptionV3  # noqa: F401
from kerasport.applications.xception import Xception  # noqa: F401
