"""A sweep of every layer class kerasport shares with Keras 3 through Keras-written files, and back.

Each case builds one small model IN KERAS (Keras 3, TensorFlow backend, in this
process) from several layers with non-default arguments, gives it random
weights (all positive, so swapped weights show) and writes ``.keras``, legacy
``.h5`` and ``.weights.h5`` files once. kerasport must then

1. load the ``.keras`` and ``.h5`` files with the same predictions and the same
   weight names and shapes, in the same order;
2. rebuild the model from Keras's ``get_config()`` and read the ``.weights.h5`` file;
3. write ``.keras`` and ``.h5`` files that Keras loads with the same predictions.

``test_every_shared_layer_is_swept`` keeps the sweep complete: each layer class
in both ``kerasport.layers`` and ``keras.layers`` is used by a case or listed
in ``NOT_SWEPT`` with the reason.
"""
import inspect

import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from tests.helpers import keras_module, keras_predict

pytestmark = [pytest.mark.filterwarnings("ignore:The structure of `inputs`:UserWarning"),
              pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`:UserWarning")]


def _dense(k, L):
    x = k.Input((6,))
    y = L.Dense(5, use_bias=False, activation="tanh")(x)
    y = L.Activation("swish")(L.Dense(4, activation="relu", kernel_initializer="ones")(y))
    y = L.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="c", activation="sigmoid")(y)
    y = L.ReLU(max_value=2.0)(L.LeakyReLU(negative_slope=0.2)(y))
    y = L.PReLU(alpha_initializer="ones")(L.ELU(alpha=0.3)(y))
    return k.Model(x, L.Softmax(axis=-1)(L.Identity()(y))), [(6,)]


def _sequential_dense(k, L):
    return k.Sequential([k.Input((4,)), L.Dense(3, use_bias=False), L.BatchNormalization(center=False),
                         L.Dropout(0.5), L.Dense(2, activation="softplus")], name="seq"), [(4,)]


def _conv1d(k, L):
    x = k.Input((12, 3))
    y = L.Conv1D(4, 3, padding="causal", dilation_rate=2, use_bias=False)(x)
    y = L.Conv1D(4, 2, strides=2, groups=2, activation="relu")(y)
    y = L.Conv1DTranspose(3, 3, strides=2, padding="same", use_bias=False)(y)
    y = L.SeparableConv1D(4, 3, depth_multiplier=2, padding="same", activation="elu")(y)
    y = L.DepthwiseConv1D(2, depth_multiplier=2, use_bias=False)(y)
    y = L.AveragePooling1D(2, strides=1, padding="same")(L.MaxPooling1D(2)(y))
    a = L.GlobalMaxPooling1D(keepdims=True)(y)
    b = L.GlobalAveragePooling1D()(y)
    c = L.AdaptiveMaxPooling1D(2)(y)
    d = L.AdaptiveAveragePooling1D(3)(y)
    return k.Model(x, L.Concatenate()([L.Flatten()(t) for t in (a, b, c, d)])), [(12, 3)]


def _conv1d_channels_first(k, L):
    x = k.Input((3, 12))
    y = L.Conv1D(4, 3, data_format="channels_first")(x)
    y = L.MaxPooling1D(2, data_format="channels_first")(y)
    y = L.AveragePooling1D(2, data_format="channels_first")(y)
    y = L.GlobalAveragePooling1D(data_format="channels_first")(y)
    return k.Model(x, y), [(3, 12)]


def _conv2d(k, L):
    x = k.Input((8, 8, 2))
    y = L.Conv2D(4, 3, padding="same", strides=(1, 2), use_bias=False)(x)
    y = L.Conv2D(4, 2, dilation_rate=(2, 1), activation="relu")(y)
    y = L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1, use_bias=False)(y)
    y = L.SeparableConv2D(4, 3, depth_multiplier=2, use_bias=False)(y)
    y = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="tanh")(y)
    y = L.AveragePooling2D(2)(L.MaxPooling2D((2, 1), padding="same")(y))
    a = L.GlobalMaxPooling2D()(y)
    b = L.GlobalAveragePooling2D(keepdims=True)(y)
    c = L.AdaptiveAveragePooling2D((2, 1))(y)
    d = L.AdaptiveMaxPooling2D(2)(y)  # (Keras crashes on an output size of 1)
    return k.Model(x, L.Concatenate()([L.Flatten()(t) for t in (a, b, c, d)])), [(8, 8, 2)]


def _conv3d(k, L):
    x = k.Input((5, 5, 5, 2))
    y = L.Conv3D(3, 2, padding="same", use_bias=False, activation="relu")(x)
    y = L.Conv3DTranspose(2, 2, strides=(1, 2, 1))(y)
    y = L.AveragePooling3D(2, strides=1)(L.MaxPooling3D(2, padding="same")(y))
    a = L.GlobalMaxPooling3D(keepdims=True)(y)
    b = L.GlobalAveragePooling3D()(y)
    c = L.AdaptiveAveragePooling3D((1, 2, 1))(y)
    d = L.AdaptiveMaxPooling3D(2)(y)
    return k.Model(x, L.Concatenate()([L.Flatten()(t) for t in (a, b, c, d)])), [(5, 5, 5, 2)]


def _normalization(k, L):
    x = k.Input((4, 6))
    y = L.BatchNormalization(axis=1, momentum=0.9, scale=False)(x)
    y = L.LayerNormalization(axis=[1, 2], center=False)(y)
    y = L.LayerNormalization(rms_scaling=True)(y)
    y = L.GroupNormalization(groups=3, epsilon=0.01)(y)
    y = L.RMSNormalization(axis=-1)(L.UnitNormalization(axis=1)(y))
    y = L.SpectralNormalization(L.Dense(3, use_bias=False), power_iterations=2)(y)
    return k.Model(x, y), [(4, 6)]


def _recurrent(k, L):
    x = k.Input((5, 3))
    y = L.SimpleRNN(4, return_sequences=True, activation="relu", use_bias=False)(x)
    y = L.LSTM(3, return_sequences=True, unit_forget_bias=False, recurrent_activation="hard_sigmoid")(y)
    y = L.GRU(3, return_sequences=True, reset_after=False, go_backwards=True)(y)
    y = L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="ave")(y)
    y = L.Bidirectional(L.GRU(2, return_sequences=True), backward_layer=L.GRU(2, return_sequences=True,
                                                                              go_backwards=True))(y)
    y = L.TimeDistributed(L.Dense(2, use_bias=False))(y)
    seq, h, c = L.RNN(L.LSTMCell(2, use_bias=False), return_sequences=True, return_state=True)(y)
    stacked = L.RNN(L.StackedRNNCells([L.GRUCell(2, reset_after=False), L.SimpleRNNCell(2)]), unroll=True)(seq)
    last, state = L.GRU(2, return_state=True, use_bias=False)(seq)
    return k.Model(x, L.Concatenate()([h, c, stacked, last, state])), [(5, 3)]


def _conv_lstm(k, L):
    x = k.Input((3, 6, 6, 2))
    y = L.ConvLSTM2D(2, 3, padding="same", return_sequences=True, use_bias=False)(x)
    y = L.TimeDistributed(L.Conv2D(2, 2))(y)
    y = L.ConvLSTM2D(2, 2, strides=2, recurrent_activation="hard_sigmoid")(y)
    a = L.Flatten()(y)
    seq = L.Reshape((3, 12, 6))(x)
    b = L.Flatten()(L.ConvLSTM1D(2, 3, go_backwards=True, padding="same")(seq))
    vol = L.Reshape((3, 3, 4, 3, 2))(x)
    c = L.Flatten()(L.ConvLSTM3D(2, 2, return_sequences=False)(vol))
    return k.Model(x, L.Concatenate()([a, b, c])), [(3, 6, 6, 2)]


def _attention(k, L):
    q, v = k.Input((4, 6)), k.Input((5, 6))
    a = L.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, use_bias=False, output_shape=5)(q, v)
    b = L.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2, use_bias=False)(q, v)
    c = L.Attention(use_scale=True, score_mode="concat")([q, v])
    d = L.AdditiveAttention(use_scale=False)([q, v, v])
    return k.Model([q, v], L.Flatten()(L.Concatenate()([a, b, c, d]))), [(4, 6), (5, 6)]


def _merging(k, L):
    a, b = k.Input((4,)), k.Input((4,))
    merged = [L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]), L.Average()([a, b]),
              L.Maximum()([a, b]), L.Minimum()([a, b]), L.Dot(axes=(1, 1), normalize=True)([a, b])]
    return k.Model([a, b], L.Dense(2)(L.Concatenate(axis=-1)(merged))), [(4,), (4,)]


def _reshaping(k, L):
    x = k.Input((4, 6, 2))
    image = L.Permute((2, 1, 3))(x)
    image = L.UpSampling2D((1, 2), interpolation="bilinear")(image)
    image = L.Cropping2D(((1, 0), (0, 2)))(L.ZeroPadding2D(((1, 0), (2, 1)))(image))
    seq = L.Reshape((24, 2))(x)
    seq = L.Cropping1D((1, 2))(L.ZeroPadding1D((0, 2))(L.UpSampling1D(3)(seq)))
    vol = L.Reshape((2, 6, 2, 2))(x)
    vol = L.Cropping3D(((0, 1), 1, 0))(L.ZeroPadding3D((1, 0, 2))(L.UpSampling3D((1, 2, 1))(vol)))
    flat = L.Concatenate()([L.Flatten()(t) for t in (image, seq, vol)])
    return k.Model(x, L.Flatten()(L.RepeatVector(2)(L.Dense(3)(flat)))), [(4, 6, 2)]


def _reshaping_channels_first(k, L):
    x = k.Input((2, 4, 6))
    y = L.UpSampling2D(2, data_format="channels_first")(x)
    y = L.Cropping2D(1, data_format="channels_first")(L.ZeroPadding2D(1, data_format="channels_first")(y))
    y = L.Conv2D(3, 3, data_format="channels_first", use_bias=False)(y)
    y = L.GlobalMaxPooling2D(data_format="channels_first")(y)
    return k.Model(x, y), [(2, 4, 6)]


def _regularization(k, L):
    x = k.Input((5, 3))
    y = L.SpatialDropout1D(0.2)(L.GaussianNoise(0.1)(x))
    y = L.Flatten()(y)
    y = L.Dense(6, kernel_regularizer=k.regularizers.L1L2(l1=0.01, l2=0.02), bias_regularizer="l2",
                activity_regularizer=k.regularizers.L1(0.01), kernel_constraint=k.constraints.MaxNorm(2.0),
                bias_constraint="non_neg")(y)
    y = L.AlphaDropout(0.1)(L.GaussianDropout(0.2)(L.Dropout(0.3, noise_shape=(None, 1))(y)))
    image = L.SpatialDropout2D(0.3)(L.Reshape((5, 3, 1))(x))
    vol = L.SpatialDropout3D(0.3)(L.Reshape((5, 3, 1, 1))(x))
    flat = L.Concatenate()([L.ActivityRegularization(l1=0.01, l2=0.01)(y), L.Flatten()(image),
                            L.Flatten()(vol)])
    return k.Model(x, L.Dense(2)(flat)), [(5, 3)]


def _embedding(k, L):
    x = k.Input((5,), dtype="int32")
    y = L.Embedding(20, 4, mask_zero=True, embeddings_initializer="uniform")(x)
    return k.Model(x, L.LSTM(3)(y)), [("int", 5)]


def _masking(k, L):
    return k.Sequential([k.Input((5, 3)), L.Masking(0.0), L.GRU(3, return_sequences=True),
                         L.SimpleRNN(2)]), [(5, 3)]


def _preprocessing(k, L):
    x = k.Input((8, 8, 3))
    y = L.Rescaling(2.0, offset=-0.5)(x)
    y = L.Normalization(mean=[0.1, 0.2, 0.3], variance=[1.0, 2.0, 0.5], invert=True)(y)
    y = L.CenterCrop(6, 6)(L.Resizing(10, 10, interpolation="nearest", crop_to_aspect_ratio=True)(y))
    return k.Model(x, L.Flatten()(y)), [(8, 8, 3)]


def _random_augmentation(k, L):
    """Image layers with seed generators (identities at inference here), which Keras cannot write to .h5.

    (RandomCrop gets its own size: at inference Keras 3.15 returns the images uncropped, against
    its docstring and its ``compute_output_shape``; kerasport crops as documented.)
    """
    x = k.Input((8, 8, 3))
    y = L.RandomFlip("horizontal", seed=1)(L.RandomRotation(0.2)(L.RandomZoom(0.1)(L.RandomTranslation(0.1, 0.1)(x))))
    y = L.RandomBrightness(0.1)(L.RandomContrast(0.1)(L.RandomGrayscale()(L.RandomCrop(8, 8)(y))))
    y = L.Solarization(addition_factor=0.0)(L.AutoContrast(value_range=(-5, 5))(y))
    y = L.MixUp(alpha=0.3)(L.CutMix(factor=0.5)(L.RandomErasing(scale=0.2)(L.RandomGaussianBlur(kernel_size=5)(y))))
    y = L.RandomShear(x_factor=(0.0, 0.2))(L.RandomPerspective(scale=0.3)(L.RandomElasticTransform(scale=0.5)(y)))
    y = L.ContrastLimitedAdaptiveHistogramEqualization(value_range=(0, 1), tile_grid_size=(2, 2))(y)
    y = L.MaxNumBoundingBoxes(4, bounding_box_format="xyxy")(y)
    return k.Model(x, L.Flatten()(L.Dense(2)(y))), [(8, 8, 3)]


def _color_augmentation(k, L):
    """The colour augmentation layers (identities at inference), RandomColorJitter's sub-layers included, and a
    Pipeline with weights (saved under its ``layers/...``)."""
    x = k.Input((8, 8, 3))
    y = L.RandomColorJitter(value_range=(0, 1), brightness_factor=0.1, contrast_factor=0.1, saturation_factor=0.4,
                            hue_factor=0.1, seed=2)(x)
    y = L.RandomSharpness(0.3)(L.RandomHue(0.2)(L.RandomSaturation(0.3)(L.RandomColorDegeneration(0.2)(y))))
    y = L.Pipeline([L.RandomInvert(0.5, value_range=(0, 1)), L.RandomPosterization(4, value_range=(0, 1)),
                    L.Dense(4)])(y)
    return k.Model(x, L.Flatten()(L.Dense(2)(y))), [(8, 8, 3)]


def _shared_and_nested(k, L):
    """A layer and two sub-models each called twice (second nodes), a Sequential inside, two outputs."""
    a, b = k.Input((4,)), k.Input((4,))
    dense = L.Dense(3, name="shared_dense")
    inner = k.Sequential([k.Input((3,)), L.Dense(2, use_bias=False), L.BatchNormalization()], name="inner_seq")
    i = k.Input((3,))
    sub = k.Model(i, L.Dense(2, activation="tanh")(L.Dense(3)(i)), name="sub")
    ya, yb = dense(a), dense(b)
    out = L.Concatenate()([inner(ya), inner(yb), sub(yb), sub(ya), dense(L.Add()([a, b]))])
    return k.Model([a, b], [out, L.Multiply()([ya, yb])]), [(4,), (4,)]


def _categorical(k, L):
    x = k.Input((3,), dtype="int32")
    a = L.CategoryEncoding(num_tokens=6, output_mode="count")(x)
    b = L.CategoryEncoding(num_tokens=6, output_mode="multi_hot")(L.Hashing(6)(x))
    c = L.CategoryEncoding(num_tokens=5, output_mode="multi_hot")(L.IntegerLookup(vocabulary=[1, 2, 3])(x))
    d = L.CategoryEncoding(num_tokens=3, output_mode="one_hot")(L.HashedCrossing(3)((x[:, 0], x[:, 1])))
    e = L.Discretization(bin_boundaries=[1.0, 3.0])(x)
    merged = L.Concatenate()([a, b, c, d, L.Activation("linear")(L.Flatten()(k.ops.cast(e, "float32")))])
    return k.Model(x, L.Dense(2)(merged)), [("int", 3)]


def _activation_names(k):
    """Every activation both libraries have that takes only the tensor (``threshold`` needs more)."""
    names = []
    for name in sorted(dir(kerasport.activations)):
        fn = getattr(k.activations, name, None)
        if name.startswith("_") or name in ("get", "serialize", "deserialize") or not inspect.isfunction(fn):
            continue
        required = [p for p in list(inspect.signature(fn).parameters.values())[1:] if p.default is p.empty]
        if not required:
            names.append(name)
    return names


def _activations(k, L):
    x = k.Input((4,))
    branches = []
    for name in _activation_names(k):
        branches.append(L.Dense(4, activation=name, name=f"dense_{name}")(x))
        branches.append(L.Activation(name, name=f"activation_{name}")(x))
    return k.Model(x, L.Concatenate()(branches)), [(4,)]


def _initializers_regularizers_constraints(k, L):
    """Every initializer, regularizer and constraint class, with non-default arguments, in layer configs."""
    I, R, C = k.initializers, k.regularizers, k.constraints
    initializers = [I.Constant(0.3), I.GlorotNormal(seed=1), I.GlorotUniform(seed=2), I.HeNormal(seed=3),
                    I.HeUniform(seed=4), I.Identity(gain=2.0), I.LecunNormal(seed=5), I.LecunUniform(seed=6),
                    I.Ones(), I.Orthogonal(gain=0.5, seed=7), I.RandomNormal(0.1, 0.2, seed=8),
                    I.RandomUniform(-0.1, 0.2, seed=9), I.TruncatedNormal(0.0, 0.3, seed=10),
                    I.VarianceScaling(2.0, mode="fan_out", distribution="uniform", seed=11), I.Zeros()]
    regularizers = [R.L1(0.1), R.L2(0.2), R.L1L2(l1=0.1, l2=0.3), R.OrthogonalRegularizer(0.02, mode="columns")]
    constraints = [C.MaxNorm(1.5, axis=1), C.MinMaxNorm(0.1, 1.0, rate=0.5), C.NonNeg(), C.UnitNorm(axis=1)]
    x = k.Input((3,))
    two_d_only = (5, 9)  # Identity, Orthogonal
    branches = [L.Dense(3, kernel_initializer=init,
                        bias_initializer=init if i % 2 and i not in two_d_only else "zeros",
                        kernel_regularizer=regularizers[i % 4], bias_regularizer=regularizers[(i + 1) % 4],
                        kernel_constraint=constraints[i % 4], bias_constraint=constraints[(i + 2) % 4])(x)
                for i, init in enumerate(initializers)]
    seq = L.Reshape((3, 1))(x)
    branches.append(L.LSTM(2, kernel_initializer=initializers[1], recurrent_initializer=initializers[9],
                           recurrent_regularizer=regularizers[3], recurrent_constraint=constraints[0])(seq))
    branches.append(L.Flatten()(L.DepthwiseConv1D(2, depthwise_initializer=initializers[4],
                                                  depthwise_regularizer=regularizers[1],
                                                  depthwise_constraint=constraints[2])(seq)))
    branches.append(L.Flatten()(L.Embedding(5, 2, embeddings_regularizer=regularizers[0],
                                            embeddings_constraint=constraints[3])(k.ops.cast(x, "int32"))))
    return k.Model(x, L.Concatenate()(branches)), [(3,)]


def _channels_first(k, L):
    cf = "channels_first"
    x = k.Input((2, 6, 6))
    y = L.Conv2DTranspose(3, 2, strides=2, data_format=cf, use_bias=False)(x)
    y = L.SeparableConv2D(4, 3, depth_multiplier=2, data_format=cf)(y)
    y = L.DepthwiseConv2D(3, data_format=cf, padding="same")(L.BatchNormalization(axis=1)(y))
    y = L.MaxPooling2D(2, data_format=cf)(L.AveragePooling2D(2, strides=1, data_format=cf)(y))
    a = L.Flatten()(L.AdaptiveAveragePooling2D(2, data_format=cf)(y))
    b = L.GlobalAveragePooling2D(data_format=cf, keepdims=True)(y)
    seq = L.Reshape((2, 36))(x)
    seq = L.SeparableConv1D(3, 3, data_format=cf)(L.Conv1DTranspose(2, 3, data_format=cf)(seq))
    seq = L.DepthwiseConv1D(3, data_format=cf)(L.UpSampling1D(2)(seq))
    c = L.GlobalMaxPooling1D(data_format=cf)(L.Cropping1D(1)(L.ZeroPadding1D(1)(seq)))
    d = L.Flatten()(L.AdaptiveMaxPooling1D(2, data_format=cf)(seq))
    vol = L.Reshape((2, 3, 4, 3))(x)
    vol = L.Conv3D(3, 2, data_format=cf, padding="same")(L.UpSampling3D(2, data_format=cf)(vol))
    vol = L.Conv3DTranspose(2, 2, data_format=cf)(L.ZeroPadding3D(1, data_format=cf)(vol))
    vol = L.Cropping3D(1, data_format=cf)(L.MaxPooling3D(2, data_format=cf)(vol))
    vol = L.AveragePooling3D(1, data_format=cf)(vol)
    e = L.GlobalAveragePooling3D(data_format=cf)(vol)
    f = L.GlobalMaxPooling3D(data_format=cf)(vol)
    g = L.Flatten()(L.AdaptiveAveragePooling3D(2, data_format=cf)(vol))
    h = L.Flatten()(L.ConvLSTM2D(2, 3, data_format=cf)(L.Reshape((2, 1, 6, 6))(x)))
    return k.Model(x, L.Concatenate()([a, L.Flatten()(b), c, d, e, f, g, h])), [(2, 6, 6)]


def _recurrent_variants(k, L):
    x = k.Input((5, 3))
    y = L.LSTM(3, return_sequences=True, dropout=0.2, recurrent_dropout=0.1, unroll=True,
               activation="relu", use_bias=False)(x)
    y = L.Bidirectional(L.SimpleRNN(2, return_sequences=True), merge_mode="mul")(y)
    out, fh, fc, bh, bc = L.Bidirectional(L.LSTM(2, return_state=True), merge_mode="concat")(y)
    gru = L.GRU(2, go_backwards=True, reset_after=True, recurrent_activation="tanh", unroll=True)(y)
    frozen = L.Dense(2, trainable=False, name="frozen")(gru)
    bn = L.BatchNormalization(trainable=False, name="frozen_bn")(frozen)
    return k.Model(x, L.Concatenate()([out, fh, fc, bh, bc, bn])), [(5, 3)]


def _attention_variants(k, L):
    q, v, key = k.Input((4, 6)), k.Input((5, 6)), k.Input((5, 4))
    a = L.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(1,), dropout=0.1)(q, v, key)
    b = L.MultiHeadAttention(num_heads=1, key_dim=3)(q, q, use_causal_mask=True)
    c = L.Attention(dropout=0.2)([q, q], use_causal_mask=True)
    d = L.GroupQueryAttention(head_dim=3, num_query_heads=2, num_key_value_heads=1)(q, v, key)
    tokens = k.Input((4,), dtype="int32")
    emb = L.Embedding(10, 6, mask_zero=True)(tokens)
    e = L.MultiHeadAttention(num_heads=2, key_dim=2, output_shape=(2, 3))(emb, emb)
    merged = L.Concatenate()([a, b, c, d, L.Reshape((4, 6))(e)])
    return k.Model([q, v, key, tokens], L.Flatten()(merged)), [(4, 6), (5, 6), (5, 4), ("int", 4)]


def _sequential_deferred(k, L):
    """A Sequential with no Input, built by ``build(shape)`` (its config has ``build_input_shape``)."""
    model = k.Sequential([L.Dense(3, activation="relu"), L.Reshape((-1, 1)), L.Conv1D(2, 2, use_bias=False),
                          L.Flatten(data_format="channels_first"), L.Dense(2)], name="deferred")
    model.build((None, 4))
    return model, [(4,)]


def _masks_and_shapes(k, L):
    """Masks through wrappers, 3-D merges along other axes, ``Reshape(-1)``."""
    x = k.Input((4, 3))
    masked = L.Masking(0.0)(x)
    y = L.TimeDistributed(L.Dense(3))(masked)
    y = L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode="sum")(y)
    y = L.Dot(axes=(2, 2))([y, y])
    z = L.Concatenate(axis=1)([x, L.Permute((1, 2))(x)])
    z = L.Reshape((-1, 4))(L.Dense(2)(z))
    return k.Model(x, L.Concatenate()([L.Flatten()(y), L.Flatten()(z)])), [(4, 3)]


def _float64_layer(k, L):
    x = k.Input((3,))
    return k.Model(x, L.Dense(2)(L.Dense(2, dtype="float64")(x))), [(3,)]


def _lora(k, L):
    x = k.Input((4,))
    return k.Model(x, L.EinsumDense("ab,bc->ac", 2, lora_rank=2)(L.Dense(3, lora_rank=2)(x))), [(4,)]


CASES = {f.__name__[1:]: f for f in (_dense, _sequential_dense, _conv1d, _conv1d_channels_first, _conv2d, _conv3d,
                                      _normalization, _recurrent, _conv_lstm, _attention, _merging, _reshaping,
                                      _reshaping_channels_first, _regularization, _embedding, _masking,
                                      _preprocessing, _categorical, _activations,
                                      _initializers_regularizers_constraints, _channels_first, _recurrent_variants,
                                      _attention_variants, _lora, _random_augmentation, _color_augmentation,
                                      _shared_and_nested,
                                      _sequential_deferred, _masks_and_shapes, _float64_layer)}
XFAIL = {}  # (case, check): reason

# Shared classes no case uses, and why (aliases such as Conv2D/Convolution2D count as one class).
NOT_SWEPT = {
    "InputLayer": "in every model", "InputSpec": "not a layer", "Layer": "base class", "Wrapper": "base class",
    "Lambda": "Python bytecode; loading it needs safe_mode=False (tests/saving/test_keras_v3.py)",
    "Equalization": "Keras 3.15 cannot put it in a model (its output spec is its input: a graph cycle); "
                    "tests/layers/test_color_augmentation.py saves it in kerasport",
    "RandAugment": "uses RandomShear; tests/layers/test_color_augmentation.py saves and loads it both ways",
    "AugMix": "uses RandomShear; tests/layers/test_color_augmentation.py saves and loads it both ways",
    "StringLookup": "string inputs", "TextVectorization": "string inputs",
    "TorchModuleWrapper": "a pickled torch module, torch only (tests/layers/test_torch_module_wrapper.py reads and "
                          "writes Keras's files)",
    "ReversibleEmbedding": "a reverse call (tests/layers/test_reversible_embedding.py reads and writes Keras's files)",
    "STFTSpectrogram": "Keras needs SciPy for it (tests/layers/test_spectrogram.py reads and writes Keras's files)",
    "MelSpectrogram": "audio-sized inputs (tests/layers/test_spectrogram.py reads and writes Keras's files)",
    "TFSMLayer": "wraps a SavedModel folder, TensorFlow only; loading it needs safe_mode=False "
                 "(tests/layers/test_tfsm_layer.py)",
}


def _inputs(specs):
    rng = np.random.RandomState(0)
    return [rng.randint(0, 5, (3, spec[1])).astype("int32") if spec[0] == "int"
            else rng.rand(3, *spec).astype("float32") for spec in specs]


def _randomize(model, seed):
    """Random positive weights (so any two swapped in a file show); integer weights are kept."""
    rng = np.random.RandomState(seed)
    model.set_weights([rng.uniform(0.1, 0.5, w.shape).astype(w.dtype) if w.dtype.kind == "f" else w
                       for w in model.get_weights()])


def _flat(outputs, to_numpy):
    """All outputs (one tensor or a list) as one flat array."""
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return np.concatenate([np.ravel(to_numpy(o)) for o in outputs])


def _ours(model, xs):
    tensors = [B.convert_to_tensor(x) for x in xs]
    return _flat(model(tensors if len(tensors) > 1 else tensors[0], training=False), B.convert_to_numpy)


def _theirs(model, xs):
    return _flat(keras_predict(model, xs), np.asarray)


def _signature(model):
    return [(w.path.split("/")[-1], tuple(w.shape)) for w in model.weights]


_FILES = {}


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    """``get(case)``: the case's model built by Keras once, its files, predictions and weight signature."""
    keras = keras_module()
    folder = tmp_path_factory.mktemp("keras_sweep")

    def get(case):
        if case not in _FILES:
            keras.utils.set_random_seed(0)
            model, specs = CASES[case](keras, keras.layers)
            _randomize(model, 1)
            xs = _inputs(specs)
            entry = {"model": model, "xs": xs, "expected": _theirs(model, xs), "signature": _signature(model)}
            for ext in ("keras", "h5", "weights.h5"):
                path = folder / f"{case}.{ext}"
                try:
                    model.save_weights(path) if ext == "weights.h5" else model.save(path)
                    entry[ext] = path
                except TypeError as error:  # "cannot pickle 'module' object": a SeedGenerator in .h5
                    assert ext == "h5" and case in ("random_augmentation", "color_augmentation"), error
                    entry[ext] = error
            _FILES[case] = entry
        return _FILES[case]

    yield get
    _FILES.clear()


def _file(entry, ext):
    if isinstance(entry[ext], Exception):
        pytest.skip(f"Keras cannot write this model as .{ext}: {entry[ext]!r}"[:300])
    return entry[ext]


def _params(check):
    return [pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=XFAIL[case, check]))
            if (case, check) in XFAIL else case for case in CASES]


def test_every_shared_layer_is_swept():
    keras = keras_module()
    shared = {name for name in dir(kerasport.layers) if inspect.isclass(getattr(kerasport.layers, name))
              and inspect.isclass(getattr(keras.layers, name, None))}
    used = set()
    for case in CASES:
        keras.utils.set_random_seed(0)
        model, _ = CASES[case](keras, keras.layers)
        stack = list(model.layers)
        while stack:
            layer = stack.pop()
            used.add(type(layer))
            stack.extend(getattr(layer, "layers", []) or [])
            for attr in ("layer", "forward_layer", "backward_layer", "cell"):
                if getattr(layer, attr, None) is not None:
                    stack.append(getattr(layer, attr))
            stack.extend(getattr(getattr(layer, "cell", None), "cells", []) or [])
    missing = sorted(name for name in shared - set(NOT_SWEPT) if getattr(keras.layers, name) not in used)
    assert not missing, f"shared layers no case uses (add a case or a NOT_SWEPT reason): {missing}"


@pytest.mark.parametrize("ext", ["keras", "h5"])
@pytest.mark.parametrize("case", _params("load"))
def test_we_load_keras_model_file(keras_files, case, ext):
    entry = keras_files(case)
    model = kerasport.saving.load_model(_file(entry, ext), compile=False)
    assert _signature(model) == entry["signature"]
    np.testing.assert_allclose(_ours(model, entry["xs"]), entry["expected"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", _params("weights"))
def test_we_load_keras_weights_into_model_from_keras_config(keras_files, case):
    entry = keras_files(case)
    config = entry["model"].get_config()
    cls = kerasport.Sequential if type(entry["model"]).__name__ == "Sequential" else kerasport.Model
    model = cls.from_config(config)
    assert _signature(model) == entry["signature"]
    model.load_weights(_file(entry, "weights.h5"))
    np.testing.assert_allclose(_ours(model, entry["xs"]), entry["expected"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ext", ["keras", "h5"])
@pytest.mark.parametrize("case", _params("reverse"))
def test_keras_loads_our_model_file(keras_files, tmp_path, case, ext):
    keras = keras_module()
    entry = keras_files(case)
    _file(entry, ext)
    ours = kerasport.saving.load_model(_file(entry, "keras"), compile=False)
    _randomize(ours, 2)
    ours.save(tmp_path / f"ours.{ext}")
    theirs = keras.saving.load_model(tmp_path / f"ours.{ext}", compile=False)
    assert _signature(theirs) == entry["signature"]
    np.testing.assert_allclose(_theirs(theirs, entry["xs"]), _ours(ours, entry["xs"]), rtol=1e-5, atol=1e-5)
