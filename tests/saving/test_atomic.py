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
