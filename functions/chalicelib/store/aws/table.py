"""The table and bucket behind ``AwsStore``: clients made on first use, and the paged,
batched and transactional reads and writes both halves of the store share.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..base import (
    StoreError,
)
from .codec import (
    req_str,
    s_attr,
)
from .layout import report_partition
from .retry import backoff, client_errors, error_code
from .uploads import S3Uploads

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

    from ...config.settings import Settings

TRANSACTION_ATTEMPTS = 4
APPEND_ATTEMPTS = 16
AUDIT_ATTEMPTS = 40  # appends to one busy log: each lost race costs one read and a retry
TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
BATCH_GET = 100  # DynamoDB's limit per BatchGetItem


class AwsTable:
    """``settings.table`` and ``settings.bucket``, through clients of ``settings.aws_region``.

    ``settings.kms_key_id`` must be the key's ARN (the storage stack's ``KeyArn``
    output): it is sent with every upload and the bucket policy compares it with the
    ARN, and S3 reports the ARN back. The bucket's objects are handled by
    ``self.uploads`` (``S3Uploads``).
    """

    SEAL_WAIT_SECONDS = 10.0
    _SEAL_POLL_SECONDS = 0.25
    # a pending record older than this cannot be sealed any more (ticket + sealing time)
    _SEALING_HORIZON = timedelta(minutes=15)

    def __init__(self, settings: Settings, *, seal_wait: float | None = None) -> None:
        if not settings.kms_key_id:
            raise StoreError("JUBAO_KMS_KEY_ID is not set: blobs are written under SSE-KMS")
        self.table = settings.table
        self.region = settings.aws_region
        self.seal_wait = self.SEAL_WAIT_SECONDS if seal_wait is None else seal_wait
        self._lock = threading.Lock()
        self.uploads = S3Uploads(settings.bucket, settings.kms_key_id, lambda: self.s3)

    @property
    def bucket(self) -> str:
        return self.uploads.bucket

    @property
    def kms_key_id(self) -> str:
        return self.uploads.kms_key_id

    # -- clients, created on first use --------------------------------------------------

    @cached_property
    def _session(self) -> Any:
        import boto3

        return boto3.session.Session(region_name=self.region)

    def _config(self, **extra: Any) -> Any:
        from botocore.config import Config

        return Config(
            connect_timeout=3,
            read_timeout=20,
            retries={"mode": "standard", "max_attempts": 3},
            **extra,
        )

    @cached_property
    def ddb(self) -> DynamoDBClient:
        with self._lock:
            client: DynamoDBClient = self._session.client("dynamodb", config=self._config())
            return client

    @cached_property
    def s3(self) -> S3Client:
        with self._lock:
            client: S3Client = self._session.client(
                "s3", config=self._config(signature_version="s3v4")
            )
            return client

    # -- reads and writes shared by both halves ------------------------------------------

    def _transact(self, items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """Run a transaction; None if it committed, else the per-item cancellation reasons.

        Conflicts with a concurrent transaction on the same items are retried; a
        condition failure is returned for the caller to name.
        """
        errors = client_errors()
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                self.ddb.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
                return None
            except errors as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise StoreError("dynamodb transaction failed") from exc
                reasons: list[dict[str, Any]] = list(
                    getattr(exc, "response", {}).get("CancellationReasons") or []
                )
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                return reasons
            if not any(r.get("Code") == "TransactionConflict" for r in reasons):
                raise StoreError("dynamodb transaction cancelled")
            backoff(attempt)
        raise StoreError("dynamodb transaction kept conflicting")

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        try:
            response = self.ddb.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        except client_errors() as exc:
            raise StoreError("dynamodb read failed") from exc
        item = response.get("Item")
        return dict(item) if item else None

    def _query(self, **query: Any) -> Iterator[dict[str, Any]]:
        """Every item a DynamoDB query matches, following its pages."""
        return self._pages("query", query)

    def _report_items(self, number: str, prefix: str) -> Iterator[dict[str, Any]]:
        """The items of a report's partition whose sort key starts with ``prefix`` (its
        entries, wraps or audit pointers), read consistently, page by page."""
        return self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": s_attr(report_partition(number)),
                ":prefix": s_attr(prefix),
            },
            ConsistentRead=True,
        )

    def _pages(self, operation: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paginated DynamoDB ``query`` or ``scan``."""
        call = getattr(self.ddb, operation)
        start: dict[str, Any] | None = None
        while True:
            kwargs = {"TableName": self.table, **params}
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            try:
                page = call(**kwargs)
            except client_errors() as exc:
                raise StoreError(f"dynamodb {operation} failed") from exc
            for item in page.get("Items", []):
                yield dict(item)
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def _scan(self, **scan: Any) -> Iterator[dict[str, Any]]:
        """Every item a consistent DynamoDB scan reads, following its pages."""
        return self._pages("scan", {"ConsistentRead": True, **scan})

    def _batch_get(self, keys: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Items by (pk, sk), read consistently, in batches of 100, unprocessed retried."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for first in range(0, len(keys), BATCH_GET):
            pending: list[dict[str, Any]] = keys[first : first + BATCH_GET]
            for attempt in range(APPEND_ATTEMPTS):
                if not pending:
                    break
                try:
                    answer = self.ddb.batch_get_item(
                        RequestItems={self.table: {"Keys": pending, "ConsistentRead": True}}
                    )
                except client_errors() as exc:
                    raise StoreError("dynamodb read failed") from exc
                for item in answer.get("Responses", {}).get(self.table, []):
                    found[(req_str(dict(item), "pk"), req_str(dict(item), "sk"))] = dict(item)
                left = answer.get("UnprocessedKeys", {}).get(self.table)
                pending = list(left["Keys"]) if left else []
                if pending:
                    backoff(attempt)
            if pending:
                raise StoreError("dynamodb kept throttling a read")
        return found
