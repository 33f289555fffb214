"""keras.io guide "Multi-GPU distributed training with PyTorch" (guides/distributed_training_with_torch.py).

The guide's model (a convnet with batch normalization and dropout), ``torch.optim.Adam(model.parameters())``,
``torch.nn.CrossEntropyLoss`` and its training loop as written (``model(inputs)``, ``optimizer.zero_grad()``,
``loss.backward()``, ``optimizer.step()``) over a ``DistributedSampler``'s ``DataLoader``, the kerasport model
wrapped in ``torch.nn.parallel.DistributedDataParallel``. Changed: 2 CPU processes with the ``gloo`` backend on
127.0.0.1 instead of one process per GPU with ``nccl`` (started by ``tests.distribution.launch``, as torchrun
would, with a bounded timeout, instead of ``torch.multiprocessing.start_processes``), ``model.to("cpu")`` and no
``device_ids``; 32 synthetic 28x28 images instead of MNIST, 8 per process and step, 2 epochs; each rank records
its losses and final weights instead of printing. As in Keras, ``model(inputs)`` without ``training=True`` runs
batch normalization and dropout in inference mode, so the run is deterministic: both ranks must end with the
same weights, equal to one process training on the global batches of 16, and each step's global loss must be
the mean of the ranks' losses. Runs under ``KERASPORT_BACKEND=torch`` only.
"""
import numpy as np
import pytest

import kerasport

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "torch",
                                reason="the guide wraps the model in torch's DistributedDataParallel: torch only")


def test_ddp_ranks_train_as_one_process_on_the_global_batch(tmp_path):
    from tests.distribution.launch import launch
    from tests.keras_io.distributed_training_with_torch_program import single_process_reference

    runs = launch(["-m", "tests.keras_io.distributed_training_with_torch_program", str(tmp_path)], timeout=240)
    for rank, (code, output) in enumerate(runs):
        assert code == 0, f"rank {rank}:\n{output[-3000:]}"
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in range(2)]
    weights = [[rank[f"w{i}"] for i in range(len(rank.files) - 1)] for rank in ranks]
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)  # every rank applied the same all-reduced gradients
    losses, reference = single_process_reference()
    assert len(weights[0]) == len(reference)
    for got, want in zip(weights[0], reference):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose((ranks[0]["losses"] + ranks[1]["losses"]) / 2, losses, rtol=1e-5)
    assert not np.allclose(reference[-2], get_initial_kernel())  # the steps did train the model


def get_initial_kernel():
    from tests.keras_io.distributed_training_with_torch_program import get_model
    kerasport.utils.set_random_seed(0)
    return get_model().get_weights()[-2]
