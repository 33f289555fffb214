"""Each script in examples/ runs to the end under the current backend (short runs: KERASPORT_EXAMPLE_FAST=1)."""
import os
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")
SCRIPTS = ["cnn_image_classifier.py", "sequence_classifier.py", "regression_with_callbacks.py",
           "subclassed_model.py", "augmentation_in_the_model.py", "data_parallel.py",
           "transfer_learning.py"]
LAST_LINE = {"cnn_image_classifier.py": "most confused:", "sequence_classifier.py": "P(positive |",
             "regression_with_callbacks.py": "best model on the test set:", "subclassed_model.py": "test: loss",
             "augmentation_in_the_model.py": "test loss", "data_parallel.py": "final: loss",
             "transfer_learning.py": "test accuracy"}


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs(script, tmp_path):
    env = dict(os.environ, KERASPORT_EXAMPLE_FAST="1", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, os.path.join(EXAMPLES, script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1].startswith(LAST_LINE[script]), done.stdout[-2000:]
    assert list(tmp_path.iterdir()) == [], "examples must not leave files behind"
