"""Small models covering every layer family, written once against the Keras API, and a subprocess runner.

``build(k, name)`` builds model ``name`` with ``k`` = ``keras``, ``tf_keras`` or
``kerasport``, and returns it with its inputs, so that one definition serves
files saved by each of them. Inputs come from a fixed seed, weights from the
library's own initializers. Keras and tf_keras run in subprocesses
(``run_python``), which import this file by path.
"""
import os
import subprocess
import sys

import numpy as np


def run_python(script, *args, **env):
    """Run ``script`` with this interpreter in a subprocess (extra environment ``env``); fail on a non-zero exit."""
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    result = subprocess.run([sys.executable, "-c", script, *map(str, args)], env=environment, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def inputs(name):
    """Model ``name``'s inputs: 4 samples, the same in every process (masked steps zeroed where it masks)."""
    rng = np.random.RandomState(sum(map(ord, name)))
    shapes = {"conv1d": [(10, 3)], "conv2d": [(8, 8, 3)], "conv3d": [(6, 6, 6, 2)], "reshaping": [(4, 6, 2)],
              "attention": [(4, 6), (5, 6)], "merging": [(4,), (4,)]}.get(name, [(5, 3)])
    xs = [rng.rand(4, *s).astype("float32") for s in shapes]
    if name == "masking":
        xs[0][:, 3:] = 0.0
        xs[0][0, 1:] = 0.0
    if name == "embedding_mask":
        xs = [rng.randint(1, 20, (4, 5))]
        xs[0][:, 3:] = 0
        xs[0][1, 1:] = 0
    return xs


def _conv1d(k, L, x):
    x = L.Conv1D(4, 3, activation="relu")(L.Conv1D(4, 2, padding="causal", dilation_rate=2)(x))
    x = L.Conv1DTranspose(3, 3, strides=2)(x)
    x = L.SeparableConv1D(4, 3, depth_multiplier=2, padding="same")(x)
    x = L.DepthwiseConv1D(3, depth_multiplier=2)(x)
    x = L.MaxPooling1D(2)(x)
    x = L.AveragePooling1D(2, strides=1, padding="same")(x)
    return L.Concatenate()([L.GlobalMaxPooling1D()(x), L.GlobalAveragePooling1D()(x)])


def _conv2d(k, L, x):
    x = L.Conv2D(4, 2, groups=2, use_bias=False)(L.Conv2D(4, 3, padding="same", strides=(1, 2))(x))
    x = L.Conv2DTranspose(4, 3, strides=2, padding="same")(L.SpatialDropout2D(0.2)(x))
    x = L.SeparableConv2D(4, 3, depth_multiplier=2, activation="relu")(x)
    x = L.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False)(x)
    x = L.AveragePooling2D(2)(x)
    x = L.MaxPooling2D(2, strides=1, padding="same")(x)
    return L.Concatenate()([L.GlobalMaxPooling2D()(x), L.GlobalAveragePooling2D()(x)])


def _conv3d(k, L, x):
    x = L.Conv3D(3, 3, padding="same")(L.SpatialDropout3D(0.2)(x))
    x = L.Conv3DTranspose(2, 2, strides=2)(x)
    x = L.MaxPooling3D(2)(x)
    x = L.AveragePooling3D(2)(x)
    return L.Concatenate()([L.GlobalMaxPooling3D()(x), L.GlobalAveragePooling3D()(x)])


def _normalization(k, L, x):
    x = L.Dense(8)(L.Flatten()(x))
    x = L.BatchNormalization(momentum=0.5)(x)
    x = L.BatchNormalization(momentum=0.5, scale=False, epsilon=0.1)(x)
    x = L.LayerNormalization()(x)
    x = L.GroupNormalization(groups=2)(x)
    return L.Dense(3)(L.UnitNormalization()(x))


def _recurrent(k, L, x):
    x = L.SimpleRNN(4, return_sequences=True)(x)
    x = L.LSTM(4, return_sequences=True, go_backwards=True)(x)
    x = L.GRU(3, return_sequences=True)(x)
    return L.GRU(2, reset_after=False)(x)


def _wrappers(k, L, x):
    x = L.Bidirectional(L.LSTM(3, return_sequences=True))(x)
    x = L.TimeDistributed(L.Dense(2))(x)
    return L.Bidirectional(L.GRU(2), merge_mode="sum")(x)


def _cells(k, L, x):
    seq, h, c = L.RNN(L.LSTMCell(3), return_sequences=True, return_state=True)(x)
    stacked = L.RNN(L.StackedRNNCells([L.GRUCell(3), L.SimpleRNNCell(2)]))(seq)
    last, state = L.GRU(2, return_state=True)(seq)
    return L.Concatenate()([h, c, stacked, last, state])


def _attention(k, L, q, v):
    a = L.MultiHeadAttention(num_heads=2, key_dim=3)(q, v)
    b = L.Attention(use_scale=True, score_mode="concat")([q, v])
    c = L.AdditiveAttention()([q, v])
    return L.Flatten()(L.Concatenate()([a, b, c]))


def _merging(k, L, a, b):
    merged = [L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]), L.Average()([a, b]),
              L.Maximum()([a, b]), L.Minimum()([a, b]), L.Dot(axes=1, normalize=True)([a, b]), L.Identity()(a)]
    return L.Dense(2)(L.Concatenate(axis=1)(merged))


def _reshaping(k, L, x):
    image = L.Cropping2D(((1, 0), (0, 2)))(L.ZeroPadding2D((1, 2))(L.UpSampling2D(2)(L.Permute((2, 1, 3))(x))))
    seq = L.Reshape((24, 2))(x)
    seq = L.Cropping1D((1, 2))(L.ZeroPadding1D(1)(L.UpSampling1D(2)(seq)))
    volume = L.Reshape((2, 6, 2, 2))(x)
    volume = L.Cropping3D(1)(L.ZeroPadding3D(1)(L.UpSampling3D((1, 2, 1))(volume)))
    flat = [L.Flatten()(t) for t in (image, seq, volume)]
    return L.Flatten()(L.RepeatVector(2)(L.Dense(3)(L.Concatenate()(flat))))


def _activations(k, L, x):
    x = L.Dense(6)(L.Flatten()(x))
    x = L.ReLU(max_value=0.8, negative_slope=0.1, threshold=0.05)(x)
    x = L.LeakyReLU()(x)
    x = L.PReLU()(L.Dense(6)(x))
    x = L.ELU(alpha=0.5)(x)
    return L.Softmax()(L.Dense(3)(x))


def _regularization(k, L, x):
    x = L.SpatialDropout1D(0.2)(L.GaussianNoise(0.1)(x))
    x = L.Flatten()(x)
    x = L.Dense(6, kernel_regularizer=k.regularizers.L1L2(l1=0.01, l2=0.02),
                bias_regularizer=k.regularizers.L2(0.01), activity_regularizer=k.regularizers.L1(0.01),
                kernel_constraint=k.constraints.MaxNorm(2.0), bias_constraint=k.constraints.NonNeg())(x)
    x = L.AlphaDropout(0.1)(L.GaussianDropout(0.2)(L.Dropout(0.3)(x)))
    return L.Dense(2)(L.ActivityRegularization(l1=0.01, l2=0.01)(x))


def _masking(k, L, x):
    return L.LSTM(3)(L.Masking(0.0)(x))


def _embedding_mask(k, L, x):
    return L.LSTM(3)(L.Embedding(20, 4, mask_zero=True)(x))


def _preprocessing(k, L, x):
    norm = L.Normalization()
    norm.adapt(inputs("preprocessing")[0] * 3.0 + 1.0)
    return L.Dense(2)(L.Flatten()(norm(L.Rescaling(2.0, offset=-0.5)(x))))


def _nested(k, L, x):
    inner_seq = k.Sequential([k.Input((15,)), L.Dense(5), L.BatchNormalization(momentum=0.5)], name="inner_seq")
    i = k.Input((5,))
    inner_func = k.Model(i, L.Dense(3, activation="tanh")(L.Dense(4)(i)), name="inner_func")
    j = k.Input((5,))
    outer_func = k.Model(j, inner_func(j), name="outer_func")
    return L.Dense(2)(outer_func(inner_seq(L.Flatten()(x))))


BUILDERS = {f.__name__[1:]: f for f in (_conv1d, _conv2d, _conv3d, _normalization, _recurrent, _wrappers, _cells,
                                         _attention, _merging, _reshaping, _activations, _regularization, _masking,
                                         _embedding_mask, _preprocessing, _nested)}


def build(k, name):
    """Model ``name`` built with library ``k``, and its inputs (a list of arrays)."""
    xs = inputs(name)
    symbolic = [k.Input(x.shape[1:], dtype="int32" if x.dtype.kind == "i" else "float32") for x in xs]
    return k.Model(symbolic, BUILDERS[name](k, k.layers, *symbolic)), xs
