"""The SQLite store's commits reach the disk before a receipt is sent.

The crash test (tests/api/test_crash.py) kills the server process: that loses nothing even
with ``synchronous=OFF``, because the operating system still holds the written pages. A
power cut would lose them. So the settings are asserted on every connection the store's
pool hands out, and the effect is measured: under ``strace`` every committed report is
followed by an ``fdatasync``/``fsync`` of the write-ahead log, which ``synchronous=NORMAL``
(WAL's "durable at the next checkpoint") does not do; that control shows the count can
tell the two apart.

Why these settings (see functions/chalicelib/store/sqlite/pool.py): WAL lets readers run while
one writer commits; in WAL mode ``synchronous=FULL`` syncs the WAL at every commit, so a
201 is only sent for a report on disk; ``foreign_keys`` keeps entries tied to a report;
``secure_delete`` overwrites purged uploads' pages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from pathlib import Path

import pytest

from chalicelib.store.sqlite import SqliteStore
from tests.store import support as s

REPORTS = 12


def test_every_pooled_connection_is_durable(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "jubao.sqlite3", pool_size=3)
    with ExitStack() as stack:
        connections = [stack.enter_context(store._borrow()) for _ in range(3)]
        assert len({id(conn) for conn in connections}) == 3  # three real connections
        for conn in connections:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
            assert conn.isolation_level is None  # our BEGIN/COMMIT, not the module's
    store.close()


def test_a_write_is_one_transaction_that_commits(tmp_path: Path) -> None:
    """create_report leaves no transaction open, and another connection sees it at once."""
    import sqlite3

    store = SqliteStore(tmp_path / "jubao.sqlite3")
    record = s.report()
    store.create_report(record, s.idempotency(record))
    with store._borrow() as conn:
        assert not conn.in_transaction
    with sqlite3.connect(tmp_path / "jubao.sqlite3") as other:
        assert other.execute("SELECT count(*) FROM reports").fetchone()[0] == 1
        assert other.execute("SELECT count(*) FROM idempotency").fetchone()[0] == 1
    store.close()


_CHILD = textwrap.dedent(
    """
    import os, sys
    from chalicelib.store.sqlite import SqliteStore
    from tests.store import support as s

    db, count, mode, marks = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if mode == "normal":  # the control: WAL's "durable at the next checkpoint"
        connect = SqliteStore._connect

        def weaker(self):
            conn = connect(self)
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn

        SqliteStore._connect = weaker
    store = SqliteStore(db)
    first = s.report()
    store.create_report(first, s.idempotency(first))  # warm up: schema, WAL, pool

    def mark(name):
        fd = os.open(os.path.join(marks, name), os.O_CREAT | os.O_WRONLY, 0o600)
        os.fsync(fd)
        os.close(fd)

    mark("begin")
    for _ in range(count):
        record = s.report()
        store.create_report(record, s.idempotency(record))
    mark("end")
    store.close()
    """
)


def _strace() -> str:
    found = shutil.which("strace") or shutil.which("strace", path=os.defpath)
    if found is None:
        pytest.skip("strace is not installed (.ci/system-packages.sh installs it)")
    return found


def _wal_syncs(tmp_path: Path, mode: str) -> int:
    """How many syncs of the WAL the store makes while committing REPORTS reports."""
    work = tmp_path / mode
    work.mkdir()
    trace = work / "trace.txt"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run(
        [
            _strace(),
            "-f",
            "-qq",
            "-y",  # file descriptors printed with their paths
            "-e",
            "trace=fsync,fdatasync",
            "-o",
            str(trace),
            sys.executable,
            "-c",
            _CHILD,
            str(work / "jubao.sqlite3"),
            str(REPORTS),
            mode,
            str(work),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = trace.read_text().splitlines()
    begin = next(i for i, line in enumerate(lines) if "/begin>" in line)
    end = next(i for i, line in enumerate(lines) if "/end>" in line)
    wal = re.compile(r"\b(fsync|fdatasync)\(\d+<[^>]*jubao\.sqlite3-wal>\)\s*=\s*0")
    return sum(1 for line in lines[begin + 1 : end] if wal.search(line))


@pytest.mark.skipif(sys.platform != "linux", reason="strace is Linux only")
def test_every_commit_syncs_the_write_ahead_log(tmp_path: Path) -> None:
    durable = _wal_syncs(tmp_path, "full")
    control = _wal_syncs(tmp_path, "normal")
    assert durable >= REPORTS, f"{durable} WAL syncs for {REPORTS} commits"
    assert control < REPORTS, "the control must not sync at every commit"


def test_a_purge_counts_every_batch_and_leaves_no_sealed_bytes_in_the_file(
    tmp_path: Path,
) -> None:
    """More than one batch (100), all the bytes in the first: the checkpoint after the
    purge moves the zeroed pages into the database file, so the sealed bytes are gone
    from it at once, not when the WAL next grows to SQLite's automatic checkpoint."""
    from datetime import timedelta

    from chalicelib.store.sqlite import reports as sqlite_reports

    path = tmp_path / "jubao.sqlite3"
    store = SqliteStore(path)
    ids = []
    for _ in range(sqlite_reports._PURGE_BATCH):
        record = s.attachment(expires_in=timedelta(seconds=-1))
        store.create_attachment(record)
        store.put_sealed_attachment(record.attachment_id, b"\x5a" * 1000, 1000)
        ids.append(record.attachment_id)
    never_sealed = s.attachment(expires_in=timedelta(seconds=-1))
    store.create_attachment(never_sealed)  # the second batch: nothing to free
    ids.append(never_sealed.attachment_id)
    with store._borrow() as conn:  # as if SQLite had checkpointed meanwhile
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    assert b"\x5a" * 1000 in path.read_bytes()
    assert store.purge_uploads(s.now()) == 101
    assert all(store.get_attachment(i) is None for i in ids)
    assert b"\x5a" * 64 not in path.read_bytes()
    assert store.purge_uploads(s.now()) == 0
    store.close()


def test_close_waits_only_its_timeout_and_closes_the_idle(tmp_path: Path) -> None:
    import threading
    import time

    store = SqliteStore(tmp_path / "a" / "b" / "jubao.sqlite3", pool_size=2)  # folders made
    held, release = threading.Event(), threading.Event()

    def borrower() -> None:
        with store._borrow():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=borrower)
    thread.start()
    held.wait(5)
    with store._borrow():  # a second connection, idle afterwards
        pass
    assert store.open_connections == 2  # one borrowed, one idle
    started = time.monotonic()
    store.close(timeout=0.2)
    assert time.monotonic() - started < 0.9
    assert store.open_connections == 1  # the idle one is closed; the borrowed one is not yet
    release.set()
    thread.join()
    assert store.open_connections == 0  # given back after close: closed by its borrower


def test_verification_due_is_stored_at_creation(tmp_path: Path) -> None:
    from dataclasses import replace

    store = SqliteStore(tmp_path / "jubao.sqlite3")
    record = replace(s.report(), verification_due=s.due(60))
    store.create_report(record)
    stored = store.get_report(record.number)
    assert stored is not None and stored.verification_due == s.due(60)
    store.close()


def test_an_in_memory_store_is_one_connection() -> None:
    store = SqliteStore(":memory:", pool_size=4)
    assert store.pool_size == 1
    record = s.report()
    store.create_report(record)
    assert store.get_report(record.number) is not None
    store.close()
