"""The officers' half of the embedded store (``CaseStore``).

Case records, wrapped keys, the per-unit audit logs (with their index by case),
checkpoints and the nonces of signed requests. A case change and the audit entry
recording it are one write transaction, so the log can never miss a change nor record
one that did not happen.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from ...cases.status import ReportStatus
from ...reports.models import ReportKind
from ..base import (
    Entry,
    EntryKind,
    StoreError,
)
from ..case_rules import (
    changed_case,
    check_page,
    check_wraps,
    deadline_key,
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
from .pool import SqlitePool
from .schema import CASE_COLUMNS, day, dt, fixed_ts, ts


class SqliteCases(SqlitePool):
    """Cases, wraps, audit logs, checkpoints and nonces on the pool's file."""

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
            received_at=dt(str(received)),
            updated_at=dt(str(updated)),
            next_deadline=day(None if deadline is None else str(deadline)),
            assignees=tuple(json.loads(str(assignees))),
            excluded=tuple(json.loads(str(excluded))),
        )

    def get_case(self, number: str) -> CaseRecord | None:
        rows = self._read(f"SELECT {CASE_COLUMNS} FROM cases WHERE number=?", (number,))  # noqa: S608 - constant columns
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
            f"SELECT {CASE_COLUMNS}, deadline_key FROM cases "  # noqa: S608 - constant parts
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
                    f"SELECT {CASE_COLUMNS} FROM cases WHERE number=?",  # noqa: S608 - constant columns
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
                        ts(new.updated_at),
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
                Entry(str(n), EntryKind(k), dt(str(at)), bytes(s), tuple(json.loads(str(a)))),
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
                    (record.log, record.size, record.root, record.note, ts(record.created_at)),
                )
        except sqlite3.Error as exc:
            raise StoreError("sqlite write failed") from exc

    @staticmethod
    def _checkpoint(row: tuple[Any, ...]) -> CheckpointRecord:
        log, size, root, note, created = row
        return CheckpointRecord(str(log), int(size), bytes(root), str(note), dt(str(created)))

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
                (nonce_hash, fixed_ts(expires_at), fixed_ts(now)),
            )
        except sqlite3.Error as exc:
            raise StoreError("sqlite write failed") from exc
        return changed == 1

    def purge_nonces(self, now: datetime) -> int:
        try:
            return self._write("DELETE FROM nonces WHERE expires_at<=?", (fixed_ts(now),))
        except sqlite3.Error as exc:
            raise StoreError("sqlite purge failed") from exc
