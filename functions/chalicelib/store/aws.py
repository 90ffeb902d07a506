"""The AWS store: report metadata and sealed text in DynamoDB, sealed files in S3 (SSE-KMS).

**What lives where, and why.**

* *DynamoDB, inline*: the report (routing metadata plus the sealed content and identity
  envelopes), the entries (supplements, feedback) and the idempotency records. The
  models bound these texts (a description is at most 5,000 characters, so a sealed
  content envelope stays under ~30 KB, far below the 400 KB item limit; a guard refuses
  anything above ``MAX_INLINE_BYTES``). Keeping them inline means:
  (1) ``create_report`` is one ``TransactWriteItems`` (report + idempotency record +
  attachment claims): nothing can be half-stored, and a receipt can never point at a
  blob that was not written; (2) the intake function answers ``/api/status`` (the report
  and the sealed feedback) with DynamoDB reads only, so its IAM role needs no
  ``s3:GetObject`` on stored data and no ``kms:Decrypt`` (``infra/policies.py``);
  (3) one round trip per status query. The table is encrypted at rest with the same
  KMS key, and every sealed value is already libsodium-sealed to an office key that
  AWS never sees.
* *S3, SSE-KMS with the configured key*: attachments (megabytes). A sealed attachment is
  written to ``sealed/{id}`` *before* the DynamoDB update marks its record ``sealed``,
  so a ``sealed`` record never points at a missing blob. Uploads arrive in
  ``staging/{id}`` (presigned POST, plaintext protected only by SSE-KMS) and are sealed
  and deleted by ``chalicelib.attachments.seal_staged_object`` within seconds; the bucket
  lifecycle expires anything left in ``staging/`` after a day.

**One table** (``settings.table``), keys ``pk``/``sk``:

=======================  ===================  ===========================================
item                     pk                   sk
=======================  ===================  ===========================================
report                   ``report#{number}``  ``report``
entry (n-th, from 1)     ``report#{number}``  ``entry#{n:010d}`` (insertion order)
idempotency record       ``idem#{hash hex}``  ``idem``
attachment record        ``attachment#{id}``  ``attachment``
=======================  ===================  ===========================================

One table keeps ``create_report`` a single-table transaction and a report's entries in
its own item collection (one ``Query``). Reports also carry ``tpk``/``tsk`` for the
``by_received`` index used by ``iter_reports``.

**iter_reports** queries that GSI (constant partition ``reports``, sort key = fixed-width
UTC time + number): it reads only reports, already oldest first, page by page. A scan
would read every item (entries, attachments, idempotency records) and need an in-memory
sort of the whole table. The price: GSIs are eventually consistent (a report appears
in the listing a fraction of a second after it is stored), and one partition serves all
index writes, which is far more than a provincial reporting platform needs (the limit is
1,000 writes per second); shard the partition by year if that ever changes.

**Expiry**: idempotency records and unclaimed attachment records carry a ``ttl`` number
(epoch seconds) for DynamoDB TTL; TTL deletes lazily, so reads also filter on
``expires_at``. Claiming an attachment removes its ``ttl``.

**Unclaimed files purge themselves.** The bucket's lifecycle (``infra/storage.json``)
expires ``staging/`` after a day, and every ``sealed/`` object carrying the tag
``UNCLAIMED_TAG`` after ``UNCLAIMED_SEALED_DAYS`` days (noncurrent versions too). A sealed
object is written with that tag; a claim removes it *before* the claiming transaction,
so a claimed file can never be expired by the rule (an interrupted or refused claim
leaves at worst an untagged object whose record TTL then deletes: sealed bytes kept,
never evidence lost). Why a tag and not a prefix: a claim would then have to copy the
object to another prefix, which needs ``s3:GetObject`` on sealed data, the one right the
API function must not have; removing a tag needs only ``s3:DeleteObjectTagging``.
A claim needs the file *sealed*; in AWS the sealer runs on the upload's event, so a claim
of a file still pending waits up to ``SEAL_WAIT_SECONDS`` for it. ``purge_uploads`` does
the same cleaning on demand (a scan: attachment records have no index of their own).

boto3 is imported on first use only (cold start: importing it costs ~0.4 s); the
endpoint comes from the standard ``AWS_ENDPOINT_URL`` variable that boto3 honours, so
moto, MinIO or another S3/DynamoDB-compatible service can stand in for AWS.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .base import (
    AttachmentRecord,
    AttachmentUnavailable,
    Entry,
    IdempotencyRecord,
    IdempotencyReplay,
    NumberTaken,
    ReportRecord,
    ReportStore,
    StoreError,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

    from ..settings import Settings

# ---- the layout, in one place (infra/storage.json and the tests read these) ---------------

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TIME_INDEX = "by_received"
TIME_INDEX_PARTITION = "tpk"
TIME_INDEX_SORT = "tsk"
TTL_ATTRIBUTE = "ttl"
SEALED_PREFIX = "sealed/"
STAGING_PREFIX = "staging/"
UNCLAIMED_TAG_KEY = "jubao-unclaimed"
UNCLAIMED_TAG = f"{UNCLAIMED_TAG_KEY}=1"  # set on sealed objects, removed when claimed
UNCLAIMED_SEALED_DAYS = 2  # > the 24 h an upload may wait for its claim, plus clock slack
STAGING_DAYS = 1
_REPORTS = "reports"  # the GSI partition holding every report

# a sealed value bigger than this is refused rather than risk the 400 KB item limit
MAX_INLINE_BYTES = 300_000
_TRANSACTION_ATTEMPTS = 4
_APPEND_ATTEMPTS = 16


def _backoff(attempt: int) -> None:
    """Exponential backoff with full jitter, so that retrying writers spread out."""
    time.sleep(min(0.25, 0.01 * 2**attempt) * random.random())  # noqa: S311 - not a secret


def table_schema() -> dict[str, Any]:
    """Keys and index of the table, as ``create_table`` / CloudFormation spell them."""
    return {
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"}
            for name in (PARTITION_KEY, SORT_KEY, TIME_INDEX_PARTITION, TIME_INDEX_SORT)
        ],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": TIME_INDEX,
                "KeySchema": [
                    {"AttributeName": TIME_INDEX_PARTITION, "KeyType": "HASH"},
                    {"AttributeName": TIME_INDEX_SORT, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


def sealed_key(attachment_id: str) -> str:
    return f"{SEALED_PREFIX}{attachment_id}"


def staging_key(attachment_id: str) -> str:
    return f"{STAGING_PREFIX}{attachment_id}"


# ---- encoding -----------------------------------------------------------------------------


def _ts(value: datetime) -> str:
    """Fixed-width UTC time: sorts as text, compares in condition expressions."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _epoch(value: datetime) -> str:
    return str(math.ceil(value.timestamp()))


def _s(value: str) -> dict[str, Any]:
    return {"S": value}


def _b(value: bytes) -> dict[str, Any]:
    return {"B": value}


def _n(value: int | str) -> dict[str, Any]:
    return {"N": str(value)}


def _ids(values: tuple[str, ...]) -> dict[str, Any]:
    return {"L": [_s(v) for v in values]}


def _str(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return None if value is None else str(value["S"])


def _req(item: dict[str, Any], name: str) -> str:
    value = _str(item, name)
    if value is None:
        raise StoreError(f"stored item lacks {name}")
    return value


def _bytes(item: dict[str, Any], name: str) -> bytes | None:
    value = item.get(name)
    return None if value is None else bytes(value["B"])


def _id_list(item: dict[str, Any], name: str) -> tuple[str, ...]:
    return tuple(str(v["S"]) for v in item.get(name, {"L": []})["L"])


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {PARTITION_KEY: _s(pk), SORT_KEY: _s(sk)}


def _report_key(number: str) -> dict[str, Any]:
    return _key(f"report#{number}", "report")


def _idem_key(key_hash: bytes) -> dict[str, Any]:
    return _key(f"idem#{key_hash.hex()}", "idem")


def _attachment_key(attachment_id: str) -> dict[str, Any]:
    return _key(f"attachment#{attachment_id}", "attachment")


def _report_item(r: ReportRecord) -> dict[str, Any]:
    item = {
        **_report_key(r.number),
        TIME_INDEX_PARTITION: _s(_REPORTS),
        TIME_INDEX_SORT: _s(f"{_ts(r.received_at)}#{r.number}"),
        "number": _s(r.number),
        "receipt_mac": _b(r.receipt_mac),
        "received_at": _s(_ts(r.received_at)),
        "kind": _s(r.kind),
        "region": _s(r.region),
        "industry": _s(r.industry),
        "unit": _s(r.unit),
        "status": _s(r.status),
        "acceptance_due": _s(r.acceptance_due.isoformat()),
        "reporter_key": _s(r.reporter_key),
        "content": _b(r.content),
        "attachments": _ids(r.attachments),
        "entries": _n(0),
    }
    if r.source is not None:
        item["source"] = _s(r.source)
    if r.verification_due is not None:
        item["verification_due"] = _s(r.verification_due.isoformat())
    if r.identity is not None:
        item["identity"] = _b(r.identity)
    return item


def _report(item: dict[str, Any]) -> ReportRecord:
    verification_due = _str(item, "verification_due")
    content = _bytes(item, "content")
    receipt_mac = _bytes(item, "receipt_mac")
    if content is None or receipt_mac is None:
        raise StoreError("stored report is incomplete")
    return ReportRecord(
        number=_req(item, "number"),
        receipt_mac=receipt_mac,
        received_at=_dt(_req(item, "received_at")),
        kind=_req(item, "kind"),
        region=_req(item, "region"),
        industry=_req(item, "industry"),
        unit=_req(item, "unit"),
        source=_str(item, "source"),
        status=_req(item, "status"),
        acceptance_due=date.fromisoformat(_req(item, "acceptance_due")),
        verification_due=date.fromisoformat(verification_due) if verification_due else None,
        reporter_key=_req(item, "reporter_key"),
        content=content,
        identity=_bytes(item, "identity"),
        attachments=_id_list(item, "attachments"),
    )


def _idem_item(r: IdempotencyRecord) -> dict[str, Any]:
    return {
        **_idem_key(r.key_hash),
        "key_hash": _b(r.key_hash),
        "body_hash": _b(r.body_hash),
        "report_number": _s(r.report_number),
        "sealed_receipt": _b(r.sealed_receipt),
        "expires_at": _s(_ts(r.expires_at)),
        TTL_ATTRIBUTE: _n(_epoch(r.expires_at)),
    }


def _idem(item: dict[str, Any]) -> IdempotencyRecord:
    key_hash, body_hash = _bytes(item, "key_hash"), _bytes(item, "body_hash")
    sealed = _bytes(item, "sealed_receipt")
    if key_hash is None or body_hash is None or sealed is None:
        raise StoreError("stored idempotency record is incomplete")
    return IdempotencyRecord(
        key_hash=key_hash,
        body_hash=body_hash,
        report_number=_req(item, "report_number"),
        sealed_receipt=sealed,
        expires_at=_dt(_req(item, "expires_at")),
    )


def _attachment_item(r: AttachmentRecord) -> dict[str, Any]:
    item = {
        **_attachment_key(r.attachment_id),
        "attachment_id": _s(r.attachment_id),
        "region": _s(r.region),
        "unit": _s(r.unit),
        "content_type": _s(r.content_type),
        "max_bytes": _n(r.max_bytes),
        "created_at": _s(_ts(r.created_at)),
        "expires_at": _s(_ts(r.expires_at)),
        "state": _s(r.state),
    }
    if r.report_number is not None:
        item["report_number"] = _s(r.report_number)
    else:
        item[TTL_ATTRIBUTE] = _n(_epoch(r.expires_at))
    if r.size is not None:
        item["size"] = _n(r.size)
    return item


def _attachment(item: dict[str, Any]) -> AttachmentRecord:
    size = item.get("size")
    return AttachmentRecord(
        attachment_id=_req(item, "attachment_id"),
        region=_req(item, "region"),
        unit=_req(item, "unit"),
        content_type=_req(item, "content_type"),
        max_bytes=int(item["max_bytes"]["N"]),
        created_at=_dt(_req(item, "created_at")),
        expires_at=_dt(_req(item, "expires_at")),
        state=_req(item, "state"),
        report_number=_str(item, "report_number"),
        size=None if size is None else int(size["N"]),
    )


def _entry(item: dict[str, Any]) -> Entry:
    sealed = _bytes(item, "sealed")
    if sealed is None:
        raise StoreError("stored entry is incomplete")
    return Entry(
        report_number=_req(item, "report_number"),
        kind=_req(item, "kind"),
        at=_dt(_req(item, "at")),
        sealed=sealed,
        attachments=_id_list(item, "attachments"),
    )


def _check_inline(*values: bytes | None) -> None:
    if sum(len(v) for v in values if v is not None) > MAX_INLINE_BYTES:
        raise StoreError("sealed value too large for a table item")


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


# ---- the store ----------------------------------------------------------------------------


class AwsStore(ReportStore):
    """``ReportStore`` on ``settings.table`` and ``settings.bucket``, in ``settings.aws_region``.

    ``settings.kms_key_id`` must be the key's ARN (the storage stack's ``KeyArn``
    output): it is sent with every upload and the bucket policy compares it with the
    ARN, and S3 reports the ARN back.
    """

    seals_later = True  # the sealer runs on S3's event; claims wait for it
    SEAL_WAIT_SECONDS = 10.0
    _SEAL_POLL_SECONDS = 0.25
    # a pending record older than this cannot be sealed any more (ticket + sealing time)
    _SEALING_HORIZON = timedelta(minutes=15)

    def __init__(self, settings: Settings, *, seal_wait: float | None = None) -> None:
        if not settings.kms_key_id:
            raise StoreError("JUBAO_KMS_KEY_ID is not set: blobs are written under SSE-KMS")
        self.table = settings.table
        self.bucket = settings.bucket
        self.kms_key_id = settings.kms_key_id
        self.region = settings.aws_region
        self.seal_wait = self.SEAL_WAIT_SECONDS if seal_wait is None else seal_wait
        self._lock = threading.Lock()

    # -- clients, created on first use --------------------------------------------------

    @cached_property
    def _session(self) -> Any:
        import boto3

        return boto3.session.Session(region_name=self.region)

    def _config(self, **extra: Any) -> Any:
        from botocore.config import Config

        return Config(
            connect_timeout=3,
            read_timeout=20,
            retries={"mode": "standard", "max_attempts": 3},
            **extra,
        )

    @cached_property
    def ddb(self) -> DynamoDBClient:
        with self._lock:
            client: DynamoDBClient = self._session.client("dynamodb", config=self._config())
            return client

    @cached_property
    def s3(self) -> S3Client:
        with self._lock:
            client: S3Client = self._session.client(
                "s3", config=self._config(signature_version="s3v4")
            )
            return client

    def _client_errors(self) -> tuple[type[Exception], ...]:
        from botocore.exceptions import BotoCoreError, ClientError

        return (ClientError, BotoCoreError)

    # -- reports --------------------------------------------------------------------------

    def create_report(
        self, report: ReportRecord, idempotency: IdempotencyRecord | None = None
    ) -> None:
        _check_inline(report.content, report.identity)
        if len(set(report.attachments)) != len(report.attachments):
            raise AttachmentUnavailable("listed twice")  # one file cannot be claimed twice
        self._prepare_claims(report.attachments, report.received_at)
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": _report_item(report),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if idempotency is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": _idem_item(idempotency),
                        # an expired record that TTL has not deleted yet may be replaced
                        "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
                        "ExpressionAttributeValues": {":now": _s(_ts(datetime.now(UTC)))},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
        claims_from = len(items)
        items += [self._claim(a, report.number, report.received_at) for a in report.attachments]
        reasons = self._transact(items)
        if reasons is None:
            return
        if idempotency is not None and reasons[1].get("Code") == "ConditionalCheckFailed":
            old = reasons[1].get("Item")
            existing = _idem(old) if old else self.get_idempotency(idempotency.key_hash)
            if existing is not None:
                raise IdempotencyReplay(existing)
        if reasons[0].get("Code") == "ConditionalCheckFailed":
            raise NumberTaken(report.number)
        for attachment_id, reason in zip(report.attachments, reasons[claims_from:], strict=True):
            if reason.get("Code") == "ConditionalCheckFailed":
                raise AttachmentUnavailable(attachment_id)
        raise StoreError("report transaction cancelled")

    def _claim(self, attachment_id: str, number: str, at: datetime) -> dict[str, Any]:
        """Link an attachment to a report: only if it exists, is sealed, unexpired, unclaimed."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": _attachment_key(attachment_id),
                "UpdateExpression": "SET report_number = :number REMOVE #ttl",
                "ConditionExpression": (
                    "attribute_exists(pk) AND attribute_not_exists(report_number) "
                    "AND #state = :sealed AND expires_at > :at"
                ),
                "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE, "#state": "state"},
                "ExpressionAttributeValues": {
                    ":number": _s(number),
                    ":at": _s(_ts(at)),
                    ":sealed": _s("sealed"),
                },
            }
        }

    def _prepare_claims(self, ids: tuple[str, ...], at: datetime) -> None:
        """Before claiming: wait briefly for files still being sealed, then untag them.

        The wait covers the seconds between the browser's upload and the sealer's run
        (the page sends the report right after its uploads); it is spent only on a
        recent, unclaimed, pending record. Files that will be claimable lose the
        ``UNCLAIMED_TAG`` *before* the transaction, so the lifecycle can never expire a
        claimed file. If any file is not claimable the transaction will refuse the
        whole report, so no tag is touched.
        """
        deadline = time.monotonic() + self.seal_wait
        claimable = []
        for attachment_id in ids:
            while True:
                record = self.get_attachment(attachment_id)
                waiting = (
                    record is not None
                    and record.state == "pending"
                    and record.report_number is None
                    and record.expires_at > at
                    and record.created_at > datetime.now(UTC) - self._SEALING_HORIZON
                    and time.monotonic() < deadline
                )
                if not waiting:
                    break
                time.sleep(self._SEAL_POLL_SECONDS)
            claimable.append(
                record is not None
                and record.state == "sealed"
                and record.report_number is None
                and record.expires_at > at
            )
        if all(claimable):  # else the transaction refuses them all: keep every tag
            for attachment_id in ids:
                self._untag(attachment_id)

    def _untag(self, attachment_id: str) -> None:
        try:
            self.s3.delete_object_tagging(Bucket=self.bucket, Key=sealed_key(attachment_id))
        except self._client_errors() as exc:
            if _error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                return  # no blob: nothing the lifecycle could take
            raise StoreError("sealed attachment could not be marked claimed") from exc

    def _transact(self, items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """Run a transaction; None if it committed, else the per-item cancellation reasons.

        Conflicts with a concurrent transaction on the same items are retried; a
        condition failure is returned for the caller to name.
        """
        errors = self._client_errors()
        for attempt in range(_TRANSACTION_ATTEMPTS):
            try:
                self.ddb.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
                return None
            except errors as exc:
                if _error_code(exc) != "TransactionCanceledException":
                    raise StoreError("dynamodb transaction failed") from exc
                reasons: list[dict[str, Any]] = list(
                    getattr(exc, "response", {}).get("CancellationReasons") or []
                )
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                return reasons
            if not any(r.get("Code") == "TransactionConflict" for r in reasons):
                raise StoreError("dynamodb transaction cancelled")
            _backoff(attempt)
        raise StoreError("dynamodb transaction kept conflicting")

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        try:
            response = self.ddb.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        except self._client_errors() as exc:
            raise StoreError("dynamodb read failed") from exc
        item = response.get("Item")
        return dict(item) if item else None

    def get_report(self, number: str) -> ReportRecord | None:
        item = self._get(_report_key(number))
        return None if item is None else _report(item)

    def _query(self, **query: Any) -> Iterator[dict[str, Any]]:
        """Every item a DynamoDB query matches, following its pages."""
        start: dict[str, Any] | None = None
        while True:
            kwargs = {"TableName": self.table, **query}
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            try:
                page = self.ddb.query(**kwargs)
            except self._client_errors() as exc:
                raise StoreError("dynamodb query failed") from exc
            for item in page.get("Items", []):
                yield dict(item)
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def iter_reports(self) -> Iterator[ReportRecord]:
        for item in self._query(
            IndexName=TIME_INDEX,
            KeyConditionExpression="#p = :p",
            ExpressionAttributeNames={"#p": TIME_INDEX_PARTITION},
            ExpressionAttributeValues={":p": _s(_REPORTS)},
            ScanIndexForward=True,
        ):
            yield _report(item)

    def update_status(self, number: str, status: str, verification_due: date | None = None) -> None:
        expression = "SET #status = :status"
        values: dict[str, Any] = {":status": _s(status)}
        if verification_due is not None:
            expression += ", verification_due = :due"
            values[":due"] = _s(verification_due.isoformat())
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=_report_key(number),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except self._client_errors() as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                raise StoreError("no such report") from None
            raise StoreError("dynamodb write failed") from exc

    # -- entries --------------------------------------------------------------------------

    def add_entry(self, entry: Entry) -> None:
        """Append an entry, numbered after the report's counter, atomically with claims.

        The counter on the report item gives entries their insertion order (clock
        times may tie or step back); a concurrent append makes the counter condition
        fail and the append is retried with the next number.
        """
        _check_inline(entry.sealed)
        if len(set(entry.attachments)) != len(entry.attachments):
            raise AttachmentUnavailable("listed twice")
        self._prepare_claims(entry.attachments, entry.at)
        for attempt in range(_APPEND_ATTEMPTS):
            report = self._get(_report_key(entry.report_number))
            if report is None:
                raise StoreError("no such report")
            count = int(report.get("entries", {"N": "0"})["N"])
            items: list[dict[str, Any]] = [
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": _report_key(entry.report_number),
                        "UpdateExpression": "SET #entries = :next",
                        "ConditionExpression": "attribute_exists(pk) AND #entries = :count",
                        "ExpressionAttributeNames": {"#entries": "entries"},
                        "ExpressionAttributeValues": {
                            ":next": _n(count + 1),
                            ":count": _n(count),
                        },
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": {
                            **_key(f"report#{entry.report_number}", f"entry#{count + 1:010d}"),
                            "report_number": _s(entry.report_number),
                            "kind": _s(entry.kind),
                            "at": _s(_ts(entry.at)),
                            "sealed": _b(entry.sealed),
                            "attachments": _ids(entry.attachments),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
            items += [self._claim(a, entry.report_number, entry.at) for a in entry.attachments]
            reasons = self._transact(items)
            if reasons is None:
                return
            for attachment_id, reason in zip(entry.attachments, reasons[2:], strict=True):
                if reason.get("Code") == "ConditionalCheckFailed":
                    raise AttachmentUnavailable(attachment_id)
            _backoff(attempt)  # the counter moved (a concurrent append): read it again
        raise StoreError("entry append kept conflicting")

    def list_entries(self, number: str, kind: str | None = None) -> list[Entry]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :entry)",
            ExpressionAttributeValues={":pk": _s(f"report#{number}"), ":entry": _s("entry#")},
            ConsistentRead=True,
        )
        entries = [_entry(item) for item in items]
        return [e for e in entries if kind is None or e.kind == kind]

    # -- idempotency ----------------------------------------------------------------------

    def get_idempotency(self, key_hash: bytes) -> IdempotencyRecord | None:
        item = self._get(_idem_key(key_hash))
        if item is None:
            return None
        record = _idem(item)
        return record if record.expires_at > datetime.now(UTC) else None

    # -- attachments ----------------------------------------------------------------------

    def create_attachment(self, record: AttachmentRecord) -> None:
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item=_attachment_item(record),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._client_errors() as exc:
            raise StoreError("attachment record not stored") from exc

    def get_attachment(self, attachment_id: str) -> AttachmentRecord | None:
        item = self._get(_attachment_key(attachment_id))
        return None if item is None else _attachment(item)

    def put_sealed_attachment(self, attachment_id: str, sealed: bytes, size: int) -> None:
        """Blob first, record second: a ``sealed`` record always has its blob."""
        record = self.get_attachment(attachment_id)
        if record is None or record.state != "pending":
            raise AttachmentUnavailable(attachment_id)
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=sealed_key(attachment_id),
                Body=sealed,
                ContentType="application/octet-stream",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self.kms_key_id,
                Tagging=UNCLAIMED_TAG,  # the lifecycle expires it unless a claim untags it
            )
        except self._client_errors() as exc:
            raise StoreError("sealed attachment not stored") from exc
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=_attachment_key(attachment_id),
                UpdateExpression="SET #state = :sealed, #size = :size",
                ConditionExpression="attribute_exists(pk) AND #state = :pending",
                ExpressionAttributeNames={"#state": "state", "#size": "size"},
                ExpressionAttributeValues={
                    ":sealed": _s("sealed"),
                    ":pending": _s("pending"),
                    ":size": _n(size),
                },
            )
        except self._client_errors() as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                raise AttachmentUnavailable(attachment_id) from None
            raise StoreError("attachment record not updated") from exc

    def get_sealed_attachment(self, attachment_id: str) -> bytes | None:
        record = self.get_attachment(attachment_id)
        if record is None or record.state != "sealed":
            return None
        return self._read(sealed_key(attachment_id), limit=None)

    def purge_uploads(self, now: datetime) -> int:
        """Delete unclaimed attachment records expired by ``now`` and all their objects.

        The bucket lifecycle and table TTL do this by themselves; this is the same on
        demand (tests, an operator). Attachment records have no index, so it scans the
        table with a filter, which is fine at a provincial office's volume. Safe to run
        while the API takes reports: each record is deleted with a condition (still
        unclaimed, still expired), atomic against a concurrent claim, and its objects
        are deleted only after the record is gone, so a claimed file is never touched.
        """
        purged = 0
        for item in self._scan(
            FilterExpression=(
                "begins_with(pk, :prefix) AND attribute_not_exists(report_number) "
                "AND expires_at <= :now"
            ),
            ExpressionAttributeValues={":prefix": _s("attachment#"), ":now": _s(_ts(now))},
        ):
            attachment_id = _req(item, "attachment_id")
            try:
                self.ddb.delete_item(
                    TableName=self.table,
                    Key=_attachment_key(attachment_id),
                    ConditionExpression=(
                        "attribute_exists(pk) AND attribute_not_exists(report_number) "
                        "AND expires_at <= :now"
                    ),
                    ExpressionAttributeValues={":now": _s(_ts(now))},
                )
            except self._client_errors() as exc:
                if _error_code(exc) == "ConditionalCheckFailedException":
                    continue  # claimed (or gone) meanwhile
                raise StoreError("attachment record not purged") from exc
            self._delete_every_version(sealed_key(attachment_id))
            self._delete_every_version(staging_key(attachment_id))
            purged += 1
        return purged

    def _scan(self, **scan: Any) -> Iterator[dict[str, Any]]:
        start: dict[str, Any] | None = None
        while True:
            kwargs = {"TableName": self.table, "ConsistentRead": True, **scan}
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            try:
                page = self.ddb.scan(**kwargs)
            except self._client_errors() as exc:
                raise StoreError("dynamodb scan failed") from exc
            for item in page.get("Items", []):
                yield dict(item)
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def _delete_every_version(self, key: str) -> None:
        """Delete an object for good in the versioned bucket: versions and delete markers."""
        errors = self._client_errors()
        try:
            listing = self.s3.list_object_versions(Bucket=self.bucket, Prefix=key)
            versions = [
                v.get("VersionId") or "null"
                for v in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]
                if v.get("Key") == key
            ]
            for version in versions:
                self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version)
        except errors as exc:
            raise StoreError("stored object not purged") from exc

    def _read(self, key: str, limit: int | None) -> bytes | None:
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=key)
        except self._client_errors() as exc:
            if _error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise StoreError("s3 read failed") from exc
        body = response["Body"]
        try:
            return body.read() if limit is None else body.read(limit)
        finally:
            body.close()

    # -- direct uploads (used by chalicelib.attachments) ----------------------------------

    def presigned_upload(
        self, attachment_id: str, content_type: str, max_bytes: int, expires_in: int
    ) -> tuple[str, dict[str, str]]:
        """A presigned POST for ``staging/{id}``: size range, type and SSE-KMS enforced.

        Every prefilled field is also a policy condition, so a browser cannot change
        the key, drop the encryption or choose another KMS key.
        """
        fields = {
            "Content-Type": content_type,
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": self.kms_key_id,
        }
        conditions: list[Any] = [
            ["content-length-range", 1, max_bytes],
            *({name: value} for name, value in fields.items()),
        ]
        try:
            post = self.s3.generate_presigned_post(
                Bucket=self.bucket,
                Key=staging_key(attachment_id),
                Fields=fields,
                Conditions=conditions,
                ExpiresIn=expires_in,
            )
        except self._client_errors() as exc:
            raise StoreError("upload could not be presigned") from exc
        return str(post["url"]), {str(k): str(v) for k, v in post["fields"].items()}

    def read_staged(self, attachment_id: str, limit: int) -> bytes | None:
        """At most ``limit`` bytes of a staged upload (None if absent): memory stays bounded."""
        return self._read(staging_key(attachment_id), limit)

    def discard_staged(self, attachment_id: str) -> None:
        """Delete a staged upload, every version of it.

        The bucket is versioned: a plain delete would only add a delete marker and keep
        the plaintext upload as a noncurrent version. Each pass deletes the current
        version by id; a key posted twice has two.
        """
        key = staging_key(attachment_id)
        errors = self._client_errors()
        for _ in range(10):
            try:
                head = self.s3.head_object(Bucket=self.bucket, Key=key)
            except errors as exc:
                if _error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                    return
                raise StoreError("staged upload not inspected") from exc
            version = head.get("VersionId")
            try:
                if version and version != "null":
                    self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version)
                else:
                    self.s3.delete_object(Bucket=self.bucket, Key=key)
                    return
            except errors as exc:
                raise StoreError("staged upload not deleted") from exc
        raise StoreError("staged upload has too many versions")
