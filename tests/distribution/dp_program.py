"""The program the data-parallel tests run: in each of 2 processes, or in one for the reference.

``python -m tests.distribution.dp_program OUT SCENARIO`` under a launcher's environment
(torchrun's variables or ``TF_CONFIG``) trains with ``DataParallel`` and writes each rank's
results to ``OUT/results``. SCENARIO ``train`` fits 3 epochs with file callbacks, evaluates
and saves (on torch it counts the forwards through ``DistributedDataParallel``; on TensorFlow it then
also trains ``custom_step_program``'s overridden steps); then, on torch, it fits
a model whose ``train_step`` is keras.io's PyTorch idiom (``custom``, 16 samples: even shards), one
whose ``train_step`` trains a sub-model instead (``sub_model``) and one whose ``train_step`` returns
``super().train_step(data)`` (``super``); then
it fits a fresh model again with ``BackupAndRestore``, and rank 1 raises
once epoch 2 is backed up, which ends rank 0 in its next collective. ``resume`` reruns
that second fit: it resumes from the backup (on TensorFlow it builds and compiles in
``MultiWorkerMirroredStrategy().scope()`` instead of setting a ``DataParallel``).
"""
import json
import os
import sys

import numpy as np

import kerasport

GLOBAL_BATCH = 8  # 17 samples: batches of 8, 8, 1; each of 2 ranks gets 4, 4, then 1 or none


def data():
    rng = np.random.RandomState(0)
    x, xv = rng.randn(17, 3).astype("float32"), rng.randn(7, 3).astype("float32")
    w = rng.randn(3, 2).astype("float32")
    return x, np.tanh(x @ w), xv, np.tanh(xv @ w)


def build():
    kerasport.utils.set_random_seed(7)
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(5, activation="relu"),
                                  kerasport.layers.Dense(2)])
    model.compile(kerasport.optimizers.Adam(0.05), "mse", metrics=["mae"])
    return model


class _Crash(kerasport.callbacks.Callback):
    def __init__(self, fail):
        super().__init__()
        self.fail = fail

    def on_epoch_end(self, epoch, logs=None):
        if self.fail and epoch == 1:
            raise RuntimeError("rank 1 fails on purpose")


def _fit(model, callbacks):
    x, y, xv, yv = data()
    history = model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=3, shuffle=False, verbose=0,
                        validation_data=(xv, yv), validation_batch_size=6, callbacks=callbacks)
    return {"history": history.history, "weights": [w.tolist() for w in model.get_weights()]}


def train(out, rank):
    """The 3-epoch fit with file callbacks (their files named by rank), evaluate and save."""
    model = build()
    result = _fit(model, [kerasport.callbacks.CSVLogger(os.path.join(out, f"log_rank{rank}.csv")),
                          kerasport.callbacks.ModelCheckpoint(os.path.join(out, f"ckpt_rank{rank}.h5")),
                          kerasport.callbacks.BackupAndRestore(os.path.join(out, f"backup_rank{rank}"),
                                                               delete_checkpoint=False)])
    result["evaluate"] = model.evaluate(data()[0], data()[1], batch_size=5, verbose=0, return_dict=True)
    model.save(os.path.join(out, f"model_rank{rank}.h5"))
    if kerasport.backend.backend() == "tensorflow":  # an overridden train_step / test_step (TensorFlow's idiom)
        from tests.distribution import custom_step_program
        result["custom"] = custom_step_program.run(custom_step_program.build(kerasport, synchronized=True))
    return result


def _count_ddp_forwards():
    """Count the calls of ``DistributedDataParallel.forward`` from now on (torch): ``calls[0]``."""
    from torch.nn.parallel import DistributedDataParallel
    calls, forward = [0], DistributedDataParallel.forward

    def counted(self, *args, **kwargs):
        calls[0] += 1
        return forward(self, *args, **kwargs)

    DistributedDataParallel.forward = counted
    return calls


def custom():
    """3 epochs of a model whose ``train_step`` is keras.io's PyTorch idiom ("Customizing what happens
    in fit() with PyTorch"): 16 samples in global batches of 8, so every rank's shard holds 4. The last
    layer's weight is unused: its gradient stays ``None``."""
    import torch

    class CustomModel(kerasport.Model):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    class Unused(kerasport.layers.Layer):
        def build(self, input_shape):
            self.unused = self.add_weight(shape=(1,), name="unused")

        def call(self, x):
            return x

    kerasport.utils.set_random_seed(7)
    inputs = kerasport.Input((3,))
    outputs = Unused()(kerasport.layers.Dense(2)(kerasport.layers.Dense(5, activation="relu")(inputs)))
    model = CustomModel(inputs, outputs)
    model.compile(optimizer=kerasport.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
    x, y = data()[:2]
    history = model.fit(x[:16], y[:16], batch_size=GLOBAL_BATCH, epochs=3, shuffle=False, verbose=0)
    return {"history": history.history, "weights": [w.tolist() for w in model.get_weights()],
            "no_grad": [v.value.grad is None for v in model.trainable_weights]}


def super_step():
    """3 epochs of a model whose ``train_step`` returns ``super().train_step(data)``: the built-in step,
    exact also for the uneven last batch (17 samples), with one forward through DDP per step."""
    class SuperModel(kerasport.Model):
        def train_step(self, data):
            return super().train_step(data)

    kerasport.utils.set_random_seed(7)
    inputs = kerasport.Input((3,))
    model = SuperModel(inputs, kerasport.layers.Dense(2)(kerasport.layers.Dense(5, activation="relu")(inputs)))
    model.compile(kerasport.optimizers.Adam(0.05), "mse")
    history = model.fit(*data()[:2], batch_size=GLOBAL_BATCH, epochs=3, shuffle=False, verbose=0)
    return {"history": history.history, "weights": [w.tolist() for w in model.get_weights()]}


def sub_model_step():
    """A ``train_step`` that trains a sub-model (as a GAN's does) without calling the model itself, over
    all 17 samples (the last batch leaves rank 1 an empty shard): under a distribution its gradients are
    all-reduced in ``optimizer.apply``. Its weights and History."""
    import torch

    class Outer(kerasport.Model):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.built = True  # no call(): Keras on torch asks for this

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            loss = kerasport.ops.mean(kerasport.ops.square(self.inner(x, training=True) - y))
            loss.backward()
            with torch.no_grad():
                self.optimizer.apply([v.value.grad for v in self.trainable_weights], self.trainable_weights)
            return {"loss": loss}

    outer = Outer(build())
    outer.compile(optimizer=kerasport.optimizers.SGD(0.1))
    x, y = data()[:2]
    history = outer.fit(x, y, batch_size=GLOBAL_BATCH, epochs=2, shuffle=False, verbose=0)
    return {"weights": [w.tolist() for w in outer.get_weights()], "history": history.history}


def synchronized_batch_norm():
    """3 epochs of Dense, ``BatchNormalization(synchronized=True)``, Dense over all 17 samples (rank 1's last
    shard is empty): its weights (the moving statistics included) and History."""
    kerasport.utils.set_random_seed(7)
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(5, activation="relu"),
                                  kerasport.layers.BatchNormalization(synchronized=True), kerasport.layers.Dense(2)])
    model.compile(kerasport.optimizers.Adam(0.05), "mse")
    history = model.fit(*data()[:2], batch_size=GLOBAL_BATCH, epochs=3, shuffle=False, verbose=0)
    return {"weights": [w.tolist() for w in model.get_weights()], "history": history.history}


def interrupted(model, out, rank, crash):
    """The same fit backed up in ``out/backup``; with ``crash``, rank 1 raises after epoch 2."""
    return _fit(model, [kerasport.callbacks.BackupAndRestore(os.path.join(out, "backup")), _Crash(crash and rank == 1)])


def _save(out, name, rank, result):
    os.makedirs(os.path.join(out, "results"), exist_ok=True)
    with open(os.path.join(out, "results", f"{name}_rank{rank}.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    out_dir, scenario = sys.argv[1], sys.argv[2]
    if scenario == "resume" and kerasport.backend.backend() == "tensorflow":
        import tensorflow as tf  # TensorFlow's own idiom: the strategy's scope around building and compiling
        with tf.distribute.MultiWorkerMirroredStrategy().scope():
            resumed = build()
        r = kerasport.distribution.distribution().rank
        _save(out_dir, scenario, r, interrupted(resumed, out_dir, r, crash=False))
    else:
        kerasport.distribution.set_distribution(kerasport.distribution.DataParallel())
        r = kerasport.distribution.distribution().rank
        if scenario == "resume":
            _save(out_dir, scenario, r, interrupted(build(), out_dir, r, crash=False))
        else:
            ddp_forwards = _count_ddp_forwards() if kerasport.backend.backend() == "torch" else None
            result = train(out_dir, r)
            if ddp_forwards is not None:
                result["ddp_forwards"] = ddp_forwards[0]
                _save(out_dir, "custom", r, dict(custom(), ddp_forwards=ddp_forwards[0] - result["ddp_forwards"],
                                                 sub_model=sub_model_step()))
                before = ddp_forwards[0]
                _save(out_dir, "super", r, dict(super_step(), ddp_forwards=ddp_forwards[0] - before,
                                                synchronized_batch_norm=synchronized_batch_norm()))
            _save(out_dir, scenario, r, result)
            interrupted(build(), out_dir, r, crash=True)
