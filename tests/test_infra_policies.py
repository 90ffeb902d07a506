"""The four functions' IAM policies, evaluated for concrete requests in both partitions.

Each property of issue 9 is a request that must be allowed or refused: the public
function puts reports but never reads stored content nor decrypts, and never writes an
audit entry, a log head, a checkpoint or a nonce; the officers' function never touches
the sealer's staging prefix; nothing has ``*`` as a resource. ``tests/iam_eval.py`` is
the evaluator (explicit Deny, Allow, wildcards, the condition operators used).
What IAM cannot express (sort keys) is asserted as the known gap it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.store.aws import layout
from infra import policies
from infra.policies import StorageArns
from tests.iam_eval import Request, allowed, decide

ACCOUNT = "123456789012"
PLACES = {
    "aws-cn": ("cn-north-1", "amazonaws.com.cn"),
    "aws": ("eu-west-1", "amazonaws.com"),
}


def arns_in(partition: str) -> StorageArns:
    region, _ = PLACES[partition]
    return StorageArns(
        table_arn=f"arn:{partition}:dynamodb:{region}:{ACCOUNT}:table/jubao-prod-reports",
        bucket_arn=f"arn:{partition}:s3:::jubao-prod-{ACCOUNT}-{region}",
        key_arn=f"arn:{partition}:kms:{region}:{ACCOUNT}:key/0f0f0f0f-1111-2222-3333-444455556666",
    )


@pytest.fixture(params=sorted(PLACES))
def place(request: pytest.FixtureRequest) -> StorageArns:
    return arns_in(request.param)


def pk(value: str) -> dict[str, Any]:
    """A DynamoDB request's context: the partition key of the item it touches."""
    return {"dynamodb:LeadingKeys": [value]}


def via_s3(arns: StorageArns) -> dict[str, Any]:
    return {"kms:ViaService": f"s3.{arns.region}.{arns.url_suffix}"}


# one item of each partition of the layout (layout.py's own key functions)
ITEMS = {
    "report": layout.report_key("12345678")["pk"]["S"],
    "idem": layout.idem_key(b"\x01" * 16)["pk"]["S"],
    "attachment": layout.attachment_key("a1b2")["pk"]["S"],
    "audit": layout.audit_head_key("340104")["pk"]["S"],
    "checkpoint": layout.checkpoint_key("340104", 3)["pk"]["S"],
    "nonce": layout.nonce_key(b"\x02" * 16)["pk"]["S"],
}
WRITES = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]


def objects(arns: StorageArns, key: str) -> str:
    return f"{arns.bucket_arn}/{key}"


def test_evaluator_deny_wins_and_for_all_values_needs_null() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/x/*"},
            {
                "Effect": "Allow",
                "Action": "dynamodb:GetItem",
                "Resource": "t",
                "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["a#*"]}},
            },
        ]
    }
    assert decide(policy, Request("s3:GetObject", "arn:aws:s3:::b/y/1")) == "Allow"
    assert decide(policy, Request("S3:GETOBJECT", "arn:aws:s3:::b/x/1")) == "ExplicitDeny"
    assert decide(policy, Request("s3:GetObject", "arn:aws:s3:::c/1")) == "ImplicitDeny"
    assert allowed(policy, Request("dynamodb:GetItem", "t", pk("a#1")))
    assert not allowed(policy, Request("dynamodb:GetItem", "t", pk("b#1")))
    # the trap: without leading keys ForAllValues is vacuously true
    assert allowed(policy, Request("dynamodb:GetItem", "t"))
    with pytest.raises(ValueError):
        allowed(
            {"Statement": [{**policy["Statement"][0], "Condition": {"DateEquals": {"a": "b"}}}]},
            Request("s3:GetObject", "arn:aws:s3:::b/y"),
        )


# ---- the public (intake) function ----------------------------------------------------------


def test_intake_puts_reports_and_uploads(place: StorageArns) -> None:
    policy = policies.intake_policy(place)
    table = place.table_arn
    for item in ("report", "idem", "attachment"):
        for action in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"):
            assert allowed(policy, Request(action, table, pk(ITEMS[item]))), (item, action)
    assert allowed(policy, Request("dynamodb:Query", table, pk(ITEMS["report"])))
    for key in (layout.staging_key("a1b2"), layout.sealed_key("a1b2")):
        assert allowed(policy, Request("s3:PutObject", objects(place, key)))
    sealed = objects(place, layout.sealed_key("a1b2"))
    assert allowed(policy, Request("s3:PutObjectTagging", sealed))
    assert allowed(policy, Request("s3:DeleteObjectTagging", sealed))
    assert allowed(policy, Request("kms:GenerateDataKey", place.key_arn, via_s3(place)))


def test_intake_never_reads_stored_content_nor_decrypts(place: StorageArns) -> None:
    policy = policies.intake_policy(place)
    for key in (layout.staging_key("a1b2"), layout.sealed_key("a1b2"), "anything"):
        for action in ("s3:GetObject", "s3:GetObjectVersion"):
            assert decide(policy, Request(action, objects(place, key))) == "ExplicitDeny"
    for context in ({}, via_s3(place)):
        assert decide(policy, Request("kms:Decrypt", place.key_arn, context)) == "ExplicitDeny"
    # nor directly, without S3: GenerateDataKey only for S3's envelope
    assert not allowed(policy, Request("kms:GenerateDataKey", place.key_arn))
    assert not allowed(policy, Request("s3:ListBucket", place.bucket_arn))


def test_intake_never_writes_audit_checkpoints_or_nonces(place: StorageArns) -> None:
    policy = policies.intake_policy(place)
    for item in ("audit", "checkpoint", "nonce"):
        for action in WRITES:
            request = Request(action, place.table_arn, pk(ITEMS[item]))
            assert decide(policy, request) == "ExplicitDeny", (item, action)
        assert not allowed(policy, Request("dynamodb:GetItem", place.table_arn, pk(ITEMS[item])))
    # a transaction is authorised item by item: one audit leaf among report items refuses it
    transaction = [ITEMS["report"], ITEMS["idem"], ITEMS["audit"]]
    assert not all(
        allowed(policy, Request("dynamodb:PutItem", place.table_arn, pk(k))) for k in transaction
    )
    # and a request naming several partitions is refused if any one is the officers'
    both = {"dynamodb:LeadingKeys": [ITEMS["report"], ITEMS["audit"]]}
    assert not allowed(policy, Request("dynamodb:PutItem", place.table_arn, both))


def test_intake_deletes_nothing_scans_nothing_lists_no_cases(place: StorageArns) -> None:
    policy = policies.intake_policy(place)
    for item in ITEMS.values():
        assert not allowed(policy, Request("dynamodb:DeleteItem", place.table_arn, pk(item)))
    for action in ("dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem"):
        assert not allowed(policy, Request(action, place.table_arn))
    index = f"{place.table_arn}/index/{layout.CASE_INDEX}"
    assert not allowed(policy, Request("dynamodb:Query", index, pk("340104#open")))
    # a request without leading keys is not let through by ForAllValues
    assert not allowed(policy, Request("dynamodb:GetItem", place.table_arn))


def test_what_iam_cannot_express_a_case_shares_its_reports_partition(place: StorageArns) -> None:
    """The known gap (infra/policies.py): IAM sees partition keys only, and a case record
    lives in its report's partition, which intake must write. If the layout ever gives
    cases a partition of their own, this test fails and the policy should deny it."""
    assert layout.case_key("12345678")["pk"] == layout.report_key("12345678")["pk"]
    case_partition = layout.case_key("12345678")["pk"]["S"]
    policy = policies.intake_policy(place)
    assert allowed(policy, Request("dynamodb:PutItem", place.table_arn, pk(case_partition)))


# ---- the sealer --------------------------------------------------------------------------


def test_sealer_reads_only_staging_and_decrypts_only_through_s3(place: StorageArns) -> None:
    policy = policies.sealer_policy(place)
    staged = objects(place, layout.staging_key("a1b2"))
    sealed = objects(place, layout.sealed_key("a1b2"))
    for action in ("s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion"):
        assert allowed(policy, Request(action, staged))
    assert decide(policy, Request("s3:GetObject", sealed)) == "ExplicitDeny"
    assert allowed(policy, Request("s3:PutObject", sealed))
    assert not allowed(policy, Request("s3:PutObject", staged))
    assert allowed(policy, Request("kms:Decrypt", place.key_arn, via_s3(place)))
    assert not allowed(policy, Request("kms:Decrypt", place.key_arn))
    other_region = {"kms:ViaService": f"s3.us-west-2.{place.url_suffix}"}
    assert not allowed(policy, Request("kms:Decrypt", place.key_arn, other_region))
    table = place.table_arn
    assert allowed(policy, Request("dynamodb:UpdateItem", table, pk(ITEMS["attachment"])))
    for item in ("report", "idem", "audit", "checkpoint", "nonce"):
        for action in WRITES:
            assert not allowed(policy, Request(action, table, pk(ITEMS[item])))


# ---- the officers' function and its schedule -------------------------------------------


def test_officer_never_touches_staging(place: StorageArns) -> None:
    policy = policies.officer_policy(place)
    staged = objects(place, layout.staging_key("a1b2"))
    for action in (
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:PutObjectTagging",
        "s3:GetObjectVersion",
    ):
        assert decide(policy, Request(action, staged)) == "ExplicitDeny", action
    assert allowed(policy, Request("s3:GetObject", objects(place, layout.sealed_key("a1b2"))))
    assert not allowed(policy, Request("s3:PutObject", objects(place, layout.sealed_key("a"))))


def test_officer_writes_casework_and_audit_but_no_intake_items(place: StorageArns) -> None:
    policy = policies.officer_policy(place)
    table = place.table_arn
    for item in ("report", "audit", "checkpoint", "nonce"):
        for action in (*WRITES, "dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"):
            assert allowed(policy, Request(action, table, pk(ITEMS[item]))), (item, action)
    for item in ("idem", "attachment"):
        for action in WRITES:
            assert decide(policy, Request(action, table, pk(ITEMS[item]))) == "ExplicitDeny"
    assert allowed(policy, Request("dynamodb:GetItem", table, pk(ITEMS["attachment"])))
    assert not allowed(policy, Request("dynamodb:GetItem", table, pk(ITEMS["idem"])))
    index = f"{table}/index/{layout.CASE_INDEX}"
    assert allowed(policy, Request("dynamodb:Query", index, pk("340104#open")))
    assert not allowed(policy, Request("dynamodb:Query", f"{table}/index/{layout.TIME_INDEX}"))
    assert not allowed(policy, Request("dynamodb:Scan", table))
    assert allowed(policy, Request("kms:Decrypt", place.key_arn, via_s3(place)))
    assert not allowed(policy, Request("kms:Decrypt", place.key_arn))


def test_housekeeping_signs_checkpoints_and_purges_nonces_only(place: StorageArns) -> None:
    policy = policies.housekeeping_policy(place)
    table = place.table_arn
    assert allowed(policy, Request("dynamodb:PutItem", table, pk(ITEMS["checkpoint"])))
    assert allowed(policy, Request("dynamodb:Query", table, pk(ITEMS["audit"])))
    assert allowed(policy, Request("dynamodb:DeleteItem", table, pk(ITEMS["nonce"])))
    assert allowed(policy, Request("dynamodb:Scan", table))
    for item in ("report", "idem", "attachment"):
        for action in WRITES:
            assert not allowed(policy, Request(action, table, pk(ITEMS[item])))
    for key in (layout.staging_key("a"), layout.sealed_key("a")):
        assert decide(policy, Request("s3:GetObject", objects(place, key))) == "ExplicitDeny"
    assert decide(policy, Request("kms:Decrypt", place.key_arn, via_s3(place))) == "ExplicitDeny"


# ---- the documents as such ------------------------------------------------------------------


@pytest.mark.parametrize("function", sorted(policies.DOCUMENTS))
def test_no_wildcard_resources_and_every_arn_from_the_partition(
    function: str, place: StorageArns
) -> None:
    rendered = policies.policy(function, place)
    assert rendered["Version"] == "2012-10-17"
    for statement in rendered["Statement"]:
        assert statement["Effect"] in ("Allow", "Deny") and statement["Sid"].isalnum()
        for arn in statement["Resource"]:
            assert arn != "*" and arn.startswith(f"arn:{place.partition}:"), arn
            assert f":{place.region}:{ACCOUNT}:" in arn or arn.startswith(
                f"arn:{place.partition}:s3:::"
            )
    # and in the template form, nothing is literal: the partition comes from CloudFormation
    document = policies.DOCUMENTS[function]()
    for statement in document["Statement"]:
        for arn in statement["Resource"]:
            assert arn.startswith("arn:${AWS::Partition}:") or arn == policies.KEY, arn
    assert "arn:aws" not in json.dumps(policies.cloudformation(document))
    assert "amazonaws.com" not in json.dumps(document)


@pytest.mark.parametrize("function", sorted(policies.DOCUMENTS))
def test_each_function_writes_only_its_own_log_group(function: str, place: StorageArns) -> None:
    rendered = policies.policy(function, place, stage="prod")
    prefix = f"arn:{place.partition}:logs:{place.region}:{ACCOUNT}:log-group:/aws/lambda/"
    own = policies.FUNCTIONS[function].replace("${Stage}", "prod")
    stream = f"{prefix}{own}:log-stream:2026/12/04/[$LATEST]abc"
    assert allowed(rendered, Request("logs:PutLogEvents", stream))
    assert allowed(rendered, Request("logs:CreateLogStream", stream))
    assert not allowed(rendered, Request("logs:CreateLogGroup", f"{prefix}{own}"))
    for other in policies.FUNCTIONS:
        if other != function:
            name = policies.FUNCTIONS[other].replace("${Stage}", "prod")
            # jubao-prod is a prefix of jubao-prod-seal_upload: the ':' keeps them apart
            assert not allowed(
                rendered, Request("logs:PutLogEvents", f"{prefix}{name}:log-stream:x")
            )


def test_cloudformation_form_substitutes_every_variable() -> None:
    for make in policies.DOCUMENTS.values():
        document = make()
        assert policies.variables(document) <= {
            "AWS::Partition",
            "AWS::Region",
            "AWS::AccountId",
            "AWS::URLSuffix",
            "Stage",
            "TableName",
            "BucketName",
            "KeyArn",
        }
        text = json.dumps(policies.cloudformation(document))
        # every string with a variable went into Fn::Sub
        assert all(
            isinstance(r, dict) and "Fn::Sub" in r
            for s in policies.cloudformation(document)["Statement"]
            for r in s["Resource"]
        )
        assert "${AWS::Partition}" in text


def test_no_hand_kept_policy_files_next_to_the_apps() -> None:
    """The only policies are policies.py's: `make package` writes them into the assembled
    projects; nothing in the source tree could be deployed with other rights."""
    functions_dir = Path(__file__).resolve().parents[1] / "functions"
    assert not sorted(functions_dir.glob("**/.chalice/policy-*.json"))
