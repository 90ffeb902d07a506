"""The embedded store's tables, the migrations of older files, and how values are written.

One SQLite file holds both contracts: the reports' tables (``ReportStore``) and the
officers' (``CaseStore``: cases, wrapped keys, the per-unit audit logs and their index by
case, checkpoints, nonces). ``PRAGMA user_version`` records which one-off migrations an
older file has had (``SqlitePool._migrate``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from ..case_rules import (
    deadline_key,
)
from ..cases import (
    CaseRecord,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    number TEXT PRIMARY KEY,
    receipt_mac BLOB NOT NULL,
    received_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    region TEXT NOT NULL,
    industry TEXT NOT NULL,
    unit TEXT NOT NULL,
    source TEXT,
    status TEXT NOT NULL,
    acceptance_due TEXT NOT NULL,
    verification_due TEXT,
    reporter_key TEXT NOT NULL,
    content BLOB NOT NULL,
    identity BLOB,
    attachments TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_number TEXT NOT NULL REFERENCES reports(number),
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    sealed BLOB NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS entries_by_report ON entries(report_number, id);
CREATE INDEX IF NOT EXISTS reports_by_received ON reports(received_at, number);
CREATE TABLE IF NOT EXISTS idempotency (
    key_hash BLOB PRIMARY KEY,
    body_hash BLOB NOT NULL,
    report_number TEXT NOT NULL,
    sealed_receipt BLOB NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attachments (
    id TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    unit TEXT NOT NULL,
    content_type TEXT NOT NULL,
    max_bytes INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    state TEXT NOT NULL,
    report_number TEXT,
    size INTEGER,
    sealed BLOB
);
CREATE TABLE IF NOT EXISTS cases (
    number TEXT PRIMARY KEY REFERENCES reports(number),
    unit TEXT NOT NULL,
    kind TEXT NOT NULL,
    region TEXT NOT NULL,
    industry TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    next_deadline TEXT,
    deadline_key TEXT NOT NULL,
    is_open INTEGER NOT NULL,
    assignees TEXT NOT NULL DEFAULT '[]',
    excluded TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS cases_by_unit_deadline
    ON cases(unit, is_open, deadline_key, number);
CREATE INDEX IF NOT EXISTS cases_by_unit ON cases(unit, deadline_key, number);
CREATE TABLE IF NOT EXISTS wraps (
    number TEXT NOT NULL REFERENCES cases(number),
    blob TEXT NOT NULL,
    officer TEXT NOT NULL,
    key_id TEXT NOT NULL,
    wrapped TEXT NOT NULL,
    PRIMARY KEY (number, blob, officer)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
    log TEXT NOT NULL,
    idx INTEGER NOT NULL,
    leaf_hash BLOB NOT NULL,
    entry BLOB NOT NULL,
    PRIMARY KEY (log, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_by_case (
    number TEXT NOT NULL,
    log TEXT NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY (number, log, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
    log TEXT NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (log, size)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nonces (
    hash BLOB PRIMARY KEY,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_by_expiry ON nonces(expires_at);
"""

# PRAGMA user_version: 1 once every report has its case row, 2 once every audit entry
# about a case is in ``audit_by_case`` (see ``_migrate``)
SCHEMA_VERSION = 2

BACKFILL_CASE_AUDIT = """
INSERT OR IGNORE INTO audit_by_case (number, log, idx)
SELECT json_extract(CAST(entry AS TEXT), '$.case'), log, idx FROM audit
WHERE json_extract(CAST(entry AS TEXT), '$.case') IS NOT NULL
"""

# A case row for every report that has none (a database from before the case tables):
# its state is the report's status, and the deadline that status runs, if any.
BACKFILL = """
INSERT INTO cases (number, unit, kind, region, industry, state, version, received_at,
                   updated_at, next_deadline, deadline_key, is_open)
SELECT number, unit, kind, region, industry, status, 1, received_at, received_at, due,
       COALESCE(due, :no_deadline), status IN (SELECT value FROM json_each(:open))
FROM (SELECT r.*, CASE
          WHEN r.status = 'received' THEN r.acceptance_due
          WHEN r.status IN (SELECT value FROM json_each(:open)) THEN r.verification_due
      END AS due
      FROM reports r WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.number = r.number))
"""

CASE_COLUMNS = (
    "number, unit, kind, region, industry, state, version, received_at, updated_at, "
    "next_deadline, assignees, excluded"
)


def ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def fixed_ts(value: datetime) -> str:
    """Fixed-width UTC time, for columns compared as text in SQL (expiry times)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def case_row(case: CaseRecord) -> tuple[Any, ...]:
    """A case as the columns ``CASE_COLUMNS``, then ``deadline_key`` and ``is_open``."""
    return (
        case.number,
        case.unit,
        case.kind,
        case.region,
        case.industry,
        case.state,
        case.version,
        ts(case.received_at),
        ts(case.updated_at),
        None if case.next_deadline is None else case.next_deadline.isoformat(),
        json.dumps(list(case.assignees)),
        json.dumps(list(case.excluded)),
        deadline_key(case.next_deadline),
        int(case.is_open),
    )
