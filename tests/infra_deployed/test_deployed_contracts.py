"""The store contract suite, run on the storage stack as CloudFormation deployed it.

The tests are those of ``tests/store/test_contract.py`` (ReportStore) and
``tests/store/test_case_contract.py`` (CaseStore), taken from their modules, not copied:
every test there that opens a store (it asks for ``store``, ``contended``, ``backend`` or
``aws_settings``). This folder's conftest gives those fixture names the deployed stack:
a store built from the stack's outputs, emptied before each test, and moto's serial
endpoint for the racing writers. SQLite-only tests and tests that open no store stay
where they are.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from tests.store import test_case_contract as case_contract
from tests.store import test_contract as report_contract

pytestmark = [pytest.mark.aws, pytest.mark.slow, pytest.mark.xdist_group("infra-deployed")]

STORE_FIXTURES = frozenset({"store", "contended", "backend", "aws_settings"})


def store_tests(module: ModuleType) -> dict[str, Callable[..., Any]]:
    """The tests of a contract module that run on a store, by name."""
    found = {
        name: test
        for name, test in vars(module).items()
        if name.startswith("test_")
        and callable(test)
        and STORE_FIXTURES & set(inspect.signature(test).parameters)
    }
    assert found, f"no store tests found in {module.__name__}"
    return found


_REPORT_TESTS = store_tests(report_contract)
_CASE_TESTS = store_tests(case_contract)
assert not _REPORT_TESTS.keys() & _CASE_TESTS.keys(), "two contract tests share a name"
globals().update(_REPORT_TESTS)
globals().update(_CASE_TESTS)

# the contract modules' own fixtures over a backend; ``backend`` itself is the conftest's
store = report_contract.store
contended = report_contract.contended


def test_every_store_test_of_both_contracts_is_here() -> None:
    """What is left out opens no store at all, or only SQLite: a contract test that takes
    some other fixture would be left out silently, so it fails here instead."""
    taken = _REPORT_TESTS.keys() | _CASE_TESTS.keys()
    for module in (report_contract, case_contract):
        for name, test in vars(module).items():
            if name.startswith("test_") and callable(test) and name not in taken:
                fixtures = set(inspect.signature(test).parameters)
                assert name.startswith("test_sqlite_") or not fixtures, name
