"""The typed contract (kerasport/backends/contract/) against the active backend package and the library's calls."""
import inspect
import re
from pathlib import Path

import pytest

from kerasport.backends import B, contract

ROOT = Path(__file__).resolve().parents[2] / "kerasport"
FAMILIES = [f for f in contract.FAMILIES if f != "strings" or B.STRING_TENSORS]
STUBS = [(family, name, stub) for family in FAMILIES for name, stub in contract.stubs(family).items()]


def test_every_family_has_stubs_and_the_backend_defines_each():
    assert all(contract.stubs(family) for family in contract.FAMILIES)
    assert contract.missing(B) == []


@pytest.mark.parametrize("family,name,stub", STUBS, ids=[f"{f}.{n}" for f, n, _ in STUBS])
def test_backend_function_has_the_contract_signature(family, name, stub):
    fn = getattr(B, name)
    assert callable(fn)
    if not (inspect.isfunction(fn) and fn.__module__.startswith("kerasport.")):
        return  # a framework function bound directly (torch.abs): its own signature, Keras's positional use
    got = [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]
    want = [(p.name, p.kind, p.default) for p in inspect.signature(stub).parameters.values()]
    assert got == want, f"{B.__name__}.{name}{inspect.signature(fn)} != contract.{family}.{name}{inspect.signature(stub)}"


def test_every_stub_is_typed_and_documented():
    for family, name, stub in STUBS:
        signature = inspect.signature(stub)
        assert stub.__doc__, f"contract.{family}.{name} has no docstring"
        assert signature.return_annotation is not inspect.Signature.empty, f"contract.{family}.{name}: no return type"


def test_the_library_calls_only_contract_names_on_the_backend():
    stubbed = {name for family in contract.FAMILIES for name in contract.stubs(family)} | set(contract.CONSTANTS)
    called = {}
    for path in ROOT.rglob("*.py"):
        if "backends" in path.relative_to(ROOT).parts:
            continue
        for name in re.findall(r"\bB\.([A-Za-z]\w*)", path.read_text()):
            called.setdefault(name, str(path.relative_to(ROOT)))
    assert {name: where for name, where in called.items() if name not in stubbed} == {}


def test_the_backend_functions_carry_the_contract_docstrings():
    for family, name, stub in STUBS:
        fn = getattr(B, name)
        if inspect.isfunction(fn) and fn.__module__.startswith("kerasport."):
            assert fn.__doc__, f"{B.__name__}.{name} has no docstring"
