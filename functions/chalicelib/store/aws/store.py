"""``AwsStore``: the ``ReportStore`` and the ``CaseStore`` on one DynamoDB table, files in S3.

The halves are ``reports.py`` and ``cases.py``, over ``table.py`` (clients and the shared
reads and writes).
"""

from __future__ import annotations

from ..base import ReportStore
from ..cases import CaseStore
from .cases import AwsCases
from .reports import AwsReports


class AwsStore(AwsReports, AwsCases, ReportStore, CaseStore):
    """``ReportStore`` and ``CaseStore`` on ``settings.table`` and ``settings.bucket``
    (``AwsTable``: which key, which region)."""


__all__ = ["AwsStore"]
