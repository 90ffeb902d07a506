"""The embedded default store: one SQLite file in WAL mode, both contracts on one pool."""

from __future__ import annotations

from ..base import ReportStore
from ..cases import CaseStore
from .cases import SqliteCases
from .reports import SqliteReports


class SqliteStore(SqliteReports, SqliteCases, ReportStore, CaseStore):
    """``ReportStore`` and ``CaseStore`` on one SQLite file, through a bounded pool
    (``SqlitePool``: why a pool, durability, closing)."""


__all__ = ["SqliteStore"]
