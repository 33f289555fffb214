"""Keras as the oracle for ``kerasport.applications``: a child process builds each case's model in Keras
(``tf_keras`` for the legacy ``.h5`` form, Keras 3 for ``.weights.h5``) with a fixed seed and perturbed
BatchNormalization statistics, saves its weights, a batch of images and its ``predict`` after
``preprocess_input``."""
import json
import os
import subprocess
import sys
import textwrap

GENERATOR = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    out, cases = sys.argv[1], json.loads(sys.argv[2])
    if os.environ.get("TF_USE_LEGACY_KERAS") == "1":
        import tf_keras as keras
        suffix = ".h5"
    else:
        import keras
        suffix = ".weights.h5"
    import importlib
    for case in cases:
        keras.utils.set_random_seed(0)
        module = importlib.import_module(keras.applications.__name__ + "." + case["module"])
        build = getattr(module, case["fn"], None) or getattr(keras.applications, case["fn"])
        model = build(weights=None, **case["kwargs"])
        rng = np.random.RandomState(1)
        for w in model.weights:
            name, shape = w.name.split("/")[-1].split(":")[0], tuple(w.shape)
            if "moving_variance" in name:
                w.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
            elif "moving_mean" in name or name == "beta":
                w.assign(rng.uniform(-0.1, 0.1, shape).astype("float32"))
            elif name == "gamma":
                w.assign(rng.uniform(0.8, 1.2, shape).astype("float32"))
        images = np.random.RandomState(2).uniform(0, 255, (2,) + tuple(case["image"])).astype("float32")
        model.save_weights(f"{out}/{case['id']}{suffix}")
        np.save(f"{out}/{case['id']}_images.npy", images)
        np.save(f"{out}/{case['id']}_pred.npy", model.predict(module.preprocess_input(images.copy()), verbose=0))
""")


def case(module, fn, image, legacy=True, **kwargs):
    """One architecture configuration: ``module.fn(**kwargs)`` on images of shape ``image``."""
    pooling = kwargs.get("pooling")
    cid = f"{fn}_{'top' if kwargs.get('include_top', True) else pooling or 'notop'}_{image[0]}_{'h5' if legacy else 'v3'}"
    return {"id": cid, "module": module, "fn": fn, "image": list(image), "kwargs": kwargs, "legacy": legacy}


def run_python(script, *args, **env):
    """Run ``script`` in a child process with extra environment ``env`` (an hour at most: the full sweep
    builds the largest models); fail on a non-zero exit."""
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    result = subprocess.run([sys.executable, "-c", script, *map(str, args)], env=environment, capture_output=True,
                            text=True, timeout=3600)
    assert result.returncode == 0, result.stderr[-3000:]


def generate(cases, folder):
    """Write every case's weights, images and Keras predictions into ``folder`` (two child processes at most)."""
    legacy = [c for c in cases if c["legacy"]]
    keras3 = [c for c in cases if not c["legacy"]]
    if legacy:
        run_python(GENERATOR, folder, json.dumps(legacy), TF_USE_LEGACY_KERAS="1", CUDA_VISIBLE_DEVICES="")
    if keras3:
        run_python(GENERATOR, folder, json.dumps(keras3), KERAS_BACKEND="tensorflow", CUDA_VISIBLE_DEVICES="")
