"""keras.io guide "Multi-GPU distributed training with TensorFlow" (guides/distributed_training_with_tensorflow.py).

The guide as written for the TensorFlow backend: ``strategy = tf.distribute.MirroredStrategy()``, the guide's
two-layer MLP built and compiled in ``with strategy.scope():`` (Adam,
``SparseCategoricalCrossentropy(from_logits=True)``,
``SparseCategoricalAccuracy``), ``fit`` on batched ``tf.data.Dataset``s with validation, ``evaluate``; then the
fault-tolerance section: ``run_training`` twice, each under a new ``MirroredStrategy``, with a
``ModelCheckpoint(filepath=".../ckpt-{epoch}.keras", save_freq="epoch")``, the second run restoring the newest
checkpoint with ``keras.models.load_model`` inside the strategy's scope and training on from it. Every number
it prints (devices, history, evaluate) and the restored and retrained weights equal Keras 3's, run under the same
strategy from the same initial weights.

It runs twice: in the test process, where ``MirroredStrategy()`` has this CPU as its one replica, and in a child
process (``python -m tests.keras_io.test_distributed_training_with_tensorflow``) whose CPU is split into 2
logical devices before TensorFlow starts (as ``tests/distribution/mirrored_program.py`` does), so that the
strategy has 2 replicas: each trains on its half of every batch (the last batch, 4 samples, 2 each) and the
gradients are all-reduced across them. There the child also checks that kerasport's weights are mirrored on
both devices and that 2 replicas train as one device with the global batch.

Changed: random data of MNIST's shapes (100 training, 32 validation and 32 test samples of 784 features; Dense(64)
for the guide's Dense(256)) instead of the download; the checkpoints go to a temporary folder; ``fit`` gets
``verbose=0`` and each section returns what it printed. TensorFlow only (``tf.distribute``).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import kerasport
from tests.distribution.launch import REPO
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the guide trains under tf.distribute.MirroredStrategy: TensorFlow only")


def _datasets():
    import tensorflow as tf

    rng = np.random.RandomState(0)
    x = rng.rand(164, 784).astype("float32")
    y = rng.randint(0, 10, 164).astype("float32")
    x_train, y_train, x_val, y_val = x[:100], y[:100], x[100:132], y[100:132]
    batch_size = 32
    return (tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(batch_size),
            tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(batch_size),
            tf.data.Dataset.from_tensor_slices((x[132:], y[132:])).batch(batch_size))


def distributed_training(keras, sync):
    import tensorflow as tf

    def get_compiled_model():
        # Make a simple 2-layer densely-connected neural network.
        inputs = keras.Input(shape=(784,))
        x = keras.layers.Dense(64, activation="relu")(inputs)
        x = keras.layers.Dense(64, activation="relu")(x)
        outputs = keras.layers.Dense(10)(x)
        model = keras.Model(inputs, outputs)
        sync(model)
        model.compile(
            optimizer=keras.optimizers.Adam(),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[keras.metrics.SparseCategoricalAccuracy()],
        )
        return model

    out = {}
    # Create a MirroredStrategy.
    strategy = tf.distribute.MirroredStrategy()
    out["devices"] = "Number of devices: {}".format(strategy.num_replicas_in_sync)

    # Open a strategy scope.
    with strategy.scope():
        # Everything that creates variables should be under the strategy scope.
        model = get_compiled_model()

        # Train the model on all available devices.
        train_dataset, val_dataset, test_dataset = _datasets()
        out["history"] = model.fit(train_dataset, epochs=2, validation_data=val_dataset, verbose=0).history

        # Test the model on all available devices.
        out["evaluate"] = model.evaluate(test_dataset, verbose=0)
    out["weights"] = model.get_weights()

    # Prepare a directory to store all the checkpoints.
    checkpoint_dir = tempfile.mkdtemp()

    def make_or_restore_model():
        # Either restore the latest model, or create a fresh one
        # if there is no checkpoint available.
        checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            out["restoring"] = "Restoring from " + os.path.basename(latest_checkpoint)
            return keras.models.load_model(latest_checkpoint)
        out["creating"] = "Creating a new model"
        return get_compiled_model()

    def run_training(epochs=1):
        # Create a MirroredStrategy.
        strategy = tf.distribute.MirroredStrategy()

        # Open a strategy scope and create/restore the model
        with strategy.scope():
            model = make_or_restore_model()
            callbacks = [
                # This callback saves the model every epoch
                # We include the current epoch in the file name.
                keras.callbacks.ModelCheckpoint(filepath=checkpoint_dir + "/ckpt-{epoch}.keras", save_freq="epoch")
            ]
            history = model.fit(train_dataset, epochs=epochs, callbacks=callbacks, validation_data=val_dataset,
                                verbose=0)
        return model, history.history

    try:
        # Running the first time creates the model
        first, out["first_run"] = run_training(epochs=1)
        out["first_weights"] = first.get_weights()
        out["checkpoints"] = sorted(os.listdir(checkpoint_dir))
        # Calling the same function again will resume from where we left off
        second, out["second_run"] = run_training(epochs=1)
        out["restored_optimizer_iterations"] = int(keras.ops.convert_to_numpy(second.optimizer.iterations))
        out["second_weights"] = second.get_weights()
    finally:
        shutil.rmtree(checkpoint_dir)
    return out


def distributed_training_two_replicas(keras, sync):
    """The same program in the child process, where ``MirroredStrategy()`` has 2 replicas (an answer of its own)."""
    return distributed_training(keras, sync)


# Keras's traced steps: run eagerly, a MirroredStrategy calls its replicas one op at a time, many times slower.
distributed_training.keras_traced = distributed_training_two_replicas.keras_traced = True


def test_distributed_training_on_this_machines_one_replica():
    try:
        check_program(distributed_training)
    finally:
        kerasport.distribution.set_distribution(None)  # the strategy the guide's scope made current


def test_distributed_training_over_two_replicas_equals_keras_under_the_same_strategy(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("KERASPORT_TEST_ORACLE_CACHE", None)  # the child's answer is its own (2 replicas)
    env.pop("TF_CONFIG", None)
    run = subprocess.run([sys.executable, "-m", "tests.keras_io.test_distributed_training_with_tensorflow",
                          str(tmp_path)], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=240)
    assert run.returncode == 0, f"the 2-replica program failed:\n{run.stdout[-4000:]}"
    with open(tmp_path / "replicas.json") as f:
        result = json.load(f)
    assert result["num_replicas"] == 2
    assert result["mirrored_components"] == [2] * 4  # every weight mirrored on both logical devices
    assert result["replica_weight_gap"] == 0.0  # and updated identically
    assert result["one_device_gap"] < 1e-5  # 2 replicas on halves of each batch train as one device on the batch


def _two_replicas(out_dir):
    """The child: check the guide against Keras under a 2-replica strategy, then look at kerasport's replicas."""
    import tensorflow as tf

    check_program(distributed_training_two_replicas)
    strategy = tf.distribute.MirroredStrategy()
    result = {"num_replicas": strategy.num_replicas_in_sync}
    kerasport.utils.set_random_seed(0)
    with strategy.scope():
        model = kerasport.Sequential([kerasport.Input((784,)), kerasport.layers.Dense(8, activation="relu"),
                                      kerasport.layers.Dense(10)])
        model.compile(kerasport.optimizers.Adam(), kerasport.losses.SparseCategoricalCrossentropy(from_logits=True))
    initial = model.get_weights()
    train_dataset = _datasets()[0]
    model.fit(train_dataset, epochs=2, verbose=0)
    parts = [w.values for w in model.weights]
    result["mirrored_components"] = [len(p) for p in parts]
    result["replica_weight_gap"] = max(float(np.abs(p[0].numpy() - p[1].numpy()).max()) for p in parts)
    kerasport.distribution.set_distribution(None)
    single = kerasport.Sequential([kerasport.Input((784,)), kerasport.layers.Dense(8, activation="relu"),
                                   kerasport.layers.Dense(10)])
    single.set_weights(initial)
    single.compile(kerasport.optimizers.Adam(), kerasport.losses.SparseCategoricalCrossentropy(from_logits=True))
    single.fit(train_dataset, epochs=2, verbose=0)
    result["one_device_gap"] = max(float(np.abs(a - b).max()) for a, b in zip(model.get_weights(),
                                                                              single.get_weights()))
    with open(os.path.join(out_dir, "replicas.json"), "w") as f:
        json.dump(result, f)


def _strategies_with_their_own_collective_keys(tf):
    """Make each ``MirroredStrategy`` of this process number its collectives from keys of its own.

    TensorFlow numbers the all-reduces of every ``MirroredStrategy`` in a process from the same keys and
    caches each key's shape, so strategies whose collectives differ in shape collide ("Shape mismatch in the
    collective instance"): here Keras's (one all-reduce per variable) then kerasport's (one flat bucket) in one
    process. TensorFlow's own tests set ``_collective_key_base`` for this; the child does the same per strategy.
    """
    base = [0]

    class MirroredStrategy(tf.distribute.MirroredStrategy):
        def __init__(self, *args, **kwargs):
            base[0] += 10000
            self._collective_key_base = base[0]
            super().__init__(*args, **kwargs)

    tf.distribute.MirroredStrategy = MirroredStrategy


if __name__ == "__main__":
    import tensorflow as tf

    tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                               [tf.config.LogicalDeviceConfiguration()] * 2)
    _strategies_with_their_own_collective_keys(tf)
    _two_replicas(sys.argv[1])
