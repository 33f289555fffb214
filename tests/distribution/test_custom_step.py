"""An overridden ``train_step`` / ``test_step`` (Keras's TensorFlow idiom) under a local ``MirroredStrategy``.

The program is ``custom_step_program.py`` in a child process (2 logical CPU devices, made before TensorFlow
starts): kerasport and Keras 3 train the same custom-step model from the same weights under one strategy,
with ``BatchNormalization(synchronized=False)`` and ``(synchronized=True)``. As in Keras, the step runs once
per replica on its half of each batch, ``compute_loss`` is divided by the 2 replicas, ``optimizer.apply``
sums the gradients over them and the metrics are summed over them; the references are Keras under the same
strategy and kerasport on one device. The same custom step under 2 ``MultiWorkerMirroredStrategy`` workers
is tested in ``test_training_hooks.py``. Torch's custom steps under ``DataParallel`` are tested with torch's
data-parallel tests, so these tests are TensorFlow's.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kerasport
from kerasport.backends import NAME
from tests.distribution.launch import REPO, rank_env

pytestmark = pytest.mark.skipif(NAME != "tensorflow", reason="tf.distribute's replicas of an overridden step "
                                "(MirroredStrategy over local devices) are TensorFlow's")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("custom_step")
    env = rank_env(0, 1, [])
    del env["TF_CONFIG"]  # one process: the local devices, no cluster
    run = subprocess.run([sys.executable, "-m", "tests.distribution.custom_step_program", str(out)], env=env,
                         cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert run.returncode == 0, f"the custom-step program failed:\n{run.stdout[-3000:]}"
    return json.load(open(os.path.join(out, "custom.json")))


@pytest.fixture(scope="module")
def one_device():
    from tests.distribution import custom_step_program  # imports tensorflow: only under that backend
    return custom_step_program.run(custom_step_program.build(kerasport, synchronized=True))


def _max_diff(a, b):
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))


@pytest.mark.parametrize("synchronized", [False, True])
def test_custom_step_equals_keras_under_the_same_strategy(runs, synchronized):
    assert runs["replicas"] == [1, 2]
    ours, keras = runs[f"synchronized={synchronized}"]["kerasport"], runs[f"synchronized={synchronized}"]["keras"]
    assert _max_diff(ours["weights"], keras["weights"]) < 1e-5
    assert sorted(ours["history"]) == sorted(keras["history"]) == ["loss", "mae"]
    for key, values in keras["history"].items():
        np.testing.assert_allclose(ours["history"][key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    for key, value in keras["evaluate"].items():
        np.testing.assert_allclose(ours["evaluate"][key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(ours["moving"], keras["moving"], atol=1e-6)  # on each replica


def test_synchronized_batch_normalization_trains_as_one_device_with_the_global_batch(runs, one_device):
    ours = runs["synchronized=True"]["kerasport"]
    assert _max_diff(ours["weights"], one_device["weights"]) < 1e-5
    np.testing.assert_allclose(ours["history"]["mae"], one_device["history"]["mae"], rtol=1e-5)
    np.testing.assert_allclose(ours["evaluate"]["mae"], one_device["evaluate"]["mae"], rtol=1e-5)
    for replica in range(2):  # the moving statistics of the global batch, on both replicas
        for moving, expected in zip(ours["moving"], one_device["moving"]):
            np.testing.assert_allclose(moving[replica], expected[0], atol=1e-6)
    # The loss metric is fed compute_loss's value, divided by the 2 replicas (Keras reports the same).
    np.testing.assert_allclose(np.asarray(ours["history"]["loss"]) * 2, one_device["history"]["loss"], rtol=1e-5)
    np.testing.assert_allclose(ours["evaluate"]["loss"] * 2, one_device["evaluate"]["loss"], rtol=1e-5)


def test_batch_normalization_not_synchronized_keeps_each_replicas_statistics(runs, one_device):
    ours = runs["synchronized=False"]["kerasport"]
    for moving in ours["moving"]:  # each replica's moving statistics follow its own half of the batches
        assert np.abs(np.asarray(moving[0]) - np.asarray(moving[1])).max() > 1e-3
    # normalized with each half's statistics, the model trains otherwise than on one device
    assert _max_diff(ours["weights"], one_device["weights"]) > 1e-3
    assert ours["weights"][4] == ours["moving"][0][0]  # its saved weights are replica 0's, as Keras's


def test_steps_calling_super_train_as_one_device(runs):
    """``super().train_step(data)`` inside the replica runs the built-in step there, on the replica's half."""
    from tests.distribution import custom_step_program
    reference = custom_step_program.run(custom_step_program.build(kerasport, True, cls=custom_step_program.SuperStep))
    ours = runs["super_step"]
    assert _max_diff(ours["weights"], reference["weights"]) < 1e-5
    for key, values in reference["history"].items():
        np.testing.assert_allclose(ours["history"][key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    for key, value in reference["evaluate"].items():
        np.testing.assert_allclose(ours["evaluate"][key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    for replica0, replica1 in ours["moving"]:  # synchronized: the same on both replicas
        np.testing.assert_allclose(replica1, replica0, atol=1e-6)
