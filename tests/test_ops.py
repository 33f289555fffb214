"""``kerasport.ops`` against ``keras.ops`` (Keras 3, TensorFlow backend) as the oracle.

Each row calls one op on the same inputs in both libraries and compares values,
shapes and result dtypes. NumPy arrays in a row become tensors on each side;
Python scalars are passed as they are, so Keras's weak-type promotion is checked.
"""
import numpy as np
import pytest

import kerasport
from kerasport import ops
from kerasport.backends import contract
from tests.helpers import keras_module, to_numpy

rng = np.random.RandomState(0)
F = rng.randn(3, 4).astype("float32")          # float matrix
G = rng.randn(3, 4).astype("float32")
P = rng.uniform(0.1, 2.0, (3, 4)).astype("float32")  # positive
V = rng.randn(4).astype("float32")              # broadcasts against F
X3 = rng.randn(2, 3, 4).astype("float32")
I = rng.randint(-5, 6, (3, 4)).astype("int32")  # ints, some zero
J = rng.randint(1, 4, (3, 4)).astype("int32")   # non-zero ints
L = rng.randint(1, 5, (3, 4)).astype("int64")
M = rng.rand(3, 4) > 0.5                        # bool mask
N = np.array([[1.0, np.nan, np.inf], [-np.inf, 2.0, 0.0]], "float32")
S = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], "float32")  # probabilities
T = np.array([[0, 0, 1], [1, 0, 0]], "float32")                # one-hot targets
IMG = rng.randn(2, 6, 6, 3).astype("float32")
KER = rng.randn(3, 3, 3, 5).astype("float32")

UNARY = ["negative", "abs", "absolute", "sign", "square", "exp", "expm1", "sin", "cos", "tan", "arctan",
         "sinh", "cosh", "floor", "ceil", "round", "erf", "isnan", "isinf", "isfinite", "logical_not"]
POSITIVE = ["sqrt", "rsqrt", "log", "log1p", "log2", "log10", "reciprocal"]
BINARY = ["add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "power", "maximum",
          "minimum", "arctan2", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
          "logical_and", "logical_or", "logical_xor", "divide_no_nan"]
REDUCE = ["sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "all", "any"]
ACTIVATIONS = ["relu", "relu6", "sigmoid", "tanh", "softplus", "softsign", "silu", "swish", "selu", "elu",
               "gelu", "leaky_relu", "hard_sigmoid", "hard_silu", "log_sigmoid", "softmax", "log_softmax"]


def _rows():
    r = [(n, (x,), {}) for n in UNARY for x in ((F,) if n == "erf" else (F, I))]  # Keras's erf rejects ints
    r += [(n, (P,), {}) for n in POSITIVE] + [(n, (J,), {}) for n in ("sqrt", "log")]
    for n in BINARY:
        a, b = (P, J) if n in ("power", "floor_divide", "mod") else (F, G)
        r += [(n, (a, b), {}), (n, (F, V), {}), (n, (a, 2), {}), (n, (a, 1.5), {}), (n, (3, b), {}),
              (n, (I, J), {}), (n, (I, 2), {}), (n, (I, 2.5), {}), (n, (I, L), {}), (n, (J, F), {})]
    r += [("round", (F * 10, 1), {}), ("clip", (F, -0.5, 0.5), {}), ("clip", (I, -2, 3), {}),
          ("clip", (F, -np.abs(V), np.abs(V)), {}), ("nan_to_num", (N,), {}), ("nan_to_num", (N, 1.0, 5.0, -5.0), {}),
          ("where", (M, F, G), {}), ("where", (M, F, 0.0), {}), ("where", (M, 1, I), {}), ("where", (M,), {})]
    for n in REDUCE:
        x = M if n in ("all", "any") else (J if n == "prod" else F)
        r += [(n, (x,), {}), (n, (X3 if x is F else x,), {"axis": 1}), (n, (x,), {"axis": -1, "keepdims": True}),
              (n, (X3 if x is F else x,), {"axis": (0, -1)}), (n, (x,), {"keepdims": True})]
        if n in ("sum", "mean", "max", "min", "prod"):
            r += [(n, (I,), {"axis": 0})]
    r += [("max", (F,), {"initial": 0.5}), ("min", (F, 0), {"initial": 0.0}), ("sum", (M,), {}),
          ("argmax", (F,), {}), ("argmax", (X3,), {"axis": 1}), ("argmin", (F,), {"axis": -1, "keepdims": True}),
          ("argmin", (I,), {}), ("cumsum", (F,), {}), ("cumsum", (X3,), {"axis": 1}), ("cumsum", (I,), {"axis": 0}),
          ("norm", (F,), {}), ("norm", (X3,), {"axis": -1}), ("norm", (F,), {"ord": 1, "axis": 1, "keepdims": True}),
          ("norm", (F,), {"ord": "fro"}), ("norm", (F,), {"ord": 1}), ("sort", (F,), {}), ("sort", (X3,), {"axis": 0}),
          ("argsort", (I,), {}), ("argsort", (F,), {"axis": 0}), ("top_k", (F, 2), {}),
          ("segment_sum", (F, np.array([0, 0, 2], "int32"), 3), {})]
    r += [("zeros", ((2, 3),), {}), ("ones", ((2,),), {"dtype": "int32"}), ("full", ((2, 2), 7), {}),
          ("full", ((2,), 1.5), {"dtype": "float32"}), ("zeros_like", (I,), {}), ("ones_like", (F,), {}),
          ("ones_like", (F,), {"dtype": "int32"}), ("full_like", (F, 3), {}), ("full_like", (I, 2), {}),
          ("arange", (5,), {}), ("arange", (1, 7, 2), {}), ("arange", (0.0, 1.0, 0.25), {}),
          ("arange", (4,), {"dtype": "float32"}), ("eye", (3,), {}), ("eye", (2, 3), {}), ("eye", (3,), {"k": 1}),
          ("linspace", (0.0, 1.0, 5), {}), ("linspace", (0, 10, 3), {"dtype": "float32"})]
    r += [("reshape", (X3, (4, -1)), {}), ("reshape", (X3, (-1,)), {}), ("transpose", (X3,), {}),
          ("transpose", (X3, (1, 0, 2)), {}), ("expand_dims", (F, 0), {}), ("expand_dims", (F, -1), {}),
          ("expand_dims", (F, (0, 2)), {}), ("squeeze", (F[None, :, None],), {}),
          ("squeeze", (F[None],), {"axis": 0}), ("squeeze", (F[None, :, None],), {"axis": (0, -2)}),
          ("concatenate", ([F, G],), {}), ("concatenate", ([F, G],), {"axis": -1}), ("stack", ([F, G],), {}),
          ("stack", ([F, G],), {"axis": -1}), ("unstack", (X3,), {}), ("unstack", (X3,), {"axis": -1}),
          ("split", (F, 2), {"axis": 1}), ("split", (X3, [1, 3]), {"axis": -1}), ("tile", (F, (2, 1)), {}),
          ("tile", (V, (2, 2)), {}), ("repeat", (F, 2), {}), ("repeat", (F, 2), {"axis": 0}),
          ("broadcast_to", (V, (3, 4)), {}), ("flip", (F,), {}), ("flip", (X3,), {"axis": 1}),
          ("flip", (X3,), {"axis": (0, 2)}), ("moveaxis", (X3, 0, -1), {}), ("swapaxes", (X3, 0, 2), {}),
          ("take", (F, np.array([2, 0], "int32")), {}), ("take", (X3, np.array([[1, 0]], "int32")), {"axis": 1}),
          ("take", (F, np.array([-1, 0], "int32")), {"axis": 0}),
          ("take_along_axis", (F, np.argsort(F, 1).astype("int32")), {"axis": 1}),
          ("slice", (X3, (0, 1, 1), (2, 2, 3)), {}), ("pad", (F, ((1, 0), (2, 1))), {}),
          ("pad", (F, ((1, 1), (1, 1))), {"constant_values": 3.0}), ("pad", (F, ((1, 1), (2, 1))), {"mode": "reflect"}),
          ("pad", (F, ((1, 1), (2, 1))), {"mode": "symmetric"}), ("tril", (F,), {}), ("triu", (F, 1), {}),
          ("tril", (X3, -1), {}), ("one_hot", (np.array([0, 2, 1, -1]), 3), {}),
          ("one_hot", (np.array([[0, 2], [1, 1]]), 3), {"axis": 0}),
          ("one_hot", (np.array([0, 2]), 3), {"dtype": "int32"}),
          ("cast", (F, "int32"), {}), ("cast", (I, "float32"), {}), ("convert_to_tensor", (I,), {}),
          ("convert_to_tensor", (F, "float32"), {}), ("stop_gradient", (F,), {})]
    r += [("matmul", (F, G.T), {}), ("matmul", (X3, G.T), {}), ("matmul", (V, G.T), {}), ("matmul", (F, V), {}),
          ("matmul", (X3, np.swapaxes(X3, 1, 2)), {}), ("matmul", (I, J.T), {}), ("dot", (F, G.T), {}),
          ("dot", (V, V), {}), ("dot", (X3, G.T), {}), ("dot", (F, 2.0), {}), ("dot", (F, np.swapaxes(X3, 1, 2)), {}),
          ("tensordot", (X3, G, 2), {}), ("tensordot", (F, G, ((1,), (1,))), {}),
          ("einsum", ("ij,kj->ik", F, G), {}), ("einsum", ("bij->bj", X3), {}), ("outer", (V, F), {}),
          ("outer", (I[0], V), {})]
    # isclose(inf, inf) is True as in NumPy; Keras's TensorFlow backend says False, so no inf here.
    r += [("identity", (3,), {}), ("meshgrid", (V, V[:3]), {}), ("meshgrid", (V, V[:3]), {"indexing": "ij"}),
          ("erfinv", (S,), {}), ("logaddexp", (F, G), {}), ("logaddexp", (F, 1.0), {}),
          ("isclose", (F, np.where(M, F, G)), {}), ("isclose", (N[0, :2], N[0, :2]), {"equal_nan": True}),
          ("cumprod", (F,), {}), ("cumprod", (I,), {"axis": 1}), ("count_nonzero", (I,), {}),
          ("count_nonzero", (I,), {"axis": (0, 1)}), ("count_nonzero", (X3 > 0,), {"axis": 1}),
          ("median", (X3,), {}), ("median", (X3,), {"axis": 1, "keepdims": True}), ("median", (I,), {"axis": -1}),
          ("quantile", (X3, 0.3), {"axis": (0, 2)}), ("quantile", (X3, np.array([0.1, 0.9])), {"keepdims": True}),
          ("quantile", (F, 0.4), {"axis": 1, "method": "lower"}), ("quantile", (F, 0.4), {"method": "nearest"}),
          ("quantile", (F, 0.4), {"method": "midpoint"}), ("quantile", (F, 0.4), {"method": "higher"}),
          ("diag", (V,), {}), ("diag", (F,), {"k": 1}), ("diag", (V[:3], -1), {}), ("diagonal", (F,), {}),
          ("diagonal", (X3, 1, 1, 2), {}), ("diagonal", (X3,), {"axis1": -1, "axis2": 0}),
          ("trace", (F,), {}), ("trace", (I,), {}), ("trace", (X3, -1, 1, 2), {})]
    for n in ACTIVATIONS:
        r += [(n, (X3,), {})]
    r += [("gelu", (F,), {"approximate": False}), ("elu", (F,), {"alpha": 0.5}),
          ("leaky_relu", (F,), {"negative_slope": 0.1}), ("softmax", (X3,), {"axis": 1}),
          ("softmax", (X3,), {"axis": (1, 2)}), ("log_softmax", (X3,), {"axis": 0}),
          ("log_softmax", (X3,), {"axis": (0, 2)}),
          ("moments", (X3, (0, 1)), {}), ("moments", (X3, [2]), {"keepdims": True}),
          ("batch_normalization", (X3, V, P[0], -1), {}),
          ("batch_normalization", (X3, V[:3], P[0, :3], 1), {"offset": V[1:], "scale": P[1, :3], "epsilon": 1e-2}),
          ("normalize", (F,), {}), ("normalize", (X3,), {"axis": 1}), ("normalize", (F,), {"order": 1}),
          ("layer_normalization", (X3,), {}), ("layer_normalization", (X3, P[0], V), {"axis": -1, "epsilon": 1e-3}),
          ("categorical_crossentropy", (T, S), {}), ("categorical_crossentropy", (T, F[:2, :3]), {"from_logits": True}),
          ("categorical_crossentropy", (T.T, S.T), {"axis": 0}),
          ("sparse_categorical_crossentropy", (np.array([2, 0], "int32"), S), {}),
          ("sparse_categorical_crossentropy", (np.array([[2], [0]]), F[:2, :3]), {"from_logits": True}),
          ("binary_crossentropy", (T, S), {}), ("binary_crossentropy", (T, F[:2, :3]), {"from_logits": True}),
          ("conv", (IMG, KER), {}), ("conv", (IMG, KER), {"strides": 2, "padding": "same"}),
          ("conv", (IMG, KER), {"dilation_rate": 2}), ("depthwise_conv", (IMG, KER[..., :2]), {"padding": "same"}),
          ("separable_conv", (IMG, KER[..., :2], KER[:1, :1, :, :4].reshape(1, 1, 6, 2)), {}),
          ("conv_transpose", (IMG, KER.transpose(0, 1, 3, 2)[..., :3]), {"strides": 2, "padding": "same"}),
          ("max_pool", (IMG, 2), {}), ("max_pool", (IMG, 3), {"strides": 2, "padding": "same"}),
          ("average_pool", (IMG, (2, 3)), {}), ("average_pool", (IMG, 3), {"strides": 2, "padding": "same"})]
    return r


ROWS = _rows()


def _tensors(a, convert):
    if isinstance(a, np.ndarray):
        return convert(a)
    if isinstance(a, list):
        return [_tensors(x, convert) for x in a]
    return a


def _call(fn, args, kwargs, convert):
    return fn(*[_tensors(a, convert) for a in args], **{k: _tensors(v, convert) for k, v in kwargs.items()})


def _compare(ours, theirs, K):
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _compare(o, t, K)
        return
    want = K.ops.convert_to_numpy(theirs)
    got = to_numpy(ours)
    assert got.shape == want.shape
    assert ops.dtype(ours) == K.backend.standardize_dtype(theirs.dtype)
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


def _id(row):
    name, args, kwargs = row
    desc = ",".join(("x".join(map(str, a.shape)) + a.dtype.name[0] if isinstance(a, np.ndarray) else
                     type(a).__name__ if isinstance(a, (list, tuple)) else repr(a)) for a in args)
    return f"{name}({desc}{''.join(f',{k}={v!r}' for k, v in kwargs.items())})"


@pytest.mark.parametrize("name,args,kwargs", ROWS, ids=[_id(r) for r in ROWS])
def test_op_matches_keras(name, args, kwargs):
    K = keras_module()
    ours = _call(getattr(ops, name), args, kwargs, ops.convert_to_tensor)
    theirs = _call(getattr(K.ops, name), args, kwargs, K.ops.convert_to_tensor)
    _compare(ours, theirs, K)


def test_every_keras_named_op_has_a_row():
    K = keras_module()
    tested = {r[0] for r in ROWS}
    # contract.EXTRA (the rest of keras.ops) has its rows in test_ops_extra.py.
    untested = {n for n in contract.OPS if hasattr(K.ops, n)} - tested - set(contract.EXTRA) - {
        "shape", "ndim", "size", "dtype", "convert_to_numpy", "is_tensor", "cond"}
    assert not untested


def test_ops_take_numpy_values_as_keras_ops_do():
    a = np.array([[1.0, -2.0], [3.0, 0.5]], "float32")
    for name, args in [("exp", (a,)), ("abs", (a,)), ("add", (a, a)), ("softmax", (a,)), ("sqrt", (np.abs(a),)),
                       ("concatenate", ([a, a],)), ("square", (np.float32(3.0),))]:
        out = getattr(ops, name)(*args)
        assert ops.is_tensor(out), name
        np.testing.assert_allclose(to_numpy(out), np.asarray(getattr(keras_module().ops, name)(*args)), rtol=1e-6)


def test_introspection_and_cond():
    x = ops.convert_to_tensor(X3)
    assert ops.shape(x) == (2, 3, 4) and ops.ndim(x) == 3 and int(ops.size(x)) == 24
    assert ops.dtype(x) == "float32" and ops.is_tensor(x) and not ops.is_tensor(X3)
    np.testing.assert_array_equal(ops.convert_to_numpy(x), X3)
    out = ops.cond(ops.greater(ops.sum(x), 100.0), lambda: ops.ones(()), lambda: ops.zeros(()))
    assert float(to_numpy(out)) == 0.0


def _gated_layer(base, o):
    """The same custom layer source for kerasport (``o`` = kerasport.ops) and Keras (``o`` = keras.ops)."""
    class GatedNorm(base):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="w")
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal", name="b")
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

        def call(self, x):
            h = o.add(o.matmul(x, self.w), self.b)
            mean, var = o.moments(h, axes=(-1,), keepdims=True)
            h = o.multiply(o.subtract(h, mean), o.rsqrt(o.add(var, 1e-5)))
            gated = o.multiply(h, o.sigmoid(o.multiply(h, self.scale)))
            h = o.where(o.greater(h, 0.0), gated, o.gelu(h, approximate=False))
            pooled = o.expand_dims(o.logsumexp(h, axis=-1), -1)
            return o.concatenate([o.tanh(h), o.clip(pooled, -3.0, 3.0), o.max(o.abs(h), axis=-1, keepdims=True)], -1)
    return GatedNorm


def test_custom_layer_written_with_ops_matches_keras_and_trains():
    K = keras_module()
    x = rng.randn(32, 5).astype("float32")
    y = (x[:, :1] * 2 - x[:, 1:2]).astype("float32")
    ours, theirs = _gated_layer(kerasport.layers.Layer, ops)(4), _gated_layer(K.layers.Layer, K.ops)(4)
    expected = K.ops.convert_to_numpy(theirs(x))
    ours(ops.convert_to_tensor(x))
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(to_numpy(ours(ops.convert_to_tensor(x))), expected, rtol=1e-5, atol=1e-5)
    model = kerasport.Sequential([kerasport.Input((5,)), ours, kerasport.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    before = ours.get_weights()
    losses = model.fit(x, y, epochs=10, batch_size=8, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    assert all(not np.allclose(a, b) for a, b in zip(before, ours.get_weights()))
