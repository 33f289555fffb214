"""Shared fixtures. Every test runs under the backend named by KERASPORT_BACKEND;
.ci/run runs the whole suite once per backend."""
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import kerasport  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with fresh automatic names and a fixed seed."""
    kerasport.backend.clear_session()
    kerasport.utils.set_random_seed(1337)
    yield


@pytest.fixture
def rng():
    return np.random.RandomState(0)
