"""The AWS store: report metadata and sealed text in DynamoDB, sealed files in S3 (SSE-KMS).

**What lives where, and why.**

* *DynamoDB, inline*: the report (routing metadata plus the sealed content and identity
  envelopes), the entries (supplements, feedback) and the idempotency records. The
  models bound these texts (a description is at most 5,000 characters, so a sealed
  content envelope stays under ~30 KB, far below the 400 KB item limit; a guard refuses
  anything above ``MAX_INLINE_BYTES``). Keeping them inline means:
  (1) ``create_report`` is one ``TransactWriteItems`` (report + idempotency record +
  attachment claims): nothing can be half-stored, and a receipt can never point at a
  blob that was not written; (2) the intake function answers ``/api/status`` (the report
  and the sealed feedback) with DynamoDB reads only, so its IAM role needs no
  ``s3:GetObject`` on stored data and no ``kms:Decrypt`` (``infra/policies.py``);
  (3) one round trip per status query. The table is encrypted at rest with the same
  KMS key, and every sealed value is already libsodium-sealed to an office key that
  AWS never sees.
* *S3, SSE-KMS with the configured key*: attachments (megabytes). A sealed attachment is
  written to ``sealed/{id}`` *before* the DynamoDB update marks its record ``sealed``,
  so a ``sealed`` record never points at a missing blob. Uploads arrive in
  ``staging/{id}`` (presigned POST, plaintext protected only by SSE-KMS) and are sealed
  and deleted by ``chalicelib.reports.attachments.seal_staged_object`` within seconds; the bucket
  lifecycle expires anything left in ``staging/`` after a day.

**Unclaimed files purge themselves.** The bucket's lifecycle (``infra/storage.json``)
expires ``staging/`` after a day, and every ``sealed/`` object carrying the tag
``UNCLAIMED_TAG`` after ``UNCLAIMED_SEALED_DAYS`` days; a claim removes the tag first.
Unclaimed attachment and idempotency records expire by DynamoDB TTL.

**The modules.**

* ``layout``: table schema, item keys, object keys, tag and lifecycle constants (what
  ``infra/storage.json`` and the IAM policies must agree with);
* ``codec``: records <-> DynamoDB items, the inline size guard;
* ``retry``: backoff and AWS error classification, shared by the next two;
* ``table``: ``AwsTable``, the clients (made on first use) and the paged, batched and
  transactional reads and writes both halves share;
* ``reports``: the ``ReportStore`` half (claims, transactions, entries, idempotency,
  purging); ``cases``: the ``CaseStore`` half (cases, wraps, audit logs and each case's
  pointers to its entries, checkpoints, nonces); ``store``: ``AwsStore``, the two;
* ``uploads``: ``S3Uploads``, the bucket side of attachments (presigned POST, staged
  uploads, sealed files), owned by ``AwsStore.uploads``.

boto3 is imported on first use only (cold start: importing it costs ~0.4 s); the
endpoint comes from the standard ``AWS_ENDPOINT_URL`` variable that boto3 honours, so
moto, MinIO or another S3/DynamoDB-compatible service can stand in for AWS.
"""

from __future__ import annotations

from .codec import MAX_INLINE_BYTES
from .layout import (
    SEALED_PREFIX,
    STAGING_DAYS,
    STAGING_PREFIX,
    TTL_ATTRIBUTE,
    UNCLAIMED_SEALED_DAYS,
    UNCLAIMED_TAG,
    UNCLAIMED_TAG_KEY,
    sealed_key,
    staging_key,
    table_schema,
)
from .store import AwsStore

__all__ = [
    "MAX_INLINE_BYTES",
    "SEALED_PREFIX",
    "STAGING_DAYS",
    "STAGING_PREFIX",
    "TTL_ATTRIBUTE",
    "UNCLAIMED_SEALED_DAYS",
    "UNCLAIMED_TAG",
    "UNCLAIMED_TAG_KEY",
    "AwsStore",
    "sealed_key",
    "staging_key",
    "table_schema",
]
