"""Where sealed reports live: one contract (``base.ReportStore``), two implementations.

``sqlite`` is the embedded default (one file, WAL, durable before the receipt is sent);
``aws`` keeps metadata in DynamoDB and sealed blobs in S3 under SSE-KMS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import ReportStore

if TYPE_CHECKING:
    from ..config.settings import Settings


def open_store(settings: Settings) -> ReportStore:
    """The store the settings name; AWS modules are imported only when chosen."""
    if settings.store == "aws":
        from .aws import AwsStore

        return AwsStore(settings)
    from .sqlite import SqliteStore

    return SqliteStore(settings.sqlite_path)
