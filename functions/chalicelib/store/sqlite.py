"""The embedded default store: one SQLite file in WAL mode.

Durability: ``synchronous=FULL`` makes every commit reach the disk before ``create_report``
returns, so a receipt is only ever sent for a report that survives a crash or power cut.
Each thread has its own connection; SQLite serialises the writers.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

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

_SCHEMA = """
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
"""


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


class SqliteStore(ReportStore):
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # Writers queue here rather than in SQLite's busy handler, which sleeps in growing
        # steps and turned a few contended commits into a p99 of hundreds of milliseconds.
        self._write_lock = threading.Lock()
        self._conn().executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    # -- reports -------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One durable write transaction at a time (see ``_write_lock``)."""
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def create_report(
        self, report: ReportRecord, idempotency: IdempotencyRecord | None = None
    ) -> None:
        try:
            with self._transaction() as conn:
                if idempotency is not None:
                    existing = self._idempotency(conn, idempotency.key_hash)
                    if existing is not None:
                        raise IdempotencyReplay(existing)
                self._insert_report(conn, report)
                if idempotency is not None:
                    conn.execute(
                        "INSERT OR REPLACE INTO idempotency VALUES (?,?,?,?,?)",
                        (
                            idempotency.key_hash,
                            idempotency.body_hash,
                            idempotency.report_number,
                            idempotency.sealed_receipt,
                            _ts(idempotency.expires_at),
                        ),
                    )
                self._link(conn, report.attachments, report.number, report.received_at)
        except sqlite3.Error as exc:
            raise StoreError("sqlite write failed") from exc

    def _insert_report(self, conn: sqlite3.Connection, r: ReportRecord) -> None:
        try:
            conn.execute(
                "INSERT INTO reports VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    r.number,
                    r.receipt_mac,
                    _ts(r.received_at),
                    r.kind,
                    r.region,
                    r.industry,
                    r.unit,
                    r.source,
                    r.status,
                    r.acceptance_due.isoformat(),
                    r.verification_due.isoformat() if r.verification_due else None,
                    r.reporter_key,
                    r.content,
                    r.identity,
                    json.dumps(list(r.attachments)),
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise NumberTaken(r.number) from exc

    def _link(
        self, conn: sqlite3.Connection, ids: tuple[str, ...], number: str, now: datetime
    ) -> None:
        for attachment_id in ids:
            cur = conn.execute(
                "UPDATE attachments SET report_number=? "
                "WHERE id=? AND report_number IS NULL AND expires_at>?",
                (number, attachment_id, _ts(now)),
            )
            if cur.rowcount != 1:
                raise AttachmentUnavailable(attachment_id)

    def get_report(self, number: str) -> ReportRecord | None:
        row = self._conn().execute("SELECT * FROM reports WHERE number=?", (number,)).fetchone()
        return None if row is None else self._report(row)

    def iter_reports(self) -> Iterator[ReportRecord]:
        rows = self._conn().execute("SELECT * FROM reports ORDER BY received_at, number")
        for row in rows:
            yield self._report(row)

    @staticmethod
    def _report(row: tuple[Any, ...]) -> ReportRecord:
        (
            number,
            mac,
            received,
            kind,
            region,
            industry,
            unit,
            source,
            status,
            acc,
            ver,
            reporter_key,
            content,
            identity,
            attachments,
        ) = row
        return ReportRecord(
            number=str(number),
            receipt_mac=bytes(mac),
            received_at=_dt(str(received)),
            kind=str(kind),
            region=str(region),
            industry=str(industry),
            unit=str(unit),
            source=None if source is None else str(source),
            status=str(status),
            acceptance_due=date.fromisoformat(str(acc)),
            verification_due=_d(None if ver is None else str(ver)),
            reporter_key=str(reporter_key),
            content=bytes(content),
            identity=None if identity is None else bytes(identity),
            attachments=tuple(json.loads(str(attachments))),
        )

    def update_status(self, number: str, status: str, verification_due: date | None = None) -> None:
        with self._write_lock:
            cur = self._conn().execute(
                "UPDATE reports SET status=?, verification_due=COALESCE(?, verification_due) "
                "WHERE number=?",
                (status, verification_due.isoformat() if verification_due else None, number),
            )
            if cur.rowcount != 1:
                raise StoreError("no such report")

    # -- entries -------------------------------------------------------------------------

    def add_entry(self, entry: Entry) -> None:
        try:
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO entries (report_number, kind, at, sealed, attachments) "
                    "VALUES (?,?,?,?,?)",
                    (
                        entry.report_number,
                        entry.kind,
                        _ts(entry.at),
                        entry.sealed,
                        json.dumps(list(entry.attachments)),
                    ),
                )
                self._link(conn, entry.attachments, entry.report_number, entry.at)
        except sqlite3.IntegrityError as exc:
            raise StoreError("no such report") from exc

    def list_entries(self, number: str, kind: str | None = None) -> list[Entry]:
        rows = self._conn().execute(
            "SELECT report_number, kind, at, sealed, attachments FROM entries "
            "WHERE report_number=? AND (? IS NULL OR kind=?) ORDER BY id",
            (number, kind, kind),
        )
        return [
            Entry(str(n), str(k), _dt(str(at)), bytes(s), tuple(json.loads(str(a))))
            for n, k, at, s, a in rows
        ]

    # -- idempotency ---------------------------------------------------------------------

    def get_idempotency(self, key_hash: bytes) -> IdempotencyRecord | None:
        return self._idempotency(self._conn(), key_hash)

    @staticmethod
    def _idempotency(conn: sqlite3.Connection, key_hash: bytes) -> IdempotencyRecord | None:
        row = conn.execute(
            "SELECT key_hash, body_hash, report_number, sealed_receipt, expires_at "
            "FROM idempotency WHERE key_hash=? AND expires_at>?",
            (key_hash, _ts(datetime.now(UTC))),
        ).fetchone()
        if row is None:
            return None
        return IdempotencyRecord(
            bytes(row[0]), bytes(row[1]), str(row[2]), bytes(row[3]), _dt(str(row[4]))
        )

    # -- attachments ---------------------------------------------------------------------

    def create_attachment(self, record: AttachmentRecord) -> None:
        try:
            with self._write_lock:
                self._conn().execute(
                    "INSERT INTO attachments VALUES (?,?,?,?,?,?,?,?,?,?,NULL)",
                    (
                        record.attachment_id,
                        record.region,
                        record.unit,
                        record.content_type,
                        record.max_bytes,
                        _ts(record.created_at),
                        _ts(record.expires_at),
                        record.state,
                        record.report_number,
                        record.size,
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise StoreError("attachment id exists") from exc

    def get_attachment(self, attachment_id: str) -> AttachmentRecord | None:
        row = (
            self._conn()
            .execute(
                "SELECT id, region, unit, content_type, max_bytes, created_at, expires_at, state, "
                "report_number, size FROM attachments WHERE id=?",
                (attachment_id,),
            )
            .fetchone()
        )
        if row is None:
            return None
        return AttachmentRecord(
            attachment_id=str(row[0]),
            region=str(row[1]),
            unit=str(row[2]),
            content_type=str(row[3]),
            max_bytes=int(row[4]),
            created_at=_dt(str(row[5])),
            expires_at=_dt(str(row[6])),
            state=str(row[7]),
            report_number=None if row[8] is None else str(row[8]),
            size=None if row[9] is None else int(row[9]),
        )

    def put_sealed_attachment(self, attachment_id: str, sealed: bytes, size: int) -> None:
        with self._write_lock:
            cur = self._conn().execute(
                "UPDATE attachments SET sealed=?, size=?, state='sealed' "
                "WHERE id=? AND state='pending'",
                (sealed, size, attachment_id),
            )
            if cur.rowcount != 1:
                raise AttachmentUnavailable(attachment_id)

    def get_sealed_attachment(self, attachment_id: str) -> bytes | None:
        row = (
            self._conn()
            .execute("SELECT sealed FROM attachments WHERE id=?", (attachment_id,))
            .fetchone()
        )
        return None if row is None or row[0] is None else bytes(row[0])

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
