#!/usr/bin/env bash
# The test command of `make test` (and so of .ci/run): the whole suite once per backend, then the tests
# whose numbers depend on the kind of CPU again with TF_ENABLE_ONEDNN_OPTS=0 (TensorFlow's Eigen kernels, as
# on CPUs without AVX-512): convolutions and ConvLSTM on both backends; saving interop with Keras, the Keras
# programs and tests/keras_io on TensorFlow. Under TensorFlow all their kernels change; under torch only the
# Keras-on-TensorFlow oracle does, and the convolutions are where it falls back to Keras on torch for the
# forms Eigen lacks, so the rest of the torch suite gives the same answer on both kinds of CPU and runs once.
# tools/run_tests.py cuts the passes into shards that run on every core, longest first (EIGEN there lists
# the oneDNN-off set). Usage: tools/run_tests.sh PYTHON
set -u
py=${1:-python}
exec "$py" "$(dirname "$0")/run_tests.py" "$py"
