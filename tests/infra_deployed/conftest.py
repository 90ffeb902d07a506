"""The data-plane stack deployed into moto, and the fixtures the store tests know, on it.

``moto_stack`` starts moto in a process of its own (``moto_process``) and deploys
``infra/storage.json`` there through CloudFormation, once per session; the tests then
build their store from the stack's *outputs* (``TableName``, ``BucketName``,
``KeyArn``), never from ``layout.py``'s own create functions. The fixture names are
those of ``tests/store`` (``backend``, ``aws_settings``, ``serial_moto``), so the contract
tests run here unchanged (``test_deployed_contracts.py``); each test starts from an
empty table and bucket, wiped item by item, while the deployed resources stay.

moto drops some of what the template asks for (``test_deployed_settings.py`` records
which). One of them the store relies on: the bucket is versioned, so a delete for good
deletes every version. That setting is put back on the deployed bucket from the
template's own ``VersioningConfiguration``, as AWS would have applied it; the stack the
settings test observes is another one, left as moto made it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import boto3
import pytest

from chalicelib.config.settings import Settings
from chalicelib.store.aws import AwsStore
from tests.store.moto_env import REGION, environment

ROOT: Final = Path(__file__).resolve().parents[2]
TEMPLATE_PATH: Final = ROOT / "infra" / "storage.json"
TEMPLATE: Final[dict[str, Any]] = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
SITE_ORIGIN: Final = "https://jubao.example.gov.cn"
# a short wait for the sealer, as in the contract modules: a refused pending claim costs it
SEAL_WAIT: Final = 0.5


@dataclass(frozen=True)
class Moto:
    """The moto process: its threaded endpoint and its one-request-at-a-time endpoint."""

    url: str
    serial: str

    def env(self) -> dict[str, str]:
        return environment(self.url)


@dataclass(frozen=True)
class Stack:
    """A deployed storage stack: its name and outputs, and the settings they make."""

    name: str
    outputs: dict[str, str]

    @property
    def settings(self) -> Settings:
        return Settings(
            store="aws",
            table=self.outputs["TableName"],
            bucket=self.outputs["BucketName"],
            kms_key_id=self.outputs["KeyArn"],
            aws_region=REGION,
        )

    def jubao_env(self) -> dict[str, str]:
        """What a function deployed on this stack gets (infra/README.md, "Deploy")."""
        return {
            "JUBAO_STORE": "aws",
            "JUBAO_TABLE": self.outputs["TableName"],
            "JUBAO_BUCKET": self.outputs["BucketName"],
            "JUBAO_KMS_KEY_ID": self.outputs["KeyArn"],
        }


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.infra_deployed.moto_process"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=sink,
            text=True,
        )
    assert process.stdout is not None and process.stdin is not None
    line = process.stdout.readline()
    if not line:
        process.wait(timeout=10)
        raise RuntimeError(f"moto did not start: {log.read_text(errors='replace')}")
    urls = json.loads(line)
    yield Moto(urls["url"], urls["serial"])
    process.stdin.close()  # the process ends when its input does
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def deploy(moto: Moto, stage: str) -> Stack:
    """``infra/storage.json`` deployed as ``jubao-<stage>-storage``; its outputs read back."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_PROFILE", raising=False)
        for name, value in moto.env().items():
            patch.setenv(name, value)
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        name = f"jubao-{stage}-storage"
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=TEMPLATE_PATH.read_text(encoding="utf-8"),
            Parameters=[
                {"ParameterKey": "Stage", "ParameterValue": stage},
                {"ParameterKey": "SiteOrigin", "ParameterValue": SITE_ORIGIN},
            ],
        )
        cloudformation.get_waiter("stack_create_complete").wait(
            StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        [stack] = cloudformation.describe_stacks(StackName=name)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    return Stack(name, {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]})


def template_resource(kind: str) -> dict[str, Any]:
    [found] = [r for r in TEMPLATE["Resources"].values() if r["Type"] == kind]
    return found


def put_back_versioning(stack: Stack) -> None:
    """The template's versioning, applied to the bucket moto made without it."""
    wanted = template_resource("AWS::S3::Bucket")["Properties"]["VersioningConfiguration"]
    boto3.client("s3", region_name=REGION).put_bucket_versioning(
        Bucket=stack.outputs["BucketName"], VersioningConfiguration=wanted
    )


@pytest.fixture(scope="session")
def moto_stack(moto: Moto) -> Stack:
    """The stack the store runs on (the contract suite and the end-to-end flow)."""
    stack = deploy(moto, "deployed")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in moto.env().items():
            patch.setenv(name, value)
        put_back_versioning(stack)
    return stack


@pytest.fixture
def deployed_env(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> Moto:
    """boto3 pointed at the moto process (fake credentials); moto's state is kept."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in moto.env().items():
        monkeypatch.setenv(name, value)
    return moto


def wipe(stack: Stack) -> None:
    """Every item of the stack's table and every object version of its bucket deleted."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    table = stack.outputs["TableName"]
    keys = [
        {"pk": item["pk"], "sk": item["sk"]}
        for page in ddb.get_paginator("scan").paginate(
            TableName=table, ProjectionExpression="pk, sk"
        )
        for item in page["Items"]
    ]
    for start in range(0, len(keys), 25):
        batch = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
        ddb.batch_write_item(RequestItems={table: batch})
    s3 = boto3.client("s3", region_name=REGION)
    bucket = stack.outputs["BucketName"]
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objects = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})


@pytest.fixture
def empty_stack(moto_stack: Stack, deployed_env: Moto) -> Stack:
    """The deployed stack with nothing stored in it (and boto3 pointed at it)."""
    wipe(moto_stack)
    return moto_stack


# ---- the fixture names of tests/store, backed by the deployed stack ----------------------


@dataclass
class Backend:
    """What the contract modules' ``store`` and ``contended`` fixtures open."""

    name: str
    open: Callable[[], AwsStore]


@pytest.fixture
def backend(empty_stack: Stack) -> Backend:
    settings = empty_stack.settings
    return Backend("aws", lambda: AwsStore(settings, seal_wait=SEAL_WAIT))


@pytest.fixture
def aws_settings(empty_stack: Stack) -> Settings:
    return empty_stack.settings


@pytest.fixture
def serial_moto(deployed_env: Moto) -> str:
    return deployed_env.serial


def scrub_jubao_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("JUBAO_"):
            monkeypatch.delenv(name)
