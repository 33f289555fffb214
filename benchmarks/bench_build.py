"""Wiring speed: how long a model takes to build from symbolic inputs, kerasport against Keras 3.

    python benchmarks/bench_build.py                      # both backends, every row
    python benchmarks/bench_build.py --backends torch --repeats 3

A layer without ``compute_output_shape`` (most custom layers) gets its output shape by running its ``call``, and a
model built on images wires many of them. Rows:

- ``blocks``: three custom conv blocks (``Conv2D`` + ``BatchNormalization`` + ReLU inside one subclassed layer) on
  ``Input((224, 224, 3))``;
- ``text``: a custom token-and-position embedding and two custom transformer blocks (``MultiHeadAttention``,
  ``LayerNormalization``, a feed-forward ``Sequential``) on ``Input((512,))`` tokens, as keras.io writes them;
- ``resnet``: ``applications.ResNet50(include_top=False, weights=None)`` on ``Input((None, None, 3))``.

Each implementation runs in a process of its own. ``first`` is the import and the first build in a fresh process
(what a script pays: Keras on torch loads torch's meta kernels when imported, kerasport on its first large probe);
``again`` is the median of ``--repeats`` more builds.
Prints seconds and kerasport / Keras 3 (target < 1).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROWS = ["blocks", "text", "resnet"]


def build(keras, row):
    layers, ops = keras.layers, keras.ops

    class ConvBlock(layers.Layer):
        def __init__(self, filters, **kwargs):
            super().__init__(**kwargs)
            self.conv = layers.Conv2D(filters, 3, padding="same")
            self.norm = layers.BatchNormalization()

        def call(self, x, training=None):
            return ops.relu(self.norm(self.conv(x), training=training))

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            positions = ops.arange(0, ops.shape(x)[-1], 1)
            return self.token_emb(x) + self.pos_emb(positions)

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, **kwargs):
            super().__init__(**kwargs)
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)

        def call(self, inputs):
            out1 = self.layernorm1(inputs + self.att(inputs, inputs))
            return self.layernorm2(out1 + self.ffn(out1))

    if row == "blocks":
        inputs = keras.Input((224, 224, 3))
        x = inputs
        for filters in (32, 64, 64):
            x = ConvBlock(filters)(x)
        return keras.Model(inputs, x)
    if row == "text":
        inputs = keras.Input((512,), dtype="int32")
        x = TokenAndPositionEmbedding(512, 20000, 64)(inputs)
        for _ in range(2):
            x = TransformerBlock(64, 2, 64)(x)
        return keras.Model(inputs, layers.GlobalAveragePooling1D()(x))
    return keras.applications.ResNet50(include_top=False, weights=None, input_tensor=keras.Input((None, None, 3)))


def child(impl, row, repeats):
    """Run in the child process: build ``row`` ``1 + repeats`` times, print the times as JSON."""
    start = time.perf_counter()
    if impl == "kerasport":
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        import kerasport as keras
    else:
        import keras
    times = []
    for _ in range(1 + repeats):
        build(keras, row)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
    print(json.dumps(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", nargs="+", default=["torch", "tensorflow"])
    parser.add_argument("--rows", nargs="+", default=ROWS)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child, args.repeats)
    print(f"{'backend':<11}{'row':<8}{'kerasport first':>16}{'Keras first':>13}{'kerasport again':>17}"
          f"{'Keras again':>13}{'ratio first':>13}{'ratio again':>13}")
    for backend in args.backends:
        env = dict(os.environ, KERASPORT_BACKEND=backend, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        for row in args.rows:
            result = {}
            for impl in ("kerasport", "keras"):
                out = subprocess.run([sys.executable, __file__, "--child", impl, row, "--repeats", str(args.repeats)],
                                     env=env, capture_output=True, text=True, check=True)
                times = json.loads(out.stdout.strip().splitlines()[-1])
                result[impl] = (times[0], statistics.median(times[1:]) if times[1:] else float("nan"))
            (kf, ka), (ef, ea) = result["kerasport"], result["keras"]
            print(f"{backend:<11}{row:<8}{kf:>16.2f}{ef:>13.2f}{ka:>17.2f}{ea:>13.2f}{kf / ef:>13.2f}{ka / ea:>13.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
