"""float64 data in ``kerasport.ops`` and in layers, losses, metrics and ``fit``, against Keras 3 as the oracle.

Keras keeps a float64 NumPy array float64 (``ops.convert_to_tensor``, every op given one) and promotes it with
the other operand by its type lattice (float64 with float32 or an int gives float64); Python floats become
``floatx()``. Layers, losses and metrics convert to their own dtype, and ``fit`` / ``evaluate`` / ``predict``
cast float data to ``floatx()``, so models keep computing in float32. Each row runs one op on the same NumPy
values in both libraries and compares the result's dtype and values. The oracle is Keras on TensorFlow (the
tests' oracle): Keras on torch gives float32 for a few of these rows (``matmul`` / ``dot`` / ``tensordot`` /
``maximum`` / ``var`` / ``cumsum`` / ``norm`` of float64 data), against its own lattice.
"""
import numpy as np
import pytest

import kerasport
from kerasport import ops
from tests.helpers import keras_module, to_numpy
from tests.programs.test_keras_programs import check_program

rng = np.random.RandomState(3)
D = rng.randn(3, 4)                                  # float64
F = rng.randn(3, 4).astype("float32")
I = rng.randint(1, 6, (3, 4)).astype("int32")         # non-zero ints
P = rng.uniform(0.5, 2.0, (3, 4))                    # positive float64
M = rng.rand(3, 4) > 0.5
SAMPLES = {"D": D, "F": F, "I": I}

UNARY = ["negative", "abs", "exp", "square", "tanh", "sin", "floor", "relu", "sigmoid", "softmax", "log_softmax",
         "sum", "mean", "max", "min", "prod", "std", "var", "logsumexp", "argmax", "cumsum", "norm", "transpose",
         "zeros_like", "ones_like", "sort"]
BINARY = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "power", "greater", "arctan2"]
PAIRS = ["DF", "FD", "DI", "ID", "DD", "FI", "IF"]


def _rows():
    r = [(n, (k,)) for n in UNARY for k in "DFI"
         if not (k == "I" and n in ("tanh", "sin", "sigmoid", "softmax", "log_softmax", "logsumexp", "norm"))]
    r += [(n, ("P",)) for n in ("sqrt", "log", "reciprocal")] + [("sqrt", ("I",)), ("log", ("I",))]
    r += [(n, tuple(p)) for n in BINARY for p in PAIRS]
    r += [("add", ("D", 1.5)), ("multiply", ("D", 2)), ("add", (1.5, "D")), ("add", ("I", 1.5)), ("divide", ("I", 2))]
    r += [(n, ("D", "F.T")) for n in ("matmul", "dot")] + [(n, ("F", "D.T")) for n in ("matmul", "dot")]
    r += [("matmul", ("I", "D.T")), ("matmul", ("D", "D.T")), ("tensordot", ("D", "F", 2)),
          ("tensordot", ("I", "D.T", 1)), ("einsum", ("ij,kj->ik", "D", "F")), ("einsum", ("ij,ij->i", "I", "D"))]
    r += [("concatenate", (["D", "F"],)), ("concatenate", (["F", "D"],)), ("concatenate", (["I", "D", "F"],)),
          ("stack", (["D", "F"],)), ("stack", (["I", "D"],)), ("stack", (["F", "I"],))]
    r += [("where", ("M", "D", "F")), ("where", ("M", "F", "D")), ("where", ("M", "I", "D")),
          ("where", ("M", "I", "F")), ("where", ("M", "D", 0.0)), ("where", ("M", 2, "D"))]
    r += [("clip", ("D", -0.5, 0.5)), ("cast", ("D", "float32")), ("reshape", ("D", (-1,))),
          ("expand_dims", ("D", 0)), ("take", ("D", "idx")), ("moments", ("D", [0]))]
    r += [("convert_to_tensor", (k,)) for k in ("D", "F", "I", "P")]
    r += [("convert_to_tensor", (v,)) for v in (1.5, 2, [1.5, 2.0], [1, 2], [[1, 2.5], [3, 4]], True)]
    r += [("convert_to_tensor", ("D", "float32")), ("convert_to_tensor", ("F", "float64"))]
    return r


ROWS = _rows()


def _value(a, convert):
    """A row's argument: sample names become tensors made by ``convert``; other values go as they are."""
    if isinstance(a, list):
        return [_value(v, convert) for v in a]
    if not isinstance(a, str) or a in ("float32", "float64") or "," in a:
        return a
    if a == "M":
        return convert(M)
    if a == "P":
        return convert(P)
    if a == "idx":
        return convert(np.array([2, 0], "int32"))
    return convert(SAMPLES[a[0]].T if a.endswith(".T") else SAMPLES[a])


def _id(row):
    name, args = row
    return f"{name}({','.join(map(repr, args))})"


def _compare(ours, theirs, K, what):
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), what
        for o, t in zip(ours, theirs):
            _compare(o, t, K, what)
        return
    want_dtype = K.backend.standardize_dtype(theirs.dtype)
    assert ops.dtype(ours) == want_dtype, f"{what}: {ops.dtype(ours)} != Keras's {want_dtype}"
    tol = 1e-12 if want_dtype == "float64" else 2e-6
    np.testing.assert_allclose(to_numpy(ours), K.ops.convert_to_numpy(theirs), rtol=tol, atol=tol, err_msg=what)


@pytest.mark.parametrize("convert", ["numpy", "tensor"])
@pytest.mark.parametrize("name,args", ROWS, ids=[_id(r) for r in ROWS])
def test_float64_op_matches_keras(name, args, convert):
    """Each op on NumPy values (``numpy``) or on tensors made by each library's ``convert_to_tensor``."""
    K = keras_module()
    ours_conv = (lambda x: x) if convert == "numpy" else ops.convert_to_tensor
    theirs_conv = (lambda x: x) if convert == "numpy" else K.ops.convert_to_tensor
    ours = getattr(ops, name)(*[_value(a, ours_conv) for a in args])
    theirs = getattr(K.ops, name)(*[_value(a, theirs_conv) for a in args])
    _compare(ours, theirs, K, _id((name, args)))


def test_a_float64_variable_and_regularizer_keep_float64_as_keras():
    K = keras_module()
    for value in (D, [1.5, 2.0], 1.5, F, I):
        want = K.backend.standardize_dtype(K.Variable(value).dtype)
        assert kerasport.backend.standardize_dtype(kerasport.Variable(value).dtype) == want, (value, want)
    ours, theirs = kerasport.regularizers.L1L2(0.1, 0.2)(D), K.regularizers.L1L2(0.1, 0.2)(D)
    assert ops.dtype(ours) == K.backend.standardize_dtype(theirs.dtype) == "float64"
    # Keras on TensorFlow multiplies by l1 and l2 rounded to float32 (a relative 1.5e-8 off the float64 sum)
    np.testing.assert_allclose(to_numpy(ours), K.ops.convert_to_numpy(theirs), rtol=1e-7)


def float64_data_in_layers_losses_metrics_and_fit(keras, sync):
    """A Dense layer, a loss, two metrics, ``fit`` / ``evaluate`` / ``predict`` on float64 NumPy data and on a
    float64 tensor: everything computes in float32, as Keras's layers, losses, metrics and data adapters cast."""
    ops, dtype = keras.ops, keras.backend.standardize_dtype
    x = np.random.RandomState(0).rand(16, 3)
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.25
    dense = keras.layers.Dense(2)
    out = dense(x)
    sync(dense)
    out = dense(x)
    weights = np.linspace(0.0, 1.0, 16)
    loss = keras.losses.MeanSquaredError()(y, y * 0.5, sample_weight=weights)
    bce = keras.losses.BinaryCrossentropy()(x > 0.5, x)
    mean, mae, auc = keras.metrics.Mean(), keras.metrics.MeanAbsoluteError(), keras.metrics.AUC(num_thresholds=20)
    mean.update_state(x)
    mae.update_state(y, np.float32(y) * 0.9, sample_weight=weights)
    auc.update_state(x > 0.5, x[::-1], sample_weight=np.ones((16, 1)))
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dense(4, activation="relu")(inputs)))
    sync(model)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    history_t = model.fit(ops.convert_to_tensor(x), ops.convert_to_tensor(y), batch_size=8, epochs=1,
                          shuffle=False, verbose=0)
    evaluated = model.evaluate(x, y, verbose=0)
    predicted = model.predict(x, verbose=0)
    predicted_t = model.predict(ops.convert_to_tensor(x), verbose=0)
    called = model(x)
    return {"dense": out, "dense dtype": dtype(out.dtype), "loss": loss, "loss dtype": dtype(loss.dtype),
            "bce": bce, "bce dtype": dtype(bce.dtype), "mean": mean.result(), "mean dtype": dtype(mean.result().dtype),
            "mae": mae.result(), "mae dtype": dtype(mae.result().dtype), "auc": auc.result(),
            "auc dtype": dtype(auc.result().dtype), "history": history.history, "history_t": history_t.history,
            "evaluated": evaluated, "predicted": predicted, "predicted dtype": str(predicted.dtype),
            "predicted_t": predicted_t, "predicted_t dtype": str(predicted_t.dtype), "called": called,
            "called dtype": dtype(called.dtype), "weights dtypes": " ".join(dtype(w.dtype) for w in model.weights)}


def test_float64_data_in_layers_losses_metrics_and_fit():
    check_program(float64_data_in_layers_losses_metrics_and_fit)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "RMSprop", "Adafactor"])
def test_optimizer_applies_float64_gradients_as_keras(optimizer):
    """A float64 NumPy gradient for a float32 variable, and float64 gradients for a float64 variable: Keras casts
    each gradient to its variable's dtype."""
    K = keras_module()
    results = []
    for lib in (kerasport, K):
        v32, v64 = lib.Variable(F[:2]), lib.Variable(D[:2])
        opt = getattr(lib.optimizers, optimizer)(learning_rate=0.1)
        for scale in (0.5, 0.25):
            opt.apply_gradients([(D[:2] * scale, v32), (lib.ops.convert_to_tensor(D[:2] * scale), v64)])
        results.append([(lib.backend.standardize_dtype(v.dtype), lib.ops.convert_to_numpy(v)) for v in (v32, v64)])
    for (dtype, got), (want_dtype, want) in zip(*results):
        assert dtype == want_dtype
        # Keras rounds the learning rate (a float32 variable) before its float64 update, and torch's fused Adam
        # orders its float32 arithmetic otherwise: about 1e-6 after two steps of 0.1
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=5e-6)
