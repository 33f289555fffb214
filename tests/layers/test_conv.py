"""Convolution layers: Keras 3 as the oracle for outputs and gradients, the shared layer checks, bad input."""
import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, keras_oracle, run_layer_test

# (class name, constructor kwargs, input shape). channels_first cases run Keras channels_last on
# transposed inputs (TensorFlow's CPU kernels have no NCHW convolution); the weights are the same.
CASES = [
    ("Conv1D", dict(filters=4, kernel_size=3), (2, 7, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 8, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2), (2, 7, 3)),
    ("Conv1D", dict(filters=4, kernel_size=2, groups=2, data_format="channels_first"), (2, 4, 6)),
    ("Conv2D", dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 6, 7, 3)),
    ("Conv2D", dict(filters=3, kernel_size=(2, 3), dilation_rate=2, use_bias=False), (1, 6, 7, 2)),
    ("Conv2D", dict(filters=4, kernel_size=3, strides=(2, 1), padding="same", data_format="channels_first",
                    activation="relu"), (2, 3, 5, 6)),
    ("Conv2D", dict(filters=6, kernel_size=3, groups=3, padding="same"), (2, 5, 5, 6)),
    ("Conv3D", dict(filters=2, kernel_size=2, strides=2, padding="same"), (1, 5, 4, 3, 2)),
    ("Conv3D", dict(filters=2, kernel_size=(2, 1, 2), data_format="channels_first"), (1, 2, 3, 4, 3)),
    ("Conv3D", dict(filters=4, kernel_size=2, groups=2), (1, 3, 3, 3, 4)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=3, strides=2), (2, 5, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=4, strides=3, padding="same", output_padding=1), (2, 4, 2)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=2, dilation_rate=2, data_format="channels_first"), (2, 3, 4)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 3, 4, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=(3, 2), strides=2, output_padding=(1, 0)), (1, 3, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same",
                             data_format="channels_first"), (1, 2, 4, 4)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2, padding="same"), (1, 2, 3, 2, 2)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=(1, 2, 1), data_format="channels_first"),
     (1, 2, 2, 3, 2)),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2), (2, 7, 3)),
    ("DepthwiseConv1D", dict(kernel_size=3, strides=2, dilation_rate=2, padding="same"), (2, 9, 3)),
    ("DepthwiseConv1D", dict(kernel_size=2, strides=2, data_format="channels_first"), (2, 3, 6)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same"), (2, 6, 5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=2, strides=2, dilation_rate=2), (1, 7, 7, 2)),
    ("DepthwiseConv2D", dict(kernel_size=3, dilation_rate=(1, 2), padding="same",
                             data_format="channels_first"), (1, 2, 5, 6)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, depth_multiplier=2), (2, 7, 3)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, strides=2, padding="same",
                             data_format="channels_first"), (2, 3, 8)),
    ("SeparableConv2D", dict(filters=5, kernel_size=3, strides=2, padding="same", depth_multiplier=2),
     (2, 6, 5, 3)),
    ("SeparableConv2D", dict(filters=3, kernel_size=2, dilation_rate=2, strides=2, activation="tanh"),
     (1, 7, 6, 2)),
    ("SeparableConv2D", dict(filters=3, kernel_size=3, data_format="channels_first"), (1, 2, 5, 5)),
]


def _id(case):
    name, kwargs, _ = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items() if k not in ("filters", "kernel_size"))


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_keras(case):
    keras = keras_module()
    name, kwargs, shape = case
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    perm = None
    keras_kwargs = dict(kwargs)
    if kwargs.get("data_format") == "channels_first":
        keras_kwargs["data_format"] = "channels_last"
        perm = (0,) + tuple(range(2, len(shape))) + (1,)
    keras_layer = getattr(keras.layers, name)(**keras_kwargs, bias_initializer="random_normal") \
        if kwargs.get("use_bias", True) else getattr(keras.layers, name)(**keras_kwargs)
    layer = getattr(layers, name)(**kwargs)
    keras_oracle(layer, keras_layer, x, perm=perm)
    assert [w.path.split("/")[-1] for w in layer.weights] == [w.path.split("/")[-1] for w in keras_layer.weights]
    assert set(layer.get_config()) == set(keras_layer.get_config())


# The configs for which TensorFlow's Eigen CPU kernels (no oneDNN) lack a native kernel: grouped
# gradients, dilated transposed convolution, depthwise with unequal or with strides and dilation.
PORTABLE_CASES = [c for c in CASES if c[1].get("groups", 1) > 1 or c[0].startswith(("Depthwise", "Separable"))
                  or (c[0].endswith("Transpose") and "dilation_rate" in c[1])] + [
    ("DepthwiseConv2D", dict(kernel_size=2, strides=(2, 1), depth_multiplier=2), (1, 5, 6, 2))]


@pytest.mark.parametrize("case", PORTABLE_CASES, ids=[_id(c) for c in PORTABLE_CASES])
def test_portable_forms_match_keras(case, monkeypatch):
    """On TensorFlow, the forms used where the native kernels are missing (per-group or depthwise
    convolutions, an explicitly dilated kernel, stride by slicing) are forced on whatever this machine
    has, and must give Keras's outputs and gradients; on torch this is the plain oracle."""
    if B.NAME == "tensorflow":
        from kerasport.backends.tensorflow import kernels
        monkeypatch.setattr(kernels, "supports", lambda name: False)
    test_matches_keras(case)


@pytest.mark.parametrize("name, kwargs, shape, expected", [
    ("Conv1D", dict(filters=3, kernel_size=2, padding="causal"), (2, 5, 2), (2, 5, 3)),
    ("Conv2D", dict(filters=3, kernel_size=3, groups=3), (2, 5, 5, 3), (2, 3, 3, 3)),
    ("Conv3D", dict(filters=2, kernel_size=2, data_format="channels_first"), (2, 1, 3, 3, 3), (2, 2, 2, 2, 2)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2), (2, 4, 3), (2, 9, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same"), (2, 3, 3, 1), (2, 6, 6, 2)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, data_format="channels_first"), (2, 1, 2, 2, 2),
     (2, 2, 3, 3, 3)),
    ("DepthwiseConv1D", dict(kernel_size=2, depth_multiplier=2), (2, 5, 3), (2, 4, 6)),
    ("DepthwiseConv2D", dict(kernel_size=2, padding="same"), (2, 4, 4, 3), (2, 4, 4, 3)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3), (2, 6, 2), (2, 4, 4)),
    ("SeparableConv2D", dict(filters=4, kernel_size=2, data_format="channels_first"), (2, 2, 4, 4), (2, 4, 3, 3)),
])
def test_layer_checks(name, kwargs, shape, expected):
    run_layer_test(getattr(layers, name), kwargs, shape, expected_output_shape=expected)


def test_aliases():
    assert layers.Convolution2D is layers.Conv2D
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.SeparableConvolution1D is layers.SeparableConv1D


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Conv2D(-1, 3), "filters"),
    (lambda: layers.Conv2D(4, 0), "kernel_size"),
    (lambda: layers.Conv2D(4, 3, padding="full"), "padding"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), "padding"),
    (lambda: layers.Conv2D(4, 3, data_format="NHWC"), "data_format"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: layers.Conv2D(5, 3, groups=2), "groups"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), "output_padding"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
    (lambda: layers.SeparableConv1D(0, 3), "filters"),
])
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_layer_and_shapes():
    conv = layers.Conv2D(4, 3, name="c2")
    with pytest.raises(ValueError, match=r"'c2'.*ndim=4.*\(2, 5, 3\)"):
        conv(B.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"'c2'.*larger than.*\(2, 2, 5, 3\)"):
        conv(B.zeros((2, 2, 5, 3)))
    conv(B.zeros((2, 5, 5, 3)))
    with pytest.raises(ValueError, match=r"'c2'.*expected 3 input channels.*\(2, 5, 5, 2\)"):
        conv(B.zeros((2, 5, 5, 2)))
    with pytest.raises(ValueError, match=r"groups.*\(1, 4, 4, 3\)"):
        layers.Conv2D(4, 1, groups=2)(B.zeros((1, 4, 4, 3)))
    with pytest.raises(ValueError, match=r"channel dimension.*\(None, 4, 4, None\)"):
        layers.SeparableConv2D(4, 1).compute_output_shape((None, 4, 4, None))


def test_overridden_convolution_op_gets_bias_and_activation_added_as_in_keras():
    import kerasport
    keras = keras_module()

    def outputs(lib, weights=None):
        class Standardized(lib.layers.Conv2D):
            def convolution_op(self, inputs, kernel):
                mean, var = lib.ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
                return lib.ops.conv(inputs, (kernel - mean) / lib.ops.sqrt(var + 1e-10), strides=self.strides,
                                    padding="valid")

        class Plain(lib.layers.Conv2D):
            def call(self, inputs):
                return self.convolution_op(inputs, self.kernel)

        x = np.random.RandomState(0).rand(2, 7, 7, 3).astype("float32")
        layers_ = [Standardized(4, 3, strides=2, activation="relu", bias_initializer="ones"), Plain(4, 3)]
        for i, layer in enumerate(layers_):
            layer.build(x.shape)
            if weights is not None:
                layer.set_weights(weights[i])
        return [np.asarray(lib.ops.convert_to_numpy(layer(x))) for layer in layers_], \
            [layer.get_weights() for layer in layers_]

    theirs, weights = outputs(keras)
    ours, _ = outputs(kerasport, weights)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert (theirs[0] >= 0).all() and (theirs[1] < 0).any()  # the activation of the first, no bias in the second
