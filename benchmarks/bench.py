"""Training-step speed: kerasport against a hand-written loop in the raw framework and Keras 3.

    python benchmarks/bench.py                 # both backends, every row
    python benchmarks/bench.py --backends torch --steps 200

For each backend and row, the raw loop and kerasport run in one process, taking turns
(``--rounds`` of ``--steps`` steps each, after warm-up), so that load on the machine
hits both alike; Keras 3 runs the same way in a process of its own. Every step's
start is timestamped (kerasport and Keras through a callback on the batch-begin hook)
and the median step time is reported.
Rows: MLP 784-256-256-10 with batches of 32 and 256, a CNN (two 3x3 convolutions
with max pooling, 28x28x1 input, batch 64), an LSTM (40 steps x 32 features,
LSTM(64), Dense(10), batch 64), a transformer encoder block (MultiHeadAttention with
4 heads, d=128, sequence 64, LayerNormalization, feed-forward 256, batch 32), a small
ResNet (3 convolutions with BatchNormalization, two residual adds, 32x32x3, batch 64)
and an Embedding + GRU text classifier (40 tokens, batch 64), trained with Adam on
sparse categorical cross-entropy; ``predict`` is the time of ``model.predict`` on
100k rows of the MLP (batch 1024), as ms per batch (``--steps`` / 5 whole predicts per round).
The raw torch loop is the best a practitioner writes: ``torch.optim.Adam(fused=True)``,
channels-last convolutions, and ``torch.compile(model)`` with ``--jit``. The raw
TensorFlow loop is one ``tf.function`` (XLA with ``--jit``) over plain ``tf`` ops and ``tf.Variable``s with Adam
written out, for every row: the transformer's attention as one fused Q/K/V matmul and batched ``tf.matmul``s,
ResNet's BatchNormalization as ``fused_batch_norm`` in training mode updating the moving statistics (faster than
``tf.nn.moments`` without XLA, on a par with it under XLA), the LSTM and GRU (``reset_after=True``) as a
``tf.while_loop`` with ``maximum_iterations``; each has the parameter count of the kerasport model.
``--jit`` compiles kerasport and Keras with ``jit_compile=True``; ``--policy mixed_bfloat16`` sets the global
dtype policy for kerasport and Keras.
``--cpu-time`` times steps in the process's CPU time instead of wall time, for a machine shared with other
work; run it with ``OMP_NUM_THREADS=1`` (with more threads, idle-spinning workers count as busy).
The table prints ms/step, kerasport / raw and kerasport / Keras 3.
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

ROWS = [("mlp", 32), ("mlp", 256), ("cnn", 64), ("lstm", 64), ("transformer", 32), ("resnet", 64), ("gru", 64),
        ("predict", 1024)]
TARGET = 1.05
now = time.perf_counter  # time.process_time with --cpu-time
N_SAMPLES = 4096
N_PREDICT = 100_000
SHAPES = {"mlp": (784,), "predict": (784,), "cnn": (28, 28, 1), "lstm": (40, 32), "transformer": (64, 128),
          "resnet": (32, 32, 3), "gru": (40,)}


def data(model, batch):
    rng = np.random.RandomState(0)
    n = N_PREDICT if model == "predict" else N_SAMPLES
    if model == "gru":
        x = rng.randint(0, 1000, (n, 40)).astype("int64")
    else:
        x = rng.rand(n, *SHAPES[model]).astype("float32")
    return x, rng.randint(0, 10, n).astype("int64")


# ----------------------------------------------------------------------------- implementations
def keras_like(api, model, jit=False):
    """The same architecture in kerasport or Keras 3 (identical code: the point of kerasport)."""
    L = api.layers
    if model == "transformer":
        x = inputs = api.Input((64, 128))
        x = L.LayerNormalization()(x + L.MultiHeadAttention(4, 32)(x, x))
        x = L.LayerNormalization()(x + L.Dense(128)(L.Dense(256, activation="relu")(x)))
        net = api.Model(inputs, L.Dense(10)(L.GlobalAveragePooling1D()(x)))
    elif model == "resnet":
        x = inputs = api.Input((32, 32, 3))
        x = L.Activation("relu")(L.BatchNormalization()(L.Conv2D(32, 3, padding="same", use_bias=False)(x)))
        for _ in range(2):
            y = L.Activation("relu")(L.BatchNormalization()(L.Conv2D(32, 3, padding="same", use_bias=False)(x)))
            x = L.Activation("relu")(L.Add()([x, L.BatchNormalization()(y)]))
        net = api.Model(inputs, L.Dense(10)(L.GlobalAveragePooling2D()(x)))
    if model in ("transformer", "resnet"):
        net.compile(optimizer=api.optimizers.Adam(1e-3), jit_compile=jit,
                    loss=api.losses.SparseCategoricalCrossentropy(from_logits=True))
        return net
    if model == "gru":
        layers = [api.Input((40,), dtype="int64"), L.Embedding(1000, 64), L.GRU(64), L.Dense(10)]
    elif model in ("mlp", "predict"):
        layers = [api.Input((784,)), L.Dense(256, activation="relu"), L.Dense(256, activation="relu"), L.Dense(10)]
    elif model == "lstm":
        layers = [api.Input((40, 32)), L.LSTM(64), L.Dense(10)]
    else:
        layers = [api.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
                  L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(), L.Dense(10)]
    net = api.Sequential(layers)
    net.compile(optimizer=api.optimizers.Adam(1e-3), jit_compile=jit,
                loss=api.losses.SparseCategoricalCrossentropy(from_logits=True))
    return net


def whole_predicts(predict_all, rows, batch):
    """``run(steps)``: the time of each of ``max(1, steps // 5)`` calls of ``predict_all()`` (a whole predict of
    ``rows`` rows), per batch of ``batch`` rows."""
    def run(steps):
        times = []
        for _ in range(max(1, steps // 5)):
            start = now()
            predict_all()
            times.append((now() - start) / -(-rows // batch))
        return times
    return run


class _StepClock:
    """Records the start of every training step, so per-step times exclude the fit's set-up."""

    def __init__(self):
        self.starts = []

    def tick(self, *args, **kwargs):
        self.starts.append(now())

    def durations(self):
        return list(np.diff(self.starts))


def keras_like_runner(api, model, batch, jit=False, policy=None):
    """A function ``run(steps) -> per-step seconds`` training kerasport or Keras 3 with ``fit``
    (for ``predict``: per-batch seconds of ``predict`` on all rows)."""
    if policy:
        api.mixed_precision.set_global_policy(policy)
    net = keras_like(api, model, jit)
    x, y = data(model, batch)
    clock = _StepClock()
    callback = api.callbacks.LambdaCallback(on_train_batch_begin=clock.tick)
    if model == "predict":
        return whole_predicts(lambda: net.predict(x, batch_size=batch, verbose=0), len(x), batch)

    def run(steps):
        clock.starts = []
        n = batch * (steps + 1)
        reps = -(-n // N_SAMPLES)
        xs, ys = np.concatenate([x] * reps)[:n], np.concatenate([y] * reps)[:n]
        net.fit(xs, ys, batch_size=batch, epochs=1, verbose=0, shuffle=False, callbacks=[callback])
        return clock.durations()

    return run


def raw_torch_runner(model, batch, jit=False):
    import torch
    import torch.nn as nn
    if model == "transformer":
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.attention = nn.MultiheadAttention(128, 4, batch_first=True)
                self.norm1, self.norm2 = nn.LayerNorm(128, eps=1e-3), nn.LayerNorm(128, eps=1e-3)
                self.ff = nn.Sequential(nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 128))
                self.head = nn.Linear(128, 10)

            def forward(self, x):
                x = self.norm1(x + self.attention(x, x, x, need_weights=False)[0])
                return self.head(self.norm2(x + self.ff(x)).mean(1))

        net = Block()
    elif model == "resnet":
        def unit(cin=32):
            return [nn.Conv2d(cin, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32, 1e-3, 0.01), nn.ReLU()]

        class ResNet(nn.Module):  # as keras_like's: each block is conv-BN-ReLU then BN, before the residual add
            def __init__(self):
                super().__init__()
                self.stem = nn.Sequential(*unit(3))
                self.blocks = nn.ModuleList(nn.Sequential(*unit(), nn.BatchNorm2d(32, 1e-3, 0.01)) for _ in range(2))
                self.head = nn.Linear(32, 10)

            def forward(self, x):
                x = self.stem(x)
                for block in self.blocks:
                    x = torch.relu(x + block(x))
                return self.head(x.mean((2, 3)))

        net = ResNet()
    elif model == "gru":
        class Text(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding, self.gru = nn.Embedding(1000, 64), nn.GRU(64, 64, batch_first=True)
                self.head = nn.Linear(64, 10)

            def forward(self, x):
                return self.head(self.gru(self.embedding(x))[0][:, -1])

        net = Text()
    elif model in ("mlp", "predict"):
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
    opt = torch.optim.Adam(net.parameters(), 1e-3, fused=True)
    loss_fn = nn.CrossEntropyLoss()
    x, y = data(model, batch)
    x = torch.from_numpy(x.transpose(0, 3, 1, 2).copy() if model in ("cnn", "resnet") else x)
    if model in ("cnn", "resnet"):
        net, x = net.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    y = torch.from_numpy(y)
    nb = N_SAMPLES // batch
    forward = torch.compile(net) if jit else net
    if model == "predict":
        def predict_all():
            with torch.no_grad():
                return [forward(x[i:i + batch]) for i in range(0, len(x), batch)]
        return whole_predicts(predict_all, len(x), batch)

    def run(steps):
        starts = []
        for i in range(steps + 1):
            starts.append(now())
            j = i % nb
            xb, yb = x[j * batch:(j + 1) * batch], y[j * batch:(j + 1) * batch]
            opt.zero_grad()
            loss = loss_fn(forward(xb), yb)
            loss.backward()
            opt.step()
        return list(np.diff(starts))

    return run


def raw_tf_runner(model, batch, jit=False):
    """``run(steps)`` for a hand-written TensorFlow loop: plain ``tf`` ops on ``tf.Variable``s, one ``tf.function``
    (XLA with ``jit``), Adam written out. ``stats`` are the non-trainable variables (BatchNormalization's moving
    mean and variance), which ``keras_like``'s ``count_params()`` counts with the weights."""
    import tensorflow as tf
    rng = np.random.RandomState(1)
    stats = []

    def var(*shape, value=None):
        init = rng.uniform(-0.05, 0.05, shape) if value is None else np.full(shape, value)
        return tf.Variable(init.astype("float32"))

    def layer_norm(x, gamma, beta):  # LayerNormalization(): last axis, epsilon 1e-3
        mean, variance = tf.nn.moments(x, [-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(variance + 1e-3) * gamma + beta

    if model == "transformer":  # MultiHeadAttention(4, 32) with Q, K, V fused in one (128, 384) kernel
        params = [var(128, 384), var(384), var(128, 128), var(128), var(128, value=1), var(128, value=0),
                  var(128, 256), var(256), var(256, 128), var(128), var(128, value=1), var(128, value=0),
                  var(128, 10), var(10)]

        def forward(x):
            qkv_w, qkv_b, out_w, out_b, g1, b1, w1, c1, w2, c2, g2, b2, head_w, head_b = params
            n = tf.shape(x)[0]
            qkv = tf.reshape(tf.matmul(tf.reshape(x, (-1, 128)), qkv_w) + qkv_b, (n, 64, 3, 4, 32))
            q, k, v = tf.unstack(tf.transpose(qkv, [2, 0, 3, 1, 4]))  # each (batch, heads, 64, 32)
            scores = tf.nn.softmax(tf.matmul(q * 32 ** -0.5, k, transpose_b=True))
            attended = tf.reshape(tf.transpose(tf.matmul(scores, v), [0, 2, 1, 3]), (-1, 128))
            h = layer_norm(tf.reshape(x, (-1, 128)) + tf.matmul(attended, out_w) + out_b, g1, b1)
            h = layer_norm(h + tf.matmul(tf.nn.relu(tf.matmul(h, w1) + c1), w2) + c2, g2, b2)
            return tf.matmul(tf.reduce_mean(tf.reshape(h, (n, 64, 128)), 1), head_w) + head_b
    elif model == "resnet":  # 3 bias-free convolutions, 5 BatchNormalizations (momentum 0.99, epsilon 1e-3)
        params = [var(3, 3, 3, 32), var(3, 3, 32, 32), var(3, 3, 32, 32)] + \
            [v for _ in range(5) for v in (var(32, value=1), var(32, value=0))] + [var(32, 10), var(10)]
        stats = [tf.Variable(np.full(32, value, "float32"), trainable=False) for _ in range(5) for value in (0, 1)]

        def batch_norm(x, i):  # training mode: batch statistics, moving statistics updated in the op
            mean, variance = stats[2 * i:2 * i + 2]
            y, new_mean, new_variance = tf.compat.v1.nn.fused_batch_norm(
                x, params[3 + 2 * i], params[4 + 2 * i], mean, variance, 1e-3, is_training=True,
                exponential_avg_factor=0.01)[:3]
            mean.assign(new_mean)
            variance.assign(new_variance)
            return y

        def unit(x, conv, norm):
            return tf.nn.relu(batch_norm(tf.nn.conv2d(x, params[conv], 1, "SAME"), norm))

        def forward(x):
            x = unit(x, 0, 0)
            for i in (1, 2):  # as keras_like's: conv-BN-ReLU, then BN, before the residual add and ReLU
                x = tf.nn.relu(x + batch_norm(unit(x, i, 2 * i - 1), 2 * i))
            return tf.matmul(tf.reduce_mean(x, [1, 2]), params[-2]) + params[-1]
    elif model == "gru":  # Embedding(1000, 64), GRU(64) with reset_after=True (gates z, r, h), Dense(10)
        params = [var(1000, 64), var(64, 192), var(64, 192), var(2, 192), var(64, 10), var(10)]

        def forward(x):
            table, kernel, recurrent, bias, w, b = params
            n = tf.shape(x)[0]
            inputs = tf.matmul(tf.reshape(tf.gather(table, x), (-1, 64)), kernel) + bias[0]  # all steps at once
            xs = tf.TensorArray(tf.float32, size=40).unstack(
                tf.transpose(tf.reshape(inputs, (n, 40, 192)), [1, 0, 2]))

            def body(i, h):
                xz, xr, xh = tf.split(xs.read(i), 3, axis=1)
                hz, hr, hh = tf.split(tf.matmul(h, recurrent) + bias[1], 3, axis=1)
                z = tf.sigmoid(xz + hz)
                candidate = tf.tanh(xh + tf.sigmoid(xr + hr) * hh)
                return i + 1, z * h + (1 - z) * candidate

            _, h = tf.while_loop(lambda i, _: i < 40, body, (0, tf.zeros([n, 64])), maximum_iterations=40)
            return tf.matmul(h, w) + b
    elif model == "lstm":
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
            # XLA sizes the gradient's accumulators from a static trip count: maximum_iterations gives it.
            _, h, _ = tf.while_loop(lambda i, *_: i < 40, body, (0, zeros, zeros), maximum_iterations=40)
            return tf.matmul(h, w) + b
    elif model in ("mlp", "predict"):
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

    if model == "predict":
        predict = tf.function(forward, jit_compile=jit)
        x = tf.constant(data(model, batch)[0])

        return whole_predicts(lambda: [predict(x[i:i + batch]).numpy() for i in range(0, len(x), batch)],
                              len(x), batch)

    @tf.function(jit_compile=jit)
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, forward(x)))
        grads = tape.gradient(loss, params)
        t.assign_add(1.0)
        alpha = 1e-3 * tf.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        for p, g, m, v in zip(params, grads, ms, vs):
            g = tf.convert_to_tensor(g)  # the Embedding's gradient comes as IndexedSlices: dense Adam, as Keras
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
            starts.append(now())
            j = i % nb
            step(x[j * batch:(j + 1) * batch], y[j * batch:(j + 1) * batch])
        return list(np.diff(starts))

    run.variables, run.step = params + stats, lambda: float(step(x[:batch], y[:batch]))  # for checks by hand
    return run


def measure(impls, backend, model, batch, steps, warmup, rounds, jit=False, policy=None):
    """Median per-step ms of each implementation, run in turns in this process after warm-up."""
    runners = {}
    for impl in impls:
        if impl == "raw":
            if policy:
                continue  # the raw loops are float32
            runner = (raw_torch_runner if backend == "torch" else raw_tf_runner)(model, batch, jit)
            if runner is not None:
                runners[impl] = runner
        elif impl == "kerasport":
            import kerasport
            runners[impl] = keras_like_runner(kerasport, model, batch, jit, policy)
        else:
            import keras
            runners[impl] = keras_like_runner(keras, model, batch, jit, policy)
    for impl, run in list(runners.items()):
        try:
            run(warmup)
        except Exception as e:  # e.g. a framework bug under --jit: report it, time the others
            print(f"# {impl} {backend} {model}/{batch} failed: {type(e).__name__}: {str(e)[:300]}", file=sys.stderr)
            del runners[impl]
    times = {impl: [] for impl in runners}
    for _ in range(rounds):
        for impl, run in runners.items():
            times[impl] += run(steps)
    return {impl: 1000 * statistics.median(t) for impl, t in times.items()}


# ----------------------------------------------------------------------------- driver
def run_case(impls, backend, model, batch, args):
    """``measure`` in a fresh process with the backend selected; {} when it fails."""
    env = {**os.environ, "KERASPORT_BACKEND": backend, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, __file__, "--case", ",".join(impls), backend, model, str(batch), "--steps",
           str(args.steps), "--warmup", str(args.warmup), "--rounds", str(args.rounds)] + \
        (["--jit"] if args.jit else []) + (["--policy", args.policy] if args.policy else []) + \
        (["--cpu-time"] if args.cpu_time else [])
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    for line in out.stderr.splitlines():
        if line.startswith("# "):
            print(line, file=sys.stderr)
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
    parser.add_argument("--rows", nargs="+", help="only these models (mlp, cnn, lstm, transformer, ...)")
    parser.add_argument("--jit", action="store_true", help="jit_compile=True; torch.compile / XLA for the raw loops")
    parser.add_argument("--policy", help="a dtype policy for kerasport and Keras (mixed_bfloat16, ...)")
    parser.add_argument("--cpu-time", action="store_true", help="per-step process CPU time instead of wall time")
    args = parser.parse_args()
    if args.cpu_time:
        global now
        now = time.process_time
    if args.case:
        impls, backend, model, batch = args.case
        print(json.dumps(measure(impls.split(","), backend, model, int(batch), args.steps, args.warmup,
                                 args.rounds, args.jit, args.policy)))
        return
    import importlib.util
    with_keras = not args.no_keras and importlib.util.find_spec("keras") is not None
    impls = ["raw", "kerasport"] + (["keras"] if with_keras else [])
    print(f"# {datetime.date.today()} {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}; "
          f"median ms per training step over {args.rounds} x {args.steps} steps; jit={args.jit}, "
          f"policy={args.policy or 'float32'}; {'process CPU' if args.cpu_time else 'wall'} time")
    print(f"{'backend':<11}{'model':<6}{'batch':>6}" + "".join(f"{i:>11}" for i in impls)
          + f"{'kp/raw':>9}{'kp/keras':>10}")
    results = []
    for backend in args.backends:
        for model, batch in [r for r in ROWS if not args.rows or r[0] in args.rows]:
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
            ok = "" if row["kerasport/raw"] is None or row["kerasport/raw"] <= TARGET else "  (over target)"
            print(f"{backend:<11}{model:<6}{batch:>6}{cells}"
                  f"{row['kerasport/raw'] or float('nan'):>9.2f}{row['kerasport/keras'] or float('nan'):>10.2f}{ok}",
                  flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
