"""``tools/run_tests.py``, the scheduler of ``make test``: its shards cover the suite, and a shard that fails
or collects nothing fails the run, with every log printed."""
import glob
import importlib.util
import io
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def runner():
    spec = importlib.util.spec_from_file_location("run_tests", os.path.join(ROOT, "tools", "run_tests.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _covering(paths, test_file):
    return [p for p in paths if test_file == p or test_file.startswith(p.rstrip("/") + "/")]


def _text(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def test_each_test_file_runs_once_per_backend_and_the_eigen_pass_exists(runner):
    jobs = runner.plan()
    files = sorted(os.path.relpath(f, ROOT) for f in glob.glob(os.path.join(ROOT, "tests", "**", "test_*.py"),
                                                                 recursive=True))
    assert len(files) > 100
    for backend in runner.BACKENDS:
        default = [(name, args) for b, name, extra, args in jobs if b == backend and not extra]
        rest = [args for name, args in default if name == "rest"]
        assert len(rest) == 1 and rest[0][0] == "tests"
        ignored = [a.split("=", 1)[1] for a in rest[0][1:]]
        named = [p for name, args in default if name != "rest" for p in args]
        assert sorted(ignored) == sorted(named)
        for f in files:
            assert len(_covering(named, f)) <= 1, f  # never twice in one pass
        eigen = [args for b, name, extra, args in jobs if b == backend and extra == {"TF_ENABLE_ONEDNN_OPTS": "0"}]
        eigen_files = [p for args in eigen for p in args]
        musts = ["tests/layers/test_conv.py"]
        if backend == "tensorflow":  # kerasport's kernels change too (torch: only the oracle's, see EIGEN)
            musts += ["tests/saving/test_interop.py", "tests/programs/test_keras_programs.py"]
            musts += [f for f in files if f.startswith("tests/keras_io/") and "Conv" in _text(f)]  # Eigen's gaps
        for must in musts:
            assert len(_covering(eigen_files, must)) == 1, (backend, must)
        assert all(os.path.exists(os.path.join(ROOT, p)) for p in named + eigen_files)
    costs = [runner.COST.get(job[:2], 0) for job in jobs]
    assert costs == sorted(costs, reverse=True)


def _write(folder, name, body):
    folder.mkdir()
    (folder / name).write_text(body)
    return str(folder)


def test_failures_and_empty_shards_fail_the_run_and_every_log_is_printed(runner, tmp_path):
    good = _write(tmp_path / "good", "test_good.py", "def test_ok():\n    assert 1 + 1 == 2\n")
    bad = _write(tmp_path / "bad", "test_bad.py", "def test_wrong():\n    assert 1 + 1 == 3\n")
    empty = _write(tmp_path / "empty", "notes.txt", "no tests here\n")
    out = io.StringIO()
    assert runner.run(sys.executable, [("torch", "good", {}, [good])], 2, out=out) == 0
    assert "1 passed" in out.getvalue() and "ok" in out.getvalue()
    out = io.StringIO()
    jobs = [("torch", "good", {}, [good]), ("tensorflow", "bad", {"X": "1"}, [bad]), ("torch", "empty", {}, [empty])]
    assert runner.run(sys.executable, jobs, 2, out=out) == 1
    text = out.getvalue()
    assert "=== KERASPORT_BACKEND=torch good ===" in text and "1 passed" in text
    assert "=== KERASPORT_BACKEND=tensorflow X=1 bad ===" in text and "1 failed" in text
    assert "pytest collected no test (KERASPORT_BACKEND=torch empty)" in text
    assert "FAILED (exit 1)" in text and "FAILED (exit 5)" in text


def test_shared_answer_is_computed_once_per_run_and_kind_of_kernels(tmp_path, monkeypatch):
    from tests.helpers import shared_answer
    calls = []

    def compute():
        calls.append(1)
        return {"loss": [0.5, 0.25], "n": len(calls)}

    monkeypatch.delenv("KERASPORT_TEST_ORACLE_CACHE", raising=False)
    assert shared_answer("k", compute)["n"] == 1 and shared_answer("k", compute)["n"] == 2  # no folder: every time
    monkeypatch.setenv("KERASPORT_TEST_ORACLE_CACHE", str(tmp_path))
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    assert shared_answer("k", compute) == {"loss": [0.5, 0.25], "n": 3}
    assert shared_answer("k", compute)["n"] == 3 and len(calls) == 3  # stored: read, not computed
    assert shared_answer("other", compute)["n"] == 4
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert shared_answer("k", compute)["n"] == 5  # the other kind of kernels computes its own
    assert shared_answer("k", compute, kernels=False)["n"] == 6
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS")
    assert shared_answer("k", compute, kernels=False)["n"] == 6
    with pytest.raises(ZeroDivisionError):
        shared_answer("fails", lambda: 1 / 0)
    assert shared_answer("fails", compute)["n"] == 7  # a failed computation stores nothing
    assert shared_answer(None, compute)["n"] == 8 and shared_answer(None, compute)["n"] == 9  # no name: no sharing
