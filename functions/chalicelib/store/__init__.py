"""Where sealed reports live: one contract (``base.ReportStore``), two implementations.

``sqlite`` is the embedded default (one file, WAL, durable before the receipt is sent);
``aws`` keeps metadata in DynamoDB and sealed blobs in S3 under SSE-KMS.
"""

from __future__ import annotations

from .base import ReportStore


def open_store() -> ReportStore:
    """The store named by the settings; AWS modules are imported only when chosen."""
    from ..settings import get_settings

    settings = get_settings()
    if settings.store == "aws":
        from .aws import AwsStore

        return AwsStore(settings)
    from .sqlite import SqliteStore

    return SqliteStore(settings.sqlite_path)
