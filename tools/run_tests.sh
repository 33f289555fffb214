#!/usr/bin/env bash
# The test command of `make test` (and so of .ci/run): the whole suite once per backend, then the tests
# whose numbers depend on the kind of CPU again with TF_ENABLE_ONEDNN_OPTS=0, cut into shards that run
# on every core, longest first. tools/run_tests.py says which tests run in which pass, and why.
# Usage: tools/run_tests.sh PYTHON
set -u
py=${1:-python}
exec "$py" "$(dirname "$0")/run_tests.py" "$py"
