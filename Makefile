# The two commands of the README. Each creates .venv on first use and installs what it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
BACKEND ?= torch

.PHONY: quickstart test

$(BIN)/activate: pyproject.toml constraints-cpu.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints-cpu.txt -e ".[torch,tensorflow,plot,tensorboard,image]" pytest
	# tf_keras (the Keras 2 oracle of the tests) requires the `tensorflow` package; tensorflow-cpu provides it.
	$(BIN)/pip install -q --disable-pip-version-check -c constraints-cpu.txt --no-deps tf_keras
	touch $(BIN)/activate

# Train the quickstart CNN on the bundled digits (KERASPORT_BACKEND=$(BACKEND)).
quickstart: $(BIN)/activate
	KERASPORT_BACKEND=$(BACKEND) $(BIN)/python examples/quickstart.py

# The whole test suite, once per backend. pytest's exit code 5 (no test collected) means the
# suite is broken, so it fails the run with its own message instead of passing silently.
test: $(BIN)/activate
	@status=0; for b in torch tensorflow; do \
	  echo "=== KERASPORT_BACKEND=$$b ==="; \
	  KERASPORT_BACKEND=$$b $(BIN)/python -m pytest -q -p no:cacheprovider tests; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no test under $$b"; fi; \
	  if [ $$rc -ne 0 ]; then status=1; fi; \
	done; exit $$status
