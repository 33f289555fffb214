"""Test helpers: the standard checks every layer passes, and Keras as an oracle.

``run_layer_test`` builds the layer, calls it on symbolic and real inputs, checks
``compute_output_shape``, the ``get_config``/``from_config`` round trip and one
training step. ``keras_oracle`` copies the same weights into the Keras layer of
the same name and compares outputs and gradients.
"""
import fcntl
import hashlib
import os
import pickle
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import kerasport
from kerasport import ops
from kerasport.backends import B

KERAS_BACKEND = "tensorflow"


def keras_module():
    """Real Keras 3 (TensorFlow backend) as the oracle, or skip when it is not installed."""
    os.environ.setdefault("KERAS_BACKEND", KERAS_BACKEND)
    return pytest.importorskip("keras")


def to_numpy(x):
    return B.convert_to_numpy(x)


def run_layer_test(layer_cls, init_kwargs, input_shape, input_dtype="float32", expected_output_shape=None,
                   train=True, input_data=None, call_kwargs=None):
    """The shared checks: build, symbolic + eager call, output shape, config round trip, one fit step."""
    call_kwargs = call_kwargs or {}
    rng = np.random.RandomState(0)
    if input_data is None:
        if "int" in input_dtype:
            input_data = rng.randint(0, 5, size=input_shape).astype(input_dtype)
        else:
            input_data = rng.randn(*input_shape).astype(input_dtype)
    layer = layer_cls(**init_kwargs)
    out = layer(B.convert_to_tensor(input_data), **call_kwargs)
    out_shape = tuple(B.shape(out))
    if expected_output_shape is not None:
        assert out_shape == tuple(expected_output_shape), (out_shape, expected_output_shape)
    # compute_output_shape agrees with the real output (batch dim unknown).
    computed = layer.compute_output_shape((None,) + tuple(input_shape[1:]))
    assert tuple(computed)[1:] == out_shape[1:], (computed, out_shape)
    # Symbolic call inside a Functional model.
    inp = kerasport.Input(shape=input_shape[1:], dtype=input_dtype)
    sym = layer_cls(**init_kwargs)(inp, **call_kwargs)
    assert tuple(sym.shape)[1:] == out_shape[1:]
    # Config round trip gives an equivalent layer.
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config
    clone(B.convert_to_tensor(input_data), **call_kwargs)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_numpy(clone(B.convert_to_tensor(input_data), **call_kwargs)), to_numpy(out),
                               rtol=1e-5, atol=1e-5)
    if train:
        model = kerasport.Model(inp, sym)
        model.compile(optimizer="sgd", loss="mse")
        target = rng.randn(*out_shape).astype("float32")
        before = [w.copy() for w in model.get_weights()]
        loss = model.train_on_batch(input_data, target)
        assert np.isfinite(loss)
        if model.trainable_weights:
            after = model.get_weights()
            assert any(not np.allclose(a, b) for a, b in zip(before, after)), "one training step changed nothing"
    return layer, out


def _forward_backward(layer, inputs, weights_out, call_kwargs=None):
    """Our layer's output and the gradients of ``sum(output * weights_out)`` w.r.t. inputs and trainable weights."""
    if B.NAME == "torch":
        import torch
        xs = [torch.tensor(x, requires_grad=True) for x in inputs]
        out = layer(xs if len(xs) > 1 else xs[0], **(call_kwargs or {}))
        grads = torch.autograd.grad((out * torch.tensor(weights_out)).sum(), xs + list(layer.trainable_weights))
    else:
        import tensorflow as tf
        xs = [tf.constant(x) for x in inputs]
        with tf.GradientTape() as tape:
            tape.watch(xs)
            out = layer(xs if len(xs) > 1 else xs[0], **(call_kwargs or {}))
            loss = tf.reduce_sum(out * weights_out)
        grads = tape.gradient(loss, xs + list(layer.trainable_weights))
    return to_numpy(out), [to_numpy(g) for g in grads]


# What TensorFlow's Eigen CPU kernels (no oneDNN: TF_ENABLE_ONEDNN_OPTS=0, CPUs without AVX-512) say
# about the ops they lack.
MISSING_TF_KERNEL = re.compile("not supported on CPU|do not yet support|does not support|only supports")


def keras_reference(keras_layer, inputs, call_kwargs=None):
    """Keras's output ``y`` for ``inputs`` (a list of arrays), the random cotangent ``r`` (seed 1, ``y``'s shape)
    and the gradients of ``sum(y * r)`` w.r.t. every input and every trainable weight, as numpy arrays.

    Keras runs on TensorFlow, in this process. Where this machine's TensorFlow kernels cannot run the
    layer (``MISSING_TF_KERNEL``), the same layer with the same weights runs under Keras's torch
    backend in a child process (``tests/keras_torch_oracle.py``): the reference is computed another
    way, never skipped.
    """
    import tensorflow as tf
    kx = [tf.constant(x) for x in inputs]
    try:
        with tf.GradientTape() as tape:
            tape.watch(kx)
            kout = keras_layer(kx if len(kx) > 1 else kx[0], **(call_kwargs or {}))
            r = np.random.RandomState(1).randn(*kout.shape).astype("float32")
            kloss = tf.reduce_sum(kout * r)
        kgrads = tape.gradient(kloss, kx + list(keras_layer.trainable_weights))
        return kout.numpy(), r, [g.numpy() for g in kgrads]
    except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError) as e:
        if not MISSING_TF_KERNEL.search(str(e)):
            raise
    keras = keras_module()
    return _keras_on_torch(dict(layer=keras.layers.serialize(keras_layer), weights=keras_layer.get_weights(),
                                inputs=list(inputs), call_kwargs=call_kwargs or {}))


def keras_predict(model, inputs):
    """Keras's ``model(inputs, training=False)`` for a list of input arrays, as a list of numpy arrays.

    Where this machine's TensorFlow kernels cannot run the model (``MISSING_TF_KERNEL``), a ``.keras``
    copy of it runs under Keras's torch backend in a child process instead, as in ``keras_reference``.
    """
    import tensorflow as tf
    try:
        out = model(inputs if len(inputs) > 1 else inputs[0], training=False)
        return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]
    except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError) as e:
        if not MISSING_TF_KERNEL.search(str(e)):
            raise
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        return _keras_on_torch(dict(model=path, inputs=list(inputs)))


def shared_answer(key, compute, kernels=True):
    """``compute()``, an oracle's picklable answer named ``key``, computed once per ``make test`` run.

    ``make test`` (``tools/run_tests.py``) runs each backend's tests in pytest processes of their own, and
    the Keras oracle gives the same answer in all of them. So where ``KERASPORT_TEST_ORACLE_CACHE`` names a
    folder (fresh for each run), the first process that needs the answer computes and stores it there, and
    the others wait for it and read it. With ``kernels`` the answer depends on TensorFlow's CPU kernels, so
    the ``TF_ENABLE_ONEDNN_OPTS=0`` pass computes its own. Without the folder, or with ``key`` None (an
    answer with no name that is the same in every process), ``compute()`` runs each time.
    """
    folder = os.environ.get("KERASPORT_TEST_ORACLE_CACHE")
    if not folder or key is None:
        return compute()
    name = f"{key}|TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', '') if kernels else 'any'}"
    path = os.path.join(folder, hashlib.sha256(name.encode()).hexdigest() + ".pkl")
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(path):
            with open(path, "rb") as f:
                return pickle.load(f)
        answer = _plain(compute())
        with open(path + ".tmp", "wb") as f:
            pickle.dump(answer, f)
        os.replace(path + ".tmp", path)
        return answer


def _plain(x):
    """``x`` with its lists, tuples and dicts as the built-in types (Keras's tracked containers do not unpickle)."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    if isinstance(x, tuple) and not hasattr(x, "_fields"):
        return tuple(_plain(v) for v in x)
    return x


def _keras_on_torch(request):
    """The answer of ``tests/keras_torch_oracle.py`` (Keras, torch backend, in a child process) to ``request``."""
    child = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "keras_torch_oracle.py")],
                           input=pickle.dumps(request), capture_output=True, timeout=300,
                           env=dict(os.environ, KERAS_BACKEND="torch"))
    assert child.returncode == 0, child.stderr.decode()[-3000:]
    return pickle.loads(child.stdout)


def keras_oracle(layer, keras_layer, inputs, grads=True, perm=None, atol=1e-5, rtol=1e-4, call_kwargs=None):
    """Compare ``layer`` with ``keras_layer`` (real Keras 3, TensorFlow backend) on the same weights.

    Both are built on ``inputs`` (an array or a list of arrays), Keras's weights are copied into
    ``layer``, and the outputs must match; with ``grads``, so must the gradients of
    ``sum(output * r)`` (``r`` random) w.r.t. every input and every trainable weight (Keras's side comes
    from ``keras_reference``, so configs that TensorFlow cannot run here still get an oracle). ``perm`` runs
    Keras on transposed inputs (e.g. a channels_last oracle for a channels_first layer): inputs and
    outputs are transposed by ``perm`` on the way to Keras and back with its inverse. ``call_kwargs``
    (e.g. ``{"training": True}``) go to both calls.
    """
    inputs = [np.asarray(x) for x in (inputs if isinstance(inputs, list) else [inputs])]
    inv = None if perm is None else tuple(np.argsort(perm))
    kout, r, kgrads = keras_reference(keras_layer, [x if perm is None else np.transpose(x, perm) for x in inputs],
                                      call_kwargs)
    back = (lambda a: a) if perm is None else (lambda a: np.transpose(a, inv))
    layer(B.convert_to_tensor(inputs[0]) if len(inputs) == 1 else [B.convert_to_tensor(x) for x in inputs])
    layer.set_weights(keras_layer.get_weights())
    out, ours = _forward_backward(layer, inputs, back(r), call_kwargs)
    np.testing.assert_allclose(out, back(kout), atol=atol, rtol=rtol)
    if grads:
        expected = [back(g) for g in kgrads[:len(inputs)]] + kgrads[len(inputs):]
        assert len(ours) == len(expected)
        for got, want in zip(ours, expected):
            np.testing.assert_allclose(got, want, atol=atol, rtol=rtol)
    return out
