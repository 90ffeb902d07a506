"""The Lambda deployment package: built with `chalice package`, small, and complete."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import venv_tool

ROOT = Path(__file__).resolve().parents[1]
UV = ROOT / ".tools" / "bin" / "uv"


def test_requirements_match_the_lock():
    if not UV.exists():
        pytest.skip("uv is installed by `make setup`")
    exported = subprocess.run(
        [
            str(UV),
            "export",
            "--locked",
            "--no-default-groups",
            "--no-hashes",
            "--no-header",
            "--no-annotate",
            "--no-emit-project",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    committed = (ROOT / "functions" / "requirements.txt").read_text()
    assert committed.strip() == exported.strip(), "run `make requirements`"
    assert "boto3" not in committed  # the Lambda runtime provides it


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sam")
    env = {**os.environ, "AWS_DEFAULT_REGION": "cn-north-1"}
    subprocess.run(
        [
            venv_tool("chalice"),
            "--project-dir",
            str(ROOT / "functions"),
            "package",
            "--stage",
            "prod",
            "--merge-template",
            ".chalice/merge-prod.json",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return out


@pytest.mark.slow
def test_package_is_small_and_has_the_compiled_cores(package):
    archive = package / "deployment.zip"
    assert archive.stat().st_size <= 10 * 1024 * 1024
    names = zipfile.ZipFile(archive).namelist()
    assert any(
        n.startswith("pydantic_core/_pydantic_core.cpython-312-aarch64-linux-gnu") for n in names
    )
    assert any(n.startswith("nacl/_sodium") and n.endswith(".so") for n in names)
    assert "app.py" in names and "chalicelib/reports/intake.py" in names
    assert "chalicelib/offices/anhui.toml" in names
    assert not any(n.startswith(("boto3/", "botocore/", "reportlab/", "mkdocs/")) for n in names)


@pytest.mark.slow
def test_sam_template_runtime_and_policy(package):
    template = json.loads((package / "sam.json").read_text())
    functions = {
        k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
    }
    assert functions
    for function in functions.values():
        assert function["Properties"]["Runtime"] == "python3.12"
        assert function["Properties"]["Architectures"] == ["arm64"]
    # autogen_policy is off: the role carries the hand-written policy, not Chalice's guess
    hand_written = json.loads((ROOT / "functions" / ".chalice" / "policy-prod.json").read_text())
    roles = [v for v in template["Resources"].values() if v["Type"] == "AWS::IAM::Role"]
    documents = [p["PolicyDocument"] for role in roles for p in role["Properties"]["Policies"]]
    assert hand_written in documents
    # API Gateway throttles the whole stage (the in-process limiter is the second line), and
    # data tracing (which would log request bodies) is off
    settings = template["Resources"]["RestAPI"]["Properties"]["MethodSettings"][0]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    assert settings["DataTraceEnabled"] is False
    cfn_lint = venv_tool("cfn-lint")
    if Path(cfn_lint).exists():
        result = subprocess.run(
            [cfn_lint, str(package / "sam.json")], capture_output=True, text=True
        )
        assert result.returncode in (0, 4), result.stdout  # 4 = warnings only
