"""Schemathesis fuzzes the live server from its own OpenAPI document: no server errors, and
every answer is one the document declares, in the declared shape."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import venv_tool

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_or_undocumented_answer(live_server):
    st = venv_tool("st")
    if not Path(st).exists():
        pytest.fail("schemathesis is a dev dependency: run `make setup`")
    result = subprocess.run(
        [
            st,
            "run",
            f"{live_server.url}/api/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            "25",
            "--seed",
            "20201221",
            "--request-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:]
