"""The S3 side of attachments: presigned uploads into ``staging/``, sealed files in ``sealed/``.

Uploads arrive in ``staging/{id}`` (presigned POST, plaintext protected only by SSE-KMS)
and are sealed and deleted by ``chalicelib.reports.attachments.seal_staged_object`` within
seconds. A sealed attachment is written to ``sealed/{id}`` with the ``UNCLAIMED_TAG``;
a claim removes the tag. The bucket is versioned, so deleting anything for good means
deleting every version of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..base import StoreError
from .layout import UNCLAIMED_TAG, sealed_key, staging_key
from .retry import MISSING, client_errors, error_code

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client


class S3Uploads:
    """The attachment objects in ``bucket``, written under SSE-KMS with ``kms_key_id``.

    ``client`` returns the S3 client; it is called on first use only, so that creating
    this object imports no boto3.
    """

    def __init__(self, bucket: str, kms_key_id: str, client: Callable[[], S3Client]) -> None:
        self.bucket = bucket
        self.kms_key_id = kms_key_id
        self._client = client

    @property
    def s3(self) -> S3Client:
        return self._client()

    # -- staged uploads (``ReportStore.staging``, used by chalicelib.reports.attachments) --

    def presigned_upload(
        self, attachment_id: str, content_type: str, max_bytes: int, expires_in: int
    ) -> tuple[str, dict[str, str]]:
        """A presigned POST for ``staging/{id}``: size range, type and SSE-KMS enforced.

        Every prefilled field is also a policy condition, so a browser cannot change
        the key, drop the encryption or choose another KMS key.
        """
        fields = {
            "Content-Type": content_type,
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": self.kms_key_id,
        }
        conditions: list[Any] = [
            ["content-length-range", 1, max_bytes],
            *({name: value} for name, value in fields.items()),
        ]
        try:
            post = self.s3.generate_presigned_post(
                Bucket=self.bucket,
                Key=staging_key(attachment_id),
                Fields=fields,
                Conditions=conditions,
                ExpiresIn=expires_in,
            )
        except client_errors() as exc:
            raise StoreError("upload could not be presigned") from exc
        return str(post["url"]), {str(k): str(v) for k, v in post["fields"].items()}

    def read_staged(self, attachment_id: str, limit: int) -> bytes | None:
        """At most ``limit`` bytes of a staged upload (None if absent): memory stays bounded."""
        return self._read(staging_key(attachment_id), limit)

    def discard_staged(self, attachment_id: str) -> None:
        """Delete a staged upload, every version of it.

        The bucket is versioned: a plain delete would only add a delete marker and keep
        the plaintext upload as a noncurrent version. Each pass deletes the current
        version by id; a key posted twice has two.
        """
        key = staging_key(attachment_id)
        errors = client_errors()
        for _ in range(10):
            try:
                head = self.s3.head_object(Bucket=self.bucket, Key=key)
            except errors as exc:
                if error_code(exc) in MISSING:
                    return
                raise StoreError("staged upload not inspected") from exc
            version = head.get("VersionId")
            try:
                if version and version != "null":
                    self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version)
                else:
                    self.s3.delete_object(Bucket=self.bucket, Key=key)
                    return
            except errors as exc:
                raise StoreError("staged upload not deleted") from exc
        raise StoreError("staged upload has too many versions")

    # -- sealed files -------------------------------------------------------------------

    def put_sealed(self, attachment_id: str, sealed: bytes) -> None:
        """Write ``sealed/{id}``, tagged unclaimed: the lifecycle expires it unless claimed."""
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=sealed_key(attachment_id),
                Body=sealed,
                ContentType="application/octet-stream",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self.kms_key_id,
                Tagging=UNCLAIMED_TAG,  # the lifecycle expires it unless a claim untags it
            )
        except client_errors() as exc:
            raise StoreError("sealed attachment not stored") from exc

    def read_sealed(self, attachment_id: str) -> bytes | None:
        return self._read(sealed_key(attachment_id), limit=None)

    def mark_claimed(self, attachment_id: str) -> None:
        """Remove the ``UNCLAIMED_TAG`` of a sealed file (nothing to do if it is absent)."""
        try:
            self.s3.delete_object_tagging(Bucket=self.bucket, Key=sealed_key(attachment_id))
        except client_errors() as exc:
            if error_code(exc) in MISSING:
                return  # no blob: nothing the lifecycle could take
            raise StoreError("sealed attachment could not be marked claimed") from exc

    def purge(self, attachment_id: str) -> None:
        """Delete every stored byte of an attachment: sealed file and staged upload."""
        self._delete_every_version(sealed_key(attachment_id))
        self._delete_every_version(staging_key(attachment_id))

    # -- helpers ------------------------------------------------------------------------

    def _delete_every_version(self, key: str) -> None:
        """Delete an object for good in the versioned bucket: versions and delete markers."""
        errors = client_errors()
        try:
            listing = self.s3.list_object_versions(Bucket=self.bucket, Prefix=key)
            versions = [
                v.get("VersionId") or "null"
                for v in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]
                if v.get("Key") == key
            ]
            for version in versions:
                self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version)
        except errors as exc:
            raise StoreError("stored object not purged") from exc

    def _read(self, key: str, limit: int | None) -> bytes | None:
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=key)
        except client_errors() as exc:
            if error_code(exc) in MISSING:
                return None
            raise StoreError("s3 read failed") from exc
        body = response["Body"]
        try:
            return body.read() if limit is None else body.read(limit)
        finally:
            body.close()
