"""Training-step speed: kerasport against a hand-written loop in the raw framework and Keras 3.

    python benchmarks/bench.py                 # both backends, every row
    python benchmarks/bench.py --backends torch --steps 200

Each (implementation, backend, model) runs in its own process: warm-up steps, then
``--steps`` timed steps, repeated ``--repeats`` times; the median ms/step is kept.
Rows: MLP 784-256-256-10 with batches of 32 and 256, and a CNN (two 3x3 convolutions
with max pooling, 28x28x1 input, batch 64), trained with Adam on sparse
categorical cross-entropy. The table prints ms/step and kerasport / raw (target <= 1.10)
and kerasport / Keras 3.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

ROWS = [("mlp", 32), ("mlp", 256), ("cnn", 64)]
N_SAMPLES = 4096


def data(model, batch):
    rng = np.random.RandomState(0)
    shape = (N_SAMPLES, 784) if model == "mlp" else (N_SAMPLES, 28, 28, 1)
    return rng.rand(*shape).astype("float32"), rng.randint(0, 10, N_SAMPLES).astype("int64")


# ----------------------------------------------------------------------------- implementations
def keras_like(api, model):
    """The same architecture in kerasport or Keras 3 (identical code: the point of kerasport)."""
    L = api.layers
    if model == "mlp":
        layers = [api.Input((784,)), L.Dense(256, activation="relu"), L.Dense(256, activation="relu"), L.Dense(10)]
    else:
        layers = [api.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
                  L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(), L.Dense(10)]
    net = api.Sequential(layers)
    net.compile(optimizer=api.optimizers.Adam(1e-3),
                loss=api.losses.SparseCategoricalCrossentropy(from_logits=True))
    return net


def time_keras_like(api, model, batch, steps, warmup):
    net = keras_like(api, model)
    x, y = data(model, batch)
    n = batch * steps
    net.fit(x[:batch * warmup], y[:batch * warmup], batch_size=batch, epochs=1, verbose=0, shuffle=False)
    reps = -(-n // N_SAMPLES)
    xs, ys = np.concatenate([x] * reps)[:n], np.concatenate([y] * reps)[:n]
    start = time.perf_counter()
    net.fit(xs, ys, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    return (time.perf_counter() - start) / steps


def time_raw_torch(model, batch, steps, warmup):
    import torch
    import torch.nn as nn
    if model == "mlp":
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    else:
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, 10))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x, y = data(model, batch)
    x = torch.from_numpy(x if model == "mlp" else x.transpose(0, 3, 1, 2).copy())
    y = torch.from_numpy(y)
    nb = N_SAMPLES // batch

    def run(k):
        for i in range(k):
            j = i % nb
            xb, yb = x[j * batch:(j + 1) * batch], y[j * batch:(j + 1) * batch]
            opt.zero_grad()
            loss = loss_fn(net(xb), yb)
            loss.backward()
            opt.step()
        return loss.item()

    run(warmup)
    start = time.perf_counter()
    run(steps)
    return (time.perf_counter() - start) / steps


def time_raw_tf(model, batch, steps, warmup):
    import tensorflow as tf
    rng = np.random.RandomState(1)

    def var(*shape):
        return tf.Variable(rng.uniform(-0.05, 0.05, shape).astype("float32"))

    if model == "mlp":
        params = [var(784, 256), var(256), var(256, 256), var(256), var(256, 10), var(10)]

        def forward(x):
            h = tf.nn.relu(tf.matmul(x, params[0]) + params[1])
            h = tf.nn.relu(tf.matmul(h, params[2]) + params[3])
            return tf.matmul(h, params[4]) + params[5]
    else:
        params = [var(3, 3, 1, 32), var(32), var(3, 3, 32, 64), var(64), var(5 * 5 * 64, 10), var(10)]

        def forward(x):
            h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, params[0], 1, "VALID"), params[1]))
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, params[2], 1, "VALID"), params[3]))
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            return tf.matmul(tf.reshape(h, (-1, 5 * 5 * 64)), params[4]) + params[5]

    ms = [tf.Variable(tf.zeros_like(p)) for p in params]
    vs = [tf.Variable(tf.zeros_like(p)) for p in params]
    t = tf.Variable(0.0)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, forward(x)))
        grads = tape.gradient(loss, params)
        t.assign_add(1.0)
        alpha = 1e-3 * tf.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        for p, g, m, v in zip(params, grads, ms, vs):
            m.assign_add((g - m) * 0.1)
            v.assign_add((g * g - v) * 0.001)
            p.assign_sub(alpha * m / (tf.sqrt(v) + 1e-7))
        return loss

    x, y = data(model, batch)
    x, y = tf.constant(x), tf.constant(y)
    nb = N_SAMPLES // batch

    def run(k):
        for i in range(k):
            j = i % nb
            loss = step(x[j * batch:(j + 1) * batch], y[j * batch:(j + 1) * batch])
        return float(loss)

    run(warmup)
    start = time.perf_counter()
    run(steps)
    return (time.perf_counter() - start) / steps


def measure(impl, backend, model, batch, steps, warmup):
    if impl == "raw":
        return (time_raw_torch if backend == "torch" else time_raw_tf)(model, batch, steps, warmup)
    if impl == "kerasport":
        import kerasport as api
    else:
        import keras as api
    return time_keras_like(api, model, batch, steps, warmup)


# ----------------------------------------------------------------------------- driver
def run_case(impl, backend, model, batch, args):
    env = {**os.environ, "KERASPORT_BACKEND": backend, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, __file__, "--case", impl, backend, model, str(batch), "--steps", str(args.steps),
           "--warmup", str(args.warmup)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        return None
    return float(out.stdout.strip().splitlines()[-1])


def keras_available():
    try:
        import importlib.util
        return importlib.util.find_spec("keras") is not None
    except ImportError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["torch", "tensorflow"])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", nargs=4, metavar=("IMPL", "BACKEND", "MODEL", "BATCH"))
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.case:
        impl, backend, model, batch = args.case
        print(measure(impl, backend, model, int(batch), args.steps, args.warmup) * 1000)
        return
    impls = ["raw", "kerasport"] + (["keras"] if keras_available() else [])
    print(f"# {datetime.date.today()} {platform.machine()} {os.cpu_count()} CPUs, python {platform.python_version()}, "
          f"{args.steps} steps x {args.repeats} repeats (median ms/step)")
    print(f"{'backend':<11}{'model':<6}{'batch':>6}" + "".join(f"{i:>11}" for i in impls)
          + f"{'kp/raw':>9}{'kp/keras':>10}")
    results = []
    for backend in args.backends:
        for model, batch in ROWS:
            ms = {}
            for _ in range(args.repeats):  # interleave implementations so drift hits all alike
                for impl in impls:
                    value = run_case(impl, backend, model, batch, args)
                    if value is not None:
                        ms.setdefault(impl, []).append(value)
            med = {k: statistics.median(v) for k, v in ms.items()}
            kp, raw, ker = med.get("kerasport"), med.get("raw"), med.get("keras")
            row = {"backend": backend, "model": model, "batch": batch, **med,
                   "kerasport/raw": kp / raw if kp and raw else None,
                   "kerasport/keras": kp / ker if kp and ker else None}
            results.append(row)
            cells = "".join(f"{med[i]:>11.3f}" if i in med else f"{'n/a':>11}" for i in impls)
            print(f"{backend:<11}{model:<6}{batch:>6}{cells}"
                  f"{row['kerasport/raw'] or float('nan'):>9.2f}{row['kerasport/keras'] or float('nan'):>10.2f}",
                  flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
