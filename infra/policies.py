"""Least-privilege IAM policies of the four functions, written once as CloudFormation text.

Four functions, four roles (Chalice: ``autogen_policy: false`` and a per-function
``iam_policy_file``), because they need opposite things:

* **intake** (the public API function) writes reports, entries, case records (created
  with their report), idempotency and attachment records, staged uploads (it *signs* the
  browser's presigned POST, so S3 checks its ``s3:PutObject`` on ``staging/*``) and sealed
  files posted with the no-JavaScript form (``sealed/*``), tagged ``unclaimed``
  (``s3:PutObjectTagging``) until a report claims them (``s3:DeleteObjectTagging``). It
  reads only DynamoDB items of its own partitions. It has no ``s3:GetObject`` and no
  ``kms:Decrypt``, and an explicit ``Deny`` says so: whoever takes over the API function
  cannot read an upload or a stored report.
* **sealer** (the EventBridge handler of a staged upload) reads, checks, seals and deletes
  one staged upload: ``s3:GetObject`` / ``s3:DeleteObject(Version)`` on ``staging/*`` only,
  ``kms:Decrypt`` through S3 only, ``s3:PutObject`` (with the ``unclaimed`` tag) on
  ``sealed/*`` and the update of the attachment record (``attachment#`` items only).
* **officer** (the officers' API function) reads cases through the keys-only index and
  the table, writes case changes, wraps, audit leaves and heads, checkpoints and nonces,
  and reads sealed attachments (``s3:GetObject`` and ``kms:Decrypt`` through S3 on
  ``sealed/*``). It never touches ``staging/*`` (explicit ``Deny`` on ``s3:*`` there) and
  never writes ``idem#`` or ``attachment#`` items.
* **housekeeping** (the officers' hourly schedule) signs checkpoints and purges expired
  nonces: reads of ``LOG#``/``CKPT#`` items, checkpoint puts, a ``Scan`` and deletes of
  ``nonce#`` items. No S3, no KMS.

**What IAM can and cannot express on the one table.** DynamoDB's only key-level
condition is ``dynamodb:LeadingKeys``: the *partition* key of each item a request touches
(per item inside ``TransactWriteItems`` and ``BatchGetItem``, which have no IAM action
of their own). The layout (``chalicelib/store/aws/layout.py``) puts audit leaves and log
heads in ``LOG#{unit}``, checkpoints in ``CKPT#{unit}`` and nonces in ``nonce#{hash}``,
so IAM *can* say "the public function never writes an audit entry, a log head, a
checkpoint or a nonce" (allow-list of its partitions plus an explicit ``Deny``), and it
has no ``DeleteItem`` at all, so it cannot remove a wrap, an entry or a case. IAM
*cannot* see sort keys: a case record (``report#{n}`` / ``case``), its wraps and its audit
pointers share their report's partition, which the public function must write (the
case is created in the report's transaction, entries append there). So a compromised
public function could still ``PutItem`` over a case record in a report partition; what
catches that is the audit log it cannot write (every real transition is a signed leaf
the unit above cosigns; a case whose state no leaf explains is visible to
``jubao officer audit verify``'s comparison) and the version condition officers' writes
carry. Closing that gap in IAM would need the case in a partition of its own
(``case#{n}``), a change of the store's layout and of its one-transaction report write.
``Scan`` has no leading key; only housekeeping may scan (it needs it to purge nonces).

Every ARN is built from ``${AWS::Partition}`` (``aws``, ``aws-cn``) and the stack's region
and account; service endpoints from ``${AWS::URLSuffix}`` (``amazonaws.com`` or
``amazonaws.com.cn``). ``cloudformation()`` turns a document into the ``Fn::Sub`` form the
function stacks carry; ``render()`` substitutes concrete values, for the tests that
evaluate the policies for concrete requests in both partitions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.store.aws.layout import (
    ATTACHMENT_PARTITION_PREFIX,
    CASE_INDEX,
    NONCE_PARTITION_PREFIX,
    SEALED_PREFIX,
    STAGING_PREFIX,
    audit_partition,
    checkpoint_partition,
    idem_key,
    report_partition,
)

Policy = dict[str, Any]

# the partitions of the one table (layout.py's own functions, never retyped)
REPORT_ITEMS = report_partition("") + "*"
IDEM_ITEMS = idem_key(b"")["pk"]["S"] + "*"
ATTACHMENT_ITEMS = ATTACHMENT_PARTITION_PREFIX + "*"
AUDIT_ITEMS = audit_partition("") + "*"
CHECKPOINT_ITEMS = checkpoint_partition("") + "*"
NONCE_ITEMS = NONCE_PARTITION_PREFIX + "*"
OFFICERS_ONLY = [AUDIT_ITEMS, CHECKPOINT_ITEMS, NONCE_ITEMS]

# the functions' names (set in the function stacks; Chalice's own naming scheme)
FUNCTIONS = {
    "intake": "jubao-${Stage}",
    "sealer": "jubao-${Stage}-seal_upload",
    "officer": "jubao-officer-${Stage}",
    "housekeeping": "jubao-officer-${Stage}-officer_housekeeping",
}

TABLE = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}"
CASE_INDEX_ARN = f"{TABLE}/index/{CASE_INDEX}"
BUCKET = "arn:${AWS::Partition}:s3:::${BucketName}"
KEY = "${KeyArn}"
STAGED = f"{BUCKET}/{STAGING_PREFIX}*"
SEALED = f"{BUCKET}/{SEALED_PREFIX}*"
THROUGH_S3 = {"StringEquals": {"kms:ViaService": "s3.${AWS::Region}.${AWS::URLSuffix}"}}

# what a function's role is used for and must never do: read stored content
READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "kms:Decrypt"]


def _statement(
    sid: str,
    actions: Iterable[str],
    resources: Iterable[str],
    condition: Mapping[str, Any] | None = None,
    *,
    effect: str = "Allow",
) -> Policy:
    statement: Policy = {
        "Sid": sid,
        "Effect": effect,
        "Action": sorted(actions),
        "Resource": list(resources),
    }
    if condition:
        statement["Condition"] = dict(condition)
    return statement


def _items(prefixes: list[str]) -> dict[str, Any]:
    """Only items whose partition key matches one of ``prefixes`` (and never none:
    ``ForAllValues`` is true for a request without leading keys, ``Null`` rules it out)."""
    return {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": prefixes},
        "Null": {"dynamodb:LeadingKeys": "false"},
    }


def _logs(function: str) -> Policy:
    """Write the function's own log group (the stack creates it, with its retention)."""
    group = (
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
        f"/aws/lambda/{FUNCTIONS[function]}"
    )
    return _statement(
        "OwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [group, f"{group}:*"]
    )


def _document(*statements: Policy) -> Policy:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def intake_document() -> Policy:
    """The public API function: write reports and uploads, read only its own items."""
    return _document(
        _statement(
            "OwnItems",
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
            [TABLE],
            _items([REPORT_ITEMS, IDEM_ITEMS, ATTACHMENT_ITEMS]),
        ),
        _statement("UploadsAndFormFiles", ["s3:PutObject"], [STAGED, SEALED]),
        # form files are stored tagged unclaimed (the lifecycle rule expires them);
        # a report that claims a file removes the tag. Nothing here reads a file.
        _statement(
            "TagUnclaimedFiles", ["s3:DeleteObjectTagging", "s3:PutObjectTagging"], [SEALED]
        ),
        _statement("EncryptUploadsOnly", ["kms:GenerateDataKey"], [KEY], THROUGH_S3),
        _logs("intake"),
        _statement("NeverReadStored", READ_ACTIONS, [f"{BUCKET}/*", KEY], effect="Deny"),
        _statement(
            "NeverWriteAuditCheckpointsNonces",
            ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            [TABLE],
            {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": OFFICERS_ONLY}},
            effect="Deny",
        ),
    )


def sealer_document() -> Policy:
    """The staged-upload handler: read and delete staging/, write sealed/, mark the record."""
    return _document(
        _statement(
            "AttachmentRecords",
            ["dynamodb:GetItem", "dynamodb:UpdateItem"],
            [TABLE],
            _items([ATTACHMENT_ITEMS]),
        ),
        _statement(
            "ReadAndDeleteStagedUploads",
            ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject"],
            [STAGED],
        ),
        # stored tagged unclaimed
        _statement("StoreSealedFiles", ["s3:PutObject", "s3:PutObjectTagging"], [SEALED]),
        _statement(
            "DecryptStagedEncryptSealed",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [KEY],
            THROUGH_S3,
        ),
        _logs("sealer"),
        _statement(
            "NeverReadSealed", ["s3:GetObject", "s3:GetObjectVersion"], [SEALED], effect="Deny"
        ),
    )


def officer_document() -> Policy:
    """The officers' API: cases, wraps, audit, checkpoints, nonces; sealed files read only."""
    return _document(
        _statement(
            "CaseworkItems",
            [
                "dynamodb:BatchGetItem",
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ],
            [TABLE],
            _items([REPORT_ITEMS, *OFFICERS_ONLY]),
        ),
        # an officer looks at an attachment's record before fetching the sealed file
        _statement("AttachmentRecords", ["dynamodb:GetItem"], [TABLE], _items([ATTACHMENT_ITEMS])),
        # the index holds keys only; its partitions are units, not item prefixes
        _statement("CasesByDeadline", ["dynamodb:Query"], [CASE_INDEX_ARN]),
        _statement("ReadSealedFiles", ["s3:GetObject"], [SEALED]),
        _statement("DecryptSealedFiles", ["kms:Decrypt"], [KEY], THROUGH_S3),
        _logs("officer"),
        _statement("NeverTouchStaging", ["s3:*"], [STAGED], effect="Deny"),
        _statement(
            "NeverWriteIntakeItems",
            ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            [TABLE],
            {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": [IDEM_ITEMS, ATTACHMENT_ITEMS]}},
            effect="Deny",
        ),
    )


def housekeeping_document() -> Policy:
    """The hourly schedule: checkpoints of every unit's log, expired nonces removed."""
    return _document(
        _statement(
            "LogsAndCheckpoints",
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            [TABLE],
            _items([AUDIT_ITEMS, CHECKPOINT_ITEMS]),
        ),
        _statement("ExpiredNonces", ["dynamodb:DeleteItem"], [TABLE], _items([NONCE_ITEMS])),
        # Scan has no leading key: the filter (nonce# items) is the store's, not IAM's
        _statement("FindExpiredNonces", ["dynamodb:Scan"], [TABLE]),
        _logs("housekeeping"),
        _statement("NeverTouchObjects", ["s3:*", "kms:*"], [f"{BUCKET}/*", KEY], effect="Deny"),
    )


DOCUMENTS = {
    "intake": intake_document,
    "sealer": sealer_document,
    "officer": officer_document,
    "housekeeping": housekeeping_document,
}

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9:]+)\}")


def _map_strings(value: Any, change: Any) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_map_strings(v, change) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, change) for k, v in value.items()}
    return value


def variables(document: Policy) -> set[str]:
    """The CloudFormation variables a document uses (pseudo parameters and parameters)."""
    found: set[str] = set()

    def collect(text: str) -> str:
        found.update(_VARIABLE.findall(text))
        return text

    _map_strings(document, collect)
    return found


def cloudformation(document: Policy) -> Policy:
    """The document as a function stack carries it: every string with a variable in ``Fn::Sub``."""
    return _map_strings(document, lambda s: {"Fn::Sub": s} if _VARIABLE.search(s) else s)  # type: ignore[no-any-return]


def render(document: Policy, values: Mapping[str, str]) -> Policy:
    """The document with concrete values for every variable (KeyError if one is missing)."""
    return _map_strings(document, lambda s: _VARIABLE.sub(lambda m: values[m.group(1)], s))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class StorageArns:
    """The storage stack's resources, as its outputs name them, and where they are."""

    table_arn: str
    bucket_arn: str
    key_arn: str

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, str] | Iterable[Mapping[str, str]]) -> StorageArns:
        """From ``{"TableArn": ...}`` or CloudFormation's ``[{"OutputKey", "OutputValue"}]``."""
        if not isinstance(outputs, Mapping):
            outputs = {o["OutputKey"]: o["OutputValue"] for o in outputs}
        return cls(outputs["TableArn"], outputs["BucketArn"], outputs["KeyArn"])

    def _table_parts(self) -> list[str]:
        parts = self.table_arn.split(":")
        if len(parts) != 6 or parts[2] != "dynamodb" or not parts[5].startswith("table/"):
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
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def values(self, stage: str) -> dict[str, str]:
        """What ``render`` substitutes: the pseudo parameters and the stacks' parameters."""
        return {
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::URLSuffix": self.url_suffix,
            "Stage": stage,
            "TableName": self._table_parts()[5].removeprefix("table/"),
            "BucketName": self.bucket_arn.split(":::", 1)[1],
            "KeyArn": self.key_arn,
        }


def policy(function: str, arns: StorageArns, stage: str = "prod") -> Policy:
    """``function``'s policy with concrete ARNs (for tests and reviews)."""
    return render(DOCUMENTS[function](), arns.values(stage))


def intake_policy(arns: StorageArns, stage: str = "prod") -> Policy:
    return policy("intake", arns, stage)


def sealer_policy(arns: StorageArns, stage: str = "prod") -> Policy:
    return policy("sealer", arns, stage)


def officer_policy(arns: StorageArns, stage: str = "prod") -> Policy:
    return policy("officer", arns, stage)


def housekeeping_policy(arns: StorageArns, stage: str = "prod") -> Policy:
    return policy("housekeeping", arns, stage)
