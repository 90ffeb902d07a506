"""Least-privilege IAM policies of the reporting functions, computed from the storage outputs.

Two functions, two roles (Chalice: ``autogen_policy: false`` and a per-function
``iam_policy_file``), because they need opposite things:

* **intake** (the API function) writes: reports and entries (DynamoDB), attachment
  records, staged uploads (it *signs* the browser's presigned POST, so S3 checks its
  ``s3:PutObject`` on ``staging/*``) and sealed files posted with the no-JavaScript form
  (``sealed/*``), tagged ``unclaimed`` (``s3:PutObjectTagging``) until a report claims
  them (``s3:DeleteObjectTagging``). It reads only DynamoDB (receipts, idempotency,
  feedback). It has no ``s3:GetObject`` and no ``kms:Decrypt``: whoever takes over the
  API function cannot read an upload, and cannot read a report either (those are
  libsodium-sealed anyway).
  ``kms:GenerateDataKey`` (through S3 only) is what SSE-KMS writes need.
* **sealer** (the S3/EventBridge handler) reads, checks, seals and deletes one staged
  upload: ``s3:GetObject`` / ``s3:DeleteObject(Version)`` on ``staging/*`` only,
  ``kms:Decrypt`` through S3 only (so effectively only for objects it may get),
  ``s3:PutObject`` (with the ``unclaimed`` tag) on ``sealed/*`` and the attachment
  record update.

DynamoDB has no ``TransactWriteItems`` IAM action: a transaction is authorised item by
item (here ``PutItem`` and ``UpdateItem``). The table is encrypted with
the KMS key through DynamoDB's own grant, so callers need no KMS permission for it.

``python -m infra.policies OUTPUTS.json STAGE DIR`` writes ``policy-{STAGE}.json`` (API) and
``policy-{STAGE}-sealer.json`` for Chalice from the stack's outputs
(``aws cloudformation describe-stacks ... --query 'Stacks[0].Outputs'``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.store.aws.layout import SEALED_PREFIX, STAGING_PREFIX

Policy = dict[str, Any]


@dataclass(frozen=True)
class StorageArns:
    """The storage stack's resources, as its outputs name them."""

    table_arn: str
    bucket_arn: str
    key_arn: str

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, str] | Sequence[Mapping[str, str]]) -> StorageArns:
        """From ``{"TableArn": ...}`` or CloudFormation's ``[{"OutputKey", "OutputValue"}]``."""
        if not isinstance(outputs, Mapping):
            outputs = {o["OutputKey"]: o["OutputValue"] for o in outputs}
        return cls(outputs["TableArn"], outputs["BucketArn"], outputs["KeyArn"])

    def _table_parts(self) -> list[str]:
        parts = self.table_arn.split(":")
        if len(parts) != 6 or parts[2] != "dynamodb":
            raise ValueError("TableArn is not a DynamoDB table ARN")
        return parts

    @property
    def partition(self) -> str:
        return self._table_parts()[1]

    @property
    def region(self) -> str:
        return self._table_parts()[3]

    @property
    def account(self) -> str:
        return self._table_parts()[4]

    @property
    def dns_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def objects(self, prefix: str) -> str:
        return f"{self.bucket_arn}/{prefix}*"


def _statement(sid: str, actions: list[str], resources: list[str], **condition: Any) -> Policy:
    statement: Policy = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": resources,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _through_s3(arns: StorageArns) -> dict[str, Any]:
    return {"StringEquals": {"kms:ViaService": f"s3.{arns.region}.{arns.dns_suffix}"}}


def _logs(arns: StorageArns, function_name: str) -> Policy:
    """The function's own log group (Chalice names functions ``jubao-{stage}[-{handler}]``)."""
    group = (
        f"arn:{arns.partition}:logs:{arns.region}:{arns.account}:log-group:"
        f"/aws/lambda/{function_name}"
    )
    return _statement(
        "OwnLogs",
        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        [group, f"{group}:*"],
    )


def intake_policy(arns: StorageArns, function_name: str = "jubao-prod") -> Policy:
    """The API function: write reports and uploads, read only table items."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            _statement(
                "ReportsTable",
                [
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:UpdateItem",
                ],
                [arns.table_arn],
            ),
            _statement(
                "UploadsAndFormFiles",
                ["s3:PutObject"],
                [arns.objects(STAGING_PREFIX), arns.objects(SEALED_PREFIX)],
            ),
            # form files are stored tagged unclaimed (the lifecycle rule expires them);
            # a report that claims a file removes the tag. Nothing here reads a file.
            _statement(
                "TagUnclaimedFiles",
                ["s3:DeleteObjectTagging", "s3:PutObjectTagging"],
                [arns.objects(SEALED_PREFIX)],
            ),
            _statement(
                "EncryptUploadsOnly",
                ["kms:GenerateDataKey"],
                [arns.key_arn],
                **_through_s3(arns),
            ),
            _logs(arns, function_name),
        ],
    }


def sealer_policy(arns: StorageArns, function_name: str = "jubao-prod-seal_upload") -> Policy:
    """The staged-upload handler: read and delete staging/, write sealed/, mark the record."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            _statement(
                "AttachmentRecords",
                ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                [arns.table_arn],
            ),
            _statement(
                "ReadAndDeleteStagedUploads",
                ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject"],
                [arns.objects(STAGING_PREFIX)],
            ),
            _statement(
                "StoreSealedFiles",
                ["s3:PutObject", "s3:PutObjectTagging"],  # stored tagged unclaimed
                [arns.objects(SEALED_PREFIX)],
            ),
            _statement(
                "DecryptStagedEncryptSealed",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                [arns.key_arn],
                **_through_s3(arns),
            ),
            _logs(arns, function_name),
        ],
    }


def chalice_policy_files(
    arns: StorageArns, stage: str, sealer_handler: str = "seal_upload"
) -> dict[str, Policy]:
    """File name (in ``functions/.chalice/``) -> policy document.

    Chalice names the API function ``jubao-{stage}`` and other handlers
    ``jubao-{stage}-{handler}``; each policy may write only its own function's logs.
    """
    return {
        f"policy-{stage}.json": intake_policy(arns, f"jubao-{stage}"),
        f"policy-{stage}-sealer.json": sealer_policy(arns, f"jubao-{stage}-{sealer_handler}"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        print("usage: python -m infra.policies OUTPUTS.json STAGE DIR", file=sys.stderr)
        return 2
    outputs_file, stage, directory = args
    arns = StorageArns.from_outputs(json.loads(Path(outputs_file).read_text(encoding="utf-8")))
    for name, policy in chalice_policy_files(arns, stage).items():
        (Path(directory) / name).write_text(json.dumps(policy, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
