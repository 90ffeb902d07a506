"""What the deployed stack holds of what ``infra/storage.json`` asks, read back from moto.

moto deploys the template (``CREATE_COMPLETE``) but keeps only part of it. For each
setting this module records, on a stack left exactly as moto made it:

- what moto honours, asserted on the deployed resources (key rotation and alias, default
  encryption with the stack's key, the table's keys, indexes and projections, on-demand
  billing, deletion protection, resources retained when the stack goes);
- what moto drops or gets wrong, with what its describe/get APIs answer instead (as of
  moto 5.2.5: an upgrade that starts keeping one fails here, and the list in
  docs/architecture.md should shrink), and the test that asserts the setting on the
  template instead: most are in tests/test_infra.py, the others are here.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import app as public_function
from chalicelib.store.aws import STAGING_PREFIX, table_schema
from tests.infra_deployed.stack import TEMPLATE, Stack, deploy, template_resource
from tests.store.moto_env import REGION

pytestmark = [pytest.mark.aws, pytest.mark.xdist_group("infra-deployed")]


def props(kind: str) -> dict[str, Any]:
    result: dict[str, Any] = template_resource(kind)["Properties"]
    return result


def answer(call: Callable[[], Any]) -> Any:
    """An API's answer without its metadata, or ``("error", code)``."""
    try:
        result = dict(call())
    except ClientError as error:
        return ("error", error.response["Error"]["Code"])
    result.pop("ResponseMetadata", None)
    return result


# ---- what moto drops: its answer instead, and where the template is asserted ------------


@dataclass(frozen=True)
class Dropped:
    setting: str  # the template's property, as people look it up (and the test's id)
    property: str  # the property's own name, which the asserting test must read
    read_back: Callable[[Stack], Any]  # what moto answers for it on the deployed stack
    moto_answers: Any
    asserted_by: str  # "module::test" that asserts the setting on the template


def _s3(call: str, **extra: Any) -> Callable[[Stack], Any]:
    def read(stack: Stack) -> Any:
        s3 = boto3.client("s3", region_name=REGION)
        return answer(lambda: getattr(s3, call)(Bucket=stack.outputs["BucketName"], **extra))

    return read


def _bucket_key_enabled(stack: Stack) -> Any:
    s3 = boto3.client("s3", region_name=REGION)
    encryption = s3.get_bucket_encryption(Bucket=stack.outputs["BucketName"])
    [rule] = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    return rule["BucketKeyEnabled"]


def _table(stack: Stack) -> Any:
    ddb = boto3.client("dynamodb", region_name=REGION)
    return ddb.describe_table(TableName=stack.outputs["TableName"])["Table"]


def _pitr(stack: Stack) -> Any:
    ddb = boto3.client("dynamodb", region_name=REGION)
    backups = ddb.describe_continuous_backups(TableName=stack.outputs["TableName"])
    return backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]


def _ttl(stack: Stack) -> Any:
    ddb = boto3.client("dynamodb", region_name=REGION)
    return ddb.describe_time_to_live(TableName=stack.outputs["TableName"])["TimeToLiveDescription"]


def _key_policy_principal(stack: Stack) -> Any:
    kms = boto3.client("kms", region_name=REGION)
    policy = kms.get_key_policy(KeyId=stack.outputs["KeyArn"], PolicyName="default")["Policy"]
    document = policy if isinstance(policy, dict) else json.loads(policy)
    return [statement["Principal"] for statement in document["Statement"]]


def _describe_key(stack: Stack) -> Any:
    kms = boto3.client("kms", region_name=REGION)
    return answer(lambda: kms.describe_key(KeyId=stack.outputs["KeyArn"])["KeyMetadata"])


INFRA = "tests.test_infra"
HERE = __name__

DROPPED = [
    Dropped(
        "AWS::S3::BucketPolicy (TLS only, this KMS key only, SSE-KMS only)",
        "BucketPolicy",
        _s3("get_bucket_policy"),
        ("error", "NoSuchBucketPolicy"),
        f"{INFRA}::test_bucket_policy_denies_plain_http_and_foreign_keys",
    ),
    Dropped(
        "Bucket.VersioningConfiguration",
        "VersioningConfiguration",
        _s3("get_bucket_versioning"),
        {},
        f"{INFRA}::test_bucket_blocks_public_access_and_acls",
    ),
    Dropped(
        "Bucket.PublicAccessBlockConfiguration",
        "PublicAccessBlockConfiguration",
        _s3("get_public_access_block"),
        ("error", "NoSuchPublicAccessBlockConfiguration"),
        f"{INFRA}::test_bucket_blocks_public_access_and_acls",
    ),
    Dropped(
        "Bucket.OwnershipControls",
        "OwnershipControls",
        _s3("get_bucket_ownership_controls"),
        ("error", "OwnershipControlsNotFoundError"),
        f"{INFRA}::test_bucket_blocks_public_access_and_acls",
    ),
    Dropped(
        "Bucket.BucketEncryption...BucketKeyEnabled",
        "BucketKeyEnabled",
        _bucket_key_enabled,
        False,
        f"{INFRA}::test_bucket_encrypts_with_the_stack_key_using_bucket_keys",
    ),
    Dropped(
        "Bucket.LifecycleConfiguration",
        "LifecycleConfiguration",
        _s3("get_bucket_lifecycle_configuration"),
        ("error", "NoSuchLifecycleConfiguration"),
        f"{INFRA}::test_staged_plaintext_expires_after_a_day",
    ),
    Dropped(
        "Bucket.CorsConfiguration",
        "CorsConfiguration",
        _s3("get_bucket_cors"),
        ("error", "NoSuchCORSConfiguration"),
        f"{INFRA}::test_browsers_may_only_post_and_only_from_the_site",
    ),
    Dropped(
        "Bucket.NotificationConfiguration.EventBridgeConfiguration",
        "NotificationConfiguration",
        _s3("get_bucket_notification_configuration"),
        {},
        f"{HERE}::test_the_bucket_sends_staged_uploads_to_eventbridge_for_the_sealer",
    ),
    Dropped(
        "Table.SSESpecification",
        "SSESpecification",
        lambda stack: _table(stack).get("SSEDescription"),
        None,
        f"{INFRA}::test_table_is_encrypted_recoverable_and_protected",
    ),
    Dropped(
        "Table.PointInTimeRecoverySpecification",
        "PointInTimeRecoverySpecification",
        _pitr,
        {"PointInTimeRecoveryStatus": "DISABLED"},
        f"{INFRA}::test_table_is_encrypted_recoverable_and_protected",
    ),
    Dropped(
        "Table.TimeToLiveSpecification",
        "TimeToLiveSpecification",
        _ttl,
        {"TimeToLiveStatus": "DISABLED"},
        f"{INFRA}::test_unclaimed_records_expire_by_ttl_and_claims_keep_them",
    ),
    Dropped(
        "DataKey.KeyPolicy: ${AWS::Partition} (moto substitutes aws, even in cn-north-1)",
        "KeyPolicy",
        _key_policy_principal,
        [{"AWS": "arn:aws:iam::123456789012:root"}],
        f"{HERE}::test_the_key_policy_names_the_account_in_the_stacks_partition",
    ),
    Dropped(
        "DataKey.KeySpec, KeyUsage, PendingWindowInDays (DescribeKey fails: moto keeps the "
        "template's KeyPolicy as an object and cannot answer)",
        "KeySpec",
        _describe_key,
        ("error", "500"),
        f"{HERE}::test_the_key_is_symmetric_and_waits_30_days_before_deletion",
    ),
]


@pytest.mark.parametrize("dropped", DROPPED, ids=[d.property for d in DROPPED])
def test_what_moto_drops_is_asserted_on_the_template(
    dropped: Dropped, observed_stack: Stack, deployed_env: object
) -> None:
    assert dropped.read_back(observed_stack) == dropped.moto_answers
    module_name, test_name = dropped.asserted_by.split("::")
    asserting = getattr(importlib.import_module(module_name), test_name, None)
    assert asserting is not None, (
        f"{dropped.asserted_by} is gone: name the test that asserts {dropped.property} now"
    )
    assert dropped.property in inspect.getsource(asserting), test_name
    assert dropped.property in json.dumps(TEMPLATE), "the template does not ask for it"


# ---- asserted here because tests/test_infra.py does not -----------------------------------


def test_the_bucket_sends_staged_uploads_to_eventbridge_for_the_sealer() -> None:
    """The sealer is subscribed through EventBridge (infra/README.md): without the bucket's
    EventBridge notifications no upload would ever be sealed, and none could be claimed."""
    assert props("AWS::S3::Bucket")["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    pattern: Any = public_function.STAGED_UPLOAD
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"]["key"] == [{"prefix": STAGING_PREFIX}]


def test_the_key_policy_names_the_account_in_the_stacks_partition() -> None:
    """China regions: the key's one principal is built from ``AWS::Partition``, and no ARN
    in the template names a partition of its own."""
    [statement] = props("AWS::KMS::Key")["KeyPolicy"]["Statement"]
    assert statement["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }
    text = json.dumps(TEMPLATE)
    assert "arn:aws:" not in text and "arn:aws-cn:" not in text


def test_the_key_is_symmetric_and_waits_30_days_before_deletion() -> None:
    """S3 SSE-KMS and DynamoDB encryption take symmetric keys only; a key scheduled for
    deletion by mistake can be saved for the longest window KMS allows."""
    key = props("AWS::KMS::Key")
    assert (key["KeySpec"], key["KeyUsage"]) == ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    assert key["PendingWindowInDays"] == 30


# ---- what moto honours: asserted on the deployed resources -------------------------------


def test_the_key_rotates_and_its_alias_names_the_stage(
    observed_stack: Stack, deployed_env: object
) -> None:
    kms = boto3.client("kms", region_name=REGION)
    key_arn = observed_stack.outputs["KeyArn"]
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
    aliases = kms.list_aliases(KeyId=key_arn)["Aliases"]
    assert [a["AliasName"] for a in aliases] == [observed_stack.outputs["KeyAlias"]]
    assert observed_stack.outputs["KeyAlias"] == "alias/jubao-observed"
    assert key_arn.startswith(f"arn:aws-cn:kms:{REGION}:")


def test_the_bucket_encrypts_by_default_with_the_stacks_key(
    observed_stack: Stack, deployed_env: object
) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    encryption = s3.get_bucket_encryption(Bucket=observed_stack.outputs["BucketName"])
    [rule] = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": observed_stack.outputs["KeyArn"],
    }
    assert observed_stack.outputs["BucketArn"] == (
        f"arn:aws-cn:s3:::{observed_stack.outputs['BucketName']}"
    )


def test_the_table_has_the_stores_keys_indexes_and_projections(
    observed_stack: Stack, deployed_env: object
) -> None:
    table = _table(observed_stack)
    schema = table_schema()
    assert table["KeySchema"] == schema["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        schema["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    deployed = {
        index["IndexName"]: (index["KeySchema"], index["Projection"])
        for index in table["GlobalSecondaryIndexes"]
    }
    wanted = {
        index["IndexName"]: (index["KeySchema"], index["Projection"])
        for index in schema["GlobalSecondaryIndexes"]
    }
    assert deployed == wanted
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TableArn"] == observed_stack.outputs["TableArn"]


def test_the_table_refuses_to_be_deleted(observed_stack: Stack, deployed_env: object) -> None:
    assert _table(observed_stack)["DeletionProtectionEnabled"] is True
    ddb = boto3.client("dynamodb", region_name=REGION)
    with pytest.raises(ClientError) as refused:
        ddb.delete_table(TableName=observed_stack.outputs["TableName"])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "DeletionProtectionEnabled" in refused.value.response["Error"]["Message"]
    assert _table(observed_stack)["TableStatus"] == "ACTIVE"


def test_deleting_the_stack_keeps_the_key_the_bucket_and_the_table(
    moto: Any, deployed_env: object
) -> None:
    """``DeletionPolicy: Retain`` (asserted on the template by tests/test_infra.py
    test_key_rotates_and_data_outlives_the_stack), honoured by moto's delete_stack."""
    stack = deploy(moto, "retained")
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.delete_stack(StackName=stack.name)
    cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=stack.name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    s3 = boto3.client("s3", region_name=REGION)
    assert (
        s3.head_bucket(Bucket=stack.outputs["BucketName"])["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )
    assert _table(stack)["TableStatus"] == "ACTIVE"
    kms = boto3.client("kms", region_name=REGION)
    assert kms.get_key_rotation_status(KeyId=stack.outputs["KeyArn"])["KeyRotationEnabled"]
