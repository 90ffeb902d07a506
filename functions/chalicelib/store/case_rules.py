"""What both stores mean by a case change and a listing position (shared, so they agree).

``changed_case`` computes a case record after a ``CaseChange``; the cursor functions
make and check the opaque positions ``list_cases`` hands out. Cursors come back from
clients, so decoding one accepts exactly what ``encode_cursor`` makes and raises
``ValueError`` for anything else.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date

from ..cases.status import ReportStatus
from .base import ReportRecord
from .cases import CaseChange, CaseRecord

# the sort key of a case without a deadline: after every date
NO_DEADLINE_KEY = "9999-12-31"
MAX_PAGE = 1000  # cases per page of list_cases
MAX_CURSOR = 512  # characters; a longer cursor was not made here


def deadline_key(deadline: date | None) -> str:
    """The listing's sort key of a deadline: ISO dates sort as text; none sorts last."""
    return NO_DEADLINE_KEY if deadline is None else deadline.isoformat()


def encode_cursor(unit: str, open_only: bool, key: str, number: str) -> str:
    """An opaque position in one listing (base64url of JSON, without padding).

    The unit and the filter are inside, so a cursor is refused by any other listing
    instead of silently starting it somewhere unrelated.
    """
    raw = json.dumps([unit, open_only, key, number], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, unit: str, open_only: bool) -> tuple[str, str]:
    """(deadline key, number) of a cursor made by ``encode_cursor`` for this listing.

    Cursors come from clients: anything else is a ``ValueError``, never another error.
    """
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR:
        raise ValueError("malformed cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, ValueError):
        raise ValueError("malformed cursor") from None
    if not (
        isinstance(value, list)
        and len(value) == 4
        and value[0] == unit
        and value[1] is open_only
        and isinstance(value[2], str)
        and isinstance(value[3], str)
    ):
        raise ValueError("cursor of another listing")
    key, number = value[2], value[3]
    if key != NO_DEADLINE_KEY:
        try:
            date.fromisoformat(key)
        except ValueError:
            raise ValueError("malformed cursor") from None
        if len(key) != 10:
            raise ValueError("malformed cursor")
    return key, number


def check_page(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1..{MAX_PAGE}")


def changed_case(case: CaseRecord, change: CaseChange) -> CaseRecord:
    """The record after ``change`` (shared by both stores, so both mean the same).

    Grants keep their order and are added once; a revoked officer leaves the assignees
    (the store deletes the officer's wraps); exclusions only grow.
    """
    if change.clear_deadline:
        deadline = None
    elif change.next_deadline is not None:
        deadline = change.next_deadline
    else:
        deadline = case.next_deadline
    assignees = list(case.assignees)
    for officer in change.grant:
        if officer not in assignees:
            assignees.append(officer)
    revoked = set(change.revoke)
    excluded = list(case.excluded)
    for officer in change.exclude:
        if officer not in excluded:
            excluded.append(officer)
    return CaseRecord(
        number=case.number,
        unit=case.unit,
        kind=case.kind,
        region=case.region,
        industry=case.industry,
        state=case.state if change.state is None else ReportStatus(change.state),
        version=case.version + 1,
        received_at=case.received_at,
        updated_at=change.at,
        next_deadline=deadline,
        assignees=tuple(a for a in assignees if a not in revoked),
        excluded=tuple(excluded),
    )


def check_wraps(change: CaseChange) -> None:
    """Wraps stored with a change belong to its case."""
    if any(w.number != change.number for w in change.wraps):
        raise ValueError("a wrap of another case")


def new_case(report: ReportRecord) -> CaseRecord:
    """The case a new report opens: received, version 1, the acceptance deadline running."""
    return CaseRecord(
        number=report.number,
        unit=report.unit,
        kind=report.kind,
        region=report.region,
        industry=report.industry,
        state=ReportStatus.received,
        version=1,
        received_at=report.received_at,
        updated_at=report.received_at,
        next_deadline=report.acceptance_due,
    )
