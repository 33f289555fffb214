"""Import cost: ``import kerasport`` against ``import <framework>``, as whole fresh processes.

Runs ``python -c "import torch"`` and ``python -c "import kerasport"`` (and the same for TensorFlow)
alternately, ``--runs`` times each, and prints the medians and their ratio. The goal is a ratio of at
most 1.2 per backend. Run it on a quiet machine: other load shows up in every figure.

    python benchmarks/import_cost.py --runs 9
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def seconds(code, backend):
    env = dict(os.environ, KERASPORT_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--backends", nargs="+", default=["torch", "tensorflow"])
    args = parser.parse_args()
    print(f"{'backend':<12}{'framework s':>13}{'kerasport s':>13}{'ratio':>8}")
    for backend in args.backends:
        framework, ours = [], []
        for _ in range(args.runs):
            framework.append(seconds(f"import {backend}", backend))
            ours.append(seconds("import kerasport", backend))
        f, k = statistics.median(framework), statistics.median(ours)
        print(f"{backend:<12}{f:>13.2f}{k:>13.2f}{k / f:>8.2f}")


if __name__ == "__main__":
    main()
