"""The storage template and the IAM policies.

moto deploys ``infra/storage.json`` and the store then runs a real submission on the
resources it made, while every AWS call is recorded and checked against the policy of
the function that makes it. moto drops several settings silently (see infra/README.md),
so those are asserted on the template, which cfn-lint also checks.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from chalicelib.config.settings import Settings
from chalicelib.reports import attachments
from chalicelib.reports.intake import Intake
from chalicelib.reports.models import UploadRequest
from chalicelib.store.aws import (
    SEALED_PREFIX,
    STAGING_DAYS,
    STAGING_PREFIX,
    TTL_ATTRIBUTE,
    UNCLAIMED_SEALED_DAYS,
    UNCLAIMED_TAG,
    UNCLAIMED_TAG_KEY,
    AwsStore,
    sealed_key,
    table_schema,
)
from chalicelib.store.cases import AuditAppend, CaseChange, CheckpointRecord, Wrap
from infra import functions, policies
from infra.policies import StorageArns
from tests import iam_eval
from tests.conftest import venv_tool
from tests.store import support as s
from tests.store.moto_env import REGION, aws_env, moto_server

__all__ = ["aws_env", "moto_server"]  # fixtures used below

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_PATH = ROOT / "infra" / "storage.json"
TEMPLATE: dict[str, Any] = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))


def resource(kind: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [r for r in TEMPLATE["Resources"].values() if r["Type"] == kind]
    [only] = found
    return only


def props(kind: str) -> dict[str, Any]:
    result: dict[str, Any] = resource(kind)["Properties"]
    return result


# ---- what moto would not tell us: asserted on the template --------------------------------


def test_bucket_blocks_public_access_and_acls() -> None:
    bucket = props("AWS::S3::Bucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}


def test_bucket_encrypts_with_the_stack_key_using_bucket_keys() -> None:
    [rule] = props("AWS::S3::Bucket")["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": ["DataKey", "Arn"]},
    }
    assert rule["BucketKeyEnabled"] is True


def test_staged_plaintext_expires_after_a_day() -> None:
    rules = props("AWS::S3::Bucket")["LifecycleConfiguration"]["Rules"]
    [staging] = [r for r in rules if r.get("Prefix") == STAGING_PREFIX]
    assert staging["Status"] == "Enabled"
    assert staging["ExpirationInDays"] == STAGING_DAYS == 1
    assert staging["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert staging["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert any(
        r.get("Prefix") == SEALED_PREFIX and "NoncurrentVersionExpiration" in r for r in rules
    )


def test_unclaimed_sealed_files_expire_by_their_tag() -> None:
    rules = props("AWS::S3::Bucket")["LifecycleConfiguration"]["Rules"]
    [unclaimed] = [r for r in rules if r.get("TagFilters")]
    assert unclaimed["Status"] == "Enabled"
    assert unclaimed["Prefix"] == SEALED_PREFIX  # never anything outside sealed/
    key, value = UNCLAIMED_TAG.split("=")
    assert unclaimed["TagFilters"] == [{"Key": UNCLAIMED_TAG_KEY, "Value": value}]
    assert key == UNCLAIMED_TAG_KEY
    assert unclaimed["ExpirationInDays"] == UNCLAIMED_SEALED_DAYS
    assert unclaimed["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    # an upload may wait UNCLAIMED_TTL for its report: the rule must not come first
    assert timedelta(days=UNCLAIMED_SEALED_DAYS) > attachments.UNCLAIMED_TTL + timedelta(hours=12)
    # the rule that keeps deleted sealed files recoverable is not weakened by it
    [kept] = [r for r in rules if r["Id"] == "sealed-old-versions-expire"]
    assert "TagFilters" not in kept and "ExpirationInDays" not in kept


def test_unclaimed_records_expire_by_ttl_and_claims_keep_them() -> None:
    table = props("AWS::DynamoDB::Table")
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}


def test_browsers_may_only_post_and_only_from_the_site() -> None:
    [rule] = props("AWS::S3::Bucket")["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [{"Ref": "SiteOrigin"}]
    assert rule["AllowedMethods"] == ["POST"]
    assert TEMPLATE["Parameters"]["SiteOrigin"]["AllowedPattern"].startswith("^https://")


def test_bucket_policy_denies_plain_http_and_foreign_keys() -> None:
    statements = props("AWS::S3::BucketPolicy")["PolicyDocument"]["Statement"]
    assert all(st["Effect"] == "Deny" for st in statements)
    conditions = [json.dumps(st["Condition"]) for st in statements]
    assert any('"aws:SecureTransport": "false"' in c for c in conditions)
    assert any(
        "s3:x-amz-server-side-encryption-aws-kms-key-id" in c and "DataKey" in c for c in conditions
    )
    assert any('"s3:x-amz-server-side-encryption": "aws:kms"' in c for c in conditions)


def test_table_layout_is_the_stores() -> None:
    table = props("AWS::DynamoDB::Table")
    schema = table_schema()
    for name in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes"):
        assert table[name] == schema[name]
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}


def test_table_is_encrypted_recoverable_and_protected() -> None:
    table = props("AWS::DynamoDB::Table")
    assert table["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Ref": "DataKey"},
    }
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionProtectionEnabled"] is True
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_key_rotates_and_data_outlives_the_stack() -> None:
    assert props("AWS::KMS::Key")["EnableKeyRotation"] is True
    assert props("AWS::KMS::Alias")["TargetKeyId"] == {"Ref": "DataKey"}
    for kind in ("AWS::KMS::Key", "AWS::S3::Bucket", "AWS::DynamoDB::Table"):
        assert resource(kind)["DeletionPolicy"] == "Retain"
        assert resource(kind)["UpdateReplacePolicy"] == "Retain"


def test_outputs_cover_settings_and_policies() -> None:
    assert set(TEMPLATE["Outputs"]) == {
        "TableName",
        "TableArn",
        "BucketName",
        "BucketArn",
        "KeyArn",
        "KeyAlias",
        "SiteOrigin",
    }
    assert all("Export" in output for output in TEMPLATE["Outputs"].values())


def _cfn_lint() -> str:
    found = venv_tool("cfn-lint")  # the project's own, never another on PATH
    if not Path(found).exists():
        pytest.fail("cfn-lint is a dev dependency: run `make setup`")
    return found


# ---- the policies as documents ------------------------------------------------------------

CN = StorageArns(
    table_arn="arn:aws-cn:dynamodb:cn-north-1:123456789012:table/jubao-prod-reports",
    bucket_arn="arn:aws-cn:s3:::jubao-prod-123456789012-cn-north-1",
    key_arn="arn:aws-cn:kms:cn-north-1:123456789012:key/0f0f0f0f-1111-2222-3333-444455556666",
)


def actions(policy: dict[str, Any]) -> set[str]:
    """What the policy allows (its Deny statements are tested in test_infra_policies.py)."""
    return {a for st in policy["Statement"] if st["Effect"] == "Allow" for a in st["Action"]}


def grants(policy: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [st for st in policy["Statement"] if st["Effect"] == "Allow" and action in st["Action"]]


def test_intake_can_neither_read_objects_nor_decrypt() -> None:
    policy = policies.intake_policy(CN)
    assert actions(policy) == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:DeleteObjectTagging",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    assert not {a for a in actions(policy) if a.startswith("s3:Get") or a == "kms:Decrypt"}
    [put] = grants(policy, "s3:PutObject")
    assert put["Resource"] == [f"{CN.bucket_arn}/staging/*", f"{CN.bucket_arn}/sealed/*"]
    # the unclaimed tag is set and removed on sealed files only, never on staged uploads
    [tag] = grants(policy, "s3:PutObjectTagging")
    assert tag["Resource"] == [f"{CN.bucket_arn}/sealed/*"]
    assert grants(policy, "s3:DeleteObjectTagging") == [tag]
    [kms] = grants(policy, "kms:GenerateDataKey")
    assert kms["Resource"] == [CN.key_arn]
    assert kms["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.cn-north-1.amazonaws.com.cn"}
    }


def test_sealer_reads_only_staging_and_decrypts_only_through_s3() -> None:
    policy = policies.sealer_policy(CN)
    [read] = grants(policy, "s3:GetObject")
    assert read["Resource"] == [f"{CN.bucket_arn}/staging/*"]
    assert grants(policy, "s3:DeleteObjectVersion") == [read]
    [put] = grants(policy, "s3:PutObject")
    assert put["Resource"] == [f"{CN.bucket_arn}/sealed/*"]
    assert grants(policy, "s3:PutObjectTagging") == [put]
    assert "s3:DeleteObjectTagging" not in actions(policy)
    [decrypt] = grants(policy, "kms:Decrypt")
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"].startswith("s3.cn-north-1.")
    assert "dynamodb:PutItem" not in actions(policy) and "dynamodb:Query" not in actions(policy)
    assert allowed(policy, "kms:Decrypt", CN.key_arn, via="s3.cn-north-1.amazonaws.com.cn")
    assert not allowed(policy, "kms:Decrypt", CN.key_arn)


@pytest.mark.parametrize("make", [policies.intake_policy, policies.sealer_policy])
def test_no_wildcard_resources_and_right_partition(make: Any) -> None:
    for arns, partition in ((CN, "arn:aws-cn:"), (_global(CN), "arn:aws:")):
        policy = make(arns)
        assert policy["Version"] == "2012-10-17"
        for statement in policy["Statement"]:
            assert statement["Effect"] in ("Allow", "Deny") and statement["Sid"].isalnum()
            for arn in statement["Resource"]:
                assert arn.startswith(partition) and arn != "*"
                assert ":*:" not in arn


def _global(arns: StorageArns) -> StorageArns:
    def swap(arn: str) -> str:
        return arn.replace("aws-cn", "aws").replace("cn-north-1", "eu-west-1")

    return StorageArns(swap(arns.table_arn), swap(arns.bucket_arn), swap(arns.key_arn))


@pytest.mark.slow
def test_template_and_policies_pass_cfn_lint(tmp_path: Path) -> None:
    """One cfn-lint run (it takes seconds to start): the storage template in the China and
    a global region, and the four policies wrapped as managed policies."""
    wrapped = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            name: {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": make(CN)}}
            for name, make in (
                ("Intake", policies.intake_policy),
                ("Sealer", policies.sealer_policy),
                ("Officer", policies.officer_policy),
                ("Housekeeping", policies.housekeeping_policy),
            )
        },
    }
    path = tmp_path / "policies.json"
    path.write_text(json.dumps(wrapped), encoding="utf-8")
    result = subprocess.run(
        [_cfn_lint(), str(TEMPLATE_PATH), str(path), "--regions", "cn-north-1", "us-east-1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_policy_files_for_chalice() -> None:
    """What `make package` writes into each app's .chalice/: the CloudFormation form of
    each function's policy, named as its config.json says."""
    for app in functions.APPS.values():
        config = json.loads((ROOT / app.project / ".chalice" / "config.json").read_text("utf-8"))
        named = {
            f["iam_policy_file"] for f in config["stages"]["prod"]["lambda_functions"].values()
        }
        files = functions.policy_files(app, "prod")
        assert set(files) == named
        for function in app.functions:
            document = files[f"policy-prod-{function.role}.json"]
            assert document == policies.cloudformation(policies.DOCUMENTS[function.role]())
            concrete = policies.render(policies.DOCUMENTS[function.role](), CN.values("prod"))
            logs = "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/lambda/"
            name = policies.FUNCTIONS[function.role].replace("${Stage}", "prod")
            [statement] = grants(concrete, "logs:PutLogEvents")
            assert statement["Resource"] == [f"{logs}{name}", f"{logs}{name}:*"]
            assert allowed(concrete, "logs:PutLogEvents", f"{logs}{name}:log-stream:2026/11/28/x")


# ---- deployed into moto: the store works on what the template makes ----------------------


@dataclass
class CallLog:
    """IAM actions and resources of every AWS call made through the store's clients."""

    arns: StorageArns
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def attach(self, store: AwsStore) -> None:
        store.ddb.meta.events.register("before-parameter-build.dynamodb.*", self._dynamodb)
        store.s3.meta.events.register("before-parameter-build.s3.*", self._s3)

    def _dynamodb(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems":
            kinds = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "ConditionCheck": "ConditionCheckItem",
                "Delete": "DeleteItem",
            }
            for item in params["TransactItems"]:
                [(kind, _body)] = item.items()
                self.calls.append((f"dynamodb:{kinds[kind]}", self.arns.table_arn, _leading(_body)))
        elif model.name == "BatchGetItem":
            for request in params["RequestItems"].values():
                for key in request["Keys"]:
                    self.calls.append(
                        ("dynamodb:BatchGetItem", self.arns.table_arn, key["pk"]["S"])
                    )
        else:
            table = self.arns.table_arn
            if params.get("IndexName"):
                table += f"/index/{params['IndexName']}"
            self.calls.append((f"dynamodb:{model.name}", table, _leading(params)))

    def _s3(self, params: dict[str, Any], model: Any, **kwargs: Any) -> None:
        if kwargs.get("context", {}).get("is_presign_request"):
            return  # signing a POST is no call; the browser's upload is (added by the test)
        action = {"HeadObject": "GetObject"}.get(model.name, model.name)
        if model.name == "DeleteObject" and params.get("VersionId"):
            action = "DeleteObjectVersion"
        self.calls.append((f"s3:{action}", f"{self.arns.bucket_arn}/{params['Key']}", ""))
        if model.name == "PutObject" and params.get("Tagging"):
            # IAM: tags sent with an upload need s3:PutObjectTagging as well
            self.calls.append(
                ("s3:PutObjectTagging", f"{self.arns.bucket_arn}/{params['Key']}", "")
            )

    def take(self) -> list[tuple[str, str, str]]:
        taken, self.calls = self.calls, []
        return taken


def _leading(params: dict[str, Any]) -> str:
    """The partition key a DynamoDB request touches (IAM's dynamodb:LeadingKeys)."""
    if "Key" in params:
        return str(params["Key"]["pk"]["S"])
    if "Item" in params:
        return str(params["Item"]["pk"]["S"])
    values = params.get("ExpressionAttributeValues", {})
    for name in (":pk", ":p"):
        if name in values:
            return str(values[name]["S"])
    return ""  # a scan: no leading key


def allowed(
    policy: dict[str, Any], action: str, arn: str, leading: str = "", via: str = ""
) -> bool:
    """The policy allows the call (tests/iam_eval.py: Deny, Allow, wildcards, conditions)."""
    context: dict[str, Any] = {}
    if leading:
        context["dynamodb:LeadingKeys"] = [leading]
    if via:
        context["kms:ViaService"] = via
    return iam_eval.allowed(policy, iam_eval.Request(action, arn, context))


@pytest.fixture
def deployed(aws_env: str) -> Iterator[dict[str, str]]:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    with pytest.warns(UserWarning, match="BucketPolicy"):  # moto: resource type unsupported
        cloudformation.create_stack(
            StackName="jubao-test-storage",
            TemplateBody=TEMPLATE_PATH.read_text(encoding="utf-8"),
            Parameters=[
                {"ParameterKey": "Stage", "ParameterValue": "test"},
                {"ParameterKey": "SiteOrigin", "ParameterValue": "https://jubao.example.gov.cn"},
            ],
        )
    [stack] = cloudformation.describe_stacks(StackName="jubao-test-storage")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    yield {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def _deployed_store(
    s3: Any, deployed: dict[str, str]
) -> tuple[Settings, AwsStore, CallLog, StorageArns, Intake]:
    """The store on the deployed stack's outputs, its calls logged against the policies.

    moto drops VersioningConfiguration (asserted on the template); it is switched on here
    as AWS would have it, so that the sealer's deletes take the versioned path."""
    s3.put_bucket_versioning(
        Bucket=deployed["BucketName"], VersioningConfiguration={"Status": "Enabled"}
    )
    settings = Settings(
        store="aws",
        table=deployed["TableName"],
        bucket=deployed["BucketName"],
        kms_key_id=deployed["KeyArn"],
        aws_region=REGION,
    )
    arns = StorageArns.from_outputs(deployed)
    store = AwsStore(settings)
    log = CallLog(arns)
    log.attach(store)
    office, _ = s.office_with_keys()
    return settings, store, log, arns, s.make_intake(store, office)


@pytest.mark.aws
@pytest.mark.slow
def test_deployed_stack_stores_a_report_within_the_policies(deployed: dict[str, str]) -> None:
    kms = boto3.client("kms", region_name=REGION)
    assert kms.get_key_rotation_status(KeyId=deployed["KeyArn"])["KeyRotationEnabled"]
    assert deployed["KeyAlias"] == "alias/jubao-test"
    s3 = boto3.client("s3", region_name=REGION)
    [rule] = s3.get_bucket_encryption(Bucket=deployed["BucketName"])[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == deployed["KeyArn"]
    settings, store, log, arns, intake = _deployed_store(s3, deployed)

    # the API function's work, part one: a ticket
    ticket = attachments.request_upload(
        intake,
        UploadRequest(region=s.REGION, content_type="application/pdf", size=64),
        settings=settings,
    )
    intake_policy = policies.intake_policy(arns)
    api_calls = [*log.take(), ("s3:PutObject", f"{arns.bucket_arn}/{ticket.fields['key']}", "")]

    # the browser's upload, then the sealer's work (a report can claim only sealed files)
    posted = requests.post(
        ticket.url,
        data=ticket.fields,
        files={"file": ("a.pdf", b"%PDF-1.4\n" + b"x" * 40 + b"\n%%EOF\n")},
        timeout=10,
    )
    assert posted.status_code == 204
    assert (
        attachments.seal_staged_object(intake, settings.bucket, ticket.fields["key"]).result
        == "sealed"
    )
    sealer_calls = log.take()
    sealer_policy = policies.sealer_policy(arns)
    assert {c for c in sealer_calls if not allowed(sealer_policy, *c)} == set()
    staged = f"{arns.bucket_arn}/{ticket.fields['key']}"
    assert {("s3:GetObject", staged, ""), ("s3:DeleteObjectVersion", staged, "")} <= set(
        sealer_calls
    )
    # and the separation holds: the API function could not have done the sealer's reads
    assert not allowed(intake_policy, "s3:GetObject", f"{arns.bucket_arn}/{ticket.fields['key']}")
    assert s3.get_object_tagging(Bucket=settings.bucket, Key=sealed_key(ticket.attachment_id))[
        "TagSet"
    ] == [{"Key": UNCLAIMED_TAG_KEY, "Value": UNCLAIMED_TAG.split("=")[1]}]

    # part two: a report with that file and a form file, its status, a supplement
    form_ids = attachments.accept_form_files(
        intake, [_Part("application/pdf", b"%PDF-1.4\n%%EOF\n")], s.REGION, settings=settings
    )
    receipt = intake.submit(
        {
            "kind": "hazard",
            "region": s.REGION,
            "industry": "fire",
            "unit_name": "某商场",
            "description": "消防通道被货物长期堵塞，安全出口上锁。",
            "attachments": [ticket.attachment_id, *form_ids],
        }
    ).response.receipt
    status = intake.status({"receipt": receipt})
    intake.supplement({"receipt": receipt, "text": "今天再次看到通道堵塞。"})
    api_calls += log.take()
    assert {c for c in api_calls if not allowed(intake_policy, *c)} == set()
    assert status.report_number == receipt[:4] + receipt[5:9]
    # claimed: the lifecycle rule on the tag can no longer take the files
    for attachment_id in (ticket.attachment_id, *form_ids):
        tags = s3.get_object_tagging(Bucket=settings.bucket, Key=sealed_key(attachment_id))
        assert tags["TagSet"] == []

    stored = store.get_report(status.report_number)
    assert stored is not None and stored.attachments == (ticket.attachment_id, *form_ids)
    assert [r.number for r in store.iter_reports()] == [status.report_number]


@dataclass(frozen=True)
class _Part:
    content_type: str
    data: bytes


@pytest.mark.aws
@pytest.mark.slow
def test_deployed_stack_serves_officers_within_their_policies(deployed: dict[str, str]) -> None:
    """The officers' side of the store on the deployed stack: every call the officers'
    function and its schedule make is one their policies allow (leading keys included),
    and none touches staging/."""
    s3 = boto3.client("s3", region_name=REGION)
    settings, store, log, arns, intake = _deployed_store(s3, deployed)
    [form_file] = attachments.accept_form_files(
        intake, [_Part("application/pdf", b"%PDF-1.4\n%%EOF\n")], s.REGION, settings=settings
    )
    receipt = intake.submit(
        {
            "kind": "hazard",
            "region": s.REGION,
            "industry": "fire",
            "unit_name": "某商场",
            "description": "消防通道被货物长期堵塞，安全出口上锁。",
            "attachments": [form_file],
        }
    ).response.receipt
    number = receipt[:4] + receipt[5:9]
    log.take()  # the public function's calls: checked in the test above

    def leaf(size: int, prev: bytes) -> tuple[bytes, bytes]:
        entry = f"entry {size}".encode()
        return entry, bytes(32)

    now = datetime.now(UTC)
    case = store.get_case(number)
    assert case is not None
    cases, _ = store.list_cases(case.unit)
    assert [c.number for c in cases] == [number]
    wrap = Wrap(number, "content", "o1", "kid", "d3JhcA==")
    granted = store.apply_case_change(
        CaseChange(number, case.version, now, grant=("o1",), wraps=(wrap,)),
        AuditAppend(case.unit, leaf, case=number),
    )
    assert store.list_wraps(number, "o1") == [wrap]
    store.apply_case_change(
        CaseChange(number, granted.version, now, revoke=("o1",)),
        AuditAppend(case.unit, leaf, case=number),
    )
    assert store.list_wraps(number, "o1") == []
    assert len(store.case_audit(number, 10)) == 2
    assert store.get_sealed_attachment(form_file) is not None
    assert store.remember_nonce(b"\x07" * 16, now, now)
    store.list_entries_with_ids(number)
    officer_calls = log.take()
    officer_policy = policies.officer_policy(arns)
    assert {c for c in officer_calls if not allowed(officer_policy, *c)} == set()
    assert not [c for c in officer_calls if "/staging/" in c[1]]
    assert any(c[0] == "dynamodb:DeleteItem" for c in officer_calls)  # the revoked wrap

    # the hourly schedule: a checkpoint of the unit's log, expired nonces gone
    size = store.audit_size(case.unit)
    store.audit_records(case.unit, 0, size)
    store.latest_checkpoint(case.unit)
    store.put_checkpoint(CheckpointRecord(case.unit, size, bytes(32), "note", now))
    store.list_checkpoints(case.unit)
    assert store.purge_nonces(now) == 1
    housekeeping_calls = log.take()
    housekeeping_policy = policies.housekeeping_policy(arns)
    assert {c for c in housekeeping_calls if not allowed(housekeeping_policy, *c)} == set()
    assert ("dynamodb:Scan", arns.table_arn, "") in housekeeping_calls
    # and the public function could have made none of the officers' writes
    intake_policy = policies.intake_policy(arns)
    writes = [c for c in officer_calls + housekeeping_calls if c[0] in WRITE_ACTIONS]
    refused = [c for c in writes if not allowed(intake_policy, *c)]
    assert {c[2].split("#")[0] for c in refused} >= {"LOG", "CKPT", "nonce"}


WRITE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
