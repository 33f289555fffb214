# The two commands of the README. Each creates .venv on first use and installs what it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
BACKEND ?= torch

.PHONY: quickstart test

$(BIN)/activate: pyproject.toml constraints-cpu.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints-cpu.txt -e ".[torch,tensorflow,plot,tensorboard,image,export,audio,sklearn]" pytest hypothesis
	# tf_keras (the Keras 2 oracle of the tests) requires the `tensorflow` package; tensorflow-cpu provides it.
	$(BIN)/pip install -q --disable-pip-version-check -c constraints-cpu.txt --no-deps tf_keras
	touch $(BIN)/activate

# Train the quickstart CNN on the bundled digits (KERASPORT_BACKEND=$(BACKEND)).
quickstart: $(BIN)/activate
	KERASPORT_BACKEND=$(BACKEND) $(BIN)/python examples/quickstart.py

# The whole test suite once per backend, the two side by side, then the TensorFlow-kernel-sensitive
# tests again with TF_ENABLE_ONEDNN_OPTS=0 (see tools/run_tests.sh).
test: $(BIN)/activate
	tools/run_tests.sh $(BIN)/python
