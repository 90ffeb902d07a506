"""The SQLite store's connection pool: bounded, durable settings, lifecycle, no fd leak.

The leak this guards against: a connection per thread, never closed, took a server from
695 to 5,495 open files after 2,400 submissions. Open files are counted twice: by the
pool's own counter and by the kernel (``/proc/self/fd``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.store.base import Entry, StoreError
from chalicelib.store.sqlite import SqliteStore
from tests.store import support as s

PROC_FD = Path("/proc/self/fd")
pytestmark = pytest.mark.skipif(not PROC_FD.is_dir(), reason="needs /proc/self/fd")


def files_open_on(database: Path) -> dict[str, int]:
    """How many descriptors of this process point at the database, its WAL and its shm."""
    names = {str(database): "db", f"{database}-wal": "wal", f"{database}-shm": "shm"}
    counts = dict.fromkeys(names.values(), 0)
    for fd in os.listdir(PROC_FD):
        try:
            target = os.readlink(PROC_FD / fd)
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor)
        if target in names:
            counts[names[target]] += 1
    return counts


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "jubao.sqlite3"


@pytest.fixture
def store(database: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(database, pool_size=4)
    yield opened
    opened.close()


def test_many_short_lived_threads_leave_at_most_pool_size_connections(
    store: SqliteStore, database: Path
) -> None:
    report = s.report()
    store.create_report(report)

    def visit(n: int) -> None:
        store.add_entry(Entry(report.number, "supplement", s.now(), f"{n}".encode()))
        assert store.get_report(report.number) is not None
        store.get_idempotency(b"k" * 32)

    for batch in range(10):  # 300 threads, each used once and gone, as under a thread per
        threads = [threading.Thread(target=visit, args=(batch * 30 + i,)) for i in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert store.open_connections <= store.pool_size
        assert max(files_open_on(database).values()) <= store.pool_size
    assert len(store.list_entries(report.number)) == 300
    store.close()
    assert store.open_connections == 0
    assert files_open_on(database) == {"db": 0, "wal": 0, "shm": 0}


def test_connections_are_made_only_when_needed(database: Path) -> None:
    store = SqliteStore(database, pool_size=8)
    try:
        for _ in range(50):  # one caller at a time reuses one connection
            store.get_report("10000000")
        assert store.open_connections == 1
        assert files_open_on(database)["db"] == 1
    finally:
        store.close()


def test_every_pooled_connection_is_durable(store: SqliteStore) -> None:
    with ExitStack() as stack:  # borrow the whole pool at once: each connection in turn
        conns = [stack.enter_context(store._borrow()) for _ in range(store.pool_size)]
        assert len({id(c) for c in conns}) == store.pool_size
        for conn in conns:
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
            assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
            assert conn.execute("PRAGMA secure_delete").fetchone() == (1,)
            # a writer waits for the lock as long as the store's timeout (30 s), not
            # sqlite3's default 5 s, before it gives up on a busy database
            assert conn.execute("PRAGMA busy_timeout").fetchone() == (30_000,)


def test_an_exhausted_pool_waits_then_fails_clearly(database: Path) -> None:
    store = SqliteStore(database, pool_size=1, timeout=0.3)
    try:
        held = threading.Event()
        release = threading.Event()

        def hold() -> None:
            with store._borrow():
                held.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        held.wait(10)
        with pytest.raises(StoreError):
            store.get_report("10000000")
        release.set()
        holder.join()
        assert store.get_report("10000000") is None  # free again
    finally:
        store.close()


def test_a_broken_connection_is_discarded_not_returned(store: SqliteStore) -> None:
    store.get_report("10000000")
    assert store.open_connections == 1
    with pytest.raises(sqlite3.OperationalError), store._borrow() as conn:
        first = conn
        conn.execute("SELECT * FROM no_such_table")
    assert store.open_connections == 0
    with pytest.raises(sqlite3.ProgrammingError):  # it was closed, not pooled
        first.execute("SELECT 1")
    # one left inside a transaction is not handed on either
    with store._borrow() as conn:
        conn.execute("BEGIN")
        stuck = conn
    assert store.open_connections == 0
    with store._borrow() as conn:
        assert conn is not stuck and not conn.in_transaction
    report = s.report()
    store.create_report(report)
    assert store.get_report(report.number) == report


def test_a_refused_row_keeps_the_connection(store: SqliteStore) -> None:
    report = s.report()
    store.create_report(report)
    with pytest.raises(StoreError):
        store.create_report(report)  # NumberTaken: a constraint, the connection is fine
    assert store.open_connections == 1


def test_close_waits_for_a_write_in_flight_then_refuses_use(database: Path) -> None:
    store = SqliteStore(database, pool_size=2)
    report = s.report()
    inside = threading.Event()
    finish = threading.Event()

    def slow_write() -> None:
        with store._transaction() as conn:
            inside.set()
            finish.wait(10)
            store._insert_report(conn, report)

    writer = threading.Thread(target=slow_write)
    writer.start()
    inside.wait(10)
    closer = threading.Thread(target=store.close)
    closer.start()
    closer.join(0.3)
    assert closer.is_alive()  # waiting for the write
    finish.set()
    writer.join()
    closer.join(10)
    assert not closer.is_alive()
    assert store.open_connections == 0
    assert files_open_on(database)["db"] == 0
    with pytest.raises(StoreError):
        store.get_report(report.number)
    with pytest.raises(StoreError):
        store.create_report(s.report())
    reopened = SqliteStore(database)
    try:
        assert reopened.get_report(report.number) == report  # the acknowledged write is kept
    finally:
        reopened.close()


def test_listing_holds_no_connection_between_pages(database: Path) -> None:
    store = SqliteStore(database, pool_size=1, timeout=1)
    try:
        made = [s.report() for _ in range(450)]  # three pages
        for record in made:
            store.create_report(record)
        listing = store.iter_reports()
        first = next(listing)
        store.create_report(s.report())  # the one connection is free while we iterate
        rest = list(listing)
        assert [first.number, *[r.number for r in rest]][:450] == [
            r.number for r in sorted(made, key=lambda r: (r.received_at, r.number))
        ]
    finally:
        store.close()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pool_size=st.integers(1, 6), callers=st.integers(1, 24))
def test_concurrent_callers_never_exceed_the_pool(
    tmp_path: Path, pool_size: int, callers: int
) -> None:
    database = tmp_path / f"p{pool_size}-{callers}.sqlite3"
    store = SqliteStore(database, pool_size=pool_size)
    try:
        peak = 0
        lock = threading.Lock()

        def work(n: int) -> None:
            nonlocal peak
            store.create_report(s.report())
            store.get_report("10000000")
            with lock:
                peak = max(peak, store.open_connections, files_open_on(database)["db"])

        with ThreadPoolExecutor(callers) as pool:
            list(pool.map(work, range(callers * 2)))
        assert peak <= pool_size
        assert sum(1 for _ in store.iter_reports()) == callers * 2
    finally:
        store.close()
    assert files_open_on(database)["db"] == 0
