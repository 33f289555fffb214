"""Keras's pretrained image architectures (``keras.applications``): one module per family, each with its
model functions, ``preprocess_input`` and ``decode_predictions``; the model functions are also here."""
from kerasport.applications import (convnext, densenet, efficientnet, efficientnet_v2, imagenet_utils,  # noqa: F401
                                    inception_resnet_v2, inception_v3, mobilenet, mobilenet_v2, mobilenet_v3, nasnet,
                                    resnet, resnet50, resnet_v2, vgg16, vgg19, xception)
from kerasport.applications.convnext import (ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny,  # noqa: F401
                                             ConvNeXtXLarge)
from kerasport.applications.mobilenet import MobileNet  # noqa: F401
from kerasport.applications.mobilenet_v2 import MobileNetV2  # noqa: F401
from kerasport.applications.resnet import ResNet50, ResNet101, ResNet152  # noqa: F401
from kerasport.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2  # noqa: F401
from kerasport.applications.vgg16 import VGG16  # noqa: F401
from kerasport.applications.vgg19 import VGG19  # noqa: F401
from kerasport.applications.densenet import DenseNet121, DenseNet169, DenseNet201  # noqa: F401
from kerasport.applications.efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2,  # noqa: F401
                                                 EfficientNetB3, EfficientNetB4, EfficientNetB5, EfficientNetB6,
                                                 EfficientNetB7)
from kerasport.applications.inception_resnet_v2 import InceptionResNetV2  # noqa: F401
from kerasport.applications.inception_v3 import InceptionV3  # noqa: F401
from kerasport.applications.xception import Xception  # noqa: F401
from kerasport.applications.efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,  # noqa: F401
                                                    EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M, EfficientNetV2S)
from kerasport.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small  # noqa: F401
from kerasport.applications.nasnet import NASNetLarge, NASNetMobile  # noqa: F401
