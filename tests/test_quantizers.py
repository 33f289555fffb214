"""``kerasport.quantizers`` against Keras 3's ``keras.quantizers`` (TensorFlow backend) on the same inputs."""
import numpy as np
import pytest

import kerasport
from kerasport import quantizers as Q
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy


@pytest.fixture(scope="module")
def keras():
    return keras_module()


def _grads(fn, *arrays):
    """``fn(*tensors)`` and the gradients of ``sum(fn(...) * r)`` (``r`` random, seed 3) w.r.t. each input."""
    r = None
    if B.NAME == "torch":
        import torch
        xs = [torch.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*xs)
        r = np.random.RandomState(3).randn(*out.shape).astype("float32")
        grads = torch.autograd.grad((out * torch.tensor(r)).sum(), xs)
    else:
        import tensorflow as tf
        xs = [tf.constant(a) for a in arrays]
        with tf.GradientTape() as tape:
            tape.watch(xs)
            out = fn(*xs)
            r = np.random.RandomState(3).randn(*out.shape).astype("float32")
            loss = tf.reduce_sum(out * r)
        grads = tape.gradient(loss, xs)
    return to_numpy(out), [to_numpy(g) for g in grads]


def _keras_grads(keras, fn, *arrays):
    import tensorflow as tf
    xs = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        tape.watch(xs)
        out = fn(*xs)
        loss = tf.reduce_sum(out * np.random.RandomState(3).randn(*out.shape).astype("float32"))
    return np.asarray(out), [np.asarray(g) for g in tape.gradient(loss, xs)]


def test_namespace_has_keras_names(keras):
    missing = [n for n in dir(keras.quantizers) if not n.startswith("_") and not hasattr(Q, n)]
    assert missing == []
    assert kerasport.Quantizer is Q.Quantizer


@pytest.mark.parametrize("to_numpy_", [False, True])
@pytest.mark.parametrize("axis", [0, -1, (0, 2)])
def test_abs_max_quantize_matches_keras(keras, axis, to_numpy_):
    x = np.random.RandomState(0).randn(3, 4, 5).astype("float32") * 3
    q, scale = Q.abs_max_quantize(B.convert_to_tensor(x), axis, to_numpy=to_numpy_)
    kq, kscale = keras.quantizers.abs_max_quantize(x, axis, to_numpy=to_numpy_)
    assert B.standardize_dtype(q.dtype) == "int8"
    np.testing.assert_array_equal(to_numpy(q), np.asarray(kq))
    np.testing.assert_allclose(to_numpy(scale), np.asarray(kscale), rtol=1e-6)


def test_abs_max_quantizer_matches_keras(keras):
    x = np.random.RandomState(1).randn(6, 8).astype("float32")
    ours = Q.AbsMaxQuantizer(axis=0, value_range=(-8, 7))
    theirs = keras.quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7))
    for mine, want in zip(ours(B.convert_to_tensor(x)), theirs(x)):
        np.testing.assert_allclose(to_numpy(mine), np.asarray(want), rtol=1e-6)
    for mine, want in zip(ours(B.convert_to_tensor(x), axis=-1), theirs(x, axis=-1)):
        np.testing.assert_allclose(to_numpy(mine), np.asarray(want), rtol=1e-6)
    assert ours.get_config() == theirs.get_config()
    with pytest.raises(ValueError, match=r"\[-128, 127\]"):
        Q.AbsMaxQuantizer(value_range=(-200, 127))


@pytest.mark.parametrize("shape,block", [((10, 3), 4), ((8, 5), 8), ((7, 2), 128)])
def test_grouped_quantize_with_zero_point_matches_keras(keras, shape, block):
    x = np.random.RandomState(2).randn(*shape).astype("float32")
    ours = Q.abs_max_quantize_grouped_with_zero_point(B.convert_to_tensor(x), block)
    for to_np in (True, False):
        theirs = keras.quantizers.abs_max_quantize_grouped_with_zero_point(x, block, to_numpy=to_np)
        for mine, want in zip(ours, theirs):
            np.testing.assert_allclose(to_numpy(mine).astype("float32"), np.asarray(want).astype("float32"),
                                       rtol=1e-6)


@pytest.mark.parametrize("axis,shape,narrow", [(None, (4, 6), False), (None, (3, 5), True), (-1, (4, 3), False),
                                               (1, (2, 3, 4), True)])
def test_fake_quant_matches_keras_with_gradients(keras, axis, shape, narrow):
    rng = np.random.RandomState(4)
    x = (rng.randn(*shape) * 2).astype("float32")
    if axis is None:
        lo, hi = np.array(-1.5, "float32"), np.array(1.2, "float32")
    else:
        channels = shape[axis]
        lo, hi = -rng.uniform(0.5, 2, channels).astype("float32"), rng.uniform(0.5, 2, channels).astype("float32")

    def ours(a, b, c):
        return Q.fake_quant_with_min_max_vars(a, b, c, num_bits=6, narrow_range=narrow, axis=axis)

    def theirs(a, b, c):
        return keras.quantizers.fake_quant_with_min_max_vars(a, b, c, num_bits=6, narrow_range=narrow, axis=axis)

    out, grads = _grads(ours, x, lo, hi)
    kout, kgrads = _keras_grads(keras, theirs, x, lo, hi)
    np.testing.assert_allclose(out, kout, atol=1e-6)
    for mine, want in zip(grads, kgrads):
        np.testing.assert_allclose(mine, want, atol=1e-5)
    assert np.any(grads[1]) and np.any(grads[2])  # the inputs reach both ends of the range


def test_float8_helpers_match_keras(keras):
    rng = np.random.RandomState(5)
    amax = np.array([3.0, 0.0, np.inf, 100.0], "float32")
    scale = np.array([2.0, 0.5, 1.0, 4.0], "float32")
    np.testing.assert_allclose(to_numpy(Q.compute_float8_scale(B.convert_to_tensor(amax), B.convert_to_tensor(scale),
                                                                448.0, margin=1)),
                               np.asarray(keras.quantizers.compute_float8_scale(amax, scale, 448.0, margin=1)))
    x, history = rng.randn(3, 4).astype("float32") * 7, rng.rand(5).astype("float32")
    np.testing.assert_allclose(to_numpy(Q.compute_float8_amax_history(B.convert_to_tensor(x),
                                                                       B.convert_to_tensor(history))),
                               np.asarray(keras.quantizers.compute_float8_amax_history(x, history)))
    for dtype in ("float8_e4m3fn", "float8_e5m2"):
        big = (rng.randn(4, 6) * 300).astype("float32")
        np.testing.assert_allclose(to_numpy(Q.quantize_and_dequantize(B.convert_to_tensor(big), 0.5, dtype,
                                                                       "float32")),
                                   np.asarray(keras.quantizers.quantize_and_dequantize(big, 0.5, dtype, "float32")))
    with pytest.raises(ValueError, match="quantized_dtype"):
        Q.quantize_and_dequantize(B.convert_to_tensor(x), 1.0, "int8", "float32")


@pytest.mark.parametrize("shape,axis,dtype", [((5, 3), 0, "int8"), ((4, 7), 1, "int8"), ((3, 5, 2), -2, "int8"),
                                              ((6, 3), 0, "uint8")])
def test_int4_packing_matches_keras(keras, shape, axis, dtype):
    low = -8 if dtype == "int8" else 0
    arr = np.random.RandomState(6).randint(low, low + 16 if dtype == "uint8" else 8, size=shape).astype(dtype)
    packed, packed_shape, n = Q.pack_int4(B.convert_to_tensor(arr), axis=axis, dtype=dtype)
    kpacked, kshape, kn = keras.quantizers.pack_int4(arr, axis=axis, dtype=dtype)
    np.testing.assert_array_equal(to_numpy(packed), np.asarray(kpacked))
    assert (packed_shape, n) == (tuple(kshape), kn)
    unpacked = Q.unpack_int4(packed, n, axis=axis, dtype=dtype)
    expected = keras.quantizers.unpack_int4(kpacked, kn, axis=axis, dtype=dtype)
    np.testing.assert_array_equal(to_numpy(unpacked), np.asarray(expected))
    if dtype == "int8":
        np.testing.assert_array_equal(to_numpy(unpacked), arr)
    with pytest.raises(TypeError, match="int8"):
        Q.pack_int4(B.convert_to_tensor(arr.astype("int32")), axis=axis)


def test_configs_serialize_as_keras(keras):
    pairs = [(Q.Int8QuantizationConfig(), keras.quantizers.Int8QuantizationConfig()),
             (Q.Int8QuantizationConfig(activation_quantizer=None), keras.quantizers.Int8QuantizationConfig(
                 activation_quantizer=None)),
             (Q.Int4QuantizationConfig(block_size=64), keras.quantizers.Int4QuantizationConfig(block_size=64)),
             (Q.Int4QuantizationConfig(Q.AbsMaxQuantizer(axis=0, value_range=(-8, 7)), block_size=None),
              keras.quantizers.Int4QuantizationConfig(keras.quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7)),
                                                      block_size=None)),
             (Q.Float8QuantizationConfig(), keras.quantizers.Float8QuantizationConfig()),
             (Q.AbsMaxQuantizer(axis=1), keras.quantizers.AbsMaxQuantizer(axis=1))]
    for ours, theirs in pairs:
        written = keras.quantizers.serialize(theirs)
        assert Q.serialize(ours) == written
        back = Q.deserialize(written)
        assert type(back) is type(ours) and Q.serialize(back) == written
        assert type(keras.quantizers.deserialize(Q.serialize(ours))).__name__ == type(ours).__name__
    assert isinstance(Q.get("AbsMaxQuantizer"), Q.AbsMaxQuantizer)
    assert Q.get(None) is None
    with pytest.raises(ValueError, match="quantizer identifier"):
        Q.get("no_such_quantizer")


def test_config_errors_as_keras():
    with pytest.raises(ValueError, match="output_dtype='int8'"):
        Q.Int8QuantizationConfig(weight_quantizer=Q.AbsMaxQuantizer(output_dtype="int16"))
    with pytest.raises(ValueError, match="value_range=\\(-8, 7\\)"):
        Q.Int4QuantizationConfig(weight_quantizer=Q.AbsMaxQuantizer(), block_size=None)
    with pytest.raises(ValueError, match="sub-channel"):
        Q.Int4QuantizationConfig(weight_quantizer=Q.AbsMaxQuantizer(value_range=(-8, 7)), block_size=32)
    with pytest.raises(ValueError, match="block_size"):
        Q.Int4QuantizationConfig(block_size=0)
    with pytest.raises(NotImplementedError, match="not instantiate"):
        Q.QuantizationConfig().mode
    for cls, name in ((Q.GPTQConfig, "GPTQ"), (Q.AWQConfig, "AWQ")):
        with pytest.raises(NotImplementedError, match=name):
            cls()
