"""Case benchmark: the officers' deadline listing and case changes on a full SQLite store.

Setup (untimed, but its time is printed): 100,000 reports spread over the office's 26
units are bulk-inserted into the store's own ``reports`` table (one ``executemany`` in
one transaction, with small stand-in sealed bytes: the listing never reads them), the
file is marked as predating the case tables (``PRAGMA user_version=0``) and reopened, so
the store's one-off backfill creates the 100,000 case rows (8 of 10 received, 1 accepted
with a verification deadline, 1 concluded). Intake's own write path is measured by
``bench_store.py``; at about one durable commit per report it would make the setup take
minutes.

Timed (median of 20 calls each): ``list_cases(unit, limit=50)`` for the first page and
for a deep page (a cursor about halfway through the unit's open cases), open cases and
all cases; then ``apply_case_change`` with its audit append (one durable commit each,
``synchronous=FULL``), per change; then one case's history with 100,000 more entries in
its unit's log, through the per-case index and by scanning the log. Target: a listing
page in at most 50 ms.

Run: ``uv run python bench/bench_cases.py [N]`` (N cases, default 100,000).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from chalicelib.config.office import load_office
from chalicelib.store.cases import AuditAppend, CaseChange
from chalicelib.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 20
TARGET_MS = 50.0


def fill(path: Path, count: int, units: list[str]) -> None:
    """``count`` reports straight into the store's schema, as an older version left them."""
    SqliteStore(path).close()  # the schema
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(count):
        received = start + timedelta(minutes=7 * n)
        status = ("received",) * 8 + ("accepted", "concluded")
        state = status[n % 10]
        rows.append(
            (
                f"{10_000_000 + n}",
                b"m" * 32,
                received.isoformat(),
                "hazard",
                "340102",
                "construction",
                units[n % len(units)],
                None,
                state,
                (received.date() + timedelta(days=7 + n % 23)).isoformat(),
                (received.date() + timedelta(days=60)).isoformat() if state == "accepted" else None,
                "k" * 43,
                b"sealed" * 20,
                None,
                "[]",
            )
        )
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO reports VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        conn.execute("DELETE FROM cases")
        conn.execute("PRAGMA user_version=0")
        conn.execute("COMMIT")
    finally:
        conn.close()


def median_ms(call: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def builder(index: int, prev: bytes) -> tuple[bytes, bytes]:
    entry = json.dumps({"i": index, "prev": prev.hex(), "what": "accept"}).encode()
    return entry, hashlib.sha256(b"\x00" + entry).digest()


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    units = [u.code for u in load_office().units]
    build = ROOT / "build"
    build.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=build) as directory:
        path = Path(directory) / "cases.sqlite3"
        started = time.perf_counter()
        fill(path, count, units)
        filled = time.perf_counter() - started
        started = time.perf_counter()
        store = SqliteStore(path)
        backfill = time.perf_counter() - started
        try:
            unit = units[len(units) // 2]
            print(
                f"{count} cases over {len(units)} units: bulk insert of the reports "
                f"{filled:.1f} s, case backfill on open {backfill:.1f} s; listing unit {unit}"
            )
            plan = store._read(  # which index serves the page
                "EXPLAIN QUERY PLAN SELECT number FROM cases WHERE unit=? AND is_open=1 "
                "AND (deadline_key, number) > (?, ?) ORDER BY deadline_key, number LIMIT 51",
                (unit, "", ""),
            )
            print("query plan:", "; ".join(str(row[-1]) for row in plan))
            for open_only in (True, False):
                label = "open cases" if open_only else "all cases "
                first = median_ms(partial(store.list_cases, unit, open_only=open_only, limit=50))
                cursor, pages = None, 0
                [(total,)] = store._read(
                    "SELECT COUNT(*) FROM cases WHERE unit=? AND (is_open=1 OR ?)",
                    (unit, not open_only),
                )
                # walk to about the middle of the unit's cases (untimed)
                while pages < max(1, int(total) // 100):
                    _, cursor = store.list_cases(unit, open_only=open_only, limit=50, after=cursor)
                    pages += 1
                deep = median_ms(
                    partial(store.list_cases, unit, open_only=open_only, limit=50, after=cursor)
                )
                verdict = "ok" if max(first, deep) <= TARGET_MS else "OVER TARGET"
                print(
                    f"list_cases {label} limit=50: first page {first:6.2f} ms, page {pages + 1} "
                    f"{deep:6.2f} ms (median of {REPEATS}; target <= {TARGET_MS:.0f} ms: {verdict})"
                )
            page, _ = store.list_cases(unit, limit=200)
            times = []
            for case in page:
                change = CaseChange(
                    case.number,
                    case.version,
                    datetime.now(UTC),
                    state=None,
                    grant=("officer-1",),
                    next_deadline=case.next_deadline,
                )
                started = time.perf_counter()
                store.apply_case_change(change, AuditAppend(unit, builder, case.number))
                times.append((time.perf_counter() - started) * 1000)
            cuts = statistics.quantiles(times, n=10)
            print(
                f"apply_case_change + audit append, file on disk, synchronous=FULL: median "
                f"{statistics.median(times):6.2f} ms, p90 {cuts[8]:6.2f} ms per change "
                f"({len(times)} changes)"
            )
            history(store, path, unit, [c.number for c in page])
        finally:
            store.close()
    return 0


LOG_ENTRIES = 100_000


def history(store: SqliteStore, path: Path, unit: str, numbers: list[str]) -> None:
    """A case's history (what ``GET /cases/{n}`` shows) with the unit's log grown large.

    ``LOG_ENTRIES`` entries about the unit's cases go straight into the tables (untimed:
    the append path is timed above); then the history of one case is read through the
    per-case index, against the scan of the whole log it replaces.
    """
    with sqlite3.connect(path) as conn:
        (size,) = conn.execute("SELECT COUNT(*) FROM audit WHERE log=?", (unit,)).fetchone()
        rows = []
        for i in range(size, size + LOG_ENTRIES):
            number = numbers[i % len(numbers)]
            entry = json.dumps({"case": number, "i": i, "what": "read_case"}).encode()
            rows.append((unit, i, hashlib.sha256(b"\x00" + entry).digest(), entry, number))
        conn.executemany("INSERT INTO audit VALUES (?,?,?,?)", [r[:4] for r in rows])
        conn.executemany(
            "INSERT INTO audit_by_case VALUES (?,?,?)", [(r[4], r[0], r[1]) for r in rows]
        )
    conn.close()
    number = numbers[0]

    def scan() -> list[bytes]:
        return [
            r.entry for r in store.audit_records(unit) if json.loads(r.entry).get("case") == number
        ]

    indexed = median_ms(partial(store.case_audit, number, 200))
    scanned = median_ms(scan)
    print(
        f"a case's history (last 200 entries) with {size + LOG_ENTRIES} entries in the unit's"
        f" log: {indexed:6.2f} ms through the per-case index; {scanned:7.1f} ms scanning the log"
        f" (median of {REPEATS})"
    )


if __name__ == "__main__":
    sys.exit(main())
