"""The reports' half of the embedded store (``ReportStore``): reports and their case rows,
entries, idempotency records, attachments and the purge of unclaimed uploads."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from ...cases.status import ReportStatus
from ...reports.models import ReportKind
from ..base import (
    AttachmentRecord,
    AttachmentState,
    AttachmentUnavailable,
    Entry,
    EntryKind,
    IdempotencyRecord,
    IdempotencyReplay,
    NumberTaken,
    ReportRecord,
    StoreError,
)
from ..case_rules import (
    new_case,
)
from .pool import SqlitePool
from .schema import CASE_COLUMNS, case_row, day, dt, ts

_PAGE = 200  # reports per page of iter_reports
_PURGE_BATCH = 100  # attachments deleted per write transaction of purge_uploads


class SqliteReports(SqlitePool):
    """What intake and the reporter's look-ups need; a report opens its case in the same
    transaction (``_insert_case``), so no report is ever without one."""

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
                            ts(idempotency.expires_at),
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
                    ts(r.received_at),
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
            f"INSERT INTO cases ({CASE_COLUMNS}, deadline_key, is_open) "  # noqa: S608 - constant columns
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            case_row(case),
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
                (number, attachment_id, ts(now)),
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
            received_at=dt(str(received)),
            kind=ReportKind(kind),
            region=str(region),
            industry=str(industry),
            unit=str(unit),
            source=None if source is None else str(source),
            status=ReportStatus(status),
            acceptance_due=date.fromisoformat(str(acc)),
            verification_due=day(None if ver is None else str(ver)),
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
                        ts(entry.at),
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
            Entry(str(n), EntryKind(k), dt(str(at)), bytes(s), tuple(json.loads(str(a))))
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
            (key_hash, ts(datetime.now(UTC))),
        ).fetchone()
        if row is None:
            return None
        return IdempotencyRecord(
            bytes(row[0]), bytes(row[1]), str(row[2]), bytes(row[3]), dt(str(row[4]))
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
                    ts(record.created_at),
                    ts(record.expires_at),
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
            created_at=dt(str(row[5])),
            expires_at=dt(str(row[6])),
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
                        (ts(now), _PURGE_BATCH),
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
