"""The rest of ``keras.ops`` (``contract.EXTRA``) against Keras 3 (TensorFlow backend) as the oracle.

Rows call one op on the same inputs in both libraries and compare values, shapes and
result dtypes, as in ``test_ops.py``. Ops whose outputs are not unique (eigenvectors,
argpartition) or that take functions are checked by their defining property instead.
"""
import numpy as np
import pytest

import kerasport
from kerasport import activations, ops
from kerasport.backends import B, contract
from tests.helpers import keras_module, to_numpy
from tests.test_ops import _call, _compare, _id

rng = np.random.RandomState(1)
F = rng.randn(3, 4).astype("float32")
G = rng.randn(3, 4).astype("float32")
V = rng.randn(4).astype("float32")
X3 = rng.randn(2, 3, 4).astype("float32")
U = rng.uniform(-0.9, 0.9, (3, 4)).astype("float32")     # inside (-1, 1)
P = rng.uniform(1.1, 3.0, (3, 4)).astype("float32")      # > 1
I = rng.randint(-5, 6, (3, 4)).astype("int32")
J = rng.randint(1, 7, (3, 4)).astype("int32")
N = np.array([[1.0, np.nan, 3.0, -2.0], [np.nan, np.nan, 0.5, 4.0], [2.0, 1.0, -1.0, np.nan]], "float32")
INF = np.array([1.0, np.inf, -np.inf, -0.0, 0.0], "float32")
SQ = (lambda a: a @ a.T + 4 * np.eye(4, dtype="float32"))(rng.randn(4, 4).astype("float32"))  # SPD
TRI = np.tril(SQ)
Q = rng.randn(2, 5, 2, 4).astype("float32")
K = rng.randn(2, 6, 2, 4).astype("float32")
LAB = np.array([[1, 2, 2, 0], [3, 1, 0, 0]], "int32")

ACTS = ["celu", "hard_shrink", "hard_tanh", "hard_swish", "soft_shrink", "sparse_plus", "sparse_sigmoid",
        "sparsemax", "squareplus", "tanh_shrink"]
FLOAT_UNARY = ["arcsinh", "erfc", "exp2", "i0", "sinc", "deg2rad", "rad2deg", "fabs", "cbrt", "trunc", "signbit",
               "ravel", "copy", "real", "imag", "conj", "conjugate", "angle", "isreal"]
BINARY = ["fmax", "fmin", "fmod", "heaviside", "hypot", "logaddexp2", "nextafter", "kron", "inner", "append"]
INT_BINARY = ["gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor"]
NAN_REDUCE = ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanstd", "nanvar", "nanargmax", "nanargmin",
              "nanmedian"]


def _rows():
    r = [(n, (X3,), {}) for n in ACTS]
    r += [("celu", (F,), {"alpha": 0.5}), ("glu", (X3,), {}), ("glu", (X3,), {"axis": 0}),
          ("hard_shrink", (F,), {"threshold": 1.0}), ("soft_shrink", (F, 0.2), {}), ("sparsemax", (X3,), {"axis": 1}),
          ("squareplus", (F,), {"b": 1}), ("threshold", (F, 0.1, -3.0), {}),
          ("rms_normalization", (X3,), {}), ("rms_normalization", (X3, V), {"axis": -1, "epsilon": 1e-3}),
          ("rms_normalization", (X3,), {"axis": (1, 2)}),
          ("dot_product_attention", (Q, K, K), {}), ("dot_product_attention", (Q, Q, Q), {"is_causal": True}),
          ("dot_product_attention", (Q, K, K), {"scale": 0.3, "bias": rng.randn(2, 2, 5, 6).astype("float32")}),
          ("dot_product_attention", (Q, K, K), {"mask": rng.rand(1, 1, 5, 6) > 0.3}),
          ("psnr", (F, G, 1.0), {}), ("in_top_k", (np.array([0, 3, 1]), F, 2), {}),
          ("multi_hot", (LAB, 5), {}), ("multi_hot", (np.array([1, 3]), 4), {"dtype": "int32"}),
          ("depth_to_space", (rng.randn(2, 2, 3, 8).astype("float32"), 2), {}),
          ("depth_to_space", (rng.randn(2, 8, 2, 3).astype("float32"), 2), {"data_format": "channels_first"}),
          ("space_to_depth", (rng.randn(2, 4, 6, 3).astype("float32"), 2), {}),
          ("space_to_depth", (rng.randn(2, 3, 4, 6).astype("float32"), 2), {"data_format": "channels_first"}),
          ("ctc_loss", (LAB[:, :3], rng.randn(2, 7, 5).astype("float32"), np.array([3, 2]), np.array([7, 5])), {}),
          ("ctc_loss", (LAB[:, :3], rng.randn(2, 7, 5).astype("float32"), np.array([3, 2]), np.array([7, 6])),
           {"mask_index": 4})]
    r += [(n, (F,), {}) for n in FLOAT_UNARY] + [(n, (I,), {}) for n in FLOAT_UNARY if n not in ("i0", "erfc")]
    r += [("arccos", (U,), {}), ("arcsin", (U,), {}), ("arctanh", (U,), {}), ("arccosh", (P,), {}),
          ("signbit", (INF,), {}), ("isneginf", (INF,), {}), ("isposinf", (INF,), {}), ("isneginf", (I,), {})]
    for n in BINARY:
        a, b = (V, V[::-1]) if n in ("kron", "inner") else (F, G)
        r += [(n, (a, b), {}), (n, (I, J), {}) if n != "nextafter" else (n, (F, 1.0), {}),
              (n, (a, 2.0), {}) if n not in ("kron", "inner", "append") else (n, (I[0], V), {})]
    r += [(n, (I, J), {}) for n in INT_BINARY] + [(n, (I, 3), {}) for n in INT_BINARY]
    r += [("left_shift", (J, 2), {}), ("right_shift", (J * 8, J), {}), ("bitwise_left_shift", (J, J), {}),
          ("bitwise_right_shift", (J, 1), {}), ("bitwise_not", (I,), {}), ("bitwise_invert", (I,), {}),
          ("ldexp", (F, J), {}), ("isin", (I, np.array([0, 2, -3], "int32")), {}),
          ("isin", (I, np.array([0, 2], "int32")), {"invert": True}), ("allclose", (F, F + 1e-7), {}),
          ("allclose", (F, G), {}), ("fmax", (N, F), {}), ("fmin", (N, 0.0), {}), ("append", (F, G), {"axis": 1})]
    for n in NAN_REDUCE:
        r += [(n, (N,), {}), (n, (N,), {"axis": 1}), (n, (N,), {"axis": 0, "keepdims": True})]
    r += [("nancumsum", (N,), {}), ("nancumsum", (N,), {"axis": 1}), ("nancumprod", (N,), {"axis": 0}),
          ("nanquantile", (N, 0.3), {"axis": 1}), ("nanquantile", (N, np.array([0.2, 0.7], "float32")), {}),
          ("nanpercentile", (N, 40.0), {"axis": 0, "keepdims": True}), ("nansum", (I,), {}),
          ("percentile", (F, 25.0), {}), ("percentile", (X3, np.array([10.0, 90.0], "float32")), {"axis": 1}),
          ("amax", (F,), {}), ("amax", (X3,), {"axis": (0, 2)}), ("amin", (I,), {"axis": 1, "keepdims": True}),
          ("ptp", (F,), {}), ("ptp", (I,), {"axis": 0}), ("average", (F,), {}), ("average", (F,), {"axis": 1}),
          ("average", (F,), {"axis": 1, "weights": np.abs(V) + 0.1}), ("average", (F, 0, np.abs(F) + 0.1), {}),
          ("bincount", (np.array([0, 1, 1, 4], "int32"),), {}), ("bincount", (np.array([0, 1, 1], "int32"),),
                                                                  {"minlength": 5}),
          ("bincount", (np.array([0, 2, 2], "int32"),), {"weights": np.array([0.5, 1.0, 2.0], "float32")}),
          ("bincount", (np.array([[0, 1, 1], [2, 2, 0]], "int32"),), {"minlength": 4}),
          ("histogram", (F.ravel(),), {}), ("histogram", (F.ravel(),), {"bins": 4, "range": (-1.0, 1.0)}),
          ("corrcoef", (F,), {}), ("trapezoid", (F,), {}), ("trapezoid", (F,), {"dx": 0.5, "axis": 0}),
          ("trapezoid", (F, np.cumsum(np.abs(V)).astype("float32")), {}),
          ("correlate", (V, V[:3]), {}), ("correlate", (V, V[:3]), {"mode": "same"}),
          ("correlate", (V, V[:3]), {"mode": "full"}), ("correlate", (V[:2], V), {"mode": "full"}),
          ("correlate", (V[:3], V), {"mode": "same"})]
    r += [("roll", (F, 2), {}), ("roll", (X3, -1), {"axis": 1}), ("rot90", (F,), {}), ("rot90", (X3, 3, (1, 2)), {}),
          ("fliplr", (F,), {}), ("flipud", (X3,), {}), ("hstack", ([F, G],), {}),
          ("hstack", ([V, V],), {}), ("vstack", ([F, I],), {}),
          ("dstack", ([F, G],), {}), ("dstack", ([V, V],), {}), ("array_split", (V[:3], 2), {}),
          ("array_split", (F, 3, 1), {}), ("hsplit", (F, 2), {}), ("vsplit", (F, [1]), {}),
          ("dsplit", (X3, 2), {}), ("diagflat", (V,), {}), ("diagflat", (F[:2, :2], 1), {}), ("diff", (F,), {}),
          ("diff", (I, 2, 0), {}), ("digitize", (F, np.array([-1.0, 0.0, 0.5], "float32")), {}),
          ("searchsorted", (np.array([0.0, 1.0, 2.0], "float32"), V), {}),
          ("searchsorted", (np.array([-1, 0, 2], "int32"), I[0]), {"side": "right"}),
          ("nonzero", (I,), {}), ("unravel_index", (np.array([0, 5, 11], "int32"), (3, 4)), {}),
          ("select", ([F > 0.5, F < -0.5], [F, G]), {}), ("select", ([I > 0], [J]), {"default": -1}),
          ("get_item", (X3, (1, slice(0, 2))), {}), ("get_item", (F, 2), {}),
          ("view", (F, "int32"), {}), ("view", (I, "float32"), {}), ("array", (I,), {}),
          ("array", (F, "float32"), {})]
    r += [("empty", ((2, 3),), {}), ("empty", ((2,),), {"dtype": "int32"}), ("empty_like", (F,), {}),
          ("empty_like", (F,), {"dtype": "int32"}), ("tri", (3,), {}), ("tri", (3, 5, 1), {}),
          ("tri", (4, 2), {"k": -1, "dtype": "int32"}), ("logspace", (0.0, 2.0, 5), {}),
          ("logspace", (0.0, 3.0, 4), {"endpoint": False, "base": 2}), ("geomspace", (1.0, 1000.0, 4), {}),
          ("geomspace", (2.0, 32.0, 4), {"endpoint": False}), ("vander", (V,), {}), ("vander", (V, 3, True), {}),
          ("bartlett", (5,), {}), ("blackman", (6,), {}), ("hamming", (5,), {}), ("hanning", (7,), {}),
          ("kaiser", (6, 5.0), {}), ("vdot", (F, G), {}), ("vdot", (I, J), {}),
          ("cross", (F[:, :3], G[:, :3]), {}), ("cross", (F[:, :2], G[:, :3]), {}),
          ("cross", (F[:, :2], G[:, :2]), {}), ("cross", (F[:3, :3], G[:3, :3]), {"axis": 0})]
    seg = np.array([0, 0, 2], "int32")
    r += [("scatter", (np.array([[0, 1], [2, 3], [0, 1]]), np.array([1.0, 2.0, 3.0], "float32"), (3, 4)), {}),
          ("scatter", (np.array([[1], [0]]), F[:2], (3, 4)), {}),
          ("scatter_update", (F, np.array([[0, 1], [2, 3]]), np.array([9.0, 8.0], "float32")), {}),
          ("scatter_update", (I, np.array([[1]]), J[:1]), {}),
          ("scatter_update", (F, np.array([[0, 1], [0, 1]]), np.array([2.0, 3.0], "float32")), {"reduction": "add"}),
          ("scatter_update", (F, np.array([[0, 1], [2, 2]]), np.array([9.0, -9.0], "float32")), {"reduction": "max"}),
          ("scatter_update", (F, np.array([[0, 1], [2, 2]]), np.array([9.0, -9.0], "float32")), {"reduction": "min"}),
          ("scatter_update", (F, np.array([[0, 1], [0, 1]]), np.array([2.0, 3.0], "float32")), {"reduction": "mul"}),
          ("slice_update", (X3, (0, 1, 1), X3[:1, :2, :2] * 0 + 7), {}),
          ("slice_update", (I, (1, 0), J[:2, :3]), {}),
          ("saturate_cast", (F * 300, "uint8"), {}), ("saturate_cast", (I * 100, "int8"), {}),
          ("segment_max", (F, seg, 3), {}), ("segment_min", (F, seg), {}), ("segment_prod", (F, seg, 3), {}),
          ("segment_max", (I, seg), {"sorted": True}),
          ("unique", (np.array([3, 1, 3, 2, 1], "int32"),), {}),
          ("unique", (I,), {"return_inverse": True, "return_counts": True}),
          ("unique", (np.array([3.0, 1.0, 3.0], "float32"),), {"return_index": True}),
          ("unique", (np.array([3, 1, 3], "int32"),), {"size": 4, "fill_value": -1})]
    r += [("cholesky", (SQ,), {}), ("cholesky", (SQ,), {"upper": True}),
          ("cholesky_inverse", (np.linalg.cholesky(SQ),), {}),
          ("det", (SQ,), {}), ("inv", (SQ,), {}), ("solve", (SQ, F.T), {}), ("solve", (SQ, V), {}),
          ("solve_triangular", (TRI, F.T), {"lower": True}), ("solve_triangular", (TRI.T, V), {}),
          ("slogdet", (SQ - 6 * np.eye(4, dtype="float32"),), {}), ("logdet", (SQ,), {}), ("pinv", (F,), {}),
          ("matrix_rank", (SQ,), {}), ("matrix_rank", (np.outer(V, V),), {}), ("lstsq", (F.T, V), {}),
          ("lstsq", (F.T, G.T), {}), ("svd", (F,), {"compute_uv": False}), ("eigh", (SQ,), {}),
          ("lu_factor", (SQ,), {})]
    r += [("fft", ((F, G),), {}), ("fft2", ((F, G),), {}), ("ifft2", ((F, G),), {}), ("rfft", (F,), {}),
          ("rfft", (F, 6), {}), ("irfft", ((F, G),), {}), ("irfft", ((F, G), 5), {})]
    return r


ROWS = _rows()


def _convert(a, convert):
    if isinstance(a, tuple) and a and all(isinstance(x, np.ndarray) for x in a):
        return tuple(convert(x) for x in a)
    return a


@pytest.mark.parametrize("name,args,kwargs", ROWS, ids=[_id(r) for r in ROWS])
def test_extra_op_matches_keras(name, args, kwargs):
    K = keras_module()
    ours = _call(getattr(ops, name), [_convert(a, ops.convert_to_tensor) for a in args], kwargs,
                 ops.convert_to_tensor)
    theirs = _call(getattr(K.ops, name), [_convert(a, K.ops.convert_to_tensor) for a in args], kwargs,
                   K.ops.convert_to_tensor)
    if name == "eigh":  # eigenvectors are unique up to sign
        ours, theirs = (ours[0], ops.abs(ours[1])), (theirs[0], K.ops.abs(theirs[1]))
    if name == "lu_factor":  # Keras's backends disagree on the pivot format; compare the packed LU only
        ours, theirs = ours[0], theirs[0]
    _compare(ours, theirs, K)


def test_every_extra_op_has_a_row_or_a_test():
    tested = {r[0] for r in ROWS} | {"eig", "qr", "svd", "argpartition", "fori_loop", "while_loop", "scan", "map",
                                     "switch", "associative_scan", "vectorized_map", "vectorize", "custom_gradient"}
    assert set(contract.EXTRA) - tested == set()


def test_ops_exist_in_keras():
    K = keras_module()
    assert [n for n in contract.EXTRA if not hasattr(K.ops, n)] == []


def test_numpy_semantics_where_keras_tf_differs():
    """Keras's TensorFlow backend departs from NumPy here (its torch/JAX backends follow NumPy, as we do)."""
    t = ops.convert_to_tensor
    np.testing.assert_allclose(to_numpy(ops.rot90(t(F), 2)), np.rot90(F, 2))
    np.testing.assert_allclose(to_numpy(ops.vstack([t(V), t(V)])), np.vstack([V, V]))
    np.testing.assert_allclose(to_numpy(ops.correlate(t(V[:2]), t(V))), np.correlate(V[:2], V), rtol=1e-5)
    for a, b in zip(ops.array_split(t(F), [1], 1), np.array_split(F, [1], 1)):
        np.testing.assert_allclose(to_numpy(a), b)
    np.testing.assert_array_equal(to_numpy(ops.searchsorted(t(np.sort(V)), t(F))), np.searchsorted(np.sort(V), F))
    # Keras's TensorFlow backend has no vectorize; NumPy is the oracle.
    got = ops.vectorize(lambda a, b: a * b + 1.0)(t(F), t(V))
    np.testing.assert_allclose(to_numpy(got), F * V + 1.0, rtol=1e-6)
    got = ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")(t(F), t(V))
    np.testing.assert_allclose(to_numpy(got), F @ V, rtol=1e-5)
    got = ops.dot_product_attention(t(Q), t(K[:, :, :1]), t(K[:, :, :1]))
    want = ops.dot_product_attention(t(Q), t(np.repeat(K[:, :, :1], 2, 2)), t(np.repeat(K[:, :, :1], 2, 2)))
    np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-5, atol=1e-6)


def test_decompositions_reconstruct():
    a = ops.convert_to_tensor(F)
    u, s, vh = ops.svd(a, full_matrices=False)
    np.testing.assert_allclose(to_numpy(u) * to_numpy(s) @ to_numpy(vh), F, atol=1e-5)
    assert [ops.shape(t) for t in ops.svd(a)] == [(3, 3), (3,), (4, 4)]
    q, r = ops.qr(ops.convert_to_tensor(F.T))
    assert ops.shape(q) == (4, 3) and ops.shape(r) == (3, 3)
    np.testing.assert_allclose(to_numpy(q) @ to_numpy(r), F.T, atol=1e-5)
    assert ops.shape(ops.qr(ops.convert_to_tensor(F.T), mode="complete")[0]) == (4, 4)
    w, v = ops.eig(ops.convert_to_tensor(SQ))
    w, v = to_numpy(w), to_numpy(v)
    np.testing.assert_allclose(SQ @ v, v * w, atol=1e-3)
    parts = ops.argpartition(ops.convert_to_tensor(V), 1)
    srt = V[to_numpy(parts)]
    assert srt[1] == np.sort(V)[1] and (srt[:1] <= srt[1]).all() and (srt[2:] >= srt[1]).all()
    assert ops.linalg.svd is ops.svd and ops.nn.ctc_loss is ops.ctc_loss and ops.numpy.nansum is ops.nansum
    assert ops.core.scan is ops.scan and ops.linalg.norm is ops.norm


def test_control_flow_matches_keras():
    K = keras_module()
    x = F.copy()
    for o, conv in ((ops, ops.convert_to_tensor), (K.ops, K.ops.convert_to_tensor)):
        t = conv(x)
        out = [o.fori_loop(0, 3, lambda i, v: v * 2.0 + 1.0, t),
               o.while_loop(lambda i, v: i < 4, lambda i, v: (i + 1, v + 1.0), (0, t))[1],
               o.while_loop(lambda v: o.sum(v) < 100.0, lambda v: v * 2.0 + 1.0, t),
               *o.scan(lambda c, r: (c + r, c * r), o.zeros((4,)), t),
               o.scan(lambda c, r: (c + r, c), o.ones((4,)), t, reverse=True)[1],
               o.map(lambda r: o.sum(r) * r, t),
               o.switch(1, [lambda a: a + 1.0, lambda a: a * 3.0], t),
               o.associative_scan(lambda a, b: a + b, t, axis=1),
               o.associative_scan(lambda a, b: a * b, conv(X3), reverse=True, axis=1),
               o.associative_scan(lambda a, b: (a[0] + b[0], o.maximum(a[1], b[1])), (t, t * 2.0))[1],
               o.vectorized_map(lambda r: o.sum(r * r), t)]
        if o is ops:
            ours = out
        else:
            theirs = out
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(to_numpy(a), K.ops.convert_to_numpy(b), rtol=1e-5, atol=1e-5)


def test_custom_gradient():
    @ops.custom_gradient
    def clipped_square(x):
        def grad(upstream):
            return upstream * 100.0
        return x * x, grad

    x = np.array([1.0, -2.0], "float32")
    if B.NAME == "torch":
        import torch
        t = torch.tensor(x, requires_grad=True)
        clipped_square(t).sum().backward()
        g, y = t.grad.numpy(), clipped_square(torch.tensor(x)).numpy()
    else:
        import tensorflow as tf
        t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            out = clipped_square(t)
            total = tf.reduce_sum(out)
        g, y = tape.gradient(total, t).numpy(), out.numpy()
    np.testing.assert_allclose(g, [100.0, 100.0])
    np.testing.assert_allclose(y, x * x)


def test_bad_input_errors_name_the_op():
    with pytest.raises(ValueError, match="glu"):
        ops.glu(ops.convert_to_tensor(np.ones((2, 3), "float32")))
    with pytest.raises(ValueError, match="psnr"):
        ops.psnr(ops.convert_to_tensor(F), ops.convert_to_tensor(V), 1.0)
    with pytest.raises(ValueError, match="searchsorted"):
        ops.searchsorted(ops.convert_to_tensor(V), ops.convert_to_tensor(V), side="middle")
    with pytest.raises(ValueError, match="real, imag"):
        ops.fft(ops.convert_to_tensor(F))


def test_every_keras_activation_exists_and_matches():
    K = keras_module()
    names = [n for n in dir(K.activations) if not n.startswith("_") and n not in ("get", "serialize", "deserialize")
             and callable(getattr(K.activations, n))]
    assert [n for n in names if not hasattr(activations, n)] == []
    x = X3 * 3
    for n in names:
        if n in ("threshold",):
            args = (0.2, -1.0)
        else:
            args = ()
        ours = to_numpy(getattr(activations, n)(ops.convert_to_tensor(x), *args))
        theirs = K.ops.convert_to_numpy(getattr(K.activations, n)(K.ops.convert_to_tensor(x), *args))
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5, err_msg=n)
        assert activations.get(n) is getattr(activations, n)


def test_ctc_loss_class_matches_keras():
    K = keras_module()
    y_true = np.array([[1, 2, 2, 0], [3, 1, 0, 0]], "int32")
    y_pred = rng.randn(2, 7, 5).astype("float32")
    ours = kerasport.losses.CTC()(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred))
    theirs = K.losses.CTC()(y_true, y_pred)
    np.testing.assert_allclose(to_numpy(ours), K.ops.convert_to_numpy(theirs), rtol=1e-5)
    per = kerasport.losses.ctc(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred))
    np.testing.assert_allclose(to_numpy(per), K.ops.convert_to_numpy(K.losses.ctc(y_true, y_pred)), rtol=1e-5)
    assert kerasport.losses.get("ctc") is not None
