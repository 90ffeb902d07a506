"""The storage stack deployed into a moto process of its own: start, deploy, empty.

``start_moto`` runs ``moto_process`` and reads its two endpoints; ``deploy`` creates
``infra/storage.json`` there through CloudFormation and reads the outputs back into a
``Stack``, which also says what a function deployed on it is given. The fixtures over
these are in this folder's ``conftest.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import boto3
import pytest

from chalicelib.config.settings import Settings
from tests.store.moto_env import REGION, environment

ROOT: Final = Path(__file__).resolve().parents[2]
TEMPLATE_PATH: Final = ROOT / "infra" / "storage.json"
TEMPLATE: Final[dict[str, Any]] = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
SITE_ORIGIN: Final = "https://jubao.example.gov.cn"


@dataclass(frozen=True)
class Moto:
    """The moto process: its threaded endpoint and its one-request-at-a-time endpoint."""

    url: str
    serial: str

    def env(self) -> dict[str, str]:
        return environment(self.url)


@contextmanager
def start_moto(log: Path) -> Iterator[Moto]:
    """``moto_process`` running until the block ends (it stops when its input closes)."""
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
    try:
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=10)
            raise RuntimeError(f"moto did not start: {log.read_text(errors='replace')}")
        urls = json.loads(line)
        yield Moto(urls["url"], urls["serial"])
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def pointed_at(moto: Moto) -> Iterator[None]:
    """boto3's environment set to ``moto`` (fake credentials) for the block."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_PROFILE", raising=False)
        for name, value in moto.env().items():
            patch.setenv(name, value)
        yield


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


def deploy(moto: Moto, stage: str) -> Stack:
    """``infra/storage.json`` deployed as ``jubao-<stage>-storage``; its outputs read back."""
    name = f"jubao-{stage}-storage"
    with pointed_at(moto):
        cloudformation = boto3.client("cloudformation", region_name=REGION)
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
    found: list[dict[str, Any]] = [r for r in TEMPLATE["Resources"].values() if r["Type"] == kind]
    [only] = found
    return only


def put_back_versioning(stack: Stack) -> None:
    """The template's versioning, applied to the bucket moto made without it (AWS would
    have applied it; the store relies on it: a delete for good deletes every version)."""
    wanted = template_resource("AWS::S3::Bucket")["Properties"]["VersioningConfiguration"]
    boto3.client("s3", region_name=REGION).put_bucket_versioning(
        Bucket=stack.outputs["BucketName"], VersioningConfiguration=wanted
    )


def wipe(stack: Stack) -> None:
    """Every item of the stack's table and every object version of its bucket deleted;
    the resources themselves stay as deployed."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    table = stack.outputs["TableName"]
    keys: list[Any] = [
        {"pk": item["pk"], "sk": item["sk"]}
        for page in ddb.get_paginator("scan").paginate(
            TableName=table, ProjectionExpression="pk, sk"
        )
        for item in page["Items"]
    ]
    for start in range(0, len(keys), 25):
        batch: list[Any] = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
        ddb.batch_write_item(RequestItems={table: batch})
    s3 = boto3.client("s3", region_name=REGION)
    bucket = stack.outputs["BucketName"]
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objects: list[Any] = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})


def scrub_jubao_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``JUBAO_*`` setting of the caller's environment reaches the functions."""
    for name in list(os.environ):
        if name.startswith("JUBAO_"):
            monkeypatch.delenv(name)
