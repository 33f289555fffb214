"""Backend selection, the contract, and the rule that the library never imports Keras."""
import ast
import os
import pathlib
import subprocess
import sys

import pytest

import kerasport
from kerasport.backends import B, T, contract

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
    assert contract.missing(B, T) == []
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


def _sibling_imports(path, package, siblings):
    """(sibling, names) for each module-level import of a module of ``package`` from another of its modules."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:
                module = f"{package}.{module}" if module else package
            names = [alias.name for alias in node.names]
            if module == package:
                yield from ((name, []) for name in names if name in siblings)
            elif module.startswith(package + "."):
                yield module[len(package) + 1:], names


def test_backend_packages_are_layered():
    """A backend package (``kerasport/backends/<name>/``) has no star import, no module over 800 lines, no
    import of a sibling's ``_private`` name, and no import cycle between its modules."""
    packages = [p.parent for p in (ROOT / "backends").glob("*/__init__.py")]
    problems = []
    for directory in packages:
        package = f"kerasport.backends.{directory.name}"
        siblings = {p.stem for p in directory.glob("*.py")} - {"__init__"}
        graph = {}
        for path in directory.glob("*.py"):
            if any(alias.name == "*" for node in ast.walk(ast.parse(path.read_text()))
                   if isinstance(node, ast.ImportFrom) for alias in node.names):
                problems.append(f"{package}.{path.stem}: star import")
            if path.stem == "__init__":
                continue
            if len(path.read_text().splitlines()) > 800:
                problems.append(f"{package}.{path.stem}: over 800 lines")
            imports = list(_sibling_imports(path, package, siblings))
            graph[path.stem] = {sibling for sibling, _ in imports}
            problems += [f"{package}.{path.stem}: imports {sibling}.{name}" for sibling, names in imports
                         for name in names if name.startswith("_")]

        def reaches(start, target, seen):
            return any(m == target or (m not in seen and reaches(m, target, seen | {m})) for m in graph.get(start, ()))

        problems += [f"{package}.{module}: in an import cycle" for module in sorted(graph)
                     if reaches(module, module, set())]
    assert packages and problems == []
