"""Layers, by Keras name. ``deserialize`` rebuilds one from its config."""
from kerasport.layers.conv import Conv1D, Conv2D, Conv3D, Convolution1D, Convolution2D, Convolution3D
from kerasport.layers.core import (Activation, Dense, Dropout, Embedding, Flatten, Identity, Input, InputLayer,
                                   Reshape)
from kerasport.layers.input_spec import InputSpec
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D,
                                      AvgPool3D, MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D,
                                      MaxPooling3D)
from kerasport.layers.conv import (Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, Convolution2DTranspose,
                                   Convolution3DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                   SeparableConv2D, SeparableConvolution1D, SeparableConvolution2D)
from kerasport.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                      average, concatenate, dot, maximum, minimum, multiply, subtract)
from kerasport.layers.pooling import (GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
                                      GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D,
                                      GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                                      GlobalMaxPooling3D)
from kerasport.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, Permute, RepeatVector, UpSampling1D,
                                        UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
from kerasport.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from kerasport.layers.op_layer import OpLayer
from kerasport.layers.lambda_layer import Lambda
from kerasport.layers.torch_module_wrapper import TorchModuleWrapper
from kerasport.layers.tfsm_layer import TFSMLayer
from kerasport.layers.masking import Masking
from kerasport.layers.normalization import (BatchNormalization, GroupNormalization, LayerNormalization,
                                            UnitNormalization)
from kerasport.layers.preprocessing import Normalization, Rescaling
from kerasport.layers.image_preprocessing import (AutoContrast, CenterCrop, RandomBrightness, RandomContrast,
                                                 RandomCrop, RandomFlip, RandomGrayscale, RandomRotation,
                                                 RandomTranslation, RandomZoom, Resizing, Solarization)
from kerasport.layers.color_augmentation import (AugMix, Equalization, RandAugment, RandomColorDegeneration,
                                                 RandomColorJitter, RandomHue, RandomInvert, RandomPosterization,
                                                 RandomSaturation, RandomSharpness)
from kerasport.layers.pipeline import Pipeline
from kerasport.layers.mixing_augmentation import CutMix, MixUp, RandomErasing, RandomGaussianBlur
from kerasport.layers.geometric_augmentation import RandomElasticTransform, RandomPerspective, RandomShear
from kerasport.layers.histogram_equalization import ContrastLimitedAdaptiveHistogramEqualization
from kerasport.layers.max_num_bounding_boxes import MaxNumBoundingBoxes
from kerasport.layers.category_encoding import CategoryEncoding
from kerasport.layers.discretization import Discretization
from kerasport.layers.hashed_crossing import HashedCrossing
from kerasport.layers.hashing import Hashing
from kerasport.layers.integer_lookup import IntegerLookup
from kerasport.layers.string_lookup import StringLookup
from kerasport.layers.text_vectorization import TextVectorization
from kerasport.layers.regularization import (ActivityRegularization, AlphaDropout, GaussianDropout, GaussianNoise,
                                             SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from kerasport.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from kerasport.layers.rnn import RNN
from kerasport.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from kerasport.layers.recurrent import GRU, LSTM, SimpleRNN
from kerasport.layers.bidirectional import Bidirectional
from kerasport.layers.time_distributed import TimeDistributed
from kerasport.layers.einsum_dense import EinsumDense
from kerasport.layers.wrapper import Wrapper
from kerasport.layers.rms_normalization import RMSNormalization
from kerasport.layers.spectral_normalization import SpectralNormalization
from kerasport.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from kerasport.layers.adaptive_pooling import (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,
                                               AdaptiveAveragePooling3D, AdaptiveMaxPooling1D, AdaptiveMaxPooling2D,
                                               AdaptiveMaxPooling3D)
from kerasport.layers.grouped_query_attention import GroupedQueryAttention, GroupQueryAttention
from kerasport.layers.reversible_embedding import ReversibleEmbedding
from kerasport.layers.spectrogram import MelSpectrogram, STFTSpectrogram
Convolution1DTranspose = Conv1DTranspose
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object


def layer_classes():
    """``{name: class}`` of every built-in layer, the three model classes, FeatureSpace and Distiller: what
    ``deserialize`` looks up."""
    import kerasport.models as models
    from kerasport.distillation import Distiller
    from kerasport.utils import feature_space
    table = {k: v for k, v in globals().items() if isinstance(v, type) and issubclass(v, Layer)}
    table.update(Sequential=models.Sequential, Functional=models.Functional, Model=models.Model,
                 FeatureSpace=feature_space.FeatureSpace, TFDIdentity=feature_space.TFDIdentity,
                 TFDConcat=feature_space.TFDConcat, Distiller=Distiller)
    return table


def deserialize(config, custom_objects=None):
    """A layer (or model) from its Keras 3 or Keras 2 config dict."""
    return deserialize_keras_object(config, layer_classes(), custom_objects, "layer")


serialize = serialize_keras_object
