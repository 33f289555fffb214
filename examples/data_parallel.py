"""Data-parallel training: the same script on one process, on N processes, or on N machines.

Each process trains on its slice of every global batch of 256 samples; the
gradients are averaged over the whole batch, so the run gives the numbers of a
single process with batch 256. Only process 0 prints and writes the checkpoint.

    # one process (no launcher): an ordinary run
    KERASPORT_BACKEND=torch python examples/data_parallel.py
    # torch: 2 processes on this machine (gloo on CPU, NCCL on GPUs, one GPU per process)
    KERASPORT_BACKEND=torch torchrun --nproc_per_node 2 examples/data_parallel.py
    # TensorFlow: one command per worker, each with its index in TF_CONFIG
    TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:12345", "127.0.0.1:12346"]},
                "task": {"type": "worker", "index": 0}}' \\
        KERASPORT_BACKEND=tensorflow python examples/data_parallel.py
    # TensorFlow on the GPUs of one machine: no TF_CONFIG; one process, one replica per GPU
    KERASPORT_BACKEND=tensorflow python examples/data_parallel.py

Set ``KERASPORT_EXAMPLE_FAST=1`` for a short run (used by the tests).
"""
import os
import tempfile

import numpy as np

import kerasport as keras
from kerasport import layers

EPOCHS = 3 if os.environ.get("KERASPORT_EXAMPLE_FAST") == "1" else 30

# First thing in the program: join the other processes (TensorFlow sets up its collectives
# before any tensor exists). Without a launcher this is a single process.
strategy = keras.distribution.DataParallel()
keras.distribution.set_distribution(strategy)
chief = strategy.rank == 0

# Every process builds the same data; each trains on its slice of every batch.
rng = np.random.default_rng(0)
x = rng.normal(size=(4000, 20)).astype("float32")
w = rng.normal(size=(20, 1)).astype("float32")
y = (np.sin(x @ w) + 0.1 * rng.normal(size=(4000, 1))).astype("float32")

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((20,)), layers.Dense(64, activation="relu"),
                          layers.Dense(64, activation="relu"), layers.Dense(1)])
model.compile(keras.optimizers.Adam(1e-3), "mse", metrics=["mae"])

with tempfile.TemporaryDirectory() as folder:
    best = os.path.join(folder, "best.h5")
    history = model.fit(
        x, y, batch_size=256, epochs=EPOCHS, validation_split=0.2, verbose=2 if chief else 0,
        callbacks=[keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True),
                   keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2),
                   keras.callbacks.ModelCheckpoint(best, save_best_only=True)])
    loss, mae = model.evaluate(x, y, batch_size=512, verbose=0)
    if chief:
        reloaded = keras.models.load_model(best)
        print(f"processes: {strategy.num_processes}; epochs run: {len(history.history['loss'])}")
        print(f"final: loss {loss:.4f}, mae {mae:.4f}; best checkpoint val_loss "
              f"{min(history.history['val_loss']):.4f} ({reloaded.count_params()} weights)")
