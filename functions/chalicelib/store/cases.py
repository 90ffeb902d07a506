"""Records of the officers' side: case records, grants (wrapped keys), the audit log.

A *case record* is kept apart from the immutable report: the report is what the citizen
sent (sealed); the case is what officers do with it (state, version, deadline, who may
open it). Every change to a case is conditional on the version the officer saw, so two
officers can never overwrite each other's work, and commits in the same transaction as
the audit entry that records it.

Nothing here is secret: wrapped keys are sealed boxes to officers' public keys, audit
entries hold no report content. Everything here is still kept off the public door.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from ..cases.status import ReportStatus
from ..reports.models import ReportKind
from .base import Entry, StoreError

# Blob names inside one case: what a wrapped key opens.
CONTENT_BLOB = "content"


def entry_blob(entry_id: str) -> str:
    """The blob name of a supplement (or other sealed entry) of a case."""
    return f"entry:{entry_id}"


def attachment_blob(attachment_id: str) -> str:
    return f"attachment:{attachment_id}"


OPEN_STATES = frozenset(
    {ReportStatus.received, ReportStatus.accepted, ReportStatus.extended}
)  # a case in one of these still has a deadline running


class VersionConflict(StoreError):
    """The case changed since the officer read it (another officer acted first)."""


class CaseUnknown(StoreError):
    """No case with this number."""


@dataclass(frozen=True)
class CaseRecord:
    """What officers see of a case before decrypting anything (metadata only)."""

    number: str
    unit: str  # the handling unit's code
    kind: ReportKind
    region: str
    industry: str
    state: ReportStatus
    version: int  # 1 when the report arrives; +1 per change
    received_at: datetime
    updated_at: datetime
    next_deadline: date | None  # None once no deadline runs (closed cases)
    assignees: tuple[str, ...] = ()  # officers with an active grant
    excluded: tuple[str, ...] = ()  # officers who may never be granted it (conflict)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


@dataclass(frozen=True)
class Wrap:
    """A report's data key wrapped to one officer's key, made on an officer's machine.

    ``blob`` names what it opens (``content``, ``entry:<id>``, ``attachment:<id>``);
    ``key_id`` is the fingerprint (``crypto.key_id``) of the public key it is wrapped to.
    """

    number: str
    blob: str
    officer: str
    key_id: str
    wrapped: str  # base64 sealed box of the data key


@dataclass(frozen=True)
class AuditRecord:
    """One leaf of a unit's audit log: the entry's canonical bytes and its leaf hash."""

    log: str  # the unit's code: one append-only tree per unit
    index: int
    leaf_hash: bytes
    entry: bytes


# Called by the store inside the transaction that appends: given the entry's index and
# the previous leaf's hash (b"" for the first), returns (entry bytes, leaf hash). The
# store calls it again if another writer appended first (the index moved on).
AuditBuilder = Callable[[int, bytes], tuple[bytes, bytes]]


@dataclass(frozen=True)
class AuditAppend:
    log: str
    build: AuditBuilder
    case: str | None = None  # the case the entry is about: indexed for ``case_audit``


@dataclass(frozen=True)
class CaseChange:
    """One conditional change to a case (applied with its audit entry, or not at all)."""

    number: str
    expected_version: int
    at: datetime
    state: ReportStatus | None = None  # None: unchanged
    next_deadline: date | None = None
    clear_deadline: bool = False  # set next_deadline to None
    grant: tuple[str, ...] = ()  # officers added to assignees
    revoke: tuple[str, ...] = ()  # officers removed; their wraps are deleted
    exclude: tuple[str, ...] = ()  # officers added to excluded
    wraps: tuple[Wrap, ...] = field(default_factory=tuple)  # stored with the change


@dataclass(frozen=True)
class CheckpointRecord:
    """A signed checkpoint of a unit's log (C2SP signed note, cosignatures appended)."""

    log: str
    size: int
    root: bytes
    note: str
    created_at: datetime


class CaseStore(ABC):
    """The officers' half of the storage contract; both stores implement it with
    ``ReportStore`` (tests/store/test_case_contract.py runs one suite on both).

    ``create_report`` (``ReportStore``) also creates the case record, in the same
    transaction: state ``received``, version 1, the acceptance due date as deadline.
    """

    @abstractmethod
    def get_case(self, number: str) -> CaseRecord | None: ...

    @abstractmethod
    def list_cases(
        self, unit: str, *, open_only: bool = True, limit: int = 50, after: str | None = None
    ) -> tuple[list[CaseRecord], str | None]:
        """One unit's cases by next deadline (then number), a page at a time.

        Returns the page and an opaque cursor for the next page (None at the end). Cases
        without a deadline sort last. Served from an index; never reads sealed content.
        """

    @abstractmethod
    def apply_case_change(self, change: CaseChange, audit: AuditAppend) -> CaseRecord:
        """Apply ``change`` if the case is still at ``expected_version``; append the audit
        entry in the same transaction. Returns the new record (version + 1).

        Raises ``CaseUnknown`` or ``VersionConflict``, and then changes nothing.
        """

    @abstractmethod
    def list_wraps(self, number: str, officer: str) -> list[Wrap]:
        """The wrapped keys of one case stored for one officer (grants not revoked)."""

    @abstractmethod
    def list_entries_with_ids(self, number: str) -> list[tuple[str, Entry]]:
        """The sealed entries of a report with the stable ids that name their blobs."""

    @abstractmethod
    def append_audit(self, audit: AuditAppend) -> AuditRecord:
        """Append one entry to a unit's log (for reads and refusals, which change
        nothing else), atomically with respect to other appends to that log."""

    @abstractmethod
    def audit_size(self, log: str) -> int: ...

    @abstractmethod
    def audit_records(self, log: str, start: int = 0, end: int | None = None) -> list[AuditRecord]:
        """Entries ``start`` .. ``end - 1`` of a unit's log, in order."""

    @abstractmethod
    def case_audit(self, number: str, limit: int) -> list[AuditRecord]:
        """The last ``limit`` entries about one case, oldest first (by log, then index).

        Read through an index written with each entry, so a case's history costs what
        the case has, not what its unit's whole log has grown to.
        """

    @abstractmethod
    def put_checkpoint(self, record: CheckpointRecord) -> None:
        """Store a checkpoint; a later one for the same size replaces it only to add
        cosignatures (same root). Refuses (StoreError) a root that differs from a
        stored checkpoint of the same size."""

    @abstractmethod
    def latest_checkpoint(self, log: str) -> CheckpointRecord | None: ...

    @abstractmethod
    def list_checkpoints(self, log: str) -> list[CheckpointRecord]:
        """All checkpoints of a log, smallest size first."""

    @abstractmethod
    def remember_nonce(self, nonce_hash: bytes, expires_at: datetime, now: datetime) -> bool:
        """Record a signed request's nonce; False if it was seen and has not expired.

        Atomic: of two concurrent calls with one nonce, exactly one gets True. Expired
        nonces may be purged (``purge_nonces``) or overwritten.
        """

    @abstractmethod
    def purge_nonces(self, now: datetime) -> int: ...
