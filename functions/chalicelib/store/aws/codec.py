"""Records <-> DynamoDB items (attribute values spelled as the low-level client wants them).

Times are stored as fixed-width UTC text (``timestamp``): it sorts as text, so the
``by_received`` index orders reports and condition expressions compare expiry times.
Sealed values are stored inline; ``check_inline`` refuses anything that could approach
DynamoDB's 400 KB item limit.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from ...cases.status import ReportStatus
from ...reports.models import ReportKind
from ..base import (
    AttachmentRecord,
    AttachmentState,
    Entry,
    EntryKind,
    IdempotencyRecord,
    ReportRecord,
    StoreError,
)
from ..case_rules import deadline_key
from ..cases import AuditRecord, CaseRecord, CheckpointRecord, Wrap
from .layout import (
    CASE_INDEX_PARTITION,
    CASE_INDEX_SORT,
    REPORTS_PARTITION,
    TIME_INDEX_PARTITION,
    TIME_INDEX_SORT,
    TTL_ATTRIBUTE,
    attachment_key,
    audit_leaf_key,
    case_index_partition,
    case_key,
    checkpoint_key,
    entry_key,
    idem_key,
    report_key,
    wrap_key,
)

# a sealed value bigger than this is refused rather than risk the 400 KB item limit
MAX_INLINE_BYTES = 300_000


# ---- values -------------------------------------------------------------------------------


def timestamp(value: datetime) -> str:
    """Fixed-width UTC time: sorts as text, compares in condition expressions."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def epoch(value: datetime) -> str:
    return str(math.ceil(value.timestamp()))


def s_attr(value: str) -> dict[str, Any]:
    return {"S": value}


def b_attr(value: bytes) -> dict[str, Any]:
    return {"B": value}


def n_attr(value: int | str) -> dict[str, Any]:
    return {"N": str(value)}


def ids_attr(values: tuple[str, ...]) -> dict[str, Any]:
    return {"L": [s_attr(v) for v in values]}


def opt_str(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return None if value is None else str(value["S"])


def req_str(item: dict[str, Any], name: str) -> str:
    value = opt_str(item, name)
    if value is None:
        raise StoreError(f"stored item lacks {name}")
    return value


def opt_bytes(item: dict[str, Any], name: str) -> bytes | None:
    value = item.get(name)
    return None if value is None else bytes(value["B"])


def id_list(item: dict[str, Any], name: str) -> tuple[str, ...]:
    return tuple(str(v["S"]) for v in item.get(name, {"L": []})["L"])


def check_inline(*values: bytes | None) -> None:
    if sum(len(v) for v in values if v is not None) > MAX_INLINE_BYTES:
        raise StoreError("sealed value too large for a table item")


# ---- records ------------------------------------------------------------------------------


def report_item(r: ReportRecord) -> dict[str, Any]:
    item = {
        **report_key(r.number),
        TIME_INDEX_PARTITION: s_attr(REPORTS_PARTITION),
        TIME_INDEX_SORT: s_attr(f"{timestamp(r.received_at)}#{r.number}"),
        "number": s_attr(r.number),
        "receipt_mac": b_attr(r.receipt_mac),
        "received_at": s_attr(timestamp(r.received_at)),
        "kind": s_attr(r.kind),
        "region": s_attr(r.region),
        "industry": s_attr(r.industry),
        "unit": s_attr(r.unit),
        "status": s_attr(r.status),
        "acceptance_due": s_attr(r.acceptance_due.isoformat()),
        "reporter_key": s_attr(r.reporter_key),
        "content": b_attr(r.content),
        "attachments": ids_attr(r.attachments),
        "entries": n_attr(0),
    }
    if r.source is not None:
        item["source"] = s_attr(r.source)
    if r.verification_due is not None:
        item["verification_due"] = s_attr(r.verification_due.isoformat())
    if r.identity is not None:
        item["identity"] = b_attr(r.identity)
    return item


def report_from(item: dict[str, Any]) -> ReportRecord:
    verification_due = opt_str(item, "verification_due")
    content = opt_bytes(item, "content")
    receipt_mac = opt_bytes(item, "receipt_mac")
    if content is None or receipt_mac is None:
        raise StoreError("stored report is incomplete")
    return ReportRecord(
        number=req_str(item, "number"),
        receipt_mac=receipt_mac,
        received_at=parse_timestamp(req_str(item, "received_at")),
        kind=ReportKind(req_str(item, "kind")),
        region=req_str(item, "region"),
        industry=req_str(item, "industry"),
        unit=req_str(item, "unit"),
        source=opt_str(item, "source"),
        status=ReportStatus(req_str(item, "status")),
        acceptance_due=date.fromisoformat(req_str(item, "acceptance_due")),
        verification_due=date.fromisoformat(verification_due) if verification_due else None,
        reporter_key=req_str(item, "reporter_key"),
        content=content,
        identity=opt_bytes(item, "identity"),
        attachments=id_list(item, "attachments"),
    )


def entry_item(entry: Entry, n: int) -> dict[str, Any]:
    """The n-th entry (from 1) of its report."""
    return {
        **entry_key(entry.report_number, n),
        "report_number": s_attr(entry.report_number),
        "kind": s_attr(entry.kind),
        "at": s_attr(timestamp(entry.at)),
        "sealed": b_attr(entry.sealed),
        "attachments": ids_attr(entry.attachments),
    }


def entry_from(item: dict[str, Any]) -> Entry:
    sealed = opt_bytes(item, "sealed")
    if sealed is None:
        raise StoreError("stored entry is incomplete")
    return Entry(
        report_number=req_str(item, "report_number"),
        kind=EntryKind(req_str(item, "kind")),
        at=parse_timestamp(req_str(item, "at")),
        sealed=sealed,
        attachments=id_list(item, "attachments"),
    )


def idem_item(r: IdempotencyRecord) -> dict[str, Any]:
    return {
        **idem_key(r.key_hash),
        "key_hash": b_attr(r.key_hash),
        "body_hash": b_attr(r.body_hash),
        "report_number": s_attr(r.report_number),
        "sealed_receipt": b_attr(r.sealed_receipt),
        "expires_at": s_attr(timestamp(r.expires_at)),
        TTL_ATTRIBUTE: n_attr(epoch(r.expires_at)),
    }


def idem_from(item: dict[str, Any]) -> IdempotencyRecord:
    key_hash, body_hash = opt_bytes(item, "key_hash"), opt_bytes(item, "body_hash")
    sealed = opt_bytes(item, "sealed_receipt")
    if key_hash is None or body_hash is None or sealed is None:
        raise StoreError("stored idempotency record is incomplete")
    return IdempotencyRecord(
        key_hash=key_hash,
        body_hash=body_hash,
        report_number=req_str(item, "report_number"),
        sealed_receipt=sealed,
        expires_at=parse_timestamp(req_str(item, "expires_at")),
    )


def attachment_item(r: AttachmentRecord) -> dict[str, Any]:
    item = {
        **attachment_key(r.attachment_id),
        "attachment_id": s_attr(r.attachment_id),
        "region": s_attr(r.region),
        "unit": s_attr(r.unit),
        "content_type": s_attr(r.content_type),
        "max_bytes": n_attr(r.max_bytes),
        "created_at": s_attr(timestamp(r.created_at)),
        "expires_at": s_attr(timestamp(r.expires_at)),
        "state": s_attr(r.state),
    }
    if r.report_number is not None:
        item["report_number"] = s_attr(r.report_number)
    else:
        item[TTL_ATTRIBUTE] = n_attr(epoch(r.expires_at))
    if r.size is not None:
        item["size"] = n_attr(r.size)
    return item


def attachment_from(item: dict[str, Any]) -> AttachmentRecord:
    size = item.get("size")
    return AttachmentRecord(
        attachment_id=req_str(item, "attachment_id"),
        region=req_str(item, "region"),
        unit=req_str(item, "unit"),
        content_type=req_str(item, "content_type"),
        max_bytes=int(item["max_bytes"]["N"]),
        created_at=parse_timestamp(req_str(item, "created_at")),
        expires_at=parse_timestamp(req_str(item, "expires_at")),
        state=AttachmentState(req_str(item, "state")),
        report_number=opt_str(item, "report_number"),
        size=None if size is None else int(size["N"]),
    )


def case_index_sort(case: CaseRecord) -> str:
    return f"{deadline_key(case.next_deadline)}#{case.number}"


def case_item(case: CaseRecord) -> dict[str, Any]:
    """A case, with its keys in the ``by_unit_deadline`` index."""
    item = {
        **case_key(case.number),
        CASE_INDEX_PARTITION: s_attr(case_index_partition(case.unit, case.is_open)),
        CASE_INDEX_SORT: s_attr(case_index_sort(case)),
        "number": s_attr(case.number),
        "unit": s_attr(case.unit),
        "kind": s_attr(case.kind),
        "region": s_attr(case.region),
        "industry": s_attr(case.industry),
        "state": s_attr(case.state),
        "version": n_attr(case.version),
        "received_at": s_attr(timestamp(case.received_at)),
        "updated_at": s_attr(timestamp(case.updated_at)),
        "assignees": ids_attr(case.assignees),
        "excluded": ids_attr(case.excluded),
    }
    if case.next_deadline is not None:
        item["next_deadline"] = s_attr(case.next_deadline.isoformat())
    return item


def case_from(item: dict[str, Any]) -> CaseRecord:
    deadline = opt_str(item, "next_deadline")
    return CaseRecord(
        number=req_str(item, "number"),
        unit=req_str(item, "unit"),
        kind=ReportKind(req_str(item, "kind")),
        region=req_str(item, "region"),
        industry=req_str(item, "industry"),
        state=ReportStatus(req_str(item, "state")),
        version=int(item["version"]["N"]),
        received_at=parse_timestamp(req_str(item, "received_at")),
        updated_at=parse_timestamp(req_str(item, "updated_at")),
        next_deadline=date.fromisoformat(deadline) if deadline else None,
        assignees=id_list(item, "assignees"),
        excluded=id_list(item, "excluded"),
    )


def wrap_item(wrap: Wrap) -> dict[str, Any]:
    return {
        **wrap_key(wrap.number, wrap.officer, wrap.blob),
        "number": s_attr(wrap.number),
        "blob": s_attr(wrap.blob),
        "officer": s_attr(wrap.officer),
        "key_id": s_attr(wrap.key_id),
        "wrapped": s_attr(wrap.wrapped),
    }


def wrap_from(item: dict[str, Any]) -> Wrap:
    return Wrap(
        number=req_str(item, "number"),
        blob=req_str(item, "blob"),
        officer=req_str(item, "officer"),
        key_id=req_str(item, "key_id"),
        wrapped=req_str(item, "wrapped"),
    )


def audit_item(record: AuditRecord) -> dict[str, Any]:
    return {
        **audit_leaf_key(record.log, record.index),
        "log": s_attr(record.log),
        "idx": n_attr(record.index),
        "leaf_hash": b_attr(record.leaf_hash),
        "entry": b_attr(record.entry),
    }


def audit_from(item: dict[str, Any]) -> AuditRecord:
    leaf_hash, entry = opt_bytes(item, "leaf_hash"), opt_bytes(item, "entry")
    if leaf_hash is None or entry is None:
        raise StoreError("stored audit entry is incomplete")
    return AuditRecord(req_str(item, "log"), int(item["idx"]["N"]), leaf_hash, entry)


def checkpoint_item(record: CheckpointRecord) -> dict[str, Any]:
    return {
        **checkpoint_key(record.log, record.size),
        "log": s_attr(record.log),
        "size": n_attr(record.size),
        "root": b_attr(record.root),
        "note": s_attr(record.note),
        "created_at": s_attr(timestamp(record.created_at)),
    }


def checkpoint_from(item: dict[str, Any]) -> CheckpointRecord:
    root = opt_bytes(item, "root")
    if root is None:
        raise StoreError("stored checkpoint is incomplete")
    return CheckpointRecord(
        log=req_str(item, "log"),
        size=int(item["size"]["N"]),
        root=root,
        note=req_str(item, "note"),
        created_at=parse_timestamp(req_str(item, "created_at")),
    )
