"""The backend's multi-tensor primitives (``foreach_*``) against NumPy: in place on variables, new values for tensors."""
import numpy as np
import pytest

from kerasport.backends import B

SHAPES = [(3, 4), (5,)]
RNG = np.random.RandomState(0)
X, Y, Z = ([(RNG.uniform(0.5, 2.0, s) * RNG.choice([-1, 1], s)).astype("float32") for s in SHAPES] for _ in range(3))
P = [np.abs(z) for z in Z]

# name, (list arguments), scalar arguments, NumPy reference
CASES = [
    ("foreach_abs", (X,), {}, lambda x: np.abs(x)),
    ("foreach_add", (X, Y), {"alpha": -0.5}, lambda x, y: x - 0.5 * y),
    ("foreach_add_", (X, Y), {"alpha": 2.0}, lambda x, y: x + 2.0 * y),
    ("foreach_add_", (X,), {"other": 0.25}, lambda x: x + 0.25),
    ("foreach_addcdiv_", (X, Y, Z), {"value": -0.3}, lambda x, a, b: x - 0.3 * a / b),
    ("foreach_addcmul", (X, Y, Z), {"value": 0.7}, lambda x, a, b: x + 0.7 * a * b),
    ("foreach_addcmul_", (X, Y, Z), {}, lambda x, a, b: x + a * b),
    ("foreach_clamp_max", (X,), {"other": 1.0}, lambda x: np.minimum(x, 1.0)),
    ("foreach_clamp_min", (X,), {"other": -1.0}, lambda x: np.maximum(x, -1.0)),
    ("foreach_div", (X, Y), {}, lambda x, y: x / y),
    ("foreach_div_", (X,), {"other": 4.0}, lambda x: x / 4.0),
    ("foreach_lerp", (X, Y), {"weight": 0.1}, lambda x, y: x + 0.1 * (y - x)),
    ("foreach_lerp_", (X, Y), {"weight": 0.9}, lambda x, y: x + 0.9 * (y - x)),
    ("foreach_maximum_", (X, Y), {}, np.maximum),
    ("foreach_mean", (X,), {}, np.mean),
    ("foreach_mean", (X,), {"axis": -1, "keepdims": True}, lambda x: x.mean(-1, keepdims=True)),
    ("foreach_mean", (X,), {"axis": 0}, lambda x: x.mean(0)),
    ("foreach_mul", (X, Y), {}, lambda x, y: x * y),
    ("foreach_mul_", (X,), {"other": -3.0}, lambda x: -3.0 * x),
    ("foreach_norm", (X,), {}, np.linalg.norm),
    ("foreach_pow", (P,), {"exponent": -0.5}, lambda x: x ** -0.5),
    ("foreach_sign_", (X,), {}, np.sign),
    ("foreach_sqrt", (P,), {}, np.sqrt),
    ("foreach_sqrt_", (P,), {}, np.sqrt),
    ("foreach_zero_", (X,), {}, np.zeros_like),
]


@pytest.mark.parametrize("name,arrays,kwargs,reference", CASES, ids=[c[0] + str(i) for i, c in enumerate(CASES)])
@pytest.mark.parametrize("target", ["variables", "tensors"])
def test_primitive_matches_numpy(name, arrays, kwargs, reference, target):
    # a tensor may share the array's memory (torch.from_numpy), and the in-place forms write it: convert a copy
    make = (lambda a: B.variable(a, trainable=False)) if target == "variables" else (
        lambda a: B.convert_to_tensor(a.copy()))
    xs = [make(a) for a in arrays[0]]
    others = [[B.convert_to_tensor(a) for a in arg] for arg in arrays[1:]]
    with B.no_grad():
        out = getattr(B, name)(xs, *others, **kwargs)
    want = [reference(*group) for group in zip(*arrays)]
    assert len(out) == len(xs)
    for got, expected in zip(out, want):
        np.testing.assert_allclose(B.convert_to_numpy(got), expected, rtol=1e-6, atol=1e-6)
    if target == "variables":  # the in-place forms update them and return them; the others leave them as they were
        in_place = name.endswith("_")
        for x, original, expected in zip(xs, arrays[0], want):
            np.testing.assert_allclose(B.convert_to_numpy(x), expected if in_place else original, rtol=1e-6,
                                       atol=1e-6)
        assert all((o is x) == in_place for o, x in zip(out, xs))


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "adamax", "nadam", "rmsprop", "adagrad", "adadelta",
                                  "lion", "ftrl", "lamb", "adafactor"])
def test_an_embedding_gradient_trains_with_every_optimizer(name):
    """An Embedding's gradient (``tf.IndexedSlices`` on TensorFlow) goes through each update rule."""
    import kerasport
    model = kerasport.Sequential([kerasport.Input((5,), dtype="int32"), kerasport.layers.Embedding(20, 4),
                                  kerasport.layers.GlobalAveragePooling1D(), kerasport.layers.Dense(1)])
    model.compile(optimizer=name, loss="mse")
    before = model.layers[0].get_weights()[0].copy()
    x = np.random.default_rng(0).integers(0, 20, (16, 5)).astype("int32")
    history = model.fit(x, np.ones((16, 1), "float32"), batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.allclose(model.layers[0].get_weights()[0], before)


def _keras_adam(w, m, v, v_hat, g, lr, beta_1, beta_2, epsilon, step):
    m, v = m + (g - m) * (1 - beta_1), v + (g * g - v) * (1 - beta_2)
    v_hat = None if v_hat is None else np.maximum(v_hat, v)
    alpha = lr * np.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
    return w - alpha * m / (np.sqrt(v if v_hat is None else v_hat) + epsilon), m, v, v_hat


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_fused_adam_is_keras_adam_or_declines_unchanged(amsgrad, dtype):
    """Torch fuses float32 Adam: three steps give Keras's numbers. Elsewhere it declines and changes nothing
    (``Adam.update`` then writes the rule with the primitives)."""
    rng = np.random.RandomState(1)
    w = [rng.randn(*s).astype(dtype) for s in SHAPES]
    state = [[np.zeros(s, dtype) for s in SHAPES] for _ in range(3)]
    slots = [[B.variable(a, trainable=False) for a in arrays] for arrays in state]
    variables = [B.variable(a, trainable=False) for a in w]
    ran = []
    for step in (1, 2, 3):
        grads = [rng.randn(*s).astype(dtype) for s in SHAPES]
        with B.no_grad():
            tensors = [B.transpose(B.convert_to_tensor(np.ascontiguousarray(g.T))) for g in grads]  # views on torch
            ran.append(B.fused_adam_(variables, tensors, slots[0], slots[1],
                                     slots[2] if amsgrad else None, 0.01, 0.9, 0.999, 1e-7, step))
        if not ran[-1]:
            break
        for i, g in enumerate(grads):
            w[i], state[0][i], state[1][i], v_hat = _keras_adam(
                w[i].astype("float64"), state[0][i], state[1][i], state[2][i] if amsgrad else None, g, 0.01, 0.9,
                0.999, 1e-7, step)
            if amsgrad:
                state[2][i] = v_hat
    from kerasport.backends import backend
    assert ran == ([True] * 3 if backend() == "torch" and dtype == "float32" else [False])
    for var, expected in zip(variables + [s for group in slots for s in group], w + [a for g in state for a in g]):
        np.testing.assert_allclose(B.convert_to_numpy(var), np.asarray(expected, dtype), rtol=1e-5, atol=1e-6)
