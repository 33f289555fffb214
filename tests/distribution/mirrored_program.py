"""The program the local-replica tests run (TensorFlow): one process, its CPU split into 2 logical devices.

``python -m tests.distribution.mirrored_program OUT SCENARIO`` trains ``dp_program``'s model
over both devices (``run``) and writes the results to ``OUT/SCENARIO.json``. SCENARIO
``data_parallel`` sets ``DataParallel(devices=["cpu:0", "cpu:1"])`` before building (after
trying to fit a model built before it: that must fail), and also fits with
``steps_per_execution`` (``looped``) and runs ``*_on_batch`` (``on_batch``); ``scope`` builds and compiles inside
``tf.distribute.MirroredStrategy(...).scope()`` (TensorFlow's idiom). The logical devices
must exist before TensorFlow initialises its devices, hence a process of its own; the tests
call ``run`` in their own process for the single-device reference.
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf

import kerasport
from tests.distribution import dp_program


def _replicas(variable):
    """The values of ``variable`` on each replica (one for a plain variable)."""
    parts = variable.values if isinstance(variable, tf.distribute.DistributedValues) else [variable]
    return [np.asarray(part.numpy()) for part in parts]


def run(model):
    """Fit 3 epochs (17 samples, global batch 8: the last batch, 1 sample, leaves replica 1 an empty
    share) with validation (7 samples in batches of 5), evaluate (batches of 5) and predict (of 3)."""
    x, y, xv, yv = dp_program.data()
    history = model.fit(x, y, batch_size=dp_program.GLOBAL_BATCH, epochs=3, shuffle=False, verbose=0,
                        validation_data=(xv, yv), validation_batch_size=5)
    result = {"history": history.history, "weights": [w.tolist() for w in model.get_weights()],
              "replica_weight_gap": max(float(np.abs(r - _replicas(w)[0]).max())
                                        for w in model.weights for r in _replicas(w)),
              "evaluate": model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)}
    loss_tracker = model.metrics[0]  # its states after evaluate: samples counted per replica, merged into the first
    result["loss_states"] = [[float(p) for p in _replicas(v)] for v in loss_tracker.variables]
    result["predict"] = model.predict(x, batch_size=3, verbose=0).tolist()
    return result


def looped(model):
    """Fit 2 epochs in executions of 3 steps (17 samples in batches of 4: 3 stacked in one in-graph
    loop, then 4 and 1 one by one); returns the history and the weights."""
    x, y = dp_program.data()[:2]
    model.compile(kerasport.optimizers.Adam(0.05), "mse", metrics=["mae"], steps_per_execution=3)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "weights": [w.tolist() for w in model.get_weights()]}


def on_batch(model):
    """``train_on_batch`` then ``test_on_batch`` on 5 samples (3 + 2 over 2 replicas): their logs."""
    x, y = dp_program.data()[:2]
    return {"train": model.train_on_batch(x[:5], y[:5], return_dict=True),
            "test": model.test_on_batch(x[5:10], y[5:10], return_dict=True),
            "weights": [w.tolist() for w in model.get_weights()]}


if __name__ == "__main__":
    tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                               [tf.config.LogicalDeviceConfiguration()] * 2)
    out_dir, scenario = sys.argv[1], sys.argv[2]
    devices = kerasport.distribution.list_devices("cpu")
    result = {}
    if scenario == "data_parallel":
        early = dp_program.build()
        kerasport.distribution.set_distribution(kerasport.distribution.DataParallel(devices=devices))
        x, y = dp_program.data()[:2]
        try:
            early.fit(x, y, batch_size=dp_program.GLOBAL_BATCH, verbose=0)
        except ValueError as e:
            result["early_error"] = str(e)
        model = dp_program.build()
    else:
        with tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]).scope():
            model = dp_program.build()
    result.update(run(model))
    if scenario == "data_parallel":
        result["looped"] = looped(dp_program.build())
        result["on_batch"] = on_batch(dp_program.build())
    d = kerasport.distribution.distribution()
    result.update(devices=devices, num_processes=d.num_processes, num_replicas=d.num_replicas,
                  weight_replicas=[len(_replicas(w)) for w in model.weights],
                  default_replicas=kerasport.distribution.DataParallel().num_replicas)
    with open(os.path.join(out_dir, f"{scenario}.json"), "w") as f:
        json.dump(result, f)
