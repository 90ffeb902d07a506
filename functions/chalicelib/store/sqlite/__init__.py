"""The embedded default store (SQLite): ``SqliteStore``.

``pool.py`` (connections, transactions, migrations), ``schema.py`` (tables and value
codecs), ``reports.py`` (``ReportStore``), ``cases.py`` (``CaseStore``), ``store.py``
(the two together).
"""

from .store import SqliteStore

__all__ = ["SqliteStore"]
