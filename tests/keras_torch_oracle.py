"""Keras 3 on its torch backend, as a child process: the oracle for configs that TensorFlow's CPU kernels lack.

``tests.helpers`` runs this file with ``KERAS_BACKEND=torch`` when Keras on TensorFlow cannot run a
layer or model on this machine (Eigen kernels: no dilated transposed convolution, no NCHW, ...). It reads
one pickled request on stdin and writes the pickled answer on stdout:

- ``layer`` (serialized), ``weights``, ``inputs``, ``call_kwargs``: the output, the cotangent ``r`` and the
  gradients of ``sum(output * r)`` w.r.t. the inputs and the trainable weights, exactly as the
  TensorFlow path of ``keras_reference`` computes them;
- ``model`` (a ``.keras`` file) and ``inputs``: the model's outputs with ``training=False``, a list of arrays.
"""
import pickle
import sys

import numpy as np


def main():
    request = pickle.load(sys.stdin.buffer)
    import keras
    import torch
    assert keras.backend.backend() == "torch", keras.backend.backend()
    if "model" in request:
        model = keras.saving.load_model(request["model"], compile=False)
        xs = request["inputs"]
        out = model(xs if len(xs) > 1 else xs[0], training=False)
        pickle.dump([keras.ops.convert_to_numpy(o) for o in (out if isinstance(out, (list, tuple)) else [out])],
                    sys.stdout.buffer)
        return
    layer = keras.layers.deserialize(request["layer"])
    xs = [torch.tensor(x, requires_grad=True) for x in request["inputs"]]
    call_kwargs = request["call_kwargs"]
    layer(xs if len(xs) > 1 else xs[0], **call_kwargs)
    layer.set_weights(request["weights"])
    out = layer(xs if len(xs) > 1 else xs[0], **call_kwargs)
    r = np.random.RandomState(1).randn(*out.shape).astype("float32")
    params = [w.value for w in layer.trainable_weights]
    grads = torch.autograd.grad((out * torch.tensor(r)).sum(), xs + params)
    pickle.dump((out.detach().numpy(), r, [g.numpy() for g in grads]), sys.stdout.buffer)


if __name__ == "__main__":
    main()
