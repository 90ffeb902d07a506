"""The reports' half of ``AwsStore`` (``ReportStore``): reports, entries, idempotency,
attachments and their claims, purging.

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
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from ..base import (
    AttachmentRecord,
    AttachmentUnavailable,
    Entry,
    IdempotencyRecord,
    IdempotencyReplay,
    NumberTaken,
    ReportRecord,
    StoreError,
)
from ..case_rules import (
    new_case,
)
from .codec import (
    attachment_from,
    attachment_item,
    case_item,
    check_inline,
    entry_from,
    entry_item,
    idem_from,
    idem_item,
    n_attr,
    report_from,
    report_item,
    req_str,
    s_attr,
    timestamp,
)
from .layout import (
    ATTACHMENT_PARTITION_PREFIX,
    ENTRY_SORT_PREFIX,
    REPORTS_PARTITION,
    TIME_INDEX,
    TIME_INDEX_PARTITION,
    TTL_ATTRIBUTE,
    attachment_key,
    idem_key,
    report_key,
)
from .retry import backoff, client_errors, error_code
from .uploads import S3Uploads

if TYPE_CHECKING:
    pass

from .table import APPEND_ATTEMPTS, AwsTable


class AwsReports(AwsTable):
    """What intake, the sealer and the reporter's look-ups need."""

    seals_later = True  # the sealer runs on S3's event; claims wait for it

    @property
    def staging(self) -> S3Uploads:
        """Browsers upload to the bucket's ``staging/`` (a presigned POST)."""
        return self.uploads

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

    def get_report(self, number: str) -> ReportRecord | None:
        item = self._get(report_key(number))
        return None if item is None else report_from(item)

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
        for attempt in range(APPEND_ATTEMPTS):
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
        items = self._report_items(number, ENTRY_SORT_PREFIX)
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
