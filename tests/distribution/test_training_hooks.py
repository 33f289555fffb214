"""Data-parallel ``fit`` in 2 processes on 127.0.0.1 (torch: gloo; TensorFlow: MultiWorkerMirroredStrategy).

The program is ``dp_program.py``: 17 samples, global batch 8 (the last batch, 1 sample,
leaves rank 1 an empty shard), 3 epochs with validation (7 samples in batches of 6: 3 + 3,
then 1 + 0) and an evaluate (batches of 5: the last one, 2, splits 1 + 1). The reference is
the same program in this process, without a distribution.
"""
import json
import os

import numpy as np
import pytest

import kerasport
from kerasport.backends import NAME
from tests.distribution import dp_program
from tests.distribution.launch import launch
from tests.helpers import keras_module


def _results(out, scenario):
    return [json.load(open(os.path.join(out, "results", f"{scenario}_rank{r}.json"))) for r in range(2)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return dp_program.train(str(tmp_path_factory.mktemp("single")), 0)


torch_only = pytest.mark.skipif(kerasport.backend.backend() != "torch",
                                reason="DistributedDataParallel and the PyTorch train_step idiom are torch's "
                                       "(TensorFlow's distributed custom steps are tested with its strategy)")


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """The ``train`` scenario: its results, and the outputs of its 2 processes (which end in rank 1's error)."""
    out = tmp_path_factory.mktemp("two_ranks")
    runs = launch(["-m", "tests.distribution.dp_program", str(out), "train"])
    written = os.listdir(out / "results") if os.path.isdir(out / "results") else []
    assert len([name for name in written if name.startswith("train_")]) == 2, \
        "a rank failed before its results:\n" + "\n".join(o[-3000:] for _, o in runs)
    return out, _results(out, "train"), runs


def _max_diff(a, b):
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))


def test_ranks_hold_identical_weights_equal_to_one_process(two_ranks, reference):
    _, (rank0, rank1), _ = two_ranks
    assert _max_diff(rank0["weights"], rank1["weights"]) == 0.0
    assert _max_diff(rank0["weights"], reference["weights"]) < 1e-5
    assert np.abs(np.asarray(rank0["weights"][0]) - np.asarray(dp_program.build().get_weights()[0])).max() > 1e-3


@torch_only
def test_the_train_step_goes_through_distributed_data_parallel(two_ranks):
    _, (rank0, rank1), _ = two_ranks
    assert rank0["ddp_forwards"] == rank1["ddp_forwards"] == 3 * 3  # 3 epochs of 3 batches (8, 8, 1)


@torch_only
@pytest.mark.filterwarnings("ignore:Gradients do not exist for variables")  # the unused weight, as in Keras
def test_overridden_torch_train_step_trains_data_parallel(two_ranks):
    out, _, _ = two_ranks
    rank0, rank1 = _results(out, "custom")
    reference = dp_program.custom()
    assert rank0["ddp_forwards"] == rank1["ddp_forwards"] == 3 * 2  # 3 epochs of 2 batches of 4 per rank
    assert rank0["no_grad"] == rank1["no_grad"] == reference["no_grad"] == [False] * 4 + [True]
    assert _max_diff(rank0["weights"], rank1["weights"]) == 0.0
    assert _max_diff(rank0["weights"], reference["weights"]) < 1e-5
    assert np.abs(np.asarray(rank0["weights"][0]) - np.asarray(dp_program.build().get_weights()[0])).max() > 1e-3
    assert rank0["history"] == rank1["history"] and sorted(rank0["history"]) == ["loss", "mae"]
    for key, values in reference["history"].items():
        np.testing.assert_allclose(rank0["history"][key], values, rtol=1e-5, atol=1e-6, err_msg=key)


@torch_only
def test_train_step_calling_super_runs_the_built_in_step_once_through_ddp(two_ranks):
    out, _, _ = two_ranks
    rank0, rank1 = _results(out, "super")
    reference = dp_program.super_step()
    assert rank0["ddp_forwards"] == rank1["ddp_forwards"] == 3 * 3  # not twice: the routed call is not nested
    assert _max_diff(rank0["weights"], rank1["weights"]) == 0.0
    assert _max_diff(rank0["weights"], reference["weights"]) < 1e-5
    np.testing.assert_allclose(rank0["history"]["loss"], reference["history"]["loss"], rtol=1e-5, atol=1e-6)


@torch_only
def test_synchronized_batch_normalization_trains_as_one_process(two_ranks):
    # the statistics of each step are the global batch's (8, 8, then 1 + an empty shard), as in one process
    out, _, _ = two_ranks
    rank0, rank1 = (result["synchronized_batch_norm"] for result in _results(out, "super"))
    reference = dp_program.synchronized_batch_norm()
    assert _max_diff(rank0["weights"], rank1["weights"]) == 0.0
    assert _max_diff(rank0["weights"], reference["weights"]) < 1e-5   # moving mean and variance included
    np.testing.assert_allclose(rank0["history"]["loss"], reference["history"]["loss"], rtol=1e-5, atol=1e-6)


@torch_only
def test_train_step_that_trains_a_sub_model_equals_one_process(two_ranks):
    # the gradients of a sub-model trained directly (a GAN's idiom) are all-reduced in optimizer.apply,
    # weighted by the ranks' sample counts: rank 1's last shard is empty
    out, _, _ = two_ranks
    rank0, rank1 = (result["sub_model"] for result in _results(out, "custom"))
    reference = dp_program.sub_model_step()
    assert _max_diff(rank0["weights"], rank1["weights"]) == 0.0
    assert _max_diff(rank0["weights"], reference["weights"]) < 1e-5
    assert _max_diff(rank0["weights"], dp_program.build().get_weights()) > 1e-3


def test_history_and_evaluate_equal_one_process(two_ranks, reference):
    _, (rank0, rank1), _ = two_ranks
    assert rank0["history"] == rank1["history"] and rank0["evaluate"] == rank1["evaluate"]
    assert sorted(rank0["history"]) == sorted(reference["history"]) == ["loss", "mae", "val_loss", "val_mae"]
    for key, values in reference["history"].items():
        np.testing.assert_allclose(rank0["history"][key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    for key, value in reference["evaluate"].items():
        np.testing.assert_allclose(rank0["evaluate"][key], value, rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.skipif(NAME != "tensorflow", reason="the overridden steps of the program are TensorFlow's idiom "
                    "(tf.GradientTape); torch's custom steps are tested with torch's data-parallel tests")
def test_custom_train_step_equals_one_process(two_ranks, reference):
    """Each worker runs the overridden steps on its half of every batch: compute_loss is divided by the
    2 replicas, optimizer.apply sums the gradients and BatchNormalization(synchronized=True) the
    statistics over the workers, so both train as one process (the loss metric, fed compute_loss's
    value, is halved, as in Keras)."""
    _, (rank0, rank1), _ = two_ranks
    ours, one = rank0["custom"], reference["custom"]
    assert _max_diff(rank0["custom"]["weights"], rank1["custom"]["weights"]) == 0.0
    assert _max_diff(ours["weights"], one["weights"]) < 1e-5
    assert rank0["custom"]["history"] == rank1["custom"]["history"]
    np.testing.assert_allclose(ours["history"]["mae"], one["history"]["mae"], rtol=1e-5)
    np.testing.assert_allclose(np.asarray(ours["history"]["loss"]) * 2, one["history"]["loss"], rtol=1e-5)
    np.testing.assert_allclose(ours["evaluate"]["mae"], one["evaluate"]["mae"], rtol=1e-5)
    np.testing.assert_allclose(ours["evaluate"]["loss"] * 2, one["evaluate"]["loss"], rtol=1e-5)


def test_only_rank_0_wrote_files(two_ranks):
    out, _, _ = two_ranks
    assert sorted(os.listdir(out)) == ["backup", "backup_rank0", "ckpt_rank0.h5", "log_rank0.csv",
                                       "model_rank0.h5", "results"]
    assert len(open(out / "log_rank0.csv").read().splitlines()) == 4  # header and one row per epoch


def test_saved_model_loads_in_one_process_and_in_keras(two_ranks):
    out, (rank0, _), _ = two_ranks
    x = dp_program.data()[0]
    model = kerasport.models.load_model(str(out / "model_rank0.h5"))
    assert _max_diff(model.get_weights(), rank0["weights"]) == 0.0
    expected = model.predict(x, verbose=0)
    keras = keras_module()
    theirs = keras.models.load_model(str(out / "model_rank0.h5"), compile=False)
    np.testing.assert_allclose(theirs.predict(x, verbose=0), expected, atol=1e-5)


def test_error_in_rank_1_ends_the_run_and_the_backup_resumes_it(two_ranks, reference):
    out, _, ((code0, output0), (code1, output1)) = two_ranks
    assert code1 != 0 and "RuntimeError: rank 1 fails on purpose" in output1
    assert code0 != 0 and "Traceback" in output0 and "rank 1 fails on purpose" not in output0
    assert os.listdir(out / "backup") == ["latest.h5"]
    runs = launch(["-m", "tests.distribution.dp_program", str(out), "resume"])
    for rank, (code, output) in enumerate(runs):
        assert code == 0, f"rank {rank} failed:\n{output[-3000:]}"
    rank0, rank1 = _results(out, "resume")
    assert len(rank0["history"]["loss"]) == 1  # only the third epoch ran again
    assert _max_diff(rank0["weights"], rank1["weights"]) == 0.0
    assert _max_diff(rank0["weights"], reference["weights"]) < 1e-5
    assert not os.path.exists(out / "backup")  # deleted by rank 0 once the run finished
