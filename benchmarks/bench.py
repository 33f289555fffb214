"""Training-step speed: kerasport against a hand-written loop in the raw framework and Keras 3.

    python benchmarks/bench.py                 # both backends, every row
    python benchmarks/bench.py --backends torch --steps 200

For each backend and row, the raw loop and kerasport run in one process, taking turns
(``--rounds`` of ``--steps`` steps each, after warm-up), so that load on the machine
hits both alike; Keras 3 runs the same way in a process of its own. Every step's
start is timestamped (kerasport and Keras through a callback on the batch-begin hook)
and the median step time is reported.
Rows: MLP 784-256-256-10 with batches of 32 and 256, a CNN (two 3x3 convolutions
with max pooling, 28x28x1 input, batch 64) and an LSTM (40 steps x 32 features,
LSTM(64), Dense(10), batch 64), trained with Adam on sparse categorical
cross-entropy. The table prints ms/step, kerasport / raw (target <= 1.10, LSTM
<= 1.15; for the TensorFlow LSTM "raw" is the faster of the hand-written
``tf.function`` loop and Keras 3) and kerasport / Keras 3.
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

ROWS = [("mlp", 32), ("mlp", 256), ("cnn", 64), ("lstm", 64)]
TARGETS = {"mlp": 1.10, "cnn": 1.10, "lstm": 1.15}
N_SAMPLES = 4096


def data(model, batch):
    rng = np.random.RandomState(0)
    shape = {"mlp": (N_SAMPLES, 784), "cnn": (N_SAMPLES, 28, 28, 1), "lstm": (N_SAMPLES, 40, 32)}[model]
    return rng.rand(*shape).astype("float32"), rng.randint(0, 10, N_SAMPLES).astype("int64")


# ----------------------------------------------------------------------------- implementations
def keras_like(api, model):
    """The same architecture in kerasport or Keras 3 (identical code: the point of kerasport)."""
    L = api.layers
    if model == "mlp":
        layers = [api.Input((784,)), L.Dense(256, activation="relu"), L.Dense(256, activation="relu"), L.Dense(10)]
    elif model == "lstm":
        layers = [api.Input((40, 32)), L.LSTM(64), L.Dense(10)]
    else:
        layers = [api.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
                  L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(), L.Dense(10)]
    net = api.Sequential(layers)
    net.compile(optimizer=api.optimizers.Adam(1e-3),
                loss=api.losses.SparseCategoricalCrossentropy(from_logits=True))
    return net


class _StepClock:
    """Records the start of every training step, so per-step times exclude the fit's set-up."""

    def __init__(self):
        self.starts = []

    def tick(self, *args, **kwargs):
        self.starts.append(time.perf_counter())

    def durations(self):
        return list(np.diff(self.starts))


def keras_like_runner(api, model, batch):
    """A function ``run(steps) -> per-step seconds`` training kerasport or Keras 3 with ``fit``."""
    net = keras_like(api, model)
    x, y = data(model, batch)
    clock = _StepClock()
    callback = api.callbacks.LambdaCallback(on_train_batch_begin=clock.tick)

    def run(steps):
        clock.starts = []
        n = batch * (steps + 1)
        reps = -(-n // N_SAMPLES)
        xs, ys = np.concatenate([x] * reps)[:n], np.concatenate([y] * reps)[:n]
        net.fit(xs, ys, batch_size=batch, epochs=1, verbose=0, shuffle=False, callbacks=[callback])
        return clock.durations()

    return run


def raw_torch_runner(model, batch):
    import torch
    import torch.nn as nn
    if model == "mlp":
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    elif model == "lstm":
        class LastStep(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm, self.dense = nn.LSTM(32, 64, batch_first=True), nn.Linear(64, 10)

            def forward(self, x):
                return self.dense(self.lstm(x)[0][:, -1])

        net = LastStep()
    else:
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, 10))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x, y = data(model, batch)
    x = torch.from_numpy(x.transpose(0, 3, 1, 2).copy() if model == "cnn" else x)
    y = torch.from_numpy(y)
    nb = N_SAMPLES // batch

    def run(steps):
        starts = []
        for i in range(steps + 1):
            starts.append(time.perf_counter())
            j = i % nb
            xb, yb = x[j * batch:(j + 1) * batch], y[j * batch:(j + 1) * batch]
            opt.zero_grad()
            loss = loss_fn(net(xb), yb)
            loss.backward()
            opt.step()
        return list(np.diff(starts))

    return run


def raw_tf_runner(model, batch):
    import tensorflow as tf
    rng = np.random.RandomState(1)

    def var(*shape):
        return tf.Variable(rng.uniform(-0.05, 0.05, shape).astype("float32"))

    if model == "lstm":
        params = [var(32, 256), var(64, 256), var(256), var(64, 10), var(10)]

        def forward(x):
            kernel, recurrent, bias, w, b = params
            xs = tf.TensorArray(tf.float32, size=40).unstack(tf.transpose(x, [1, 0, 2]))

            def body(i, h, c):
                z = tf.matmul(xs.read(i), kernel) + tf.matmul(h, recurrent) + bias
                zi, zf, zc, zo = tf.split(z, 4, axis=1)
                c = tf.sigmoid(zf) * c + tf.sigmoid(zi) * tf.tanh(zc)
                return i + 1, tf.sigmoid(zo) * tf.tanh(c), c

            zeros = tf.zeros([tf.shape(x)[0], 64])
            _, h, _ = tf.while_loop(lambda i, *_: i < 40, body, (0, zeros, zeros))
            return tf.matmul(h, w) + b
    elif model == "mlp":
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

    def run(steps):
        starts = []
        for i in range(steps + 1):
            starts.append(time.perf_counter())
            j = i % nb
            step(x[j * batch:(j + 1) * batch], y[j * batch:(j + 1) * batch])
        return list(np.diff(starts))

    return run


def measure(impls, backend, model, batch, steps, warmup, rounds):
    """Median per-step ms of each implementation, run in turns in this process after warm-up."""
    runners = {}
    for impl in impls:
        if impl == "raw":
            runners[impl] = (raw_torch_runner if backend == "torch" else raw_tf_runner)(model, batch)
        elif impl == "kerasport":
            import kerasport
            runners[impl] = keras_like_runner(kerasport, model, batch)
        else:
            import keras
            runners[impl] = keras_like_runner(keras, model, batch)
    times = {impl: [] for impl in impls}
    for run in runners.values():
        run(warmup)
    for _ in range(rounds):
        for impl, run in runners.items():
            times[impl] += run(steps)
    return {impl: 1000 * statistics.median(t) for impl, t in times.items()}


# ----------------------------------------------------------------------------- driver
def run_case(impls, backend, model, batch, args):
    """``measure`` in a fresh process with the backend selected; {} when it fails."""
    env = {**os.environ, "KERASPORT_BACKEND": backend, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, __file__, "--case", ",".join(impls), backend, model, str(batch), "--steps",
           str(args.steps), "--warmup", str(args.warmup), "--rounds", str(args.rounds)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        print(f"# {','.join(impls)} {backend} {model}/{batch} failed: {out.stderr.strip()[-300:]}", file=sys.stderr)
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["torch", "tensorflow"])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per round and implementation")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of raw/kerasport taking turns")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras 3 column")
    parser.add_argument("--case", nargs=4, metavar=("IMPLS", "BACKEND", "MODEL", "BATCH"))
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.case:
        impls, backend, model, batch = args.case
        print(json.dumps(measure(impls.split(","), backend, model, int(batch), args.steps, args.warmup,
                                 args.rounds)))
        return
    import importlib.util
    with_keras = not args.no_keras and importlib.util.find_spec("keras") is not None
    impls = ["raw", "kerasport"] + (["keras"] if with_keras else [])
    print(f"# {datetime.date.today()} {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}; "
          f"median ms per training step over {args.rounds} x {args.steps} steps")
    print(f"{'backend':<11}{'model':<6}{'batch':>6}" + "".join(f"{i:>11}" for i in impls)
          + f"{'kp/raw':>9}{'kp/keras':>10}")
    results = []
    for backend in args.backends:
        for model, batch in ROWS:
            med = run_case(["raw", "kerasport"], backend, model, batch, args)
            if with_keras:
                med.update(run_case(["keras"], backend, model, batch, args))
            kp, raw, ker = med.get("kerasport"), med.get("raw"), med.get("keras")
            if model == "lstm" and backend == "tensorflow" and raw and ker:
                raw = min(raw, ker)
            row = {"backend": backend, "model": model, "batch": batch, **med,
                   "kerasport/raw": kp / raw if kp and raw else None,
                   "kerasport/keras": kp / ker if kp and ker else None}
            results.append(row)
            cells = "".join(f"{med[i]:>11.3f}" if i in med else f"{'n/a':>11}" for i in impls)
            ok = "" if row["kerasport/raw"] is None or row["kerasport/raw"] <= TARGETS[model] else "  (over target)"
            print(f"{backend:<11}{model:<6}{batch:>6}{cells}"
                  f"{row['kerasport/raw'] or float('nan'):>9.2f}{row['kerasport/keras'] or float('nan'):>10.2f}{ok}",
                  flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
