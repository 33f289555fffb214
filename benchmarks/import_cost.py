"""Import cost: ``import kerasport`` against ``import <framework>``, as whole fresh processes.

Runs ``python -c "import torch"`` and ``python -c "import kerasport"`` (and the same for TensorFlow)
alternately, ``--runs`` times each after one warm-up (which writes the ``.pyc`` files), and prints the
medians of wall time and of CPU time (user + system, steadier on a busy machine) and their ratios.
The goal is a ratio of at most 1.2 per backend. Run it on a quiet machine: load shows in every figure.

    python benchmarks/import_cost.py --runs 9
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def seconds(code, backend):
    """(wall, CPU) seconds of a fresh ``python -c code``, with bytecode caching on as for a user."""
    env = dict(os.environ, KERASPORT_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--backends", nargs="+", default=["torch", "tensorflow"])
    args = parser.parse_args()
    print(f"{'backend':<12}{'wall: framework':>16}{'kerasport':>11}{'ratio':>7}"
          f"{'CPU: framework':>16}{'kerasport':>11}{'ratio':>7}")
    for backend in args.backends:
        framework, ours = [], []
        seconds(f"import {backend}", backend)
        seconds("import kerasport", backend)
        for _ in range(args.runs):
            framework.append(seconds(f"import {backend}", backend))
            ours.append(seconds("import kerasport", backend))
        row = f"{backend:<12}"
        for i in (0, 1):
            f, k = (statistics.median(t[i] for t in times) for times in (framework, ours))
            row += f"{f:>16.2f}{k:>11.2f}{k / f:>7.2f}"
        print(row)


if __name__ == "__main__":
    main()
