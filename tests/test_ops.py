"""``kerasport.ops`` against ``keras.ops`` (Keras 3, TensorFlow backend) as the oracle.

Each row calls one op on the same inputs in both libraries and compares values,
shapes and result dtypes. NumPy arrays in a row become tensors on each side;
Python scalars are passed as they are, so Keras's weak-type promotion is checked. The rest of
``keras.ops`` (``contract.EXTRA``) follows, with the activations and the CTC loss those ops back.
"""
import numpy as np
import pytest

import kerasport
from kerasport import activations, ops
from kerasport.backends import B, contract
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
    r += [(n, (x,), {}) for n, x in (("log", 2.0), ("exp", 1), ("sqrt", 4.0), ("sin", 0.5), ("log1p", 3))]
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
          ("concatenate", ([F, L, I],), {"axis": -1}), ("stack", ([I, F],), {}), ("concatenate", ([I, M],), {}),
          ("stack", ([F, G],), {"axis": -1}), ("unstack", (X3,), {}), ("unstack", (X3,), {"axis": -1}),
          ("split", (F, 2), {"axis": 1}), ("split", (X3, [1, 3]), {"axis": -1}), ("tile", (F, (2, 1)), {}),
           ("tile", (V, (2, 2)), {}), ("tile", (F, 3), {}), ("tile", (X3, (2,)), {}),
           ("tile", (F, np.array([2, 3], "int32")), {}), ("repeat", (F, 2), {}), ("repeat", (F, 2), {"axis": 0}),
           ("repeat", (X3, [2]), {}), ("repeat", (F, [1, 0, 2]), {"axis": 0}),
           ("repeat", (F, np.array([3])), {"axis": 1}),
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
          ("tensordot", (X3, X3, (2, 2)), {}), ("tensordot", (X3, F, [1, 0]), {}),
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
          ("normalize", (F * 1e-9,), {}), ("normalize", (F * 1e-9,), {"order": 1, "epsilon": 1e-9}),
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
    # contract.EXTRA (the rest of keras.ops) has its rows below (EXTRA_ROWS).
    untested = {n for n in contract.OPS if hasattr(K.ops, n)} - tested - set(contract.EXTRA) - {
        "shape", "ndim", "size", "dtype", "convert_to_numpy", "is_tensor", "cond"}
    assert not untested


def test_ops_take_numpy_values_as_keras_ops_do():
    a = np.array([[1.0, -2.0], [3.0, 0.5]], "float32")
    for name, args in [("exp", (a,)), ("abs", (a,)), ("add", (a, a)), ("softmax", (a,)), ("sqrt", (np.abs(a),)),
                       ("concatenate", ([a, a],)), ("square", (np.float32(3.0),)), ("normalize", (a,))]:
        out = getattr(ops, name)(*args)
        assert ops.is_tensor(out), name
        np.testing.assert_allclose(to_numpy(out), np.asarray(getattr(keras_module().ops, name)(*args)), rtol=1e-6)


def test_shape_of_numpy_arrays_and_lists_as_keras_gives_it():
    """``ops.shape`` of a NumPy array (a keras.io callback's batch) or a nested list is Keras's tuple of ints."""
    for value in [np.zeros((4, 3, 2), "float32"), [[1.0, 2.0, 3.0]], np.float32(2.0)]:
        got = ops.shape(value)
        assert got == tuple(keras_module().ops.shape(value)) and all(type(d) is int for d in got), (value, got)


def test_tile_by_repeats_computed_in_the_traced_step():
    """``ops.tile`` with ``repeats`` built from ``ops.shape`` inside ``call`` (the keras.io translation example's
    causal mask), traced by ``fit`` and ``predict``, gives NumPy's tiling."""
    class Tiled(kerasport.layers.Layer):
        def call(self, x):
            mult = ops.concatenate([ops.expand_dims(ops.shape(x)[0], -1), ops.convert_to_tensor([1, 1])], axis=0)
            return x + ops.cast(ops.tile(ops.reshape(ops.arange(4), (1, 2, 2)), mult), x.dtype)

    inputs = kerasport.Input((2, 2))
    model = kerasport.Model(inputs, kerasport.layers.Dense(1)(Tiled()(inputs)))
    model.compile("sgd", "mse")
    x = np.zeros((6, 2, 2), "float32")
    model.fit(x, np.zeros((6, 2, 1), "float32"), batch_size=3, epochs=1, verbose=0)
    want = model.layers[-1](np.tile(np.arange(4, dtype="float32").reshape(1, 2, 2), (6, 1, 1)))
    np.testing.assert_allclose(model.predict(x, batch_size=3, verbose=0), to_numpy(want), rtol=1e-6)


def test_layout_ops_on_strings():
    """``expand_dims`` / ``squeeze`` / ``reshape`` of string data, in a Functional model as keras.io's
    wide_deep_cross_networks writes them (``ops.expand_dims`` of a string ``Input``): torch keeps the strings in
    a NumPy array on the host, TensorFlow in a ``tf.string`` tensor; both give Keras's strings."""
    K = keras_module()
    words = np.array(["red", "green", "blue", "red"], dtype=object)
    for name, args in [("expand_dims", (-1,)), ("reshape", ((2, -1),)), ("squeeze", ())]:
        x = words[:, None] if name == "squeeze" else words
        want = K.ops.convert_to_numpy(getattr(K.ops, name)(K.ops.convert_to_tensor(x), *args))
        got = np.asarray(ops.convert_to_numpy(getattr(ops, name)(x, *args)))
        assert got.shape == want.shape, name
        assert [v.decode() if isinstance(v, bytes) else v for v in got.ravel()] == [v.decode() for v in want.ravel()]
    inputs = kerasport.Input((), dtype="string")
    lookup = kerasport.layers.StringLookup(vocabulary=["red", "green", "blue"], output_mode="one_hot")
    model = kerasport.Model(inputs, lookup(ops.expand_dims(inputs, -1)))
    np.testing.assert_array_equal(to_numpy(model(words)), np.eye(4)[[1, 2, 3, 1]])


def test_convert_to_tensor_packs_a_list_of_arrays_as_keras_does():
    # keras.io's ViT example: ops.image.resize(ops.convert_to_tensor([image]), ...) on a uint8 CIFAR image, whose
    # patches are then a convolution (TensorFlow has no uint8 Conv2D). Keras on TensorFlow packs the list as
    # TensorFlow does (integers become int32); Keras on torch goes through NumPy (uint8 stays).
    images = [rng.randint(0, 256, (4, 4, 3)).astype("uint8")]
    got = ops.convert_to_tensor(images)
    want = "int32" if kerasport.backend.backend() == "tensorflow" else "uint8"
    assert kerasport.backend.standardize_dtype(got.dtype) == want
    if want == "int32":
        assert keras_module().backend.standardize_dtype(keras_module().ops.convert_to_tensor(images).dtype) == want
    np.testing.assert_array_equal(to_numpy(got), np.stack(images))
    patches = ops.image.extract_patches(ops.image.resize(got, (4, 4)), 2)
    np.testing.assert_array_equal(to_numpy(patches)[0, 0, 0], np.stack(images)[0, :2, :2].reshape(-1))
    # Python floats become floatx, a float64 array stays float64 (as in Keras)
    assert ops.dtype(ops.convert_to_tensor([[0.5, 1.0]])) == "float32"
    assert ops.dtype(ops.convert_to_tensor(np.float64([[0.5, 1.0]]))) == "float64"


def test_convert_to_tensor_of_strings_feeds_a_string_model():
    """``ops.convert_to_tensor([["..."]])`` of text (keras.io's pretrained_word_embeddings feeds its end-to-end
    model so): a ``tf.string`` tensor on TensorFlow, a NumPy object array on torch (no torch tensor holds
    strings); either way the string layers read it as Keras does, and numbers still become tensors."""
    K = keras_module()
    text = [["the cat sat"], ["on the mat"]]
    texts = ["the cat sat on the mat", "a cat"]
    ours, theirs = kerasport.layers.TextVectorization(), K.layers.TextVectorization()
    ours.adapt(texts)
    theirs.adapt(texts)
    got = ops.convert_to_tensor(text)
    assert np.asarray(ops.convert_to_numpy(got)).shape == (2, 1)
    np.testing.assert_array_equal(to_numpy(ours(got)), K.ops.convert_to_numpy(theirs(K.ops.convert_to_tensor(text))))
    assert ops.is_tensor(ops.convert_to_tensor(np.array([1, 2], dtype=object).astype("int64")))


def test_introspection_and_cond():
    x = ops.convert_to_tensor(X3)
    assert ops.shape(x) == (2, 3, 4) and ops.ndim(x) == 3 and int(ops.size(x)) == 24
    assert ops.dtype(x) == "float32" and ops.is_tensor(x) and not ops.is_tensor(X3)
    # keras.io's StyleGAN sums over ``ops.arange(1, ops.size(ops.shape(x)))``: size / ndim of a shape tuple
    assert int(ops.size(ops.shape(x))) == 3 and int(ops.ndim(ops.shape(x))) == 1
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


# The rest of keras.ops (``contract.EXTRA``), on inputs of their own (E*: drawn from ``extra_rng``). Ops whose outputs
# are not unique (eigenvectors, argpartition) or that take functions are checked by their defining property instead.
extra_rng = np.random.RandomState(1)
EF = extra_rng.randn(3, 4).astype("float32")
EG = extra_rng.randn(3, 4).astype("float32")
EV = extra_rng.randn(4).astype("float32")
EX3 = extra_rng.randn(2, 3, 4).astype("float32")
U = extra_rng.uniform(-0.9, 0.9, (3, 4)).astype("float32")     # inside (-1, 1)
EP = extra_rng.uniform(1.1, 3.0, (3, 4)).astype("float32")      # > 1
EI = extra_rng.randint(-5, 6, (3, 4)).astype("int32")
EJ = extra_rng.randint(1, 7, (3, 4)).astype("int32")
EN = np.array([[1.0, np.nan, 3.0, -2.0], [np.nan, np.nan, 0.5, 4.0], [2.0, 1.0, -1.0, np.nan]], "float32")
INF = np.array([1.0, np.inf, -np.inf, -0.0, 0.0], "float32")
SQ = (lambda a: a @ a.T + 4 * np.eye(4, dtype="float32"))(extra_rng.randn(4, 4).astype("float32"))  # SPD
TRI = np.tril(SQ)
Q = extra_rng.randn(2, 5, 2, 4).astype("float32")
K = extra_rng.randn(2, 6, 2, 4).astype("float32")
LAB = np.array([[1, 2, 2, 0], [3, 1, 0, 0]], "int32")

ACTS = ["celu", "hard_shrink", "hard_tanh", "hard_swish", "soft_shrink", "sparse_plus", "sparse_sigmoid",
        "sparsemax", "squareplus", "tanh_shrink"]
FLOAT_UNARY = ["arcsinh", "erfc", "exp2", "i0", "sinc", "deg2rad", "rad2deg", "fabs", "cbrt", "trunc", "signbit",
               "ravel", "copy", "real", "imag", "conj", "conjugate", "angle", "isreal"]
EXTRA_BINARY = ["fmax", "fmin", "fmod", "heaviside", "hypot", "logaddexp2", "nextafter", "kron", "inner", "append"]
INT_BINARY = ["gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor"]
NAN_REDUCE = ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanstd", "nanvar", "nanargmax", "nanargmin",
              "nanmedian"]


def _extra_rows():
    r = [(n, (EX3,), {}) for n in ACTS]
    r += [("celu", (EF,), {"alpha": 0.5}), ("glu", (EX3,), {}), ("glu", (EX3,), {"axis": 0}),
          ("hard_shrink", (EF,), {"threshold": 1.0}), ("soft_shrink", (EF, 0.2), {}),
          ("sparsemax", (EX3,), {"axis": 1}),
          ("squareplus", (EF,), {"b": 1}), ("threshold", (EF, 0.1, -3.0), {}),
          ("rms_normalization", (EX3,), {}), ("rms_normalization", (EX3, EV), {"axis": -1, "epsilon": 1e-3}),
          ("rms_normalization", (EX3,), {"axis": (1, 2)}),
          ("dot_product_attention", (Q, K, K), {}), ("dot_product_attention", (Q, Q, Q), {"is_causal": True}),
          ("dot_product_attention", (Q, K, K), {"scale": 0.3, "bias": extra_rng.randn(2, 2, 5, 6).astype("float32")}),
          ("dot_product_attention", (Q, K, K), {"mask": extra_rng.rand(1, 1, 5, 6) > 0.3}),
          ("psnr", (EF, EG, 1.0), {}), ("in_top_k", (np.array([0, 3, 1]), EF, 2), {}),
          ("multi_hot", (LAB, 5), {}), ("multi_hot", (np.array([1, 3]), 4), {"dtype": "int32"}),
          ("depth_to_space", (extra_rng.randn(2, 2, 3, 8).astype("float32"), 2), {}),
          ("depth_to_space", (extra_rng.randn(2, 8, 2, 3).astype("float32"), 2), {"data_format": "channels_first"}),
          ("space_to_depth", (extra_rng.randn(2, 4, 6, 3).astype("float32"), 2), {}),
          ("space_to_depth", (extra_rng.randn(2, 3, 4, 6).astype("float32"), 2), {"data_format": "channels_first"}),
          ("ctc_loss", (LAB[:, :3], extra_rng.randn(2, 7, 5).astype("float32"), np.array([3, 2]), np.array([7, 5])),
           {}),
          ("ctc_loss", (LAB[:, :3], extra_rng.randn(2, 7, 5).astype("float32"), np.array([3, 2]), np.array([7, 6])),
           {"mask_index": 4})]
    r += [(n, (EF,), {}) for n in FLOAT_UNARY] + [(n, (EI,), {}) for n in FLOAT_UNARY if n not in ("i0", "erfc")]
    r += [("arccos", (U,), {}), ("arcsin", (U,), {}), ("arctanh", (U,), {}), ("arccosh", (EP,), {}),
          ("signbit", (INF,), {}), ("isneginf", (INF,), {}), ("isposinf", (INF,), {}), ("isneginf", (EI,), {})]
    for n in EXTRA_BINARY:
        a, b = (EV, EV[::-1]) if n in ("kron", "inner") else (EF, EG)
        r += [(n, (a, b), {}), (n, (EI, EJ), {}) if n != "nextafter" else (n, (EF, 1.0), {}),
              (n, (a, 2.0), {}) if n not in ("kron", "inner", "append") else (n, (EI[0], EV), {})]
    r += [(n, (EI, EJ), {}) for n in INT_BINARY] + [(n, (EI, 3), {}) for n in INT_BINARY]
    r += [("left_shift", (EJ, 2), {}), ("right_shift", (EJ * 8, EJ), {}), ("bitwise_left_shift", (EJ, EJ), {}),
          ("bitwise_right_shift", (EJ, 1), {}), ("bitwise_not", (EI,), {}), ("bitwise_invert", (EI,), {}),
          ("ldexp", (EF, EJ), {}), ("isin", (EI, np.array([0, 2, -3], "int32")), {}),
          ("isin", (EI, np.array([0, 2], "int32")), {"invert": True}), ("allclose", (EF, EF + 1e-7), {}),
          ("allclose", (EF, EG), {}), ("fmax", (EN, EF), {}), ("fmin", (EN, 0.0), {}),
          ("append", (EF, EG), {"axis": 1})]
    for n in NAN_REDUCE:
        r += [(n, (EN,), {}), (n, (EN,), {"axis": 1}), (n, (EN,), {"axis": 0, "keepdims": True})]
    r += [("nancumsum", (EN,), {}), ("nancumsum", (EN,), {"axis": 1}), ("nancumprod", (EN,), {"axis": 0}),
          ("nanquantile", (EN, 0.3), {"axis": 1}), ("nanquantile", (EN, np.array([0.2, 0.7], "float32")), {}),
          ("nanpercentile", (EN, 40.0), {"axis": 0, "keepdims": True}), ("nansum", (EI,), {}),
          ("percentile", (EF, 25.0), {}), ("percentile", (EX3, np.array([10.0, 90.0], "float32")), {"axis": 1}),
          ("amax", (EF,), {}), ("amax", (EX3,), {"axis": (0, 2)}), ("amin", (EI,), {"axis": 1, "keepdims": True}),
          ("ptp", (EF,), {}), ("ptp", (EI,), {"axis": 0}), ("average", (EF,), {}), ("average", (EF,), {"axis": 1}),
          ("average", (EF,), {"axis": 1, "weights": np.abs(EV) + 0.1}), ("average", (EF, 0, np.abs(EF) + 0.1), {}),
          ("bincount", (np.array([0, 1, 1, 4], "int32"),), {}), ("bincount", (np.array([0, 1, 1], "int32"),),
                                                                  {"minlength": 5}),
          ("bincount", (np.array([0, 2, 2], "int32"),), {"weights": np.array([0.5, 1.0, 2.0], "float32")}),
          ("bincount", (np.array([[0, 1, 1], [2, 2, 0]], "int32"),), {"minlength": 4}),
          ("histogram", (EF.ravel(),), {}), ("histogram", (EF.ravel(),), {"bins": 4, "range": (-1.0, 1.0)}),
          ("corrcoef", (EF,), {}), ("trapezoid", (EF,), {}), ("trapezoid", (EF,), {"dx": 0.5, "axis": 0}),
          ("trapezoid", (EF, np.cumsum(np.abs(EV)).astype("float32")), {}),
          ("correlate", (EV, EV[:3]), {}), ("correlate", (EV, EV[:3]), {"mode": "same"}),
          ("correlate", (EV, EV[:3]), {"mode": "full"}), ("correlate", (EV[:2], EV), {"mode": "full"}),
          ("correlate", (EV[:3], EV), {"mode": "same"})]
    r += [("roll", (EF, 2), {}), ("roll", (EX3, -1), {"axis": 1}), ("rot90", (EF,), {}),
          ("rot90", (EX3, 3, (1, 2)), {}),
          ("fliplr", (EF,), {}), ("flipud", (EX3,), {}), ("hstack", ([EF, EG],), {}),
          ("hstack", ([EV, EV],), {}), ("vstack", ([EF, EI],), {}),
          ("dstack", ([EF, EG],), {}), ("dstack", ([EV, EV],), {}), ("array_split", (EV[:3], 2), {}),
          ("array_split", (EF, 3, 1), {}), ("hsplit", (EF, 2), {}), ("vsplit", (EF, [1]), {}),
          ("dsplit", (EX3, 2), {}), ("diagflat", (EV,), {}), ("diagflat", (EF[:2, :2], 1), {}), ("diff", (EF,), {}),
          ("diff", (EI, 2, 0), {}), ("digitize", (EF, np.array([-1.0, 0.0, 0.5], "float32")), {}),
          ("searchsorted", (np.array([0.0, 1.0, 2.0], "float32"), EV), {}),
          ("searchsorted", (np.array([-1, 0, 2], "int32"), EI[0]), {"side": "right"}),
          ("nonzero", (EI,), {}), ("unravel_index", (np.array([0, 5, 11], "int32"), (3, 4)), {}),
          ("select", ([EF > 0.5, EF < -0.5], [EF, EG]), {}), ("select", ([EI > 0], [EJ]), {"default": -1}),
          ("get_item", (EX3, (1, slice(0, 2))), {}), ("get_item", (EF, 2), {}),
          ("view", (EF, "int32"), {}), ("view", (EI, "float32"), {}), ("array", (EI,), {}),
          ("array", (EF, "float32"), {})]
    r += [("empty", ((2, 3),), {}), ("empty", ((2,),), {"dtype": "int32"}), ("empty_like", (EF,), {}),
          ("empty_like", (EF,), {"dtype": "int32"}), ("tri", (3,), {}), ("tri", (3, 5, 1), {}),
          ("tri", (4, 2), {"k": -1, "dtype": "int32"}), ("logspace", (0.0, 2.0, 5), {}),
          ("logspace", (0.0, 3.0, 4), {"endpoint": False, "base": 2}), ("geomspace", (1.0, 1000.0, 4), {}),
          ("geomspace", (2.0, 32.0, 4), {"endpoint": False}), ("vander", (EV,), {}), ("vander", (EV, 3, True), {}),
          ("bartlett", (5,), {}), ("blackman", (6,), {}), ("hamming", (5,), {}), ("hanning", (7,), {}),
          ("kaiser", (6, 5.0), {}), ("vdot", (EF, EG), {}), ("vdot", (EI, EJ), {}),
          ("cross", (EF[:, :3], EG[:, :3]), {}), ("cross", (EF[:, :2], EG[:, :3]), {}),
          ("cross", (EF[:, :2], EG[:, :2]), {}), ("cross", (EF[:3, :3], EG[:3, :3]), {"axis": 0})]
    seg = np.array([0, 0, 2], "int32")
    r += [("scatter", (np.array([[0, 1], [2, 3], [0, 1]]), np.array([1.0, 2.0, 3.0], "float32"), (3, 4)), {}),
          ("scatter", (np.array([[1], [0]]), EF[:2], (3, 4)), {}),
          ("scatter_update", (EF, np.array([[0, 1], [2, 3]]), np.array([9.0, 8.0], "float32")), {}),
          ("scatter_update", (EI, np.array([[1]]), EJ[:1]), {}),
          ("scatter_update", (EF, np.array([[0, 1], [0, 1]]), np.array([2.0, 3.0], "float32")), {"reduction": "add"}),
          ("scatter_update", (EF, np.array([[0, 1], [2, 2]]), np.array([9.0, -9.0], "float32")), {"reduction": "max"}),
          ("scatter_update", (EF, np.array([[0, 1], [2, 2]]), np.array([9.0, -9.0], "float32")), {"reduction": "min"}),
          ("scatter_update", (EF, np.array([[0, 1], [0, 1]]), np.array([2.0, 3.0], "float32")), {"reduction": "mul"}),
          ("slice_update", (EX3, (0, 1, 1), EX3[:1, :2, :2] * 0 + 7), {}),
          ("slice_update", (EI, (1, 0), EJ[:2, :3]), {}),
          ("saturate_cast", (EF * 300, "uint8"), {}), ("saturate_cast", (EI * 100, "int8"), {}),
          ("segment_max", (EF, seg, 3), {}), ("segment_min", (EF, seg), {}), ("segment_prod", (EF, seg, 3), {}),
          ("segment_max", (EI, seg), {"sorted": True}),
          ("unique", (np.array([3, 1, 3, 2, 1], "int32"),), {}),
          ("unique", (EI,), {"return_inverse": True, "return_counts": True}),
          ("unique", (np.array([3.0, 1.0, 3.0], "float32"),), {"return_index": True}),
          ("unique", (np.array([3, 1, 3], "int32"),), {"size": 4, "fill_value": -1})]
    r += [("cholesky", (SQ,), {}), ("cholesky", (SQ,), {"upper": True}),
          ("cholesky_inverse", (np.linalg.cholesky(SQ),), {}),
          ("det", (SQ,), {}), ("inv", (SQ,), {}), ("solve", (SQ, EF.T), {}), ("solve", (SQ, EV), {}),
          ("solve_triangular", (TRI, EF.T), {"lower": True}), ("solve_triangular", (TRI.T, EV), {}),
          ("slogdet", (SQ - 6 * np.eye(4, dtype="float32"),), {}), ("logdet", (SQ,), {}), ("pinv", (EF,), {}),
          ("matrix_rank", (SQ,), {}), ("matrix_rank", (np.outer(EV, EV),), {}), ("lstsq", (EF.T, EV), {}),
          ("lstsq", (EF.T, EG.T), {}), ("svd", (EF,), {"compute_uv": False}), ("eigh", (SQ,), {}),
          ("lu_factor", (SQ,), {})]
    r += [("fft", ((EF, EG),), {}), ("fft2", ((EF, EG),), {}), ("ifft2", ((EF, EG),), {}), ("rfft", (EF,), {}),
          ("rfft", (EF, 6), {}), ("irfft", ((EF, EG),), {}), ("irfft", ((EF, EG), 5), {})]
    return r


EXTRA_ROWS = _extra_rows()


def _convert(a, convert):
    if isinstance(a, tuple) and a and all(isinstance(x, np.ndarray) for x in a):
        return tuple(convert(x) for x in a)
    return a


@pytest.mark.parametrize("name,args,kwargs", EXTRA_ROWS, ids=[_id(r) for r in EXTRA_ROWS])
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
    from tests.test_ops_signal import TESTED  # the signal, distance, pooling and decoding ops' rows
    tested = {r[0] for r in EXTRA_ROWS} | TESTED | {"eig", "qr", "svd", "argpartition", "fori_loop", "while_loop", "scan", "map",
                                     "switch", "associative_scan", "vectorized_map", "vectorize", "custom_gradient"}
    assert set(contract.EXTRA) - tested == set()


def test_ops_exist_in_keras():
    K = keras_module()
    assert [n for n in contract.EXTRA if not hasattr(K.ops, n)] == []


def test_numpy_semantics_where_keras_tf_differs():
    """Keras's TensorFlow backend departs from NumPy here (its torch/JAX backends follow NumPy, as we do)."""
    t = ops.convert_to_tensor
    np.testing.assert_allclose(to_numpy(ops.rot90(t(EF), 2)), np.rot90(EF, 2))
    np.testing.assert_allclose(to_numpy(ops.vstack([t(EV), t(EV)])), np.vstack([EV, EV]))
    np.testing.assert_allclose(to_numpy(ops.correlate(t(EV[:2]), t(EV))), np.correlate(EV[:2], EV), rtol=1e-5)
    for a, b in zip(ops.array_split(t(EF), [1], 1), np.array_split(EF, [1], 1)):
        np.testing.assert_allclose(to_numpy(a), b)
    np.testing.assert_array_equal(to_numpy(ops.searchsorted(t(np.sort(EV)), t(EF))), np.searchsorted(np.sort(EV), EF))
    # Keras's TensorFlow backend has no vectorize; NumPy is the oracle.
    got = ops.vectorize(lambda a, b: a * b + 1.0)(t(EF), t(EV))
    np.testing.assert_allclose(to_numpy(got), EF * EV + 1.0, rtol=1e-6)
    got = ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")(t(EF), t(EV))
    np.testing.assert_allclose(to_numpy(got), EF @ EV, rtol=1e-5)
    got = ops.dot_product_attention(t(Q), t(K[:, :, :1]), t(K[:, :, :1]))
    want = ops.dot_product_attention(t(Q), t(np.repeat(K[:, :, :1], 2, 2)), t(np.repeat(K[:, :, :1], 2, 2)))
    np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-5, atol=1e-6)


def test_decompositions_reconstruct():
    a = ops.convert_to_tensor(EF)
    u, s, vh = ops.svd(a, full_matrices=False)
    np.testing.assert_allclose(to_numpy(u) * to_numpy(s) @ to_numpy(vh), EF, atol=1e-5)
    assert [ops.shape(t) for t in ops.svd(a)] == [(3, 3), (3,), (4, 4)]
    q, r = ops.qr(ops.convert_to_tensor(EF.T))
    assert ops.shape(q) == (4, 3) and ops.shape(r) == (3, 3)
    np.testing.assert_allclose(to_numpy(q) @ to_numpy(r), EF.T, atol=1e-5)
    assert ops.shape(ops.qr(ops.convert_to_tensor(EF.T), mode="complete")[0]) == (4, 4)
    w, v = ops.eig(ops.convert_to_tensor(SQ))
    w, v = to_numpy(w), to_numpy(v)
    np.testing.assert_allclose(SQ @ v, v * w, atol=1e-3)
    parts = ops.argpartition(ops.convert_to_tensor(EV), 1)
    srt = EV[to_numpy(parts)]
    assert srt[1] == np.sort(EV)[1] and (srt[:1] <= srt[1]).all() and (srt[2:] >= srt[1]).all()
    assert ops.linalg.svd is ops.svd and ops.nn.ctc_loss is ops.ctc_loss and ops.numpy.nansum is ops.nansum
    assert ops.core.scan is ops.scan and ops.linalg.norm is ops.norm


def test_op_namespaces_import_as_keras_modules():
    import importlib

    from kerasport.ops.image import resize
    from kerasport.ops.nn import relu
    from kerasport.ops.numpy import add
    assert relu is ops.relu and add is ops.add and resize is ops.image.resize
    for name in ("nn", "numpy", "linalg", "image", "core"):
        assert importlib.import_module(f"kerasport.ops.{name}") is getattr(ops, name)


def test_control_flow_matches_keras():
    K = keras_module()
    x = EF.copy()
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
               o.associative_scan(lambda a, b: a * b, conv(EX3), reverse=True, axis=1),
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
        ops.psnr(ops.convert_to_tensor(EF), ops.convert_to_tensor(EV), 1.0)
    with pytest.raises(ValueError, match="searchsorted"):
        ops.searchsorted(ops.convert_to_tensor(EV), ops.convert_to_tensor(EV), side="middle")
    with pytest.raises(ValueError, match="real, imag"):
        ops.fft(ops.convert_to_tensor(EF))


def test_crossentropies_check_shapes_and_take_numpy_as_keras():
    """A target whose rank or shape differs from the output's is Keras's ValueError, not a silent broadcast
    (keras.io's molecule VAE: 1-D QED targets against ``(batch, 1)`` predictions); NumPy arguments work."""
    K = keras_module()
    p, c = np.full((4, 1), 0.3, "float32"), np.full((4, 3), 1 / 3, "float32")
    bad = [("binary_crossentropy", (np.ones(4, "float32"), p)), ("binary_crossentropy", (np.ones((3, 1)), p)),
           ("categorical_crossentropy", (c[:, None], c)), ("categorical_crossentropy", (c[:, :2], c)),
           ("sparse_categorical_crossentropy", (np.ones((4, 2)), c)),
           ("sparse_categorical_crossentropy", (np.ones(3), c))]
    for name, args in bad:
        with pytest.raises(ValueError) as ours:
            getattr(ops, name)(*args)
        with pytest.raises(ValueError) as theirs:
            getattr(K.ops, name)(*args)
        assert str(ours.value) == str(theirs.value), name
    with pytest.raises(ValueError, match="same rank"):
        kerasport.losses.binary_crossentropy(np.ones(4, "float32"), p)
    good = [("binary_crossentropy", (np.ones((4, 1), "float32"), p)), ("categorical_crossentropy", (c, c)),
            ("sparse_categorical_crossentropy", (np.array([[0], [1], [2], [1]]), c)),
            ("sparse_categorical_crossentropy", (np.array([0, 1, 2, 1]), c))]
    for name, args in good:
        np.testing.assert_allclose(to_numpy(getattr(ops, name)(*args)),
                                   K.ops.convert_to_numpy(getattr(K.ops, name)(*args)), rtol=1e-6)


def test_every_keras_activation_exists_and_matches():
    K = keras_module()
    names = [n for n in dir(K.activations) if not n.startswith("_") and n not in ("get", "serialize", "deserialize")
             and callable(getattr(K.activations, n))]
    assert [n for n in names if not hasattr(activations, n)] == []
    x = EX3 * 3
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
    y_pred = extra_rng.randn(2, 7, 5).astype("float32")
    ours = kerasport.losses.CTC()(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred))
    theirs = K.losses.CTC()(y_true, y_pred)
    np.testing.assert_allclose(to_numpy(ours), K.ops.convert_to_numpy(theirs), rtol=1e-5)
    per = kerasport.losses.ctc(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred))
    np.testing.assert_allclose(to_numpy(per), K.ops.convert_to_numpy(K.losses.ctc(y_true, y_pred)), rtol=1e-5)
    assert kerasport.losses.get("ctc") is not None


@pytest.mark.parametrize("mode", ["edge", "wrap"])
def test_pad_modes_keras_tensorflow_lacks_match_numpy(mode):
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    width = ((0, 0), (2, 1), (1, 3))
    np.testing.assert_array_equal(B.convert_to_numpy(kerasport.ops.pad(x, width, mode=mode)),
                                  np.pad(x, width, mode=mode))


def test_joining_float64_tensors_keeps_float64():
    x = ops.cast(np.ones((2, 3)), "float64")
    for out in (ops.concatenate([x, x], axis=-1), ops.stack([x, x]), ops.hstack([x, x])):
        assert kerasport.backend.standardize_dtype(out.dtype) == "float64"


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="shape tensors of a traced tf.function and tf.SparseTensor are TensorFlow's")
def test_reshape_to_a_traced_shape_tensor_and_cast_of_a_sparse_tensor():
    # keras.io's OCR example builds its CTC labels so, inside the traced train step.
    import tensorflow as tf

    @tf.function(autograph=False)
    def flip(x):
        return ops.reshape(ops.arange(6), tf.reverse(tf.shape(x), [0]))

    assert flip(tf.zeros((2, 3))).shape == (3, 2)
    sparse = tf.SparseTensor([[0, 1], [1, 2]], [2.5, 3.0], [2, 3])
    cast = ops.cast(sparse, "int32")
    assert isinstance(cast, tf.SparseTensor) and cast.dtype == tf.int32
    np.testing.assert_array_equal(tf.sparse.to_dense(cast).numpy(), [[0, 2, 0], [0, 0, 3]])
