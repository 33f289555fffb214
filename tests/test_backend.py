"""Backend selection, the contract, and the rule that the library never imports Keras; ``kerasport.backend``'s
``Variable``, ``name_scope`` and ``clear_session`` as in Keras."""
import ast
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import kerasport
from kerasport import backend, utils
from kerasport.backends import B, contract
from tests.helpers import keras_module

ROOT = pathlib.Path(kerasport.__file__).parent


def _run(code, backend):
    env = {**os.environ, "KERASPORT_BACKEND": backend}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_backend_name_matches_environment():
    assert kerasport.backend.backend() == os.environ.get("KERASPORT_BACKEND", "torch")
    assert B.NAME == kerasport.backend.backend()


def test_unknown_backend_lists_valid_names():
    out = _run("import kerasport", "mxnet")
    assert out.returncode != 0
    assert "'mxnet' is not a known backend" in out.stderr
    assert "tensorflow" in out.stderr and "torch" in out.stderr


@pytest.mark.parametrize("backend,other", [("torch", "tensorflow"), ("tensorflow", "torch")])
def test_importing_one_backend_never_imports_the_other(backend, other):
    code = ("import sys, kerasport, numpy as np\n"
            "m = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(2)])\n"
            "m.compile('adam', 'mse'); m.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)\n"
            f"print({other!r} in sys.modules, 'keras' in sys.modules)")
    out = _run(code, backend)
    assert out.returncode == 0, out.stderr
    other_imported, keras_imported = out.stdout.split()
    assert other_imported == "False"
    if backend == "torch":  # `import tensorflow` itself loads parts of keras; the AST test covers TF.
        assert keras_imported == "False"


def test_backend_implements_the_whole_contract():
    assert contract.missing(B) == []
    for name in set(contract.OPS) - {"shape"}:  # ops.shape also answers for symbolic tensors
        op = getattr(kerasport.ops, name)
        assert getattr(op, "__wrapped__", op) is getattr(B, name)


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_library_never_imports_keras():
    offenders = []
    for path in ROOT.rglob("*.py"):
        for name in _imports(path):
            if name.split(".")[0] in ("keras", "tf_keras") or name.startswith("tensorflow.keras") \
                    or "tf.keras" in path.read_text():
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_only_backends_import_a_framework():
    offenders = []
    for path in ROOT.rglob("*.py"):
        if "backends" in path.relative_to(ROOT).parts[:-1]:  # kerasport/backends/ and its backend packages
            continue
        for name in _imports(path):
            if name.split(".")[0] in ("torch", "tensorflow"):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_set_random_seed_repeats_weights_and_dropout():
    import numpy as np

    def run():
        kerasport.utils.set_random_seed(7)
        layer = kerasport.layers.Dense(4)
        layer.build((None, 3))
        drop = kerasport.layers.Dropout(0.5)
        return layer.get_weights()[0], B.convert_to_numpy(drop(B.ones((8, 8)), training=True))

    (w1, d1), (w2, d2) = run(), run()
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(d1, d2)
    with pytest.raises(ValueError, match="integer seed"):
        kerasport.utils.set_random_seed("seven")


def test_device_is_overridable_by_environment():
    out = _run("import kerasport; from kerasport.backends import B; "
               "print(kerasport.backend.device(), B.convert_to_tensor([1.0]).device if B.NAME == 'torch' else 'cpu')",
               "torch" if B.NAME == "torch" else "tensorflow")
    assert out.returncode == 0, out.stderr
    if B.NAME == "torch":
        env_out = subprocess.run([sys.executable, "-c", "import kerasport; print(kerasport.backend.device())"],
                                 env={**os.environ, "KERASPORT_BACKEND": "torch", "KERASPORT_DEVICE": "cpu"},
                                 capture_output=True, text=True, timeout=120)
        assert env_out.stdout.strip() == "cpu"
    else:
        assert "CPU" in out.stdout or "GPU" in out.stdout


def test_variable_factory():
    v = kerasport.Variable(np.array([1, 2]))
    assert isinstance(v, kerasport.Variable) and B.is_variable(v)
    assert backend.standardize_dtype(v.dtype) == "int64" and v.path == "variable"
    w = kerasport.Variable("ones", shape=(2, 3), trainable=False, name="w")
    np.testing.assert_array_equal(B.convert_to_numpy(w), np.ones((2, 3)))
    assert w.name.split(":")[0] == "w" and not w.trainable
    f = kerasport.Variable(np.zeros(2))  # a float64 array keeps its dtype, as in Keras 3
    assert backend.standardize_dtype(f.dtype) == "float64" and f.path == "variable_1"
    assert backend.standardize_dtype(kerasport.Variable(np.zeros(2, "float32")).dtype) == "float32"
    x = kerasport.Variable(kerasport.initializers.Constant(3.0), shape=(2,), dtype="float64")
    assert backend.standardize_dtype(x.dtype) == "float64"
    assert not isinstance(np.zeros(2), kerasport.Variable)
    with pytest.raises(ValueError, match="shape"):
        kerasport.Variable("zeros")
    with pytest.raises(ValueError, match="does not match"):
        kerasport.Variable(np.zeros(2), shape=(3,))


def test_variable_attributes_as_keras():
    v = kerasport.Variable(np.ones((2, 3), "float32"))
    assert (v.ndim, v.regularizer, v.overwrite_with_gradient) == (2, None, False)
    dense = kerasport.layers.Dense(2, kernel_regularizer="l2")
    dense.build((1, 3))
    assert isinstance(dense.kernel.regularizer, kerasport.regularizers.L2) and dense.bias.regularizer is None


def test_variable_dtype_of_a_value_is_keras_s():
    """``keras.Variable(3)`` is int32 and ``keras.Variable(np.float64(1.0))`` float64, as ``convert_to_tensor``
    makes them (Keras 3 on TensorFlow gives the same names; kerasport gave int64 and floatx)."""
    keras = keras_module()
    values = [3, 3.0, np.float64(1.0), np.int64(2), np.array([1, 2]), np.array([1.0, 2.0]), True, [1, 2], [1.0, 2.0],
              np.float32(0.5)]
    for value in values:
        ours = backend.standardize_dtype(kerasport.Variable(value).dtype)
        assert ours == keras.Variable(value).dtype, value


def test_variable_dtype_names_are_keras_names():
    """``keras.Variable(value, dtype="int")`` (keras.io's Swin Transformer keeps its position indices so): Keras's
    Python-type names, ``"int"`` is int64 on TensorFlow and int32 on torch; ``float`` is float32."""
    v = kerasport.Variable(initializer=np.arange(4).reshape(2, 2), shape=(2, 2), dtype="int", trainable=False)
    assert backend.standardize_dtype(v.dtype) == ("int64" if B.NAME == "tensorflow" else "int32")
    np.testing.assert_array_equal(B.convert_to_numpy(v), [[0, 1], [2, 3]])
    assert backend.standardize_dtype(kerasport.Variable(np.zeros(2, "float64"), dtype=float).dtype) == "float32"
    with pytest.raises(ValueError, match="dtype"):
        kerasport.Variable(np.zeros(2), dtype="int3")


def test_name_scope_matches_keras():
    keras = keras_module()
    paths = {}
    for mod in (keras, kerasport):
        with mod.name_scope("outer"):
            with mod.name_scope("inner"):
                v = mod.Variable(np.ones(2), name="w")
            layer = mod.layers.Dense(2, name="d")
            layer.build((None, 3))
        paths[mod] = (v.path, layer.kernel.path)
    assert paths[kerasport] == paths[keras] == ("outer/inner/w", "outer/d/kernel")
    with pytest.raises(ValueError, match="name"):
        kerasport.name_scope("")


def test_clear_session_resets_names():
    kerasport.layers.Dense(1)
    utils.clear_session()
    assert kerasport.layers.Dense(1).name == "dense"


def test_python_ints_are_int32_and_variable_values_are_copies_as_in_keras():
    """``ops.convert_to_tensor([[5, 2], [1, 3]])`` and ``ops.convert_to_tensor(5)`` are int32 on both backends, as Keras makes Python ints (a NumPy
    int64 array stays int64); ``convert_to_numpy(variable)`` is a snapshot that a later ``assign`` leaves alone."""
    assert backend.standardize_dtype(kerasport.ops.convert_to_tensor([[5, 2], [1, 3]]).dtype) == "int32"
    assert backend.standardize_dtype(kerasport.ops.convert_to_tensor(np.array([5, 2])).dtype) == "int64"
    for scalar, dtype in ((5, "int32"), (True, "bool"), (2.5, "float32"), (np.int64(5), "int64"), (2**40, "int64")):
        assert backend.standardize_dtype(kerasport.ops.convert_to_tensor(scalar).dtype) == dtype, scalar
    v = kerasport.Variable(np.zeros(2, "float32"))
    before = kerasport.ops.convert_to_numpy(v)
    v.assign_add(np.ones(2, "float32"))
    np.testing.assert_array_equal(before, [0.0, 0.0])
    np.testing.assert_array_equal(kerasport.ops.convert_to_numpy(v), [1.0, 1.0])


@pytest.mark.skipif(backend.backend() != "tensorflow", reason="AutoGraph is TensorFlow's")
def test_autograph_leaves_kerasport_code_alone_as_it_does_keras():
    """Inside a user's ``@tf.function`` (the researchers' guide's ``train_on_batch``), AutoGraph does not rewrite
    kerasport's layers, losses and optimizers, as TensorFlow does not rewrite Keras's: the first trace of a small
    training step took 14 s when it did."""
    from tensorflow.python.autograph.impl import conversion

    keras = keras_module()
    assert conversion.is_allowlisted(keras.layers.Dense.__call__)
    for fn in (kerasport.layers.Dense.__call__, kerasport.losses.SparseCategoricalCrossentropy.__call__,
               kerasport.optimizers.Adam.apply_gradients):
        assert conversion.is_allowlisted(fn), fn
    assert not conversion.is_allowlisted(test_autograph_leaves_kerasport_code_alone_as_it_does_keras)
