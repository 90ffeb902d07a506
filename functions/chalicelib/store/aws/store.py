"""``AwsStore``: the ``ReportStore`` on one DynamoDB table, with its files in S3.

**iter_reports** queries the ``by_received`` GSI (constant partition ``reports``, sort
key = fixed-width UTC time + number): it reads only reports, already oldest first, page
by page. A scan would read every item (entries, attachments, idempotency records) and
need an in-memory sort of the whole table. The price: GSIs are eventually consistent (a
report appears in the listing a fraction of a second after it is stored), and one
partition serves all index writes, which is far more than a provincial reporting
platform needs (the limit is 1,000 writes per second); shard the partition by year if
that ever changes.

**Expiry**: TTL deletes lazily, so reads also filter on ``expires_at``. Claiming an
attachment removes its ``ttl``.

**Claims.** A claim needs the file *sealed*; in AWS the sealer runs on the upload's
event, so a claim of a file still pending waits up to ``SEAL_WAIT_SECONDS`` for it. The
claim removes the file's ``UNCLAIMED_TAG`` *before* the claiming transaction, so a
claimed file can never be expired by the lifecycle rule (an interrupted or refused
claim leaves at worst an untagged object whose record TTL then deletes: sealed bytes
kept, never evidence lost). Why a tag and not a prefix: a claim would then have to copy
the object to another prefix, which needs ``s3:GetObject`` on sealed data, the one
right the API function must not have; removing a tag needs only
``s3:DeleteObjectTagging``. ``purge_uploads`` does the lifecycle's cleaning on demand
(a scan: attachment records have no index of their own).

**Cases** (``CaseStore``). The case item is written in ``create_report``'s transaction.
``list_cases`` reads keys from the ``by_unit_deadline`` index (``KEYS_ONLY``, so no
officer data is copied into an index) and then the page's items with a consistent
``BatchGetItem``, in index order; an item that moved (closed meanwhile: the index is
eventually consistent) is left out of its page rather than shown stale.
``apply_case_change`` is one ``TransactWriteItems``: the case ``Put`` conditioned on the
version read, the wrap puts and the deletes of revoked officers' wraps, the log head's
update conditioned on the size read (``attribute_not_exists`` for the first entry) and
the leaf ``Put``. If another writer appended to the log first, the entry is built again
for the new index and previous hash and the transaction retried; a version conflict is
never retried. DynamoDB takes at most 100 items per transaction, so a change with more
wraps than fit is refused before anything is written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..base import (
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
from ..case_rules import (
    changed_case,
    check_page,
    check_wraps,
    decode_cursor,
    encode_cursor,
    new_case,
)
from ..cases import (
    AuditAppend,
    AuditRecord,
    CaseChange,
    CaseRecord,
    CaseStore,
    CaseUnknown,
    CheckpointRecord,
    VersionConflict,
    Wrap,
)
from .codec import (
    attachment_from,
    attachment_item,
    audit_from,
    audit_item,
    case_from,
    case_item,
    check_inline,
    checkpoint_from,
    checkpoint_item,
    entry_from,
    entry_item,
    epoch,
    idem_from,
    idem_item,
    n_attr,
    report_from,
    report_item,
    req_str,
    s_attr,
    timestamp,
    wrap_from,
    wrap_item,
)
from .layout import (
    ATTACHMENT_PARTITION_PREFIX,
    AUDIT_LEAF_PREFIX,
    CASE_AUDIT_PREFIX,
    CASE_INDEX,
    CASE_INDEX_PARTITION,
    CASE_INDEX_SORT,
    ENTRY_SORT_PREFIX,
    NONCE_PARTITION_PREFIX,
    REPORTS_PARTITION,
    TIME_INDEX,
    TIME_INDEX_PARTITION,
    TTL_ATTRIBUTE,
    WRAP_SORT_PREFIX,
    attachment_key,
    audit_head_key,
    audit_leaf_key,
    audit_leaf_sort,
    audit_partition,
    case_audit_key,
    case_audit_leaf,
    case_index_partition,
    case_key,
    checkpoint_partition,
    idem_key,
    item_key,
    nonce_key,
    report_key,
    report_partition,
    wrap_key,
)
from .retry import backoff, client_errors, error_code
from .uploads import S3Uploads

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

    from ...config.settings import Settings

_TRANSACTION_ATTEMPTS = 4
_APPEND_ATTEMPTS = 16
_AUDIT_ATTEMPTS = 40  # appends to one busy log: each lost race costs one read and a retry
_TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
_BATCH_GET = 100  # DynamoDB's limit per BatchGetItem


class AwsStore(ReportStore, CaseStore):
    """``ReportStore`` and ``CaseStore`` on ``settings.table`` and ``settings.bucket``.

    The clients talk to ``settings.aws_region``.

    ``settings.kms_key_id`` must be the key's ARN (the storage stack's ``KeyArn``
    output): it is sent with every upload and the bucket policy compares it with the
    ARN, and S3 reports the ARN back. The bucket's objects are handled by
    ``self.uploads`` (``S3Uploads``), which is also the store's ``staging``.
    """

    seals_later = True  # the sealer runs on S3's event; claims wait for it

    @property
    def staging(self) -> S3Uploads:
        """Browsers upload to the bucket's ``staging/`` (a presigned POST)."""
        return self.uploads

    SEAL_WAIT_SECONDS = 10.0
    _SEAL_POLL_SECONDS = 0.25
    # a pending record older than this cannot be sealed any more (ticket + sealing time)
    _SEALING_HORIZON = timedelta(minutes=15)

    def __init__(self, settings: Settings, *, seal_wait: float | None = None) -> None:
        if not settings.kms_key_id:
            raise StoreError("JUBAO_KMS_KEY_ID is not set: blobs are written under SSE-KMS")
        self.table = settings.table
        self.region = settings.aws_region
        self.seal_wait = self.SEAL_WAIT_SECONDS if seal_wait is None else seal_wait
        self._lock = threading.Lock()
        self.uploads = S3Uploads(settings.bucket, settings.kms_key_id, lambda: self.s3)

    @property
    def bucket(self) -> str:
        return self.uploads.bucket

    @property
    def kms_key_id(self) -> str:
        return self.uploads.kms_key_id

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

    # -- reports --------------------------------------------------------------------------

    def create_report(
        self, report: ReportRecord, idempotency: IdempotencyRecord | None = None
    ) -> None:
        check_inline(report.content, report.identity)
        if len(set(report.attachments)) != len(report.attachments):
            raise AttachmentUnavailable("listed twice")  # one file cannot be claimed twice
        self._prepare_claims(report.attachments, report.received_at)
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": report_item(report),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if idempotency is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": idem_item(idempotency),
                        # an expired record that TTL has not deleted yet may be replaced
                        "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
                        "ExpressionAttributeValues": {":now": s_attr(timestamp(datetime.now(UTC)))},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
        # the case record, in the same transaction (the report's condition guards both)
        items.append({"Put": {"TableName": self.table, "Item": case_item(new_case(report))}})
        claims_from = len(items)
        items += [self._claim(a, report.number, report.received_at) for a in report.attachments]
        reasons = self._transact(items)
        if reasons is None:
            return
        if idempotency is not None and reasons[1].get("Code") == "ConditionalCheckFailed":
            old = reasons[1].get("Item")
            existing = idem_from(old) if old else self.get_idempotency(idempotency.key_hash)
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
                "Key": attachment_key(attachment_id),
                "UpdateExpression": "SET report_number = :number REMOVE #ttl",
                "ConditionExpression": (
                    "attribute_exists(pk) AND attribute_not_exists(report_number) "
                    "AND #state = :sealed AND expires_at > :at"
                ),
                "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE, "#state": "state"},
                "ExpressionAttributeValues": {
                    ":number": s_attr(number),
                    ":at": s_attr(timestamp(at)),
                    ":sealed": s_attr("sealed"),
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
                self.uploads.mark_claimed(attachment_id)

    def _transact(self, items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """Run a transaction; None if it committed, else the per-item cancellation reasons.

        Conflicts with a concurrent transaction on the same items are retried; a
        condition failure is returned for the caller to name.
        """
        errors = client_errors()
        for attempt in range(_TRANSACTION_ATTEMPTS):
            try:
                self.ddb.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
                return None
            except errors as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise StoreError("dynamodb transaction failed") from exc
                reasons: list[dict[str, Any]] = list(
                    getattr(exc, "response", {}).get("CancellationReasons") or []
                )
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                return reasons
            if not any(r.get("Code") == "TransactionConflict" for r in reasons):
                raise StoreError("dynamodb transaction cancelled")
            backoff(attempt)
        raise StoreError("dynamodb transaction kept conflicting")

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        try:
            response = self.ddb.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        except client_errors() as exc:
            raise StoreError("dynamodb read failed") from exc
        item = response.get("Item")
        return dict(item) if item else None

    def get_report(self, number: str) -> ReportRecord | None:
        item = self._get(report_key(number))
        return None if item is None else report_from(item)

    def _query(self, **query: Any) -> Iterator[dict[str, Any]]:
        """Every item a DynamoDB query matches, following its pages."""
        return self._pages("query", query)

    def _pages(self, operation: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paginated DynamoDB ``query`` or ``scan``."""
        call = getattr(self.ddb, operation)
        start: dict[str, Any] | None = None
        while True:
            kwargs = {"TableName": self.table, **params}
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            try:
                page = call(**kwargs)
            except client_errors() as exc:
                raise StoreError(f"dynamodb {operation} failed") from exc
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
            ExpressionAttributeValues={":p": s_attr(REPORTS_PARTITION)},
            ScanIndexForward=True,
        ):
            yield report_from(item)

    def update_status(self, number: str, status: str, verification_due: date | None = None) -> None:
        expression = "SET #status = :status"
        values: dict[str, Any] = {":status": s_attr(status)}
        if verification_due is not None:
            expression += ", verification_due = :due"
            values[":due"] = s_attr(verification_due.isoformat())
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=report_key(number),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except client_errors() as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise StoreError("no such report") from None
            raise StoreError("dynamodb write failed") from exc

    # -- entries --------------------------------------------------------------------------

    def add_entry(self, entry: Entry) -> None:
        """Append an entry, numbered after the report's counter, atomically with claims.

        The counter on the report item gives entries their insertion order (clock
        times may tie or step back); a concurrent append makes the counter condition
        fail and the append is retried with the next number.
        """
        check_inline(entry.sealed)
        if len(set(entry.attachments)) != len(entry.attachments):
            raise AttachmentUnavailable("listed twice")
        self._prepare_claims(entry.attachments, entry.at)
        for attempt in range(_APPEND_ATTEMPTS):
            report = self._get(report_key(entry.report_number))
            if report is None:
                raise StoreError("no such report")
            count = int(report.get("entries", {"N": "0"})["N"])
            items: list[dict[str, Any]] = [
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": report_key(entry.report_number),
                        "UpdateExpression": "SET #entries = :next",
                        "ConditionExpression": "attribute_exists(pk) AND #entries = :count",
                        "ExpressionAttributeNames": {"#entries": "entries"},
                        "ExpressionAttributeValues": {
                            ":next": n_attr(count + 1),
                            ":count": n_attr(count),
                        },
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": entry_item(entry, count + 1),
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
            backoff(attempt)  # the counter moved (a concurrent append): read it again
        raise StoreError("entry append kept conflicting")

    def list_entries(self, number: str, kind: str | None = None) -> list[Entry]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :entry)",
            ExpressionAttributeValues={
                ":pk": s_attr(report_partition(number)),
                ":entry": s_attr(ENTRY_SORT_PREFIX),
            },
            ConsistentRead=True,
        )
        entries = [entry_from(item) for item in items]
        return [e for e in entries if kind is None or e.kind == kind]

    # -- idempotency ----------------------------------------------------------------------

    def get_idempotency(self, key_hash: bytes) -> IdempotencyRecord | None:
        item = self._get(idem_key(key_hash))
        if item is None:
            return None
        record = idem_from(item)
        return record if record.expires_at > datetime.now(UTC) else None

    # -- attachments ----------------------------------------------------------------------

    def create_attachment(self, record: AttachmentRecord) -> None:
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item=attachment_item(record),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except client_errors() as exc:
            raise StoreError("attachment record not stored") from exc

    def get_attachment(self, attachment_id: str) -> AttachmentRecord | None:
        item = self._get(attachment_key(attachment_id))
        return None if item is None else attachment_from(item)

    def put_sealed_attachment(self, attachment_id: str, sealed: bytes, size: int) -> None:
        """Blob first, record second: a ``sealed`` record always has its blob."""
        record = self.get_attachment(attachment_id)
        if record is None or record.state != "pending":
            raise AttachmentUnavailable(attachment_id)
        self.uploads.put_sealed(attachment_id, sealed)
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=attachment_key(attachment_id),
                UpdateExpression="SET #state = :sealed, #size = :size",
                ConditionExpression="attribute_exists(pk) AND #state = :pending",
                ExpressionAttributeNames={"#state": "state", "#size": "size"},
                ExpressionAttributeValues={
                    ":sealed": s_attr("sealed"),
                    ":pending": s_attr("pending"),
                    ":size": n_attr(size),
                },
            )
        except client_errors() as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise AttachmentUnavailable(attachment_id) from None
            raise StoreError("attachment record not updated") from exc

    def get_sealed_attachment(self, attachment_id: str) -> bytes | None:
        record = self.get_attachment(attachment_id)
        if record is None or record.state != "sealed":
            return None
        return self.uploads.read_sealed(attachment_id)

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
            ExpressionAttributeValues={
                ":prefix": s_attr(ATTACHMENT_PARTITION_PREFIX),
                ":now": s_attr(timestamp(now)),
            },
        ):
            attachment_id = req_str(item, "attachment_id")
            try:
                self.ddb.delete_item(
                    TableName=self.table,
                    Key=attachment_key(attachment_id),
                    ConditionExpression=(
                        "attribute_exists(pk) AND attribute_not_exists(report_number) "
                        "AND expires_at <= :now"
                    ),
                    ExpressionAttributeValues={":now": s_attr(timestamp(now))},
                )
            except client_errors() as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    continue  # claimed (or gone) meanwhile
                raise StoreError("attachment record not purged") from exc
            self.uploads.purge(attachment_id)
            purged += 1
        return purged

    def _scan(self, **scan: Any) -> Iterator[dict[str, Any]]:
        """Every item a consistent DynamoDB scan reads, following its pages."""
        return self._pages("scan", {"ConsistentRead": True, **scan})

    # -- cases (the officers' side) -----------------------------------------------------

    def get_case(self, number: str) -> CaseRecord | None:
        item = self._get(case_key(number))
        return None if item is None else case_from(item)

    def _index_keys(self, partition: str, after: str | None, count: int) -> list[tuple[str, Any]]:
        """Up to ``count`` (sort key, table key) of one index partition after ``after``."""
        condition = "#p = :p"
        names = {"#p": CASE_INDEX_PARTITION}
        values: dict[str, Any] = {":p": s_attr(partition)}
        if after is not None:  # (DynamoDB refuses names and values an expression omits)
            condition += " AND #s > :after"
            names["#s"] = CASE_INDEX_SORT
            values[":after"] = s_attr(after)
        found: list[tuple[str, Any]] = []
        start: dict[str, Any] | None = None
        while len(found) < count:
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": CASE_INDEX,
                "KeyConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
                "Limit": count - len(found),
            }
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            try:
                page = self.ddb.query(**kwargs)
            except client_errors() as exc:
                raise StoreError("dynamodb query failed") from exc
            for item in page.get("Items", []):
                found.append(
                    (
                        req_str(dict(item), CASE_INDEX_SORT),
                        item_key(req_str(dict(item), "pk"), req_str(dict(item), "sk")),
                    )
                )
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return found

    def _batch_get(self, keys: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Items by (pk, sk), read consistently, in batches of 100, unprocessed retried."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for first in range(0, len(keys), _BATCH_GET):
            pending: list[dict[str, Any]] = keys[first : first + _BATCH_GET]
            for attempt in range(_APPEND_ATTEMPTS):
                if not pending:
                    break
                try:
                    answer = self.ddb.batch_get_item(
                        RequestItems={self.table: {"Keys": pending, "ConsistentRead": True}}
                    )
                except client_errors() as exc:
                    raise StoreError("dynamodb read failed") from exc
                for item in answer.get("Responses", {}).get(self.table, []):
                    found[(req_str(dict(item), "pk"), req_str(dict(item), "sk"))] = dict(item)
                left = answer.get("UnprocessedKeys", {}).get(self.table)
                pending = list(left["Keys"]) if left else []
                if pending:
                    backoff(attempt)
            if pending:
                raise StoreError("dynamodb kept throttling a read")
        return found

    def list_cases(
        self, unit: str, *, open_only: bool = True, limit: int = 50, after: str | None = None
    ) -> tuple[list[CaseRecord], str | None]:
        """Keys from the index (both partitions merged when closed cases are listed too),
        then the items. A case the index still shows in its old place is skipped."""
        check_page(limit)
        position = None
        if after is not None:
            key, number = decode_cursor(after, unit, open_only)
            position = f"{key}#{number}"
        partitions = [True] if open_only else [True, False]
        keys = sorted(
            (
                found
                for is_open in partitions
                for found in self._index_keys(
                    case_index_partition(unit, is_open), position, limit + 1
                )
            ),
            key=lambda pair: pair[0],
        )[: limit + 1]
        page_keys = keys[:limit]
        items = self._batch_get([k for _, k in page_keys])
        page = []
        for _, k in page_keys:
            item = items.get((k["pk"]["S"], k["sk"]["S"]))
            if item is None:
                continue
            case = case_from(item)
            if case.unit == unit and (case.is_open or not open_only):
                page.append(case)
        if len(keys) <= limit:
            return page, None
        last_key, _, last_number = page_keys[-1][0].partition("#")
        return page, encode_cursor(unit, open_only, last_key, last_number)

    def list_wraps(self, number: str, officer: str) -> list[Wrap]:
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": s_attr(report_partition(number)),
                ":prefix": s_attr(f"{WRAP_SORT_PREFIX}{officer}#"),
            },
            ConsistentRead=True,
        )
        # an officer id that extends this one ("a#b" after "a") shares the prefix
        return [w for w in (wrap_from(i) for i in items) if w.officer == officer]

    def apply_case_change(self, change: CaseChange, audit: AuditAppend) -> CaseRecord:
        check_wraps(change)
        case = self.get_case(change.number)
        if case is None:
            raise CaseUnknown(change.number)
        if case.version != change.expected_version:
            raise VersionConflict(change.number)
        new = changed_case(case, change)
        wraps = {(w.blob, w.officer): w for w in change.wraps}  # one item each, last wins
        # revoked officers' wraps (every wrap is written by a change, so the version
        # condition below also guarantees that this list is still the whole of them);
        # a wrap stored again in this change is replaced by its Put instead
        doomed = [
            wrap_key(w.number, w.officer, w.blob)
            for officer in dict.fromkeys(change.revoke)
            for w in self.list_wraps(change.number, officer)
            if (w.blob, w.officer) not in wraps
        ]
        if 1 + len(wraps) + len(doomed) + 2 > _TRANSACTION_ITEMS:
            raise StoreError("too many wraps for one change")
        case_put = {
            "Put": {
                "TableName": self.table,
                "Item": case_item(new),
                "ConditionExpression": "attribute_exists(pk) AND #version = :expected",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": {":expected": n_attr(change.expected_version)},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        changes: list[dict[str, Any]] = [
            case_put,
            *({"Put": {"TableName": self.table, "Item": wrap_item(w)}} for w in wraps.values()),
            *({"Delete": {"TableName": self.table, "Key": key}} for key in doomed),
        ]

        def refused(reasons: list[dict[str, Any]]) -> None:
            if reasons[0].get("Code") == "ConditionalCheckFailed":
                if not reasons[0].get("Item"):
                    raise CaseUnknown(change.number)
                raise VersionConflict(change.number)

        self._append(audit, changes, refused)
        return new

    def _append(
        self,
        audit: AuditAppend,
        changes: list[dict[str, Any]],
        refused: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> AuditRecord:
        """Commit ``changes`` with the next entry of ``audit.log``, in one transaction.

        The head's size is the condition: if another writer appended first, the entry
        is built again for the new index and previous hash. ``refused`` names a failed
        condition among ``changes`` (it raises); the builder's exceptions propagate
        before anything is written.
        """
        head_at = len(changes)
        for attempt in range(_AUDIT_ATTEMPTS):
            head = self._get(audit_head_key(audit.log))
            size = 0 if head is None else int(head["size"]["N"])
            prev = b"" if head is None else bytes(head["last"]["B"])
            entry, leaf_hash = audit.build(size, prev)
            record = AuditRecord(audit.log, size, leaf_hash, entry)
            check_inline(entry)
            head_update: dict[str, Any] = {
                "TableName": self.table,
                "Key": audit_head_key(audit.log),
                "UpdateExpression": "SET #size = :next, #last = :leaf, #log = :log",
                "ExpressionAttributeNames": {"#size": "size", "#last": "last", "#log": "log"},
                "ExpressionAttributeValues": {
                    ":next": n_attr(size + 1),
                    ":leaf": {"B": leaf_hash},
                    ":log": s_attr(audit.log),
                },
            }
            if head is None:
                head_update["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                head_update["ConditionExpression"] = "#size = :size"
                head_update["ExpressionAttributeValues"][":size"] = n_attr(size)
            items = [
                *changes,
                {"Update": head_update},
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": audit_item(record),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
            if audit.case is not None:
                pointer = case_audit_key(audit.case, audit.log, size)
                items.append({"Put": {"TableName": self.table, "Item": pointer}})
            reasons = self._transact(items)
            if reasons is None:
                return record
            if refused is not None:
                refused(reasons)
            if reasons[head_at].get("Code") != "ConditionalCheckFailed":
                raise StoreError("audit append refused")  # a leaf without its head: corrupt
            backoff(attempt)
        raise StoreError("audit append kept conflicting")

    def list_entries_with_ids(self, number: str) -> list[tuple[str, Entry]]:
        """An entry's id is its number within the report (its sort key's counter)."""
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :entry)",
            ExpressionAttributeValues={
                ":pk": s_attr(report_partition(number)),
                ":entry": s_attr(ENTRY_SORT_PREFIX),
            },
            ConsistentRead=True,
        )
        return [
            (str(int(req_str(item, "sk")[len(ENTRY_SORT_PREFIX) :])), entry_from(item))
            for item in items
        ]

    # -- the audit logs -----------------------------------------------------------------

    def append_audit(self, audit: AuditAppend) -> AuditRecord:
        return self._append(audit, [])

    def audit_size(self, log: str) -> int:
        head = self._get(audit_head_key(log))
        return 0 if head is None else int(head["size"]["N"])

    def audit_records(self, log: str, start: int = 0, end: int | None = None) -> list[AuditRecord]:
        if start < 0 or (end is not None and end < start):
            raise ValueError("bad range")
        if end == start:
            return []
        last = audit_leaf_sort(end - 1) if end is not None else f"{AUDIT_LEAF_PREFIX}~"
        items = self._query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues={
                ":pk": s_attr(audit_partition(log)),
                ":first": s_attr(audit_leaf_sort(start)),
                ":last": s_attr(last),
            },
            ConsistentRead=True,
        )
        return [audit_from(item) for item in items]

    def case_audit(self, number: str, limit: int) -> list[AuditRecord]:
        """The case's pointers (keys only, in its report's partition), then the leaves."""
        pointers = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": s_attr(report_partition(number)),
                ":prefix": s_attr(CASE_AUDIT_PREFIX),
            },
            ConsistentRead=True,
        )
        leaves = sorted(case_audit_leaf(req_str(item, "sk")) for item in pointers)
        wanted = leaves[-limit:] if limit > 0 else []
        keys = [audit_leaf_key(log, index) for log, index in wanted]
        found = self._batch_get(keys)
        records = []
        for key in keys:
            item = found.get((key["pk"]["S"], key["sk"]["S"]))
            if item is None:
                raise StoreError("a case's audit pointer names no entry")
            records.append(audit_from(item))
        return records

    # -- checkpoints --------------------------------------------------------------------

    def put_checkpoint(self, record: CheckpointRecord) -> None:
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item=checkpoint_item(record),
                ConditionExpression="attribute_not_exists(pk) OR #root = :root",
                ExpressionAttributeNames={"#root": "root"},
                ExpressionAttributeValues={":root": {"B": record.root}},
            )
        except client_errors() as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise StoreError("another root for a stored checkpoint size") from None
            raise StoreError("checkpoint not stored") from exc

    def latest_checkpoint(self, log: str) -> CheckpointRecord | None:
        try:
            page = self.ddb.query(
                TableName=self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": s_attr(checkpoint_partition(log))},
                ScanIndexForward=False,
                Limit=1,
                ConsistentRead=True,
            )
        except client_errors() as exc:
            raise StoreError("dynamodb query failed") from exc
        items = page.get("Items", [])
        return checkpoint_from(dict(items[0])) if items else None

    def list_checkpoints(self, log: str) -> list[CheckpointRecord]:
        items = self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": s_attr(checkpoint_partition(log))},
            ConsistentRead=True,
        )
        return [checkpoint_from(item) for item in items]

    # -- nonces -------------------------------------------------------------------------

    def remember_nonce(self, nonce_hash: bytes, expires_at: datetime, now: datetime) -> bool:
        """A conditional put: new, or replacing an expired record TTL has not deleted yet."""
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item={
                    **nonce_key(nonce_hash),
                    "expires_at": s_attr(timestamp(expires_at)),
                    TTL_ATTRIBUTE: n_attr(epoch(expires_at)),
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now",
                ExpressionAttributeValues={":now": s_attr(timestamp(now))},
            )
        except client_errors() as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise StoreError("nonce not stored") from exc
        return True

    def purge_nonces(self, now: datetime) -> int:
        """TTL deletes expired nonces by itself; this is the same on demand (a scan)."""
        purged = 0
        for item in self._scan(
            FilterExpression="begins_with(pk, :prefix) AND expires_at <= :now",
            ExpressionAttributeValues={
                ":prefix": s_attr(NONCE_PARTITION_PREFIX),
                ":now": s_attr(timestamp(now)),
            },
        ):
            try:
                self.ddb.delete_item(
                    TableName=self.table,
                    Key=item_key(req_str(item, "pk"), req_str(item, "sk")),
                    ConditionExpression="attribute_exists(pk) AND expires_at <= :now",
                    ExpressionAttributeValues={":now": s_attr(timestamp(now))},
                )
            except client_errors() as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    continue  # remembered again meanwhile
                raise StoreError("nonce not purged") from exc
            purged += 1
        return purged
