"""The storage contract. Everything stored is either sealed or needed before decryption.

Clear fields (why each is clear is in docs/architecture.md): the public report number,
kind, region, industry, handling unit, poster tag, status, timestamps and deadlines, the
keyed hash of the receipt, and the reporter's *public* feedback key. Report content,
reporter identity, supplements, feedback and attachments are opaque sealed bytes here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from ..cases.status import ReportStatus
from ..reports.models import ReportKind


class StoreError(Exception):
    """The store could not do what was asked (unavailable, corrupt). Never user data."""


class NumberTaken(StoreError):
    """A report with this public number exists; the caller draws another number."""


class AttachmentUnavailable(StoreError):
    """An attachment is unknown, not sealed, expired or already claimed (or sealed twice).

    Only a *sealed* file can be claimed: a pending record is a ticket, not a file, and
    a report that claimed one would list evidence that may never arrive. In AWS the
    sealing runs on the S3 event, seconds after the browser's upload; the AWS store
    waits a few seconds for it before refusing (``AwsStore.SEAL_WAIT_SECONDS``).
    """


class EntryKind(StrEnum):
    """What a sealed entry of a report is."""

    supplement = "supplement"  # from the reporter, sealed to the office
    feedback = "feedback"  # from the office, sealed to the reporter


class AttachmentState(StrEnum):
    pending = "pending"  # a ticket was issued; no file yet
    sealed = "sealed"  # the file arrived, was cleaned and sealed


@dataclass(frozen=True)
class IdempotencyRecord:
    """Lets a retried submission get its first receipt back.

    ``key_hash`` is a keyed hash of the client's idempotency key; ``body_hash`` a keyed
    hash of the request body (a reused key with another body is a conflict);
    ``sealed_receipt`` is the receipt encrypted under a key derived from the client's
    idempotency key, which the server does not keep.
    """

    key_hash: bytes
    body_hash: bytes
    report_number: str
    sealed_receipt: bytes
    expires_at: datetime


class IdempotencyReplay(StoreError):
    """The idempotency key was used before; carries the first record."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__("idempotency key already used")
        self.record = record


@dataclass(frozen=True)
class ReportRecord:
    number: str
    receipt_mac: bytes
    received_at: datetime
    kind: ReportKind
    region: str
    industry: str
    unit: str  # code of the office the report is sealed to
    source: str | None
    status: ReportStatus
    acceptance_due: date
    verification_due: date | None
    reporter_key: str  # base64 X25519 public key derived from the receipt secret
    content: bytes  # sealed envelope (office content key)
    identity: bytes | None  # sealed envelope (custodian key), None when anonymous
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """A sealed item attached to a report: a reporter supplement or office feedback."""

    report_number: str
    kind: EntryKind
    at: datetime
    sealed: bytes
    attachments: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AttachmentRecord:
    """An uploaded file of evidence, sealed once received."""

    attachment_id: str
    region: str
    unit: str
    content_type: str
    max_bytes: int
    created_at: datetime
    expires_at: datetime  # an unclaimed upload is forgotten after this
    state: AttachmentState = AttachmentState.pending
    report_number: str | None = None  # set when a report or supplement claims it
    size: int | None = None


class Staging(Protocol):
    """Where browsers upload files for a store that seals them later (S3 ``staging/``).

    A store without one (SQLite) receives uploads through the API itself
    (``POST /api/uploads/{id}``) and seals them in that request.
    """

    @property
    def bucket(self) -> str: ...

    def presigned_upload(
        self, attachment_id: str, content_type: str, max_bytes: int, expires_in: int
    ) -> tuple[str, dict[str, str]]:
        """The URL and form fields of a direct upload (an S3 presigned POST)."""
        ...

    def read_staged(self, attachment_id: str, limit: int) -> bytes | None:
        """At most ``limit`` bytes of a staged upload; None if there is none."""
        ...

    def discard_staged(self, attachment_id: str) -> None:
        """Delete a staged upload (every version of it)."""
        ...


class ReportStore(ABC):
    """The contract both stores pass (tests/store/test_contract.py)."""

    @property
    def staging(self) -> Staging | None:
        """Where browsers upload directly, if this store has such a place."""
        return None

    # Whether uploads are sealed by another process after their ticket (on AWS, the
    # sealer runs on S3's event, a moment after the browser's upload). Then a file still
    # ``pending`` when a report claims it may yet arrive, and the store's claim waits for
    # it; where uploads are sealed in the request that receives them, it never will.
    seals_later: bool = False

    @abstractmethod
    def create_report(
        self, report: ReportRecord, idempotency: IdempotencyRecord | None = None
    ) -> None:
        """Store a new report, durably, before returning.

        Atomic with the idempotency record. Raises ``NumberTaken`` or
        ``IdempotencyReplay`` (with the existing record) or ``AttachmentUnavailable``,
        and then stores nothing. Claims (links) the report's attachments in the same step.
        """

    @abstractmethod
    def get_report(self, number: str) -> ReportRecord | None: ...

    @abstractmethod
    def iter_reports(self) -> Iterator[ReportRecord]:
        """All reports, oldest first (officers' listing and statistics)."""

    @abstractmethod
    def update_status(
        self, number: str, status: ReportStatus, verification_due: date | None = None
    ) -> None: ...

    @abstractmethod
    def add_entry(self, entry: Entry) -> None: ...

    @abstractmethod
    def list_entries(self, number: str, kind: EntryKind | None = None) -> list[Entry]: ...

    @abstractmethod
    def get_idempotency(self, key_hash: bytes) -> IdempotencyRecord | None: ...

    # attachments: the record, then the sealed blob, then linking at report creation
    @abstractmethod
    def create_attachment(self, record: AttachmentRecord) -> None: ...

    @abstractmethod
    def get_attachment(self, attachment_id: str) -> AttachmentRecord | None: ...

    @abstractmethod
    def put_sealed_attachment(self, attachment_id: str, sealed: bytes, size: int) -> None:
        """Store the sealed blob and mark the record ``sealed`` (only from ``pending``)."""

    @abstractmethod
    def get_sealed_attachment(self, attachment_id: str) -> bytes | None: ...

    @abstractmethod
    def purge_uploads(self, now: datetime) -> int:
        """Delete unclaimed uploads that expired at or before ``now``; return how many.

        Removes the record and every stored byte of it (sealed blob, staged upload).
        A claimed attachment is never touched. Safe to call concurrently with intake:
        a file is either claimed or purged, never both (each implementation says how).
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
