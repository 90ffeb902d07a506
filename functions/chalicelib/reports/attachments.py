"""Files of evidence: a ticket to upload, then checks, metadata removal and sealing.

The flow is the same locally and in AWS, only the transport differs:

1. ``request_upload`` (``POST /api/attachments``) checks the declared type and size,
   creates a *pending* attachment record bound to the office that handles the region,
   and returns an ``UploadTicket`` shaped like an S3 presigned POST.
2. The browser POSTs the file with the ticket's fields:
   * locally (SQLite store) to ``/api/uploads/{id}``, where ``receive_upload`` checks
     the ticket's MAC token and runs ``_seal_upload``; the plaintext stays in memory;
   * in AWS straight to S3 ``staging/{id}`` (SSE-KMS, size range enforced by the POST
     policy); the ObjectCreated event calls ``seal_staged_object``, which reads the
     object, runs the same ``_seal_upload`` and deletes every version of the staged
     object. Plaintext exists only there, only under SSE-KMS, only until it is sealed
     (seconds), and the bucket lifecycle removes leftovers after a day.
3. The report (or supplement) lists the attachment id and the store claims it.

``_seal_upload`` is the one place that decides what is stored: size within the ticket,
real type (magic bytes) compatible with the declared one and allowed, metadata removed
(``chalicelib.media``), sealed to the handling office's content key with the context
``attachment/{id}`` so a blob cannot be passed off as another.

In AWS a refused upload is deleted silently (the browser already got S3's 204); the
page checks type and size before uploading, so only forged or corrupt files meet that.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from .. import crypto, media
from ..config.settings import Settings
from ..errors import ApiError
from ..store.base import (
    AttachmentRecord,
    AttachmentState,
    AttachmentUnavailable,
    ReportStore,
    Staging,
)
from .intake import Intake, PostedFiles
from .models import UploadRequest, UploadTicket

# what may be uploaded: photos whose metadata media.py removes, videos and PDFs
ALLOWED: frozenset[str] = frozenset(
    {media.JPEG, media.PNG, media.WEBP, media.MP4, media.QUICKTIME, media.PDF}
)
# what people call them, in the order the form lists them
TYPE_NAMES: tuple[tuple[str, str], ...] = (
    (media.JPEG, "JPEG"),
    (media.PNG, "PNG"),
    (media.WEBP, "WebP"),
    (media.MP4, "MP4"),
    (media.QUICKTIME, "MOV"),
    (media.PDF, "PDF"),
)
# how long a ticket can be used to upload, and how long an unclaimed upload is kept
TICKET_TTL = timedelta(minutes=10)
UNCLAIMED_TTL = timedelta(hours=24)
ATTACHMENT_ID = re.compile(r"^[a-z0-9]{26}$")
_TOKEN_PURPOSE = b"upload-ticket"
_STAGED_KEY = re.compile(r"^staging/([a-z0-9]{26})$")


class UploadedFile(Protocol):
    """A file part of a no-JavaScript form post (``multipart.FilePart`` has this shape)."""

    @property
    def content_type(self) -> str: ...

    @property
    def data(self) -> bytes: ...


class SealResult(StrEnum):
    sealed = "sealed"
    rejected = "rejected"  # checked and refused (``SealOutcome.code`` says why)
    ignored = "ignored"  # not ours, unknown, or already handled


@dataclass(frozen=True)
class SealOutcome:
    """What happened to a staged upload, for one log line (never content)."""

    attachment_id: str | None
    result: SealResult
    code: str = ""  # the ApiError code when rejected


def size_text(size: int) -> str:
    """``size`` bytes in whole MB (MiB) or, under one, KB (KiB), rounded down: a file of
    the size said always passes."""
    mib, kib = 1024 * 1024, 1024
    if size >= mib:
        return f"{size // mib} MB"
    return f"{max(1, size // kib)} KB"


@dataclass(frozen=True)
class UploadLimits:
    """What a report or supplement may carry, as the settings configure it: the form
    states it before the file field and every refusal over it names the number."""

    max_bytes: int
    max_files: int

    @classmethod
    def of(cls, settings: Settings) -> UploadLimits:
        return cls(settings.max_attachment_bytes, settings.max_attachments)

    @property
    def size_text(self) -> str:
        """The size limit as people read it ("20 MB", "500 KB"), never rounded up."""
        return size_text(self.max_bytes)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(kind for kind, _ in TYPE_NAMES if kind in ALLOWED)

    @property
    def type_names(self) -> tuple[str, ...]:
        return tuple(name for kind, name in TYPE_NAMES if kind in ALLOWED)


def too_large(max_bytes: int) -> ApiError:
    """The refusal of a file over ``max_bytes``, which it names in MB."""
    return ApiError("attachment_too_large", limits={"max_size": size_text(max_bytes)})


def new_attachment_id() -> str:
    """26 lower-case base-32 characters: 130 random bits."""
    return base64.b32encode(crypto.random_bytes(20)).decode("ascii").lower()[:26]


def _check_declared(content_type: str, size: int, settings: Settings) -> str:
    declared = media.normalise(content_type)
    if declared not in ALLOWED:
        raise ApiError("attachment_type")
    if size > settings.max_attachment_bytes:
        raise too_large(settings.max_attachment_bytes)
    return declared


def _new_record(intake: Intake, region: str, declared: str, max_bytes: int) -> AttachmentRecord:
    unit = intake.unit_for(region)
    now = intake.now()
    record = AttachmentRecord(
        attachment_id=new_attachment_id(),
        region=region,
        unit=unit.code,
        content_type=declared,
        max_bytes=max_bytes,
        created_at=now,
        expires_at=now + UNCLAIMED_TTL,
    )
    intake.store.create_attachment(record)
    return record


# ---- 1. the ticket ------------------------------------------------------------------------


def upload_token(key: bytes, attachment_id: str, expires: int, max_bytes: int) -> str:
    """The local ticket's MAC over what the upload may be: which record, until when, how big."""
    message = f"{attachment_id}\n{expires}\n{max_bytes}".encode("ascii")
    mac = crypto.keyed_hash(key, message, _TOKEN_PURPOSE)
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def request_upload(
    intake: Intake,
    request: UploadRequest,
    settings: Settings,
    base_url: str = "",
) -> UploadTicket:
    """A place to upload one file of evidence (``POST /api/attachments``).

    Where the store has a staging place (S3), the browser uploads there directly;
    otherwise to this API. ``base_url`` prefixes the local upload address (empty: same
    origin as the API).
    """
    declared = _check_declared(request.content_type, request.size, settings)
    record = _new_record(intake, request.region, declared, request.size)
    expires_at = intake.now() + TICKET_TTL
    staging = intake.store.staging
    if staging is not None:
        url, fields = staging.presigned_upload(
            record.attachment_id, declared, record.max_bytes, int(TICKET_TTL.total_seconds())
        )
    else:
        expires = int(expires_at.timestamp())
        url = f"{base_url.rstrip('/')}/api/uploads/{record.attachment_id}"
        fields = {
            "expires": str(expires),
            "token": upload_token(
                intake.upload_key, record.attachment_id, expires, record.max_bytes
            ),
        }
    return UploadTicket(
        attachment_id=record.attachment_id,
        url=url,
        method="POST",
        fields=fields,
        max_bytes=record.max_bytes,
        expires_at=expires_at,
    )


# ---- 2. receiving and sealing -------------------------------------------------------------


def _pending(store: ReportStore, attachment_id: str, now: datetime) -> AttachmentRecord:
    record = store.get_attachment(attachment_id) if ATTACHMENT_ID.match(attachment_id) else None
    if record is None or record.state != AttachmentState.pending or record.expires_at <= now:
        raise ApiError("attachment_unknown")
    return record


def _clean_upload(declared: str, max_bytes: int, data: bytes) -> bytes:
    """The bytes that may be stored for a file declared as ``declared``: checked, cleaned.

    Nothing passes that is larger than its ticket, of another type than declared, of a
    type not allowed, or not structurally a file of its type (``attachment_damaged``:
    a truncated photo, a 3-byte "JPEG").
    """
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    sniffed = media.sniff(data)
    if sniffed is None or sniffed not in ALLOWED or not media.compatible(declared, sniffed):
        raise ApiError("attachment_type")
    try:
        media.check_structure(data, sniffed)
        return media.strip_metadata(data, sniffed)
    except media.MediaError:
        raise ApiError("attachment_damaged") from None


def _store_clean(intake: Intake, record: AttachmentRecord, clean: bytes) -> int:
    """Seal cleaned bytes to the record's office and store them. Returns the stored size."""
    unit = intake.office.units_by_code.get(record.unit)
    if unit is None or not unit.content_key:
        raise ApiError("service_unavailable")  # configuration: the unit lost its key
    sealed = crypto.seal(clean, [unit.content_key], f"attachment/{record.attachment_id}")
    try:
        intake.store.put_sealed_attachment(record.attachment_id, sealed.to_bytes(), len(clean))
    except AttachmentUnavailable:
        raise ApiError("attachment_unknown") from None
    return len(clean)


def _seal_upload(intake: Intake, record: AttachmentRecord, data: bytes) -> int:
    """Check, clean and seal one received file; store it. Returns the stored size.

    The single gate for both transports (``_clean_upload`` decides what may be stored).
    """
    return _store_clean(intake, record, _clean_upload(record.content_type, record.max_bytes, data))


def receive_upload(
    intake: Intake,
    attachment_id: str,
    fields: dict[str, str],
    data: bytes,
    content_type: str | None = None,
) -> AttachmentRecord:
    """The local stand-in for S3 (``POST /api/uploads/{id}``): verify the ticket, seal.

    ``content_type`` (the part's header) is not trusted, as S3 does not trust it: the
    ticket's declared type and the bytes themselves decide.
    """
    del content_type
    now = intake.now()
    record = _pending(intake.store, attachment_id, now)
    try:
        expires = int(fields.get("expires", ""))
    except ValueError:
        raise ApiError("attachment_unknown") from None
    expected = upload_token(intake.upload_key, record.attachment_id, expires, record.max_bytes)
    token = fields.get("token", "")
    if not crypto.equal(token.encode("ascii", "replace"), expected.encode("ascii")):
        raise ApiError("attachment_unknown")
    if expires <= now.timestamp():
        raise ApiError("attachment_unknown")
    _seal_upload(intake, record, data)
    sealed = intake.store.get_attachment(record.attachment_id)
    if sealed is None:  # pragma: no cover - just written
        raise ApiError("service_unavailable")
    return sealed


def seal_staged_object(intake: Intake, bucket: str, key: str) -> SealOutcome:
    """Handle S3's ObjectCreated event for ``staging/{id}``: seal, store, delete the upload.

    Safe to run twice for one event (S3 delivers at least once): a record that is no
    longer pending is left alone and the staged object is deleted.
    """
    staging: Staging | None = intake.store.staging
    match = _STAGED_KEY.match(key)
    if staging is None or bucket != staging.bucket or match is None:
        return SealOutcome(None, SealResult.ignored)
    attachment_id = match.group(1)
    try:
        record = _pending(intake.store, attachment_id, intake.now())
        data = staging.read_staged(attachment_id, record.max_bytes + 1)
        if data is None:
            return SealOutcome(attachment_id, SealResult.ignored, "attachment_unknown")
        _seal_upload(intake, record, data)
        del data
    except ApiError as error:
        staging.discard_staged(attachment_id)
        return SealOutcome(attachment_id, SealResult.rejected, error.code)
    staging.discard_staged(attachment_id)
    return SealOutcome(attachment_id, SealResult.sealed)


# ---- files posted with the no-JavaScript form ---------------------------------------------


def accept_form_files(
    intake: Intake,
    files: Sequence[UploadedFile],
    region: str,
    settings: Settings,
) -> list[str]:
    """Seal files that came inside a form post; returns their ids for the report to claim.

    Same limits and the same checks as uploads with a ticket; the part's declared type
    is what the browser says, and must match the bytes. Every file is checked and
    cleaned before the first is stored: one bad file in a post stores none of them.
    """
    intake.check_count(len(files))
    cleaned: list[tuple[str, bytes, int]] = []
    for file in files:
        declared = _check_declared(file.content_type, len(file.data), settings)
        size = max(1, len(file.data))
        cleaned.append((declared, _clean_upload(declared, size, file.data), size))
    intake.unit_for(region)  # an unknown region stores nothing either
    ids: list[str] = []
    for declared, clean, size in cleaned:
        record = _new_record(intake, region, declared, size)
        _store_clean(intake, record, clean)
        ids.append(record.attachment_id)
    return ids


def posted_files(
    intake: Intake, files: Sequence[UploadedFile], settings: Settings
) -> PostedFiles | None:
    """A form post's files, to be stored by ``Intake.submit``/``supplement`` only once
    the rest of the post has been accepted (never for a refused post)."""
    if not files:
        return None
    digest = hashlib.blake2b(digest_size=32)
    for file in files:
        kind = file.content_type.encode("utf-8", "replace")
        digest.update(len(kind).to_bytes(4, "big") + kind)
        digest.update(len(file.data).to_bytes(8, "big") + hashlib.blake2b(file.data).digest())

    def store(region: str) -> list[str]:
        try:
            return accept_form_files(intake, files, region, settings)
        except ApiError as error:  # say which field, so the form can mark it
            if error.fields or error.code == "service_unavailable":
                raise
            raise error.on_field("attachments") from None

    return PostedFiles(count=len(files), digest=digest.digest(), store=store)
