"""TensorFlow traces of the steps: ``fit`` with a smaller last batch and a validation split, ``evaluate`` and
``predict`` at other batch sizes, on MobileNetV2 (64x64x3, 1,000 images). Prints the wall time of the whole and
how many times the counting layer's ``call`` ran: its shape probe (twice, at two batch sizes, in a graph) and
each trace of the train, test and predict steps (commit bf183ed: 11.3 s, 8 calls, a trace per batch size;
after: 7.5 s, 5 calls, one trace per step).

    KERASPORT_BACKEND=tensorflow python benchmarks/bench_traces.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import time  # noqa: E402

import numpy as np  # noqa: E402

import kerasport as keras  # noqa: E402

traces = []


class Count(keras.layers.Layer):
    def call(self, x):
        traces.append(1)
        return x


x = np.random.RandomState(0).rand(1000, 64, 64, 3).astype("float32")
y = np.random.RandomState(1).randint(0, 10, 1000)
t = time.time()
model = keras.applications.MobileNetV2(input_shape=(64, 64, 3), weights=None, classes=10)
inp = keras.Input((64, 64, 3))
model = keras.Model(inp, model(Count()(inp)))
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=64, epochs=1, validation_split=0.1, verbose=0)   # 900 = 14x64 + 4; 100 = 64 + 36
model.evaluate(x[:500], y[:500], batch_size=128, verbose=0)
model.predict(x[:300], batch_size=128, verbose=0)
print(f"{time.time() - t:.1f} s, {len(traces)} calls of the model's call (traces and probes)")
