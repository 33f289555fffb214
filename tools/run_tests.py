"""The test command of `make test` (and so of .ci/run): the suite on both backends, on every core.

The work is four passes: the whole suite under ``KERASPORT_BACKEND=torch`` and under
``KERASPORT_BACKEND=tensorflow``, then the TensorFlow-kernel-sensitive tests again with
``TF_ENABLE_ONEDNN_OPTS=0``, i.e. on the Eigen CPU kernels of machines without AVX-512 (``EIGEN``
says which, and why). Each pass is cut into shards (one pytest process each, one thread each, see ``SHARDS``);
the last shard of a default pass is ``tests`` minus the other shards, so a new test file is always run.
The shards run on ``KERASPORT_TEST_WORKERS`` workers (default: the number of CPUs), longest first
(``COST``, estimated core-seconds), so that no core idles while another still has a long queue; the
shards that mostly wait on child processes (``WAITING``) run beside them, one at a time.

The shards share the Keras oracle's answers through a folder of this run (``KERASPORT_TEST_ORACLE_CACHE``,
see ``shared_answer`` in tests/helpers.py): Keras runs each program once per kind of CPU kernels instead
of once per backend.

Each shard's log is printed once the shard ends, then a table of every shard. pytest's exit code 5
(no test collected) means the suite is broken, so it fails the run with its own message instead of
passing silently; the exit status is non-zero if any shard fails.

Usage: python tools/run_tests.py [PYTHON]   (PYTHON runs pytest; default: this interpreter)
"""
import os
import re
import subprocess
import sys
import tempfile
import time

BACKENDS = ("torch", "tensorflow")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dealt(folder, parts):
    """The test files of ``folder`` dealt in turn into ``parts`` lists (paths relative to the repository root), so
    that one long folder runs as several shards and a new file lands in one of them."""
    files = sorted(f for f in os.listdir(os.path.join(ROOT, folder)) if f.startswith("test_") and f.endswith(".py"))
    return [[f"{folder}/{f}" for f in files[i::parts]] for i in range(parts)]


KERAS_IO = dealt("tests/keras_io", 2)  # TensorFlow's half of it is the longest shard of a run

# What a program uses for its numbers to depend on the kind of CPU kernels beyond rounding: the convolutions (which
# the TensorFlow backend runs another way on Eigen, see EIGEN) and the recurrent and spectral kernels.
KERNEL_SENSITIVE = re.compile(r"Conv|Depthwise|Separable|channels_first|applications|extract_patches|LSTM|GRU|RNN"
                              r"|stft|fft")


def kernel_sensitive(paths):
    """The files of ``paths`` whose text names something of ``KERNEL_SENSITIVE``."""
    def uses(path):
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            return KERNEL_SENSITIVE.search(f.read()) is not None
    return [path for path in paths if uses(path)]


# The default pass's shards (paths relative to the repository root); "rest" is everything else under tests/.
SHARDS = {
    "distribution": ["tests/distribution"],
    "applications": ["tests/applications"],
    "saving": ["tests/saving"],
    "keras_programs": ["tests/programs/test_keras_programs.py", "tests/programs/test_layer_and_loss_programs.py",
                       "tests/programs/test_guide_programs.py", "tests/programs/test_string_programs.py"],
    "keras_io-1": KERAS_IO[0],
    "keras_io-2": KERAS_IO[1],
    "layers": ["tests/layers"],
    "ops": ["tests/test_ops.py", "tests/test_ops_image.py"],
}

# Shards that mostly wait (the 2-process distribution runs: TensorFlow imports in the children, a 30 s
# collective timeout) run beside the workers, one at a time, instead of holding a core.
WAITING = {"distribution"}

# The saving tests that exchange files with Keras 3 / tf_keras and compare numbers with it.
SAVING_INTEROP = ["tests/saving/test_interop.py", "tests/saving/test_interop_layers.py",
                  "tests/saving/test_keras_files_sweep.py", "tests/saving/test_keras_ops_graphs.py",
                  "tests/saving/test_layer_without_init.py", "tests/saving/test_weights_h5_optimizer.py"]

# The TF_ENABLE_ONEDNN_OPTS=0 pass: the tests whose numbers depend on the kind of CPU kernels, as
# {name: (backends, paths)}. Under TensorFlow every computation changes kernels: the convolutions (the forms
# Eigen lacks, channels_first, grouped, dilated transposed, run another way by the backend), ConvLSTM, the
# saving interop with Keras and the Keras programs run again, and of the keras.io programs those that use a
# convolution, a recurrent layer or an FFT (``kernel_sensitive``): the others take the same path in kerasport on
# both kinds of kernel, and their Eigen numbers differ from oneDNN's by rounding only. Under torch only the
# Keras-on-TensorFlow oracle changes kernels: the convolutions run again, where the oracle falls back to Keras
# on torch in a child process for the forms Eigen lacks (tests/helpers.py: keras_reference). The saving
# interop's oracle (keras_predict) and the Keras programs' (check_program) take the same fallback in the same
# code under both backends, so TensorFlow's pass checks it; under torch they would compare the same kerasport
# numbers with Keras's at the same tolerance. The other saving tests (atomic writes, crafted and fuzzed files,
# safe mode, round trips within kerasport, the export matrix of channels_last models against each format's
# runtime) compare kerasport with itself or with runtimes of their own, on forms both kinds of kernel have.
EIGEN = {
    "eigen-conv": (BACKENDS, ["tests/layers/test_conv.py", "tests/layers/test_conv_lstm.py"]),
    "eigen-saving": (("tensorflow",), SAVING_INTEROP),
    "eigen-keras_programs": (("tensorflow",), SHARDS["keras_programs"]),
    "eigen-keras_io-1": (("tensorflow",), kernel_sensitive(KERAS_IO[0])),
    "eigen-keras_io-2": (("tensorflow",), kernel_sensitive(KERAS_IO[1])),
}

# Seconds each shard took on one thread in a run on the 2-core machine (the table a run prints at its end gives new
# ones). Only the order uses them: longest first, WAITING shards aside. Whichever pass runs a Keras program first
# pays for its oracle, which is why the TensorFlow keras_io shards cost more than torch's.
COST = {
    ("tensorflow", "rest"): 385, ("tensorflow", "saving"): 310, ("tensorflow", "keras_io-1"): 235,
    ("tensorflow", "keras_io-2"): 235, ("torch", "saving"): 220, ("torch", "rest"): 195,
    ("tensorflow", "layers"): 165, ("tensorflow", "keras_programs"): 160, ("tensorflow", "eigen-saving"): 140,
    ("tensorflow", "eigen-keras_io-1"): 80, ("tensorflow", "eigen-keras_io-2"): 80, ("torch", "layers"): 115,
    ("torch", "keras_io-1"): 90, ("torch", "keras_io-2"): 90, ("tensorflow", "applications"): 75,
    ("tensorflow", "eigen-keras_programs"): 60, ("tensorflow", "eigen-conv"): 37, ("torch", "eigen-conv"): 35,
    ("torch", "keras_programs"): 32, ("torch", "applications"): 17, ("tensorflow", "ops"): 15, ("torch", "ops"): 14,
}


def plan():
    """Every shard as ``(backend, name, extra environment, pytest arguments)``, longest first."""
    jobs = []
    for backend in BACKENDS:
        ignored = [path for paths in SHARDS.values() for path in paths]
        for name, paths in list(SHARDS.items()) + [("rest", ["tests"] + [f"--ignore={p}" for p in ignored])]:
            jobs.append((backend, name, {}, paths))
        for name, (backends, paths) in EIGEN.items():
            if backend in backends:
                jobs.append((backend, name, {"TF_ENABLE_ONEDNN_OPTS": "0"}, paths))
    return sorted(jobs, key=lambda job: -COST.get(job[:2], 0))


def run(python, jobs, workers, out=sys.stdout):
    """Run ``jobs`` (as from ``plan``, in that order) with pytest under ``python``: ``workers`` shards at a time,
    and a ``WAITING`` shard beside them. Prints each log as its shard ends, then a table of every shard;
    returns the exit status, 1 if any shard failed (or collected no test), else 0."""
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
    queues = {lane: [job for job in jobs if (job[1] in WAITING) == (lane == "waiting")] for lane in ("cpu", "waiting")}
    limits = {"cpu": workers, "waiting": 1}
    running, results = [], []
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as logs:
        env["KERASPORT_TEST_ORACLE_CACHE"] = os.path.join(logs, "oracle")  # see tests/helpers.py: shared_answer
        os.mkdir(env["KERASPORT_TEST_ORACLE_CACHE"])
        while running or any(queues.values()):
            for lane, queue in queues.items():
                while queue and sum(item["lane"] == lane for item in running) < limits[lane]:
                    # The other backend's run of the same shard would wait for Keras's answers: run it later.
                    busy = [item["shard"] for item in running]
                    backend, name, extra, args = queue.pop(next(
                        (i for i, job in enumerate(queue) if (job[1], job[2]) not in busy), 0))
                    log = open(os.path.join(logs, f"{backend}-{name}.log"), "w+")
                    proc = subprocess.Popen([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                                            env={**env, **extra, "KERASPORT_BACKEND": backend}, stdout=log,
                                            stderr=subprocess.STDOUT)
                    label = " ".join([f"KERASPORT_BACKEND={backend}", *(f"{k}={v}" for k, v in extra.items()), name])
                    running.append({"proc": proc, "log": log, "lane": lane, "label": label, "shard": (name, extra),
                                    "began": time.monotonic()})
            time.sleep(0.2)
            for item in [item for item in running if item["proc"].poll() is not None]:
                running.remove(item)
                code = item["proc"].returncode
                item["log"].seek(0)
                out.write(f"=== {item['label']} ===\n{item['log'].read()}")
                item["log"].close()
                if code == 5:
                    out.write(f"pytest collected no test ({item['label']})\n")
                results.append((item["label"], code, time.monotonic() - item["began"]))
                out.flush()
    out.write(f"=== {len(results)} shards, {workers} workers, {time.monotonic() - start:.0f} s ===\n")
    for label, code, seconds in results:
        out.write(f"{'ok' if code == 0 else f'FAILED (exit {code})':>16}  {seconds:6.0f} s  {label}\n")
    out.flush()
    return int(any(code != 0 for _, code, _ in results))


if __name__ == "__main__":
    os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else sys.executable, plan(),
                 int(os.environ.get("KERASPORT_TEST_WORKERS") or os.cpu_count() or 1)))
