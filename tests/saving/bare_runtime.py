"""Run exported artifacts with their bare runtime, no kerasport import: ``python bare_runtime.py JOBS.json``.

Each job is ``[format, artifact, input names, output names, inputs.npz, outputs.npz]``: ``inputs.npz`` holds arrays
``"{case}/{i}"`` (input ``i`` of case ``case``, in the model's input order), and the
outputs are written as ``"{case}/{j}"`` (output ``j``). The export tests run this file in
a subprocess, so the artifact is read exactly as a serving process reads it.
"""
import json
import sys

import numpy as np


def _cases(path):
    data = np.load(path)
    cases = {}
    for key in data.files:
        case, index = key.rsplit("/", 1)
        cases.setdefault(case, {})[int(index)] = data[key]
    return {case: [arrays[i] for i in sorted(arrays)] for case, arrays in cases.items()}


def _torch(path, names, outputs):
    import torch
    module = torch.export.load(path).module()
    return lambda xs: [t.detach().numpy() for t in module(*[torch.from_numpy(x) for x in xs])]


def _onnx(path, names, outputs):
    import onnxruntime
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == names, session.get_inputs()
    assert [o.name for o in session.get_outputs()] == outputs, session.get_outputs()
    return lambda xs: session.run(None, dict(zip(names, xs)))


def _tf_saved_model(path, names, outputs):
    import tensorflow as tf
    loaded = tf.saved_model.load(path)
    signature = loaded.signatures["serving_default"]

    def run(xs):
        by_name = signature(**{n: tf.constant(x) for n, x in zip(names, xs)})
        served = tf.nest.flatten(loaded.serve(*[tf.constant(x) for x in xs]))
        results = [by_name[k].numpy() for k in outputs]
        for a, b in zip(results, served):  # the serve endpoint and the signature agree
            np.testing.assert_array_equal(a, b.numpy())
        return results
    return run


def _litert(path, names, outputs):
    from ai_edge_litert.interpreter import Interpreter
    runner = Interpreter(model_path=path).get_signature_runner("serving_default")

    def run(xs):
        results = runner(**dict(zip(names, xs)))
        return [results[k] for k in outputs]
    return run


RUNTIMES = {"torch": _torch, "onnx": _onnx, "tf_saved_model": _tf_saved_model, "litert": _litert}


def main(jobs_file):
    with open(jobs_file) as f:
        jobs = json.load(f)
    for format, artifact, names, output_names, inputs, outputs in jobs:
        run = RUNTIMES[format](artifact, names, output_names)
        results = {f"{case}/{j}": y for case, xs in _cases(inputs).items() for j, y in enumerate(run(xs))}
        np.savez(outputs, **results)
    assert "kerasport" not in sys.modules


if __name__ == "__main__":
    main(sys.argv[1])
