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
``synchronous=FULL``), per change. Target: a listing page in at most 50 ms.

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
                store.apply_case_change(change, AuditAppend(unit, builder))
                times.append((time.perf_counter() - started) * 1000)
            cuts = statistics.quantiles(times, n=10)
            print(
                f"apply_case_change + audit append, file on disk, synchronous=FULL: median "
                f"{statistics.median(times):6.2f} ms, p90 {cuts[8]:6.2f} ms per change "
                f"({len(times)} changes)"
            )
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
