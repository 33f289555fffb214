"""The same model, initial weights and data give the same 20 losses on torch and on TensorFlow."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np

SCRIPT = pathlib.Path(__file__).with_name("_same_numbers.py")


def _losses(backend):
    env = {**os.environ, "KERASPORT_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300,
                         cwd=SCRIPT.parents[2])
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_twenty_steps_match_across_backends_for_every_optimizer():
    torch_losses, tf_losses = _losses("torch"), _losses("tensorflow")
    assert set(torch_losses) == {"sgd", "adam", "adamw", "rmsprop"}
    for name in torch_losses:
        a, b = np.array(torch_losses[name]), np.array(tf_losses[name])
        assert len(a) == 20 and a[-1] < a[0], name  # it trains
        np.testing.assert_allclose(a, b, rtol=1e-4, err_msg=name)
