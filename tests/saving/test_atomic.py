"""Saves are atomic: a process killed at any point while saving leaves a loadable file."""
import os
import random
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kerasport
from kerasport.saving.atomic import atomic_write

SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import kerasport
    model = kerasport.Sequential([kerasport.Input((64,)), kerasport.layers.Dense(512, activation="relu"),
                                  kerasport.layers.Dense(512), kerasport.layers.Dense(4)])
    model.set_weights([np.full(w.shape, 0.01, "float32") for w in model.get_weights()])
    model.compile("adam", "mse")
    path = sys.argv[1]
    model.save(path)
    print("ready", flush=True)
    while True:
        model.save(path)
        model.save_weights(path.replace(".h5", ".weights.h5"))
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_saver_always_leaves_a_loadable_file(tmp_path):
    path = tmp_path / "m.h5"
    hidden = 64 * 0.01 + 0.01  # every weight and bias is 0.01, the input is ones
    hidden = 512 * hidden * 0.01 + 0.01
    expected = np.full((1, 4), 512 * hidden * 0.01 + 0.01, "float32")
    rng = random.Random(0)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE,
                                env={**os.environ, "KERASPORT_BACKEND": "torch"}, text=True)
        assert proc.stdout.readline().strip() == "ready"
        try:
            proc.wait(timeout=rng.uniform(0.0, 0.5))
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        model = kerasport.models.load_model(path)
        np.testing.assert_allclose(model.predict(np.ones((1, 64), "float32"), verbose=0), expected, rtol=1e-5)
        if (tmp_path / "m.weights.h5").exists():
            model.load_weights(tmp_path / "m.weights.h5")


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            with open(tmp, "wb") as f:
                f.write(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_next_save_removes_only_its_own_stale_temporary_files(tmp_path):
    dead = _dead_pid()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = [f".m.h5.{dead}.0a1b2c3d.tmp", f".m.h5.{dead}.ffffffff.tmp"]
        kept = [f".m.h5.{sleeper.pid}.0a1b2c3d.tmp",  # a save still running in another process
                f".other.h5.{dead}.0a1b2c3d.tmp", f".m.h5.{dead}.notahex1.tmp", f"m.h5.{dead}.0a1b2c3d.tmp",
                ".m.h5.tmp", "notes.txt", f".m.h5.{dead}.0a1b2c3d.tmp.bak"]
        for name in stale + kept:
            (tmp_path / name).write_bytes(b"x" * 100)
        model = kerasport.Sequential([kerasport.Input((2,)), kerasport.layers.Dense(1)])
        model.save(tmp_path / "m.h5")
        assert sorted(os.listdir(tmp_path)) == sorted(kept + ["m.h5"])
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_leftovers_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "m.h5"
    proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE,
                            env={**os.environ, "KERASPORT_BACKEND": "torch"}, text=True)
    assert proc.stdout.readline().strip() == "ready"
    try:
        for _ in range(2000):
            if any(n.endswith(".tmp") for n in os.listdir(tmp_path)):
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    if not any(n.endswith(".tmp") for n in os.listdir(tmp_path)):
        pytest.skip("the saver was not caught mid-write")
    model = kerasport.models.load_model(path)
    model.save(path)
    model.save_weights(tmp_path / "m.weights.h5")
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
