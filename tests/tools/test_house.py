"""The house's rules (ARCHITECTURE.md), checked on kerasport's source by ``tools/house.py``."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import house  # noqa: E402


@pytest.fixture(scope="module")
def findings():
    return house.survey()


@pytest.mark.parametrize("rule", house.FAULTS)
def test_the_house_keeps_its_rule(findings, rule):
    assert findings[rule] == [], f"{rule}:\n" + "\n".join(findings[rule])


def test_the_survey_sees_a_breach(tmp_path):
    package = tmp_path / "kerasport"
    (package / "core").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "core" / "__init__.py").write_text("")
    (package / "a.py").write_text("from kerasport.b import _hidden\nfrom kerasport.c import *\n")
    (package / "b.py").write_text("import kerasport.a\n_hidden = 1\n")
    (package / "core" / "low.py").write_text("def f():\n    from kerasport import a\n")
    (package / "pkg").mkdir()
    (package / "pkg" / "__init__.py").write_text("from kerasport.pkg.one import One\n\n\ndef own():\n    pass\n")
    (package / "pkg" / "one.py").write_text("class One:\n    pass\n")
    (package / "pkg" / "two.py").write_text("from kerasport.pkg import One, own\n")
    found = house.survey(root=str(tmp_path))
    assert found["cycles"] == ["kerasport.a <-> kerasport.b"]
    assert found["private imports"] == ["kerasport/a.py:1: kerasport.b._hidden"]
    assert found["star imports"] == ["kerasport/a.py:2: from kerasport.c import *"]
    assert found["ground floor importing above it"] == ["kerasport/core/low.py:2: kerasport.a"]
    assert found["package faces reached into"] == ["kerasport/pkg/two.py:1: One from the package face kerasport.pkg"]
    assert found["package faces holding code (for the record)"] == ["kerasport/pkg/__init__.py: own"]
