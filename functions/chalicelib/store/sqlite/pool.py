"""The connection pool of the embedded store, its transactions, and opening a file.

Durability: ``synchronous=FULL`` makes every commit reach the disk before a write
returns, so a receipt is only ever sent for a report that survives a crash or power cut.
One writer at a time. The reports' and the officers' halves of the store
(``reports.py``, ``cases.py``) build on this.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ..base import (
    StoreError,
)
from ..case_rules import (
    NO_DEADLINE_KEY,
)
from ..cases import (
    OPEN_STATES,
)
from .schema import BACKFILL, BACKFILL_CASE_AUDIT, SCHEMA, SCHEMA_VERSION


class SqlitePool:
    """One SQLite file through a bounded pool of connections, and its transactions.

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
            conn.executescript(SCHEMA)
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
                        BACKFILL,
                        {"open": json.dumps(sorted(OPEN_STATES)), "no_deadline": NO_DEADLINE_KEY},
                    )
                if int(version) < 2:
                    conn.execute(BACKFILL_CASE_AUDIT)
                if int(version) < SCHEMA_VERSION:
                    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
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

    # -- transactions --------------------------------------------------------------------

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
