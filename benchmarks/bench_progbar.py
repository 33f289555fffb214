"""What the progress bar costs per training step, against a 1 ms step.

Runs the epoch loop's callback hooks around a 1 ms busy-wait standing in for
the train step, once with the terminal progress bar (writing to a null
terminal) and once with ``verbose=0``, and times only the hooks, in CPU time
of this thread (so that other processes taking the CPU do not count). The bar
redraws every 0.1 s and reads the metrics from the device only then, so its
cost per step should stay far below 2% of the step.

    KERASPORT_BACKEND=torch python benchmarks/bench_progbar.py
    KERASPORT_BACKEND=tensorflow python benchmarks/bench_progbar.py
"""
import datetime
import os
import platform
import time

import numpy as np

import kerasport
from kerasport.callbacks import CallbackList, ProgbarLogger

STEP_SECONDS = 1e-3
STEPS = 3000
REPEATS = 3


class NullTerminal:
    """A terminal that throws the bar away (so we time tqdm, not the console)."""

    def write(self, text):
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return True


def small_model():
    x = np.random.RandomState(0).randn(64, 8).astype("float32")
    model = kerasport.Sequential([kerasport.Input((8,)), kerasport.layers.Dense(4)])
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(x, x[:, :4], epochs=1, verbose=0)  # metrics hold real device values
    return model


def hook_seconds_per_step(model, with_bar):
    """Seconds spent in the callback hooks per step, for one epoch of ``STEPS`` 1 ms steps."""
    callbacks = [ProgbarLogger(file=NullTerminal())] if with_bar else None
    cbs = CallbackList(callbacks, model=model, add_history=True, verbose=1 if with_bar else 0, epochs=1,
                       steps=STEPS)
    spent = 0.0
    clock, wall = time.thread_time, time.perf_counter
    t = clock()
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    spent += clock() - t
    for step in range(STEPS):
        t = clock()
        cbs.on_train_batch_begin(step)
        spent += clock() - t
        end = wall() + STEP_SECONDS
        while wall() < end:  # the "train step"
            pass
        t = clock()
        cbs.on_train_batch_end(step, model._batch_logs if cbs.wants_batch_logs else None)
        spent += clock() - t
    t = clock()
    cbs.on_epoch_end(0, model.get_metrics_result())
    cbs.on_train_end()
    spent += clock() - t
    return spent / STEPS


def main():
    model = small_model()
    plain = min(hook_seconds_per_step(model, False) for _ in range(REPEATS))
    bar = min(hook_seconds_per_step(model, True) for _ in range(REPEATS))
    overhead = bar - plain
    print(f"# progress bar cost per step ({kerasport.backend.backend()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, {datetime.date.today()})")
    print(f"{'hooks':<28}{'us/step':>10}{'% of 1 ms step':>16}")
    print(f"{'verbose=0 (History only)':<28}{plain * 1e6:>10.2f}{plain / STEP_SECONDS * 100:>15.3f}%")
    print(f"{'verbose=1 (tqdm bar)':<28}{bar * 1e6:>10.2f}{bar / STEP_SECONDS * 100:>15.3f}%")
    print(f"{'bar overhead':<28}{overhead * 1e6:>10.2f}{overhead / STEP_SECONDS * 100:>15.3f}%")
    print("within budget (< 2%)" if overhead / STEP_SECONDS < 0.02 else "OVER BUDGET (>= 2%)")


if __name__ == "__main__":
    main()
