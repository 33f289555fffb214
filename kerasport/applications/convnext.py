"""ConvNeXt Tiny/Small/Base/Large/XLarge (Liu et al., 2022), with the ``StochasticDepth`` and ``LayerScale``
layers its blocks use.

The models take pixels in [0, 255]: normalization is a layer of the model (``include_preprocessing``),
so ``preprocess_input`` passes its input through.
"""
import numpy as np

from kerasport import backend, initializers, layers, ops, random
from kerasport.applications import imagenet_utils as iu
from kerasport.models import Sequential

BASE_WEIGHTS_PATH = iu.KERAS_APPLICATIONS + "convnext/"
WEIGHTS_HASHES = {
    "convnext_tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                      "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                       "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                      "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                       "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}
MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024], "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536], "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048], "default_size": 224},
}


class StochasticDepth(layers.Layer):
    """Drop the whole residual branch of a sample with probability ``drop_path_rate`` while training
    (surviving samples scaled by ``1 / (1 - rate)``); the identity at inference.

    Args:
        drop_path_rate: probability of dropping a sample's branch.
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, x, training=None):
        if not training:
            return x
        keep_prob = 1 - self.drop_path_rate
        shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
        return x / keep_prob * ops.floor(keep_prob + random.uniform(shape, 0, 1))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


class LayerScale(layers.Layer):
    """Multiply the last axis by a learned per-channel scale, initialised to ``init_values``.

    Args:
        init_values: initial value of every scale.
        projection_dim: number of channels.
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, _):
        self.gamma = self.add_weight(shape=(self.projection_dim,), initializer=initializers.Constant(self.init_values),
                                     trainable=True)

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """A ConvNeXt block (7x7 depthwise conv, LayerNorm, MLP with GELU, layer scale, residual); returns a
    function of the input tensor."""
    name = name or f"prestem{backend.get_uid('prestem')}"

    def apply(inputs):
        x = layers.Conv2D(filters=projection_dim, kernel_size=7, padding="same", groups=projection_dim,
                          name=f"{name}_depthwise_conv")(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            layer = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            layer = layers.Activation("linear", name=f"{name}_identity")
        return inputs + layer(x)
    return apply


def PreStem(name=None):
    """Normalization of [0, 255] RGB pixels with the ImageNet mean and std; returns a function of the input."""
    name = name or f"prestem{backend.get_uid('prestem')}"

    def apply(x):
        return layers.Normalization(mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
                                    variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
                                    name=f"{name}_prestem_normalization")(x)
    return apply


def Head(num_classes=1000, classifier_activation=None, name=None):
    """The classifier: global average pooling, LayerNorm, Dense; returns a function of the features."""
    name = name or str(backend.get_uid("head"))

    def apply(x):
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return layers.Dense(num_classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    return apply


def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6, default_size=224,
             name="convnext", include_preprocessing=True, include_top=True, weights=None, input_tensor=None,
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax", weights_name=None):
    """Build a ConvNeXt with ``depths[i]`` blocks of width ``projection_dims[i]`` in stage ``i``; other
    arguments as in ``ConvNeXtTiny``."""
    if backend.image_data_format() == "channels_first":
        raise ValueError("ConvNeXt does not support the `channels_first` image data format. Switch to "
                         "`channels_last` by editing your local config file at ~/.keras/keras.json")
    iu.check_weights(weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, default_size, 32, backend.image_data_format(), include_top,
                                        weights)
    img_input = iu.image_input(input_tensor, input_shape)
    x = img_input
    if include_preprocessing and input_shape[-1] == 3:
        x = PreStem(name=name)(x)
    stages = [Sequential([layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
                          layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm")],
                         name=f"{name}_stem")]
    for i in range(3):
        stages.append(Sequential([
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
            layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}")],
            name=f"{name}_downsampling_block_{i}"))
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i in range(4):
        x = stages[i](x)
        for j in range(depths[i]):
            x = ConvNeXtBlock(projection_dims[i], rates[cur + j], layer_scale_init_value,
                              name=f"{name}_stage_{i}_block_{j}")(x)
        cur += depths[i]
    if include_top:
        iu.validate_activation(classifier_activation, weights)
        x = Head(num_classes=classes, classifier_activation=classifier_activation, name=name)(x)
    else:
        x = layers.LayerNormalization(epsilon=1e-6)(iu.pool(x, pooling))
    imagenet = None
    if weights_name in WEIGHTS_HASHES:
        file_name = weights_name + (".h5" if include_top else "_notop.h5")
        imagenet = (file_name, BASE_WEIGHTS_PATH + file_name, WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return iu.build(input_tensor, img_input, x, name, weights, imagenet)


def _variant(size):
    def make(include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name=f"convnext_{size}"):
        config = MODEL_CONFIGS[size]
        return ConvNeXt(config["depths"], config["projection_dims"], 0.0, 1e-6, config["default_size"], name,
                        include_preprocessing, include_top, weights, input_tensor, input_shape, pooling, classes,
                        classifier_activation, weights_name=f"convnext_{size}")
    title = {"xlarge": "XLarge"}.get(size, size.capitalize())
    make.__name__ = make.__qualname__ = f"ConvNeXt{title}"
    return iu.model_doc(f"Instantiate the ConvNeXt{title} architecture. The model takes pixels in [0, 255].",
                        "convnext", extra="""
        include_preprocessing: whether to normalize the [0, 255] input inside the model.""")(make)


ConvNeXtTiny = _variant("tiny")
ConvNeXtSmall = _variant("small")
ConvNeXtBase = _variant("base")
ConvNeXtLarge = _variant("large")
ConvNeXtXLarge = _variant("xlarge")


def preprocess_input(x, data_format=None):
    """A pass-through: ConvNeXt models normalize their [0, 255] inputs themselves."""
    return x


decode_predictions = iu.decode_predictions
