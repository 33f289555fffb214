"""The program the data-parallel tests run: in each of 2 processes, or in one for the reference.

``python -m tests.distribution.dp_program OUT SCENARIO`` under a launcher's environment
(torchrun's variables or ``TF_CONFIG``) trains with ``DataParallel`` and writes each rank's
results to ``OUT/results``. SCENARIO ``train`` fits 3 epochs with file callbacks, evaluates
and saves (on TensorFlow it then also trains ``custom_step_program``'s overridden steps); then
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
            _save(out_dir, scenario, r, train(out_dir, r))
            interrupted(build(), out_dir, r, crash=True)
