"""Inference speed of pretrained architectures: ``model.predict`` on a batch of 8 images (224x224x3).

    python benchmarks/bench_applications.py                      # both backends, both models
    python benchmarks/bench_applications.py --backends torch --calls 10

Rows: ResNet50 and MobileNetV2 (random weights; speed does not depend on them). Each
implementation runs in a process of its own, ``--calls`` timed calls after warm-up, median reported:

- kerasport: ``kerasport.applications.<Model>(weights=None).predict(x, batch_size=8)``;
- raw: on torch, torchvision's model when torchvision imports, else the same architecture
  written as plain ``torch.nn`` modules below, in eval mode under ``torch.inference_mode`` with
  channels-last tensors; on TensorFlow, ``tf_keras``'s model called in one ``tf.function`` (a
  plain TF graph, without any predict loop);
- Keras 3: ``keras.applications.<Model>(weights=None).predict(x, batch_size=8)`` on the same backend.

Prints ms per batch, kerasport / raw (target <= 1.05) and kerasport / Keras 3 (target < 1).

Why torchvision is usually absent: the ``torchvision`` wheel on PyPI that matches torch 2.13 (0.28.0) is
the CUDA build. Its ``torchvision/_C.so`` links ``libc10_cuda.so``, ``libtorch_cuda.so`` and
``libcudart.so.13``, which the CPU torch (``2.13.0+cpu``) does not ship, so the library does not load and
``import torchvision`` stops at ``RuntimeError: operator torchvision::nms does not exist``. The CPU build
(``0.28.0+cpu``) is published only on PyTorch's own wheel index, not on PyPI; install it from there
(``pip install torchvision==0.28.0+cpu`` with that index) and this benchmark uses it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

MODELS = ["ResNet50", "MobileNetV2"]
BATCH = 8


def images():
    return np.random.RandomState(0).uniform(-1, 1, (BATCH, 224, 224, 3)).astype("float32")


def timed(fn, calls, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


# ----------------------------------------------------------------------------- raw torch architectures
def torch_model(name):
    """torchvision's model when it imports, else the same architecture in plain ``torch.nn``."""
    import torch
    from torch import nn
    try:
        import torchvision
        return getattr(torchvision.models, name.lower().replace("mobilenetv2", "mobilenet_v2"))()
    except Exception:  # torchvision missing, or a build that does not match this torch
        pass

    def cbr(cin, cout, k, s=1, groups=1, act=nn.ReLU):
        return [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)] + \
            ([act(inplace=True)] if act else [])

    class Bottleneck(nn.Module):
        def __init__(self, cin, width, stride):
            super().__init__()
            self.body = nn.Sequential(*cbr(cin, width, 1), *cbr(width, width, 3, stride), *cbr(width, 4 * width, 1, act=None))
            self.short = nn.Sequential(*cbr(cin, 4 * width, 1, stride, act=None)) if stride != 1 or cin != 4 * width \
                else nn.Identity()

        def forward(self, x):
            return torch.relu(self.body(x) + self.short(x))

    class InvertedResidual(nn.Module):
        def __init__(self, cin, cout, stride, expand):
            super().__init__()
            hidden = cin * expand
            layers = (cbr(cin, hidden, 1, act=nn.ReLU6) if expand != 1 else []) + \
                cbr(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6) + cbr(hidden, cout, 1, act=None)
            self.body, self.residual = nn.Sequential(*layers), stride == 1 and cin == cout

        def forward(self, x):
            return x + self.body(x) if self.residual else self.body(x)

    if name == "ResNet50":
        blocks, cin = [], 64
        for width, n, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
            for i in range(n):
                blocks.append(Bottleneck(cin, width, stride if i == 0 else 1))
                cin = 4 * width
        return nn.Sequential(*cbr(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1), *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                             nn.Linear(2048, 1000), nn.Softmax(-1))
    blocks, cin = [], 32
    for expand, cout, n, stride in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                                    (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            blocks.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
            cin = cout
    return nn.Sequential(*cbr(3, 32, 3, 2, act=nn.ReLU6), *blocks, *cbr(320, 1280, 1, act=nn.ReLU6),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 1000), nn.Softmax(-1))


def run_one(impl, backend, name, calls):
    """Median ms per batch of one implementation (runs in its own process)."""
    x = images()
    if impl == "raw" and backend == "torch":
        import torch
        torch.manual_seed(0)
        model = torch_model(name).eval().to(memory_format=torch.channels_last)
        xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)

        def step():
            with torch.inference_mode():
                return model(xt).numpy()
        return timed(step, calls)
    if impl == "raw":
        import tensorflow as tf
        import tf_keras
        model = getattr(tf_keras.applications, name)(weights=None)
        fn = tf.function(lambda t: model(t, training=False))
        xt = tf.constant(x)
        return timed(lambda: fn(xt).numpy(), calls)
    if impl == "keras":
        import keras as api
    else:
        import kerasport as api
    model = getattr(api.applications, name)(weights=None)
    return timed(lambda: model.predict(x, batch_size=BATCH, verbose=0), calls)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="torch,tensorflow")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--one", nargs=3, metavar=("IMPL", "BACKEND", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one, args.calls)))
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(f"| backend | model | batch | raw ms | kerasport ms | Keras 3 ms | kerasport / raw | kerasport / Keras 3 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for backend in args.backends.split(","):
        for name in args.models.split(","):
            ms = {}
            for impl in ("raw", "kerasport", "keras"):
                env = dict(os.environ, KERASPORT_BACKEND=backend, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3",
                           PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
                if impl == "raw" and backend == "tensorflow":
                    env["TF_USE_LEGACY_KERAS"] = "1"
                out = subprocess.run([sys.executable, __file__, "--calls", str(args.calls), "--one", impl, backend, name],
                                     env=env, capture_output=True, text=True, timeout=1800)
                ms[impl] = float(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else float("nan")
                if out.returncode:
                    print(out.stderr[-2000:], file=sys.stderr)
            print(f"| {backend} | {name} | {BATCH} | {ms['raw']:.1f} | {ms['kerasport']:.1f} | {ms['keras']:.1f} | "
                  f"{ms['kerasport'] / ms['raw']:.2f} | {ms['kerasport'] / ms['keras']:.2f} |")


if __name__ == "__main__":
    main()
