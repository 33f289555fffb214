"""Shared fixtures. Every test runs under the backend named by KERASPORT_BACKEND;
.ci/run runs the whole suite once per backend."""
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import kerasport  # noqa: E402
from tests.helpers import keras_module  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with fresh automatic names and a fixed seed."""
    kerasport.backend.clear_session(free_memory=False)
    kerasport.utils.set_random_seed(1337)
    yield


@pytest.fixture
def rng():
    return np.random.RandomState(0)


@pytest.fixture(scope="session")
def keras():
    """Real Keras 3 (TensorFlow backend), the oracle; the test is skipped when it is not installed."""
    return keras_module()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``sweep`` (full sweeps, such as every applications architecture) run only when
    asked for, with ``-m sweep`` or ``KERASPORT_SWEEP=1``; ``slow`` tests always run."""
    if os.environ.get("KERASPORT_SWEEP") == "1" or "sweep" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="full sweep: run with -m sweep or KERASPORT_SWEEP=1")
    for item in items:
        if "sweep" in item.keywords:
            item.add_marker(skip)
