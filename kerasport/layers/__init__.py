"""Layers, by Keras name. ``deserialize`` rebuilds one from its config."""
from kerasport.layers.conv import Conv1D, Conv2D, Conv3D, Convolution1D, Convolution2D, Convolution3D
from kerasport.layers.core import (Activation, Dense, Dropout, Embedding, Flatten, Identity, Input, InputLayer,
                                   Reshape)
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D,
                                      AvgPool3D, MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D,
                                      MaxPooling3D)
from kerasport.saving.serialization import deserialize_keras_object, serialize_keras_object


def _layer_table():
    import kerasport.models as models
    table = {k: v for k, v in globals().items() if isinstance(v, type) and issubclass(v, Layer)}
    table.update(Sequential=models.Sequential, Functional=models.Functional, Model=models.Model)
    return table


def deserialize(config, custom_objects=None):
    """A layer (or model) from its Keras 3 or Keras 2 config dict."""
    return deserialize_keras_object(config, _layer_table(), custom_objects, "layer")


serialize = serialize_keras_object
