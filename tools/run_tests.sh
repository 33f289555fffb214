#!/usr/bin/env bash
# The test command of `make test` (and so of .ci/run): the whole suite once per backend, then the
# TensorFlow-kernel-sensitive tests (convolutions, saving interop, Keras programs) again with
# TF_ENABLE_ONEDNN_OPTS=0, i.e. on the Eigen CPU kernels of machines without AVX-512 (the Keras
# oracle runs on TensorFlow under both backends, so both are checked there too).
# The two backends' pytest processes run side by side, one thread each: on 2 cores that halves the
# wall time. Each log is printed once its run ends. pytest's exit code 5 (no test collected) means
# the suite is broken, so it fails the run with its own message instead of passing silently.
# Usage: tools/run_tests.sh PYTHON
set -u
py=${1:-python}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
export OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1
eigen_tests=(tests/layers/test_conv.py tests/layers/test_conv_lstm.py tests/saving tests/test_keras_programs*.py)
status=0

run_pair() {  # run_pair LABEL [ENV=VALUE...] -- PYTEST ARGS...: both backends at once
    local label=$1; shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
    local pids=() b
    for b in torch tensorflow; do
        env "${envs[@]}" KERASPORT_BACKEND=$b "$py" -m pytest -q -p no:cacheprovider "$@" \
            > "$logs/$label-$b.log" 2>&1 &
        pids+=($!)
    done
    local i=0 rc
    for b in torch tensorflow; do
        wait "${pids[$i]}"; rc=$?; i=$((i + 1))
        echo "=== KERASPORT_BACKEND=$b $label ==="
        cat "$logs/$label-$b.log"
        if [ $rc -eq 5 ]; then echo "pytest collected no test under $b ($label)"; fi
        if [ $rc -ne 0 ]; then status=1; fi
    done
}

run_pair default -- tests
run_pair TF_ENABLE_ONEDNN_OPTS=0 TF_ENABLE_ONEDNN_OPTS=0 -- "${eigen_tests[@]}"
exit $status
