"""The two Lambda packages (`make package`): complete, small, only server code, linted.

``infra.package`` assembles each Chalice app (public: API + sealer; officer: API + hourly
housekeeping) and runs ``chalice package`` once per app (module fixture, ~30 s). The zips
must hold the compiled pydantic core and libsodium for the configured architecture, the
app and ``chalicelib``, and nothing from officers' machines (``jubao/``: key files, the
console, the development roster), no tests, no development keys, no boto3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra import functions, package, policies
from tests.conftest import venv_tool

# one worker packages once for every test here (`make test` runs --dist loadgroup)
pytestmark = pytest.mark.xdist_group("lambda-package")

ROOT = Path(__file__).resolve().parents[1]
UV = ROOT / ".tools" / "bin" / "uv"
# Lambda's architecture names -> the platform tag of a CPython extension built for it
PLATFORM = {"arm64": "aarch64-linux-gnu", "x86_64": "x86_64-linux-gnu"}


def test_requirements_match_the_lock() -> None:
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


def config(app: functions.App) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (ROOT / app.project / ".chalice" / "config.json").read_text("utf-8")
    )
    return loaded


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sam")
    work = tmp_path_factory.mktemp("chalice")
    for app in functions.APPS.values():
        package.package(app, "prod", out, work)
    return out


@pytest.fixture(scope="module")
def templates(packages: Path) -> dict[str, dict[str, Any]]:
    return {
        name: json.loads((packages / name / "sam.json").read_text("utf-8"))
        for name in functions.APPS
    }


def names_in(packages: Path, app: str) -> list[str]:
    with zipfile.ZipFile(packages / app / "deployment.zip") as archive:
        return archive.namelist()


@pytest.mark.slow
@pytest.mark.parametrize("app", sorted(functions.APPS))
def test_each_zip_has_the_compiled_cores_for_its_architecture(packages: Path, app: str) -> None:
    architecture = config(functions.APPS[app])["stages"]["prod"]["lambda_architecture"]
    names = names_in(packages, app)
    archive = packages / app / "deployment.zip"
    assert archive.stat().st_size <= 10 * 1024 * 1024
    tag = PLATFORM[architecture]
    assert f"pydantic_core/_pydantic_core.cpython-312-{tag}.so" in names
    other = next(t for a, t in PLATFORM.items() if a != architecture)
    assert not any(other in n for n in names)
    assert any(n.startswith("nacl/_sodium") and n.endswith(".so") for n in names)
    assert "app.py" in names and "chalicelib/reports/intake.py" in names
    assert "chalicelib/offices/anhui.toml" in names
    assert "chalicelib/web/http_policy.py" in names


@pytest.mark.slow
@pytest.mark.parametrize("app", sorted(functions.APPS))
def test_no_test_dev_or_officer_machine_code(packages: Path, app: str) -> None:
    names = names_in(packages, app)
    forbidden_roots = ("jubao/", "tests/", "bench/", "mutation/", "posters/", "site/", "data/")
    assert not [n for n in names if n.startswith(forbidden_roots)]
    assert not any(n.startswith(("boto3/", "botocore/", "reportlab/", "mkdocs/")) for n in names)
    # officers' machines only: key files, recovery shares, the console, the dev roster
    for fragment in ("keyfile", "recovery", "console", "devroster", "devkeys", "shamir"):
        assert not [n for n in names if fragment in n.lower()], fragment
    assert not [n for n in names if n.endswith((".key", ".pyc", "PASSPHRASE"))]
    ours = [n for n in names if n.startswith("chalicelib/") or "/" not in n]
    assert not [n for n in ours if "/test_" in n or n.startswith(("test_", "conftest"))]
    # (third-party wheels ship what they ship, e.g. annotated_types/test_cases.py, a module)
    assert "functions/" not in " ".join(names)


@pytest.mark.slow
@pytest.mark.parametrize("app", sorted(functions.APPS))
def test_each_app_imports_its_chalicelib_from_the_zip(
    packages: Path, app: str, tmp_path: Path
) -> None:
    """The zip's own ``app.py`` imports the zip's own ``chalicelib`` (the officers' app
    lives one folder below chalicelib in the source tree). The compiled wheels are for
    Lambda's architecture, so this host's are used for those."""
    with zipfile.ZipFile(packages / app / "deployment.zip") as archive:
        for name in archive.namelist():
            if name == "app.py" or name.startswith(("chalicelib/", "chalice/")):
                archive.extract(name, tmp_path)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import app, chalicelib; "
        "from pathlib import Path; root = Path(sys.argv[1]).resolve(); "
        "assert Path(app.__file__).resolve().parent == root; "
        "assert Path(chalicelib.__file__).resolve().is_relative_to(root); "
        "import json; print(json.dumps(sorted(r for r in app.app.routes)))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    routes = json.loads(result.stdout)
    officer_routes = [r for r in routes if r.startswith("/api/officer")]
    if app == "officer":
        assert officer_routes == routes and routes
    else:
        assert not officer_routes and "/api/reports" in routes


def functions_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
    }


@pytest.mark.slow
@pytest.mark.parametrize("app", sorted(functions.APPS))
def test_each_function_has_its_own_role_with_its_policy(
    templates: dict[str, dict[str, Any]], app: str
) -> None:
    template = templates[app]
    declared = {f.resource: f for f in functions.APPS[app].functions}
    found = functions_of(template)
    assert set(found) == set(declared)
    roles = set()
    for resource, function in found.items():
        properties = function["Properties"]
        assert properties["Runtime"] == "python3.12"
        assert properties["Architectures"] == ["arm64"]
        role = properties["Role"]["Fn::GetAtt"][0]
        roles.add(role)
        [inline] = template["Resources"][role]["Properties"]["Policies"]
        expected = policies.cloudformation(policies.DOCUMENTS[declared[resource].role]())
        assert inline["PolicyDocument"] == expected
        assert template["Resources"][role]["Properties"].get("ManagedPolicyArns") is None
        assert properties["FunctionName"] == {
            "Fn::Sub": policies.FUNCTIONS[declared[resource].role]
        }
        # reserved concurrency per function, as config.json says
        settings = config(functions.APPS[app])["stages"]["prod"]["lambda_functions"]
        chalice_name = next(
            n
            for n, s in settings.items()
            if s["iam_policy_file"].endswith(f"-{declared[resource].role}.json")
        )
        assert (
            properties["ReservedConcurrentExecutions"]
            == settings[chalice_name]["reserved_concurrency"]
            > 0
        )
        # the environment names the storage stack's resources and the NoEcho secrets
        variables = properties["Environment"]["Variables"]
        assert variables["JUBAO_TABLE"] == {"Ref": "TableName"}
        assert variables["JUBAO_KMS_KEY_ID"] == {"Ref": "KeyArn"}
        for parameter, variable in functions.APPS[app].secrets.items():
            assert variables[variable] == {"Ref": parameter}
            assert template["Parameters"][parameter]["NoEcho"] is True
    assert len(roles) == len(found)  # never one role for two functions


@pytest.mark.slow
@pytest.mark.parametrize("app", sorted(functions.APPS))
def test_logs_alarms_and_throttling(templates: dict[str, dict[str, Any]], app: str) -> None:
    template = templates[app]
    resources = template["Resources"]
    groups = {
        r["Properties"]["LogGroupName"]["Fn::Sub"]: r["Properties"]["RetentionInDays"]
        for r in resources.values()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    for function in functions.APPS[app].functions:
        assert groups[f"/aws/lambda/{policies.FUNCTIONS[function.role]}"] == 30
        # created before the function runs: its role may not create log groups
        assert resources[function.resource]["DependsOn"] == [function.log_group]
        assert resources[function.log_group]["Type"] == "AWS::Logs::LogGroup"
        for metric in ("Errors", "Throttles"):
            alarm = resources[f"{function.resource}{metric}"]["Properties"]
            assert alarm["MetricName"] == metric
            assert alarm["Dimensions"] == [
                {"Name": "FunctionName", "Value": {"Ref": function.resource}}
            ]
    assert resources["Api5xx"]["Properties"]["MetricName"] == "5XXError"
    api = resources["RestAPI"]["Properties"]
    [settings] = api["MethodSettings"]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    assert settings["DataTraceEnabled"] is False and settings["LoggingLevel"] == "OFF"
    access = api["AccessLogSetting"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLog", "Arn"]}
    assert groups[f"/jubao/${{Stage}}/{app}-api-access"] == 30
    fields = json.loads(access["Format"])
    assert "$context.resourcePath" in fields.values()
    for never in ("sourceIp", "identity", "userAgent", "$context.path", "requestOverride"):
        assert never not in access["Format"], never
    assert template["Outputs"]["ApiId"] == {"Value": {"Ref": "RestAPI"}}


@pytest.mark.slow
def test_sealer_listens_to_this_stages_bucket_only(templates: dict[str, dict[str, Any]]) -> None:
    sealer = templates["public"]["Resources"]["SealUpload"]["Properties"]
    pattern = sealer["Events"]["SealUploadEvent"]["Properties"]["Pattern"]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": "BucketName"}]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "staging/"}]
    housekeeping = templates["officer"]["Resources"]["OfficerHousekeeping"]["Properties"]
    assert housekeeping["Events"]["OfficerHousekeepingEvent"]["Properties"]["Schedule"] == (
        "rate(1 hour)"
    )


@pytest.mark.slow
def test_packaged_templates_pass_cfn_lint(packages: Path) -> None:
    """cfn-lint expands the SAM transform itself (aws-sam-translator), both partitions."""
    result = subprocess.run(
        [
            venv_tool("cfn-lint"),
            str(packages / "public" / "sam.json"),
            str(packages / "officer" / "sam.json"),
            "--regions",
            "cn-north-1",
            "cn-northwest-1",
            "us-east-1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
