"""Several local replicas in one TensorFlow process (``MirroredStrategy``), on 2 logical CPU devices.

The program is ``mirrored_program.py``, in a child process (the logical devices must be made
before TensorFlow starts): 17 samples, global batch 8 (the last batch, 1 sample, leaves
replica 1 an empty share), 3 epochs with validation, evaluate and predict, once with
``DataParallel(devices=["cpu:0", "cpu:1"])`` and once with TensorFlow's
``with strategy.scope():`` idiom; the first also fits with ``steps_per_execution`` and runs
``*_on_batch``. The reference is the same functions in this process on one device.
Torch runs one device per process (``test_data_parallel.py``), so these tests are TensorFlow's.
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

pytestmark = pytest.mark.skipif(NAME != "tensorflow", reason="several devices per process is TensorFlow's "
                                "MirroredStrategy; torch runs one device per process (test_data_parallel.py)")


@pytest.fixture(scope="module")
def reference():
    from tests.distribution import dp_program, mirrored_program  # imports tensorflow: only under that backend
    return mirrored_program.run(dp_program.build())


def _child(out, scenario):
    env = rank_env(0, 1, [])
    del env["TF_CONFIG"]  # one process: the local devices, no cluster
    run = subprocess.run([sys.executable, "-m", "tests.distribution.mirrored_program", str(out), scenario], env=env,
                         cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=240)
    assert run.returncode == 0, f"the {scenario} program failed:\n{run.stdout[-3000:]}"
    return json.load(open(os.path.join(out, f"{scenario}.json")))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("mirrored")
    return {scenario: _child(out, scenario) for scenario in ("data_parallel", "scope")}


@pytest.fixture(params=["data_parallel", "scope"])
def mirrored(request, runs):
    return runs[request.param]


def _max_diff(a, b):
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))


def test_two_replicas_in_one_process_over_both_logical_devices(mirrored):
    assert mirrored["devices"] == ["cpu:0", "cpu:1"]
    assert (mirrored["num_processes"], mirrored["num_replicas"]) == (1, 2)
    assert mirrored["default_replicas"] == 2  # DataParallel() takes every local device, as Keras's does
    assert mirrored["weight_replicas"] == [2, 2, 2, 2]  # every weight mirrored on both devices
    assert mirrored["replica_weight_gap"] == 0.0  # and updated identically


def test_weights_after_3_epochs_equal_one_device(mirrored, reference):
    from tests.distribution import dp_program
    assert _max_diff(mirrored["weights"], reference["weights"]) < 1e-5
    assert _max_diff(mirrored["weights"], dp_program.build().get_weights()) > 1e-3  # it trained


def test_history_evaluate_and_predict_equal_one_device(mirrored, reference):
    assert sorted(mirrored["history"]) == sorted(reference["history"]) == ["loss", "mae", "val_loss", "val_mae"]
    for key, values in reference["history"].items():
        np.testing.assert_allclose(mirrored["history"][key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    for key, value in reference["evaluate"].items():
        np.testing.assert_allclose(mirrored["evaluate"][key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(mirrored["predict"], reference["predict"], atol=1e-5)
    assert len(mirrored["predict"]) == 17


def test_evaluate_counts_every_sample_once(mirrored, reference):
    total, count = mirrored["loss_states"]
    assert sum(count) == sum(reference["loss_states"][1]) == 17.0
    np.testing.assert_allclose(sum(total), sum(reference["loss_states"][0]), rtol=1e-5)


def test_steps_per_execution_loop_equals_one_device(runs):
    from tests.distribution import dp_program, mirrored_program
    looped, reference = runs["data_parallel"]["looped"], mirrored_program.looped(dp_program.build())
    assert _max_diff(looped["weights"], reference["weights"]) < 1e-5
    for key, values in reference["history"].items():
        np.testing.assert_allclose(looped["history"][key], values, rtol=1e-5, atol=1e-6, err_msg=key)


def test_on_batch_logs_cover_the_whole_batch(runs):
    from tests.distribution import dp_program, mirrored_program
    got, reference = runs["data_parallel"]["on_batch"], mirrored_program.on_batch(dp_program.build())
    assert _max_diff(got["weights"], reference["weights"]) < 1e-5
    for kind in ("train", "test"):
        assert sorted(got[kind]) == ["loss", "mae"]
        for key, value in reference[kind].items():
            np.testing.assert_allclose(got[kind][key], value, rtol=1e-5, atol=1e-6, err_msg=f"{kind} {key}")


def test_model_built_before_the_distribution_is_refused(runs):
    message = runs["data_parallel"]["early_error"]
    assert "2 local devices" in message and "created before" in message and "set_distribution" in message


@pytest.mark.parametrize("devices", [["cpu:0", "gpu:7"], ["tpu:0"], []])
def test_devices_not_on_this_machine_are_refused(devices):
    with pytest.raises(ValueError, match=r"expects some of this machine's devices \['cpu:0'.*received"):
        kerasport.distribution.DataParallel(devices=devices)
    assert kerasport.distribution.distribution() is None


def test_several_devices_per_worker_are_refused_before_joining(monkeypatch):
    """MultiWorkerMirroredStrategy gives each worker one CPU device: several local devices per worker are refused
    with what to do instead, before any strategy is made (no peer is waited for)."""
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]},
                                                "task": {"type": "worker", "index": 0}}))
    with pytest.raises(NotImplementedError, match=r"one device per worker process, received DataParallel\(devices="
                       r"\['cpu:0', 'cpu:1'\]\)\. MultiWorkerMirroredStrategy gives each worker a single CPU device.*"
                       r"Start one worker per device"):
        kerasport.distribution.DataParallel(devices=["cpu:0", "cpu:1"])
    assert kerasport.distribution.distribution() is None
