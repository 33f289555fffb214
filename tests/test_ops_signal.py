"""The signal, distance, complex-view, pooling and decoding ops of ``keras.ops`` against Keras 3 as the oracle.

As in ``tests/test_ops.py``: each row calls one op on the same inputs in both libraries and compares values,
shapes and dtypes; ``(real, imag)`` tuples of arrays become tuples of tensors. Then the errors Keras gives for
bad arguments, and each op in a Functional model (shape inference through ``OpLayer``) against Keras's.
"""
import numpy as np
import pytest

import kerasport
from kerasport import ops
from tests.helpers import keras_module, to_numpy
from tests.test_ops import _call, _compare, _convert, _id

rng = np.random.RandomState(7)
SIG = rng.randn(2, 40).astype("float32")
SIG1 = rng.randn(33).astype("float32")
SIG3 = rng.randn(2, 2, 30).astype("float32")
SPEC = (rng.randn(2, 11, 9).astype("float32"), rng.randn(2, 11, 9).astype("float32"))  # 11 frames, fft 16
A = rng.randn(3, 4).astype("float32")
B3 = rng.randn(2, 5, 4).astype("float32")
PAIRS = rng.randn(3, 2, 2).astype("float32")
Z = (rng.randn(3, 4) + 1j * rng.randn(3, 4)).astype("complex64")
IM1, IM2, IM3 = (rng.randn(*s).astype("float32") for s in ((2, 11, 3), (2, 7, 10, 3), (1, 5, 6, 7, 2)))
NCHW = rng.randn(2, 3, 7, 8).astype("float32")
BHWC = rng.randn(2, 6, 4, 3).astype("float32")
LOGITS = (rng.randn(3, 9, 4) * 2).astype("float32")
LENGTHS = np.array([9, 6, 4], "int32")


def _rows():
    r = [("extract_sequences", (SIG, 8, 3), {}), ("extract_sequences", (SIG1, 5, 5), {}),
         ("extract_sequences", (SIG3, 4, 6), {}), ("extract_sequences", (np.arange(12, dtype="int32"), 3, 2), {})]
    r += [("stft", (SIG, 16, 4, 16), {}), ("stft", (SIG, 10, 4, 16), {}), ("stft", (SIG, 16, 5, 16),
                                                                            {"window": "hamming"}),
          ("stft", (SIG, 12, 4, 16), {"window": None}), ("stft", (SIG, 16, 4, 16), {"center": False}),
          ("stft", (SIG1, 8, 3, 8), {}), ("stft", (SIG3, 8, 2, 10), {"center": False}),
          ("stft", (SIG, 6, 2, 8), {"window": rng.uniform(0.5, 1.0, 6).astype("float32")})]
    r += [("istft", (SPEC, 16, 4, 16), {}), ("istft", (SPEC, 16, 4, 16), {"length": 30}),
          ("istft", (SPEC, 12, 4, 16), {"window": "hamming"}), ("istft", (SPEC, 16, 4, 16), {"center": False}),
          ("istft", (SPEC, 16, 8, 16), {"window": None}), ("istft", (SPEC, 10, 3, 16), {"center": False,
                                                                                      "length": 40}),
          ("istft", ((SPEC[0][0], SPEC[1][0]), 16, 4, 16), {}),
          ("istft", (SPEC, 16, 4, 16), {"window": rng.uniform(0.5, 1.0, 16).astype("float32")})]
    r += [("cdist", (A, A[:2]), {}), ("cdist", (B3, A), {}), ("cdist", (B3[:, :, None][:1, :3, 0], B3), {}),
          ("view_as_complex", (PAIRS,), {}), ("view_as_complex", (PAIRS * 2,), {}),
          ("view_as_real", (Z,), {}), ("view_as_real", (A,), {}),
          ("polar", (np.abs(A), A[::-1]), {})]
    for name in ("adaptive_average_pool", "adaptive_max_pool"):
        r += [(name, (IM1, 4), {}), (name, (IM1, (5,)), {}), (name, (IM2, (3, 4)), {}), (name, (IM2, 5), {}),
              (name, (IM2, (7, 3)), {"data_format": "channels_first"}), (name, (IM3, (2, 3, 4)), {}),
              (name, (IM3, 3), {"data_format": "channels_first"})]
    r += [("adaptive_average_pool", (IM2, 1), {})]  # Keras's TensorFlow adaptive_max_pool crashes on size 1
    r += [("unfold", (NCHW, 3), {}), ("unfold", (NCHW, (2, 3)), {"stride": 2}),
          ("unfold", (NCHW, 3), {"dilation": 2, "padding": 1}),
          ("unfold", (NCHW, (3, 2)), {"dilation": (1, 2), "padding": (2, 0), "stride": (2, 1)}),
          ("fold", (rng.randn(2, 27, 30).astype("float32"), (7, 8), 3), {}),
          ("fold", (rng.randn(2, 18, 9).astype("float32"), (7, 8), (2, 3)), {"stride": 2}),
          ("fold", (rng.randn(1, 12, 56).astype("float32"), (7, 8), 2), {"dilation": 2, "padding": 1}),
          ("fold", (rng.randn(2, 6, 25).astype("float32"), 7), {"kernel_size": (3, 2), "dilation": (1, 2),
                                                                 "padding": (2, 0), "stride": (2, 1)})]
    r += [("rearrange", (BHWC, "b h w c -> b c h w"), {}), ("rearrange", (BHWC, "b h w c -> (b h) w c"), {}),
          ("rearrange", (BHWC, "b h w c -> h (b w) c"), {}), ("rearrange", (BHWC, "b h w c -> b (c h w)"), {}),
          ("rearrange", (BHWC, "b (h1 h) (w1 w) c -> (b h1 w1) h w c"), {"h1": 2, "w1": 2}),
          ("rearrange", (BHWC, "b (h h1) (w w1) c -> b h w (c h1 w1)"), {"h1": 3, "w": 2}),
          ("rearrange", (BHWC.astype("int32"), "b h w c->c b h w"), {})]
    r += [("ctc_decode", (LOGITS, LENGTHS), {}), ("ctc_decode", (LOGITS, LENGTHS), {"merge_repeated": False}),
          ("ctc_decode", (LOGITS, LENGTHS), {"mask_index": 2}), ("ctc_decode", (LOGITS, LENGTHS), {"mask_index": None}),
          ("ctc_decode", (LOGITS, LENGTHS), {"strategy": "beam_search"}),
          ("ctc_decode", (LOGITS, LENGTHS), {"strategy": "beam_search", "top_paths": 3, "mask_index": 1}),
          ("ctc_decode", (LOGITS, LENGTHS), {"strategy": "beam_search", "top_paths": 2, "beam_width": 3}),
          ("ctc_decode", (LOGITS[:, :, :3], LENGTHS), {"strategy": "beam_search", "top_paths": 2, "mask_index": 2})]
    return r


ROWS = _rows()
TESTED = {r[0] for r in ROWS} | {"jvp"}  # jvp: test_jvp_matches_keras


@pytest.mark.parametrize("name,args,kwargs", ROWS, ids=[_id(r) for r in ROWS])
def test_op_matches_keras(name, args, kwargs):
    K = keras_module()
    ours = _call(getattr(ops, name), [_convert(a, ops.convert_to_tensor) for a in args], kwargs,
                 ops.convert_to_tensor)
    theirs = _call(getattr(K.ops, name), [_convert(a, K.ops.convert_to_tensor) for a in args], kwargs,
                   K.ops.convert_to_tensor)
    _compare(ours, theirs, K)


def test_istft_inverts_stft():
    x = ops.convert_to_tensor(SIG)
    back = ops.istft(ops.stft(x, 16, 4, 16), 16, 4, 16, length=40)
    np.testing.assert_allclose(to_numpy(back)[:, 8:-8], SIG[:, 8:-8], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("call,error", [
    (lambda x: ops.stft(x, 16, 0, 16), "sequence_stride"),
    (lambda x: ops.stft(x, 16, 4, 8), "fft_length"),
    (lambda x: ops.stft(x, 16, 4, 16, window="blackman"), "window"),
    (lambda x: ops.stft(x, 16, 4, 16, window=ops.ones((15,))), r"\(16,\)"),
    (lambda x: ops.istft(x, 16, 4, 16), "real, imag"),
    (lambda x: ops.istft((x, x[:1]), 16, 4, 16), "same shape"),
    (lambda x: ops.cdist(x, ops.ones((3, 5))), "cdist"),
    (lambda x: ops.cdist(x[0], x), "rank"),
    (lambda x: ops.view_as_complex(x), "last dimension must be 2"),
    (lambda x: ops.adaptive_average_pool(x, 2), "3D, 4D or 5D"),
    (lambda x: ops.rearrange(x, "b t"), "input axes -> output axes"),
    (lambda x: ops.rearrange(x, "b t c -> b c t"), "3 input axes, the tensor 2"),
    (lambda x: ops.rearrange(x, "b t -> b c"), "once on each side"),
    (lambda x: ops.rearrange(x, "b (t c) -> b c t"), "all but one"),
    (lambda x: ops.rearrange(x, "b (t c) -> b c t", c=3), "cannot be split"),
    (lambda x: ops.rearrange(x, "b t -> t b", c=3), r"\['c'\] are not in the pattern"),
    (lambda x: ops.adaptive_max_pool(ops.reshape(x, (2, 4, 10)), (2, 2)), "output_size"),
    (lambda x: ops.adaptive_max_pool(ops.reshape(x, (2, 4, 10)), 2, data_format="NCHW"), "data_format"),
    (lambda x: ops.unfold(x, 2), "4D"),
    (lambda x: ops.ctc_decode(ops.reshape(x, (2, 4, 10)), ops.ones((2,), "int32"), strategy="best"), "strategy"),
    (lambda x: ops.ctc_decode(x, ops.ones((2,), "int32")), r"\(batch, steps, classes\)"),
    (lambda x: ops.fold(ops.reshape(x, (2, 4, 2, 5)), (4, 4), 2), "3D"),
])
def test_bad_arguments_raise_clear_errors(call, error):
    with pytest.raises(ValueError, match=error):
        call(ops.convert_to_tensor(SIG))


def test_stft_takes_only_float32_or_float64_signals_as_keras():
    with pytest.raises(TypeError, match="float32"):
        ops.stft(ops.convert_to_tensor(np.arange(40, dtype="int32")), 16, 4, 16)


def _functional(lib, build, inputs):
    tensors = [lib.Input(shape=i.shape[1:], dtype=str(i.dtype)) for i in inputs]
    outputs = build(lib.ops, *tensors)
    return lib.Model(tensors, list(outputs) if isinstance(outputs, tuple) else outputs)


FUNCTIONAL = {
    "stft": (lambda o, x: o.stft(x, 16, 4, 16), [SIG]),
    "istft": (lambda o, re, im: o.istft((re, im), 16, 4, 16, length=30), list(SPEC)),
    "extract_sequences": (lambda o, x: o.extract_sequences(x, 8, 3), [SIG]),
    "cdist": (lambda o, x, y: o.cdist(x, y), [B3, B3[:, :3]]),
    "view_as_real": (lambda o, a, b: o.view_as_real(o.polar(a, b)), [np.abs(A), A]),
    "polar": (lambda o, a, b: o.real(o.polar(a, b)), [np.abs(A), A]),
    "adaptive_average_pool": (lambda o, x: o.adaptive_average_pool(x, (4,), data_format="channels_first"), [IM1]),
    "adaptive_max_pool": (lambda o, x: o.adaptive_max_pool(x, (3, 4), data_format="channels_first"), [IM2]),
    "ctc_decode": (lambda o, x, n: o.ctc_decode(x, n, strategy="beam_search", mask_index=2), [LOGITS, LENGTHS]),
    "fold": (lambda o, x: o.fold(o.unfold(x, 3, padding=1), (7, 8), 3, padding=1), [NCHW]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_model_infers_shapes_and_matches_keras(name):
    K = keras_module()
    build, inputs = FUNCTIONAL[name]
    ours, theirs = _functional(kerasport, build, inputs), _functional(K, build, inputs)
    ours_out, theirs_out = ours.outputs, theirs.outputs
    assert [tuple(t.shape) for t in ours_out] == [tuple(t.shape) for t in theirs_out]
    got = ours.predict(inputs, verbose=0)
    want = theirs.predict(inputs, verbose=0)
    for g, w in zip(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("build,shape", [
    (lambda o, x: o.adaptive_average_pool(x, (3, 4)), (None, 3, 4, 3)),
    (lambda o, x: o.rearrange(x, "b (h h1) (w w1) c -> b h w (c h1 w1)", h1=2, w1=2), (None, 3, 2, 12)),
    (lambda o, x: o.rearrange(x, "b h w c -> (h w) b c"), (24, None, 3)),
], ids=["adaptive_average_pool", "rearrange", "rearrange_batch"])
def test_functional_model_where_keras_infers_no_shape(build, shape):
    """Keras's symbolic shape is wrong (adaptive pooling keeps a spatial axis: (None, 7, 3, 4, 3)) or fails
    (rearrange of an unknown batch dim) here; its eager op is the oracle."""
    K = keras_module()
    model = _functional(kerasport, build, [BHWC])
    assert tuple(model.outputs[0].shape) == shape
    want = K.ops.convert_to_numpy(build(K.ops, K.ops.convert_to_tensor(BHWC)))
    np.testing.assert_allclose(model.predict(BHWC, verbose=0), want, rtol=2e-5, atol=2e-5)


def _jvp_cases(o):
    def two(x, y):
        return o.sin(x) * y + o.exp(y)

    def with_aux(x):
        return o.tanh(x) * 2.0, o.sum(x)

    def structured(x, y):
        return (o.matmul(x, y), {"twice": x * 2.0})

    return [(o.sin, (A,), (A[::-1],), False), (two, (A, A[::-1]), (np.ones_like(A), A), False),
            (with_aux, (A,), (A * 3,), True), (structured, (A, A.T), (A * 0.5, np.ones_like(A.T)), False)]


def test_jvp_matches_keras():
    K = keras_module()
    for ours_case, theirs_case in zip(_jvp_cases(ops), _jvp_cases(K.ops)):
        fn, primals, tangents, has_aux = ours_case
        ours = ops.jvp(fn, tuple(map(ops.convert_to_tensor, primals)), tuple(map(ops.convert_to_tensor, tangents)),
                       has_aux=has_aux)
        fn, primals, tangents, has_aux = theirs_case
        theirs = K.ops.jvp(fn, tuple(map(K.ops.convert_to_tensor, primals)),
                           tuple(map(K.ops.convert_to_tensor, tangents)), has_aux=has_aux)
        assert len(ours) == len(theirs) == (3 if has_aux else 2)
        for got, want in zip(ours, theirs):
            for g, w in zip(K.tree.flatten(got), K.tree.flatten(want)):
                np.testing.assert_allclose(to_numpy(g), K.ops.convert_to_numpy(w), rtol=1e-5, atol=1e-6)
    assert ops.linalg.jvp is ops.jvp


def test_jvp_of_an_output_that_does_not_depend_on_the_inputs_is_zero():
    x = ops.convert_to_tensor(A)
    out, tangent = ops.jvp(lambda a: (a * 2.0, ops.ones((2,))), (x,), (ops.ones_like(x),))
    np.testing.assert_allclose(to_numpy(tangent[0]), np.full_like(A, 2.0))
    np.testing.assert_array_equal(to_numpy(tangent[1]), np.zeros(2, "float32"))


def _signal_graph(lib):
    x = lib.Input((40,), batch_size=3)  # Keras's symbolic rearrange needs a known batch size
    re, im = lib.ops.stft(x, 16, 4, 16)
    y = lib.ops.istft((re, im), 16, 4, 16, length=40)
    seq = lib.ops.extract_sequences(y, 8, 4)
    mag = lib.ops.rearrange(lib.ops.sqrt(re * re + im * im), "b (t t2) f -> b t (f t2)", t2=1)
    return lib.Model(x, [lib.ops.cdist(seq, seq), mag])


def test_signal_op_nodes_are_written_as_keras_writes_them(tmp_path):
    """Keras 3 loads our archive (the ops as its STFT, ISTFT, ... op classes) and predicts the same; so do we."""
    K = keras_module()
    model = _signal_graph(kerasport)
    want = model.predict(SIG[:1].repeat(3, 0), verbose=0)
    model.save(tmp_path / "signal.keras")
    theirs = K.saving.load_model(tmp_path / "signal.keras")
    assert {"STFT", "ISTFT", "ExtractSequences", "CDist", "Rearrange"} <= {
        e["class_name"] for e in theirs.get_config()["layers"]}
    for got in (theirs.predict(SIG[:1].repeat(3, 0), verbose=0),
                kerasport.saving.load_model(tmp_path / "signal.keras").predict(SIG[:1].repeat(3, 0), verbose=0)):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_integer_inputs_of_cdist_and_polar_become_float32():
    """Keras's TensorFlow backend rejects them; as its other ops, kerasport computes in float32."""
    x, y = np.arange(6, dtype="int32").reshape(3, 2), np.ones((2, 2), "int32")
    got = ops.cdist(ops.convert_to_tensor(x), ops.convert_to_tensor(y))
    assert ops.dtype(got) == "float32"
    np.testing.assert_allclose(to_numpy(got), np.sqrt(((x[:, None] - y[None]) ** 2).sum(-1)), rtol=1e-6)
    z = ops.polar(ops.convert_to_tensor(np.array([1, 2], "int32")), ops.convert_to_tensor(np.array([0, 3], "int32")))
    assert ops.dtype(z) == "complex64"
    np.testing.assert_allclose(to_numpy(z), np.array([1, 2]) * np.exp(1j * np.array([0, 3])), rtol=1e-6)
