"""Backoff between retried writes, and what an AWS error was.

Shared by the table side (``store``) and the bucket side (``uploads``). botocore is
imported only when an error class is needed, i.e. around the first client call.
"""

from __future__ import annotations

import random
import time

# the codes S3 answers for a missing object (GetObject, HeadObject, DeleteObjectTagging)
MISSING = ("NoSuchKey", "404", "NotFound")


def backoff(attempt: int) -> None:
    """Exponential backoff with full jitter, so that retrying writers spread out."""
    time.sleep(min(0.25, 0.01 * 2**attempt) * random.random())  # noqa: S311 - not a secret


def error_code(exc: Exception) -> str:
    """The AWS error code of a ``ClientError`` ("" for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def client_errors() -> tuple[type[Exception], ...]:
    """The exceptions a boto3 call raises for a failed request."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)
