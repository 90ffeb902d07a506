"""The embedded default store: one SQLite file in WAL mode.

Durability: ``synchronous=FULL`` makes every commit reach the disk before ``create_report``
returns, so a receipt is only ever sent for a report that survives a crash or power cut.
Connections come from one bounded pool (``SqliteStore``); one writer at a time.

The officers' side (``CaseStore``) lives in the same file: case records, wrapped keys,
the per-unit audit logs, their checkpoints and the nonces of signed requests. A case
change and the audit entry recording it are one write transaction, so the log can never
miss a change nor record one that did not happen.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..cases.status import ReportStatus
from ..reports.models import ReportKind
from .base import (
    AttachmentRecord,
    AttachmentState,
    AttachmentUnavailable,
    Entry,
    EntryKind,
    IdempotencyRecord,
    IdempotencyReplay,
    NumberTaken,
    ReportRecord,
    ReportStore,
    StoreError,
)
from .case_rules import (
    NO_DEADLINE_KEY,
    changed_case,
    check_page,
    check_wraps,
    deadline_key,
    decode_cursor,
    encode_cursor,
    new_case,
)
from .cases import (
    OPEN_STATES,
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
_SCHEMA_VERSION = 2

_BACKFILL_CASE_AUDIT = """
INSERT OR IGNORE INTO audit_by_case (number, log, idx)
SELECT json_extract(CAST(entry AS TEXT), '$.case'), log, idx FROM audit
WHERE json_extract(CAST(entry AS TEXT), '$.case') IS NOT NULL
"""

# A case row for every report that has none (a database from before the case tables):
# its state is the report's status, and the deadline that status runs, if any.
_BACKFILL = """
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

_CASE_COLUMNS = (
    "number, unit, kind, region, industry, state, version, received_at, updated_at, "
    "next_deadline, assignees, excluded"
)


_PAGE = 200  # reports per page of iter_reports
_PURGE_BATCH = 100  # attachments deleted per write transaction of purge_uploads


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _fixed_ts(value: datetime) -> str:
    """Fixed-width UTC time, for columns compared as text in SQL (expiry times)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _case_row(case: CaseRecord) -> tuple[Any, ...]:
    """A case as the columns ``_CASE_COLUMNS``, then ``deadline_key`` and ``is_open``."""
    return (
        case.number,
        case.unit,
        case.kind,
        case.region,
        case.industry,
        case.state,
        case.version,
        _ts(case.received_at),
        _ts(case.updated_at),
        None if case.next_deadline is None else case.next_deadline.isoformat(),
        json.dumps(list(case.assignees)),
        json.dumps(list(case.excluded)),
        deadline_key(case.next_deadline),
        int(case.is_open),
    )


class SqliteStore(ReportStore, CaseStore):
    """``ReportStore`` and ``CaseStore`` on one SQLite file, through a bounded pool.

    **Why a pool.** A connection per thread leaked one file descriptor (the database plus
    its -wal and -shm: three files) for every thread that ever ran an operation; with a
    thread per HTTP connection that killed the server after a few hundred reporters. Here
    at most ``pool_size`` connections ever exist (default 8, the local server's worker
    threads). Each operation borrows one and gives it back; a caller that finds none free
    waits up to ``timeout`` seconds. Connections are made on first need, each with the
    same PRAGMAs, and one that raised a database error (other than a constraint) or was
    left inside a transaction is closed rather than handed to the next caller.

    ``close()`` waits (up to ``timeout``) for operations in flight, so a write that is
    about to be acknowledged finishes, then closes every connection; afterwards any use
    raises ``StoreError``.
    """

    def __init__(self, path: Path | str, *, pool_size: int = 8, timeout: float = 30.0) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.path = str(path)
        if self.path == ":memory:":
            pool_size = 1  # every connection to ":memory:" would be a database of its own
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.pool_size = pool_size
        self._timeout = timeout
        self._idle: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue(maxsize=pool_size)
        # one permit per connection that may exist: borrowing takes one, returning gives it
        self._permits = threading.BoundedSemaphore(pool_size)
        self._lock = threading.Lock()  # guards _open and _closed
        self._open: set[sqlite3.Connection] = set()
        self._closed = False
        # Writers queue here rather than in SQLite's busy handler, which sleeps in growing
        # steps and turned a few contended commits into a p99 of hundreds of milliseconds.
        self._write_lock = threading.Lock()
        with self._borrow() as conn:
            conn.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Give every report of an older database its case row, once.

        The tables themselves came with ``IF NOT EXISTS``; this runs in one write
        transaction (so two processes opening one file backfill once) and marks the
        file with ``PRAGMA user_version``, so later opens skip the scan of ``reports``.
        """
        try:
            with self._transaction() as conn:
                (version,) = conn.execute("PRAGMA user_version").fetchone()
                if int(version) < 1:
                    conn.execute(
                        _BACKFILL,
                        {"open": json.dumps(sorted(OPEN_STATES)), "no_deadline": NO_DEADLINE_KEY},
                    )
                if int(version) < 2:
                    conn.execute(_BACKFILL_CASE_AUDIT)
                if int(version) < _SCHEMA_VERSION:
                    conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise StoreError("database cannot be migrated") from exc

    # -- the pool ----------------------------------------------------------------------

    @property
    def open_connections(self) -> int:
        """How many connections exist now (idle or borrowed); never above ``pool_size``."""
        with self._lock:
            return len(self._open)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _borrow(self) -> Iterator[sqlite3.Connection]:
        """A connection for one operation, given back (or discarded) afterwards."""
        if self._closed:
            raise StoreError("store is closed")
        if not self._permits.acquire(timeout=self._timeout):
            raise StoreError("no database connection became free")
        conn: sqlite3.Connection | None = None
        healthy = False
        try:
            with self._lock:
                if self._closed:
                    raise StoreError("store is closed")
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                try:
                    conn = self._connect()
                except sqlite3.Error as exc:
                    raise StoreError("database cannot be opened") from exc
                with self._lock:
                    self._open.add(conn)
            try:
                yield conn
            except sqlite3.IntegrityError:
                healthy = not conn.in_transaction  # a refused row; the connection is fine
                raise
            except BaseException as exc:
                # our own refusals (StoreError) come after a rollback; anything else from
                # SQLite, or an interruption mid-statement, may have left the connection
                # in a state nobody should inherit
                healthy = isinstance(exc, StoreError) and not conn.in_transaction
                raise
            else:
                healthy = not conn.in_transaction
        finally:
            if conn is not None:
                self._give_back(conn, healthy)
            self._permits.release()

    def _give_back(self, conn: sqlite3.Connection, healthy: bool) -> None:
        with self._lock:
            keep = healthy and not self._closed
            if not keep:
                self._open.discard(conn)
        if keep:
            self._idle.put_nowait(conn)  # never full: one idle slot per permit
        else:
            with suppress(sqlite3.Error):
                conn.close()

    def close(self, timeout: float | None = None) -> None:
        """Finish operations in flight (up to ``timeout``), then close every connection.

        Later use raises ``StoreError``. Connections still borrowed when the wait runs
        out are closed by their borrower when it gives them back.
        """
        with self._lock:
            self._closed = True
        wait = self._timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        taken = 0
        for _ in range(self.pool_size):
            if not self._permits.acquire(timeout=max(0.0, deadline - time.monotonic())):
                break
            taken += 1
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                break
            with self._lock:
                self._open.discard(conn)
            with suppress(sqlite3.Error):
                conn.close()
        for _ in range(taken):
            self._permits.release()

    # -- reports -------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One durable write transaction at a time (see ``_write_lock``).

        The lock is taken before a connection is borrowed, so writers waiting their turn
        hold no connection that a reader could use.
        """
        with self._write_lock, self._borrow() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Every row of one query, on a borrowed connection given back before returning."""
        try:
            with self._borrow() as conn:
                return list(conn.execute(sql, params).fetchall())
        except sqlite3.Error as exc:
            raise StoreError("sqlite read failed") from exc

    def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        """One statement in its own durable transaction; returns the rows it changed."""
        with self._transaction() as conn:
            return int(conn.execute(sql, params).rowcount)

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
                self._insert_case(conn, report)
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

    @staticmethod
    def _insert_case(conn: sqlite3.Connection, r: ReportRecord) -> None:
        """The case of a new report (``new_case``): received, version 1, deadline set."""
        case = new_case(r)
        conn.execute(
            f"INSERT INTO cases ({_CASE_COLUMNS}, deadline_key, is_open) "  # noqa: S608 - constant columns
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            _case_row(case),
        )

    def _link(
        self, conn: sqlite3.Connection, ids: tuple[str, ...], number: str, now: datetime
    ) -> None:
        """Claim each file: it must exist, be sealed, unexpired and unclaimed.

        ``sealed`` matters: a pending record is only a ticket, and a report that claimed
        one would point at a file that may never arrive.
        """
        for attachment_id in ids:
            cur = conn.execute(
                "UPDATE attachments SET report_number=? "
                "WHERE id=? AND state='sealed' AND report_number IS NULL AND expires_at>?",
                (number, attachment_id, _ts(now)),
            )
            if cur.rowcount != 1:
                raise AttachmentUnavailable(attachment_id)

    def get_report(self, number: str) -> ReportRecord | None:
        rows = self._read("SELECT * FROM reports WHERE number=?", (number,))
        return self._report(rows[0]) if rows else None

    def iter_reports(self) -> Iterator[ReportRecord]:
        """Page by page (keyset on the listing order), a connection borrowed per page.

        A generator left half-read therefore holds no connection.
        """
        after: tuple[str, str] | None = None
        while True:
            if after is None:
                rows = self._read(
                    "SELECT * FROM reports ORDER BY received_at, number LIMIT ?", (_PAGE,)
                )
            else:
                rows = self._read(
                    "SELECT * FROM reports WHERE (received_at, number) > (?, ?) "
                    "ORDER BY received_at, number LIMIT ?",
                    (*after, _PAGE),
                )
            for row in rows:
                yield self._report(row)
            if len(rows) < _PAGE:
                return
            after = (str(rows[-1][2]), str(rows[-1][0]))

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
            kind=ReportKind(kind),
            region=str(region),
            industry=str(industry),
            unit=str(unit),
            source=None if source is None else str(source),
            status=ReportStatus(status),
            acceptance_due=date.fromisoformat(str(acc)),
            verification_due=_d(None if ver is None else str(ver)),
            reporter_key=str(reporter_key),
            content=bytes(content),
            identity=None if identity is None else bytes(identity),
            attachments=tuple(json.loads(str(attachments))),
        )

    def update_status(
        self, number: str, status: ReportStatus, verification_due: date | None = None
    ) -> None:
        try:
            changed = self._write(
                "UPDATE reports SET status=?, verification_due=COALESCE(?, verification_due) "
                "WHERE number=?",
                (status, verification_due.isoformat() if verification_due else None, number),
            )
        except sqlite3.Error as exc:
            raise StoreError("sqlite write failed") from exc
        if changed != 1:
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
        except sqlite3.Error as exc:
            raise StoreError("sqlite write failed") from exc

    def list_entries(self, number: str, kind: EntryKind | None = None) -> list[Entry]:
        rows = self._read(
            "SELECT report_number, kind, at, sealed, attachments FROM entries "
            "WHERE report_number=? AND (? IS NULL OR kind=?) ORDER BY id",
            (number, kind, kind),
        )
        return [
            Entry(str(n), EntryKind(k), _dt(str(at)), bytes(s), tuple(json.loads(str(a))))
            for n, k, at, s, a in rows
        ]

    # -- idempotency ---------------------------------------------------------------------

    def get_idempotency(self, key_hash: bytes) -> IdempotencyRecord | None:
        try:
            with self._borrow() as conn:
                return self._idempotency(conn, key_hash)
        except sqlite3.Error as exc:
            raise StoreError("sqlite read failed") from exc

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
            self._write(
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
        except sqlite3.Error as exc:
            raise StoreError("sqlite write failed") from exc

    def get_attachment(self, attachment_id: str) -> AttachmentRecord | None:
        rows = self._read(
            "SELECT id, region, unit, content_type, max_bytes, created_at, expires_at, state, "
            "report_number, size FROM attachments WHERE id=?",
            (attachment_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return AttachmentRecord(
            attachment_id=str(row[0]),
            region=str(row[1]),
            unit=str(row[2]),
            content_type=str(row[3]),
            max_bytes=int(row[4]),
            created_at=_dt(str(row[5])),
            expires_at=_dt(str(row[6])),
            state=AttachmentState(row[7]),
            report_number=None if row[8] is None else str(row[8]),
            size=None if row[9] is None else int(row[9]),
        )

    def put_sealed_attachment(self, attachment_id: str, sealed: bytes, size: int) -> None:
        try:
            changed = self._write(
                "UPDATE attachments SET sealed=?, size=?, state='sealed' "
                "WHERE id=? AND state='pending'",
                (sealed, size, attachment_id),
            )
        except sqlite3.Error as exc:
            raise StoreError("sqlite write failed") from exc
        if changed != 1:
            raise AttachmentUnavailable(attachment_id)

    def get_sealed_attachment(self, attachment_id: str) -> bytes | None:
        rows = self._read("SELECT sealed FROM attachments WHERE id=?", (attachment_id,))
        return None if not rows or rows[0][0] is None else bytes(rows[0][0])

    def purge_uploads(self, now: datetime) -> int:
        """Delete unclaimed uploads whose time ran out (records and sealed bytes).

        Safe to call while the server takes reports: each batch is one write
        transaction under the same writer lock as the claims, and both test the
        record's state inside their statement (a claim needs ``expires_at > its time``
        and no report; the purge needs ``expires_at <= now`` and no report), so a file
        is either claimed or purged, never both. Batches keep each hold of the lock
        short. ``secure_delete`` overwrites the freed pages in the WAL; when anything
        was freed, a passive WAL checkpoint (which never waits for readers or writers)
        moves the overwritten pages into the database file at once, instead of leaving
        the old bytes there until the WAL next reaches SQLite's automatic checkpoint.
        No VACUUM: it would rewrite the whole file under an exclusive lock.
        """
        purged = freed = 0
        try:
            while True:
                with self._transaction() as conn:
                    rows = conn.execute(
                        "DELETE FROM attachments WHERE id IN (SELECT id FROM attachments "
                        "WHERE report_number IS NULL AND expires_at<=? LIMIT ?) "
                        "RETURNING COALESCE(LENGTH(sealed), 0)",
                        (_ts(now), _PURGE_BATCH),
                    ).fetchall()
                purged += len(rows)
                freed += sum(int(r[0]) for r in rows)
                if len(rows) < _PURGE_BATCH:
                    break
            if freed > 0:  # the zeroed pages into the database file, now
                with self._borrow() as conn:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            raise StoreError("sqlite purge failed") from exc
        return purged

    # -- cases (the officers' side) ------------------------------------------------------

    @staticmethod
    def _case(row: tuple[Any, ...]) -> CaseRecord:
        (
            number,
            unit,
            kind,
            region,
            industry,
            state,
            version,
            received,
            updated,
            deadline,
            assignees,
            excluded,
        ) = row
        return CaseRecord(
            number=str(number),
            unit=str(unit),
            kind=ReportKind(kind),
            region=str(region),
            industry=str(industry),
            state=ReportStatus(state),
            version=int(version),
            received_at=_dt(str(received)),
            updated_at=_dt(str(updated)),
            next_deadline=_d(None if deadline is None else str(deadline)),
            assignees=tuple(json.loads(str(assignees))),
            excluded=tuple(json.loads(str(excluded))),
        )

    def get_case(self, number: str) -> CaseRecord | None:
        rows = self._read(f"SELECT {_CASE_COLUMNS} FROM cases WHERE number=?", (number,))  # noqa: S608 - constant columns
        return self._case(rows[0]) if rows else None

    def list_cases(
        self, unit: str, *, open_only: bool = True, limit: int = 50, after: str | None = None
    ) -> tuple[list[CaseRecord], str | None]:
        """Keyset pages on (deadline key, number), served by ``cases_by_unit_deadline``
        (open cases) or ``cases_by_unit`` (all): a deep page costs what the first does."""
        check_page(limit)
        key, number = ("", "") if after is None else decode_cursor(after, unit, open_only)
        where = "unit=? AND is_open=1" if open_only else "unit=?"
        rows = self._read(
            f"SELECT {_CASE_COLUMNS}, deadline_key FROM cases "  # noqa: S608 - constant parts
            f"WHERE {where} AND (deadline_key, number) > (?, ?) "
            "ORDER BY deadline_key, number LIMIT ?",
            (unit, key, number, limit + 1),
        )
        page = [self._case(row[:-1]) for row in rows[:limit]]
        if len(rows) <= limit:
            return page, None
        last = rows[limit - 1]
        return page, encode_cursor(unit, open_only, str(last[-1]), str(last[0]))

    def apply_case_change(self, change: CaseChange, audit: AuditAppend) -> CaseRecord:
        check_wraps(change)
        try:
            with self._transaction() as conn:
                rows = conn.execute(
                    f"SELECT {_CASE_COLUMNS} FROM cases WHERE number=?",  # noqa: S608 - constant columns
                    (change.number,),
                ).fetchall()
                if not rows:
                    raise CaseUnknown(change.number)
                case = self._case(rows[0])
                if case.version != change.expected_version:
                    raise VersionConflict(change.number)
                new = changed_case(case, change)
                conn.execute(
                    "UPDATE cases SET state=?, version=?, updated_at=?, next_deadline=?, "
                    "deadline_key=?, is_open=?, assignees=?, excluded=? "
                    "WHERE number=? AND version=?",
                    (
                        new.state,
                        new.version,
                        _ts(new.updated_at),
                        None if new.next_deadline is None else new.next_deadline.isoformat(),
                        deadline_key(new.next_deadline),
                        int(new.is_open),
                        json.dumps(list(new.assignees)),
                        json.dumps(list(new.excluded)),
                        change.number,
                        change.expected_version,
                    ),
                )
                conn.executemany(
                    "DELETE FROM wraps WHERE number=? AND officer=?",
                    [(change.number, officer) for officer in dict.fromkeys(change.revoke)],
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO wraps VALUES (?,?,?,?,?)",
                    [(w.number, w.blob, w.officer, w.key_id, w.wrapped) for w in change.wraps],
                )
                self._append(conn, audit)
        except sqlite3.Error as exc:
            raise StoreError("sqlite write failed") from exc
        return new

    def list_wraps(self, number: str, officer: str) -> list[Wrap]:
        rows = self._read(
            "SELECT number, blob, officer, key_id, wrapped FROM wraps "
            "WHERE number=? AND officer=? ORDER BY blob",
            (number, officer),
        )
        return [Wrap(*(str(v) for v in row)) for row in rows]

    def list_entries_with_ids(self, number: str) -> list[tuple[str, Entry]]:
        """The row id names an entry: assigned once, never reused (AUTOINCREMENT)."""
        rows = self._read(
            "SELECT id, report_number, kind, at, sealed, attachments FROM entries "
            "WHERE report_number=? ORDER BY id",
            (number,),
        )
        return [
            (
                str(i),
                Entry(str(n), EntryKind(k), _dt(str(at)), bytes(s), tuple(json.loads(str(a)))),
            )
            for i, n, k, at, s, a in rows
        ]

    # -- the audit logs ------------------------------------------------------------------

    @staticmethod
    def _append(conn: sqlite3.Connection, audit: AuditAppend) -> AuditRecord:
        """Append inside the caller's write transaction: the single writer makes the
        index and previous hash read here the ones the entry is committed with."""
        last = conn.execute(
            "SELECT idx, leaf_hash FROM audit WHERE log=? ORDER BY idx DESC LIMIT 1",
            (audit.log,),
        ).fetchone()
        index, prev = (0, b"") if last is None else (int(last[0]) + 1, bytes(last[1]))
        entry, leaf_hash = audit.build(index, prev)
        conn.execute("INSERT INTO audit VALUES (?,?,?,?)", (audit.log, index, leaf_hash, entry))
        if audit.case is not None:
            conn.execute("INSERT INTO audit_by_case VALUES (?,?,?)", (audit.case, audit.log, index))
        return AuditRecord(audit.log, index, leaf_hash, entry)

    def append_audit(self, audit: AuditAppend) -> AuditRecord:
        try:
            with self._transaction() as conn:
                return self._append(conn, audit)
        except sqlite3.Error as exc:
            raise StoreError("sqlite write failed") from exc

    def audit_size(self, log: str) -> int:
        rows = self._read("SELECT COALESCE(MAX(idx) + 1, 0) FROM audit WHERE log=?", (log,))
        return int(rows[0][0])

    def audit_records(self, log: str, start: int = 0, end: int | None = None) -> list[AuditRecord]:
        if start < 0 or (end is not None and end < start):
            raise ValueError("bad range")
        rows = self._read(
            "SELECT log, idx, leaf_hash, entry FROM audit "
            "WHERE log=? AND idx>=? AND (? IS NULL OR idx<?) ORDER BY idx",
            (log, start, end, end),
        )
        return [AuditRecord(str(g), int(i), bytes(h), bytes(e)) for g, i, h, e in rows]

    def case_audit(self, number: str, limit: int) -> list[AuditRecord]:
        rows = self._read(
            "SELECT a.log, a.idx, a.leaf_hash, a.entry FROM ("
            " SELECT log, idx FROM audit_by_case WHERE number=?"
            " ORDER BY log DESC, idx DESC LIMIT ?) c"
            " JOIN audit a ON a.log = c.log AND a.idx = c.idx ORDER BY a.log, a.idx",
            (number, limit),
        )
        return [AuditRecord(str(g), int(i), bytes(h), bytes(e)) for g, i, h, e in rows]

    # -- checkpoints ---------------------------------------------------------------------

    def put_checkpoint(self, record: CheckpointRecord) -> None:
        try:
            with self._transaction() as conn:
                row = conn.execute(
                    "SELECT root FROM checkpoints WHERE log=? AND size=?",
                    (record.log, record.size),
                ).fetchone()
                if row is not None and bytes(row[0]) != record.root:
                    raise StoreError("another root for a stored checkpoint size")
                conn.execute(
                    "INSERT OR REPLACE INTO checkpoints VALUES (?,?,?,?,?)",
                    (record.log, record.size, record.root, record.note, _ts(record.created_at)),
                )
        except sqlite3.Error as exc:
            raise StoreError("sqlite write failed") from exc

    @staticmethod
    def _checkpoint(row: tuple[Any, ...]) -> CheckpointRecord:
        log, size, root, note, created = row
        return CheckpointRecord(str(log), int(size), bytes(root), str(note), _dt(str(created)))

    def latest_checkpoint(self, log: str) -> CheckpointRecord | None:
        rows = self._read(
            "SELECT log, size, root, note, created_at FROM checkpoints "
            "WHERE log=? ORDER BY size DESC LIMIT 1",
            (log,),
        )
        return self._checkpoint(rows[0]) if rows else None

    def list_checkpoints(self, log: str) -> list[CheckpointRecord]:
        rows = self._read(
            "SELECT log, size, root, note, created_at FROM checkpoints WHERE log=? ORDER BY size",
            (log,),
        )
        return [self._checkpoint(row) for row in rows]

    # -- nonces --------------------------------------------------------------------------

    def remember_nonce(self, nonce_hash: bytes, expires_at: datetime, now: datetime) -> bool:
        """One statement: inserted, or replacing an expired row, or nothing (a replay)."""
        try:
            changed = self._write(
                "INSERT INTO nonces VALUES (?, ?) ON CONFLICT(hash) DO UPDATE "
                "SET expires_at=excluded.expires_at WHERE nonces.expires_at<=?",
                (nonce_hash, _fixed_ts(expires_at), _fixed_ts(now)),
            )
        except sqlite3.Error as exc:
            raise StoreError("sqlite write failed") from exc
        return changed == 1

    def purge_nonces(self, now: datetime) -> int:
        try:
            return self._write("DELETE FROM nonces WHERE expires_at<=?", (_fixed_ts(now),))
        except sqlite3.Error as exc:
            raise StoreError("sqlite purge failed") from exc
