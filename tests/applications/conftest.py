"""Tests marked ``slow`` (the full architecture sweep) run only when asked: ``-m slow`` or ``KERASPORT_SLOW=1``."""
import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("KERASPORT_SLOW") == "1" or "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow sweep: run with -m slow or KERASPORT_SLOW=1")
    here = os.path.dirname(__file__)
    for item in items:
        if "slow" in item.keywords and str(item.fspath).startswith(here):
            item.add_marker(skip)
