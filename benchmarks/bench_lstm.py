"""LSTM training-step speed: kerasport against a hand-written raw-framework loop (and Keras 3).

    KERASPORT_BACKEND=torch python benchmarks/bench_lstm.py
    KERASPORT_BACKEND=tensorflow python benchmarks/bench_lstm.py --steps 100

Model: input 40 steps x 32 features, ``LSTM(64)``, ``Dense(10)``, batch 64, Adam, MSE.
kerasport is timed through ``fit`` (the path users run). The reference is a plain
``torch.nn.LSTM`` + ``Linear`` loop with ``torch.optim.Adam`` on torch; on TensorFlow the
faster of a hand-written ``tf.function`` step (``tf.while_loop`` LSTM) and Keras 3's ``LSTM``.
Prints ms/step after warm-up (median of ``--repeats``) and kerasport / reference (target <= 1.15).
"""
import argparse
import os
import statistics
import time

import numpy as np

STEPS, FEATURES, UNITS, OUT, BATCH = 40, 32, 64, 10, 64


def data(steps):
    rng = np.random.RandomState(0)
    n = BATCH * steps
    return rng.randn(n, STEPS, FEATURES).astype("float32"), rng.randn(n, OUT).astype("float32")


def time_fit(api, steps, repeats):
    """ms/step of ``fit`` for kerasport or Keras 3 (the same code)."""
    net = api.Sequential([api.Input((STEPS, FEATURES)), api.layers.LSTM(UNITS), api.layers.Dense(OUT)])
    net.compile(optimizer=api.optimizers.Adam(1e-3), loss="mse")
    x, y = data(steps)
    net.fit(x[:BATCH * 5], y[:BATCH * 5], batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        net.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times) * 1e3


def time_raw_torch(steps, repeats):
    import torch
    lstm, dense = torch.nn.LSTM(FEATURES, UNITS, batch_first=True), torch.nn.Linear(UNITS, OUT)
    params = list(lstm.parameters()) + list(dense.parameters())
    opt = torch.optim.Adam(params, 1e-3)
    x, y = (torch.from_numpy(a) for a in data(steps))

    def step(i):
        xb, yb = x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]
        out, _ = lstm(xb)
        loss = torch.nn.functional.mse_loss(dense(out[:, -1]), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for i in range(5):
        step(i)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(steps):
            loss = step(i)
        loss.item()
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times) * 1e3


def time_raw_tf(steps, repeats):
    import tensorflow as tf
    rng = np.random.RandomState(1)
    params = [tf.Variable(rng.randn(*s).astype("float32") * 0.1) for s in
              [(FEATURES, 4 * UNITS), (UNITS, 4 * UNITS), (4 * UNITS,), (UNITS, OUT), (OUT,)]]
    ms, vs = [tf.Variable(tf.zeros_like(p)) for p in params], [tf.Variable(tf.zeros_like(p)) for p in params]
    t = tf.Variable(0.0)
    x, y = data(steps)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            kernel, recurrent, bias, w, b = params
            xs = tf.TensorArray(tf.float32, size=STEPS).unstack(tf.transpose(xb, [1, 0, 2]))

            def body(i, h, c):
                z = tf.matmul(xs.read(i), kernel) + tf.matmul(h, recurrent) + bias
                zi, zf, zc, zo = tf.split(z, 4, axis=1)
                c = tf.sigmoid(zf) * c + tf.sigmoid(zi) * tf.tanh(zc)
                return i + 1, tf.sigmoid(zo) * tf.tanh(c), c

            zeros = tf.zeros([tf.shape(xb)[0], UNITS])
            _, h, _ = tf.while_loop(lambda i, *_: i < STEPS, body, (0, zeros, zeros))
            loss = tf.reduce_mean(tf.square(tf.matmul(h, w) + b - yb))
        grads = tape.gradient(loss, params)
        t.assign_add(1.0)
        alpha = 1e-3 * tf.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        for p, g, m, v in zip(params, grads, ms, vs):
            m.assign_add((g - m) * 0.1)
            v.assign_add((tf.square(g) - v) * 0.001)
            p.assign_sub(alpha * m / (tf.sqrt(v) + 1e-7))
        return loss

    batches = [(tf.constant(x[i * BATCH:(i + 1) * BATCH]), tf.constant(y[i * BATCH:(i + 1) * BATCH]))
               for i in range(steps)]
    for xb, yb in batches[:5]:
        step(xb, yb)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for xb, yb in batches:
            loss = step(xb, yb)
        loss.numpy()
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import kerasport
    backend = kerasport.backend.backend()
    rows = {"kerasport": time_fit(kerasport, args.steps, args.repeats)}
    if backend == "torch":
        rows["raw torch (nn.LSTM + Adam)"] = time_raw_torch(args.steps, args.repeats)
        reference = rows["raw torch (nn.LSTM + Adam)"]
    else:
        os.environ["KERAS_BACKEND"] = "tensorflow"
        import keras
        rows["raw tf.function (while_loop)"] = time_raw_tf(args.steps, args.repeats)
        rows["Keras 3 LSTM"] = time_fit(keras, args.steps, args.repeats)
        reference = min(rows["raw tf.function (while_loop)"], rows["Keras 3 LSTM"])
    print(f"LSTM(64) on 40x32, batch {BATCH}, backend {backend}, {kerasport.backends.B.device_name()}")
    for name, ms in rows.items():
        print(f"  {name:32s} {ms:8.2f} ms/step")
    print(f"  kerasport / fastest reference: {rows['kerasport'] / reference:.2f} (target <= 1.15)")


if __name__ == "__main__":
    main()
