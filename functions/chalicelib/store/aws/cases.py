"""The officers' half of ``AwsStore`` (``CaseStore``).

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

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..base import (
    Entry,
    StoreError,
)
from ..case_rules import (
    changed_case,
    check_page,
    check_wraps,
    decode_cursor,
    encode_cursor,
)
from ..cases import (
    AuditAppend,
    AuditRecord,
    CaseChange,
    CaseRecord,
    CaseUnknown,
    CheckpointRecord,
    VersionConflict,
    Wrap,
)
from .codec import (
    audit_from,
    audit_item,
    case_from,
    case_item,
    check_inline,
    checkpoint_from,
    checkpoint_item,
    entry_from,
    epoch,
    n_attr,
    req_str,
    s_attr,
    timestamp,
    wrap_from,
    wrap_item,
)
from .layout import (
    AUDIT_LEAF_PREFIX,
    CASE_AUDIT_PREFIX,
    CASE_INDEX,
    CASE_INDEX_PARTITION,
    CASE_INDEX_SORT,
    ENTRY_SORT_PREFIX,
    NONCE_PARTITION_PREFIX,
    TTL_ATTRIBUTE,
    WRAP_SORT_PREFIX,
    audit_head_key,
    audit_leaf_key,
    audit_leaf_sort,
    audit_partition,
    case_audit_key,
    case_audit_leaf,
    case_index_partition,
    case_key,
    checkpoint_partition,
    item_key,
    nonce_key,
    wrap_key,
)
from .retry import backoff, client_errors, error_code

if TYPE_CHECKING:
    pass

from .table import AUDIT_ATTEMPTS, TRANSACTION_ITEMS, AwsTable


class AwsCases(AwsTable):
    """Cases, wraps, audit logs (with each case's pointers), checkpoints and nonces."""

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
        items = self._report_items(number, f"{WRAP_SORT_PREFIX}{officer}#")
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
        if 1 + len(wraps) + len(doomed) + 2 > TRANSACTION_ITEMS:
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
        for attempt in range(AUDIT_ATTEMPTS):
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
        items = self._report_items(number, ENTRY_SORT_PREFIX)
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
        pointers = self._report_items(number, CASE_AUDIT_PREFIX)
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
