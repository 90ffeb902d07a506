"""Receiving reports: validate, seal, store, answer with a receipt. No framework here.

The order of work in ``submit`` is the confidentiality argument in code: the request is
validated into a model, the content is sealed to the handling office and the identity to
the custodian, and only sealed bytes plus routing metadata reach the store. The receipt
secret is returned once and never stored; only its keyed hash is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from .. import crypto, tags
from ..cases import deadlines
from ..cases.status import ReportStatus, label
from ..clock import Clock, system_clock
from ..config.office import OfficeConfig, Unit
from ..errors import ApiError, FieldError, catalogue_messages
from ..receipts import MalformedReceipt, Receipt
from ..store.base import (
    AttachmentState,
    AttachmentUnavailable,
    Entry,
    EntryKind,
    IdempotencyRecord,
    IdempotencyReplay,
    NumberTaken,
    ReportRecord,
    ReportStore,
)
from ..store.cases import CaseStore
from .models import (
    DeadlineInfo,
    FeedbackItem,
    ReceiptResponse,
    ReportKind,
    ReportSubmission,
    StatusQuery,
    StatusResponse,
    Supplement,
)
from .validation import canonical, parse

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9-]{16,64}", re.ASCII)  # matched whole
EXPLICIT_KEY_TTL = timedelta(hours=24)
# a resubmission of the very same body (a double click without JavaScript) gets the
# first receipt back for this long
IMPLICIT_KEY_TTL = timedelta(hours=1)
_NUMBER_ATTEMPTS = 8
# a claimed file that vanished or expired meanwhile: named, so the reporter chooses it again
_UNAVAILABLE_FILE = FieldError(
    "attachments", "attachment_unknown", catalogue_messages("attachment_unknown")
)


@dataclass(frozen=True)
class PostedFiles:
    """Files that came inside a no-JavaScript form post, not yet stored.

    ``store`` checks, cleans, seals and stores them for a region and returns their ids;
    ``submit`` and ``supplement`` call it only after everything else was accepted, so
    a refused post (invalid, a bot, a conflict, a replay) leaves nothing behind.
    ``digest`` identifies the files in the replay check: the same text with other
    files is not a double click.
    """

    count: int
    digest: bytes
    store: Callable[[str], list[str]]


@dataclass(frozen=True)
class SubmitResult:
    response: ReceiptResponse
    replayed: bool


@dataclass
class Intake:
    office: OfficeConfig
    store: ReportStore
    receipt_key: bytes
    tag_key: bytes
    clock: Clock = field(default=system_clock)
    max_attachments: int = 5  # files per report or supplement (settings.max_attachments)

    # -- routing -------------------------------------------------------------------------

    def handling_unit(self, region: str) -> Unit:
        """The office a report of ``region`` is sealed to: nearest ancestor with keys."""
        for candidate in self.office.region_chain(region):
            unit = self.office.units_by_code.get(candidate.code)
            if unit is not None and unit.content_key and unit.custodian_key:
                return unit
        raise ApiError("service_unavailable")  # a configuration error: no key to seal to

    # -- keys ----------------------------------------------------------------------------
    # ``receipt_key`` hashes receipts (the stored MACs depend on it: never derived);
    # idempotency records and upload tickets each get a key derived for them alone.

    @cached_property
    def idempotency_key(self) -> bytes:
        return crypto.derive_key(self.receipt_key, b"idempotency")

    @cached_property
    def upload_key(self) -> bytes:
        return crypto.derive_key(self.receipt_key, b"upload-ticket")

    def unit_for(self, region: str) -> Unit:
        """``handling_unit`` of a region the client named: an unknown one is a field error."""
        if region not in self.office.regions_by_code:
            raise ApiError("validation_failed", [FieldError("region", "unknown_region")])
        return self.handling_unit(region)

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    # -- files a report claims -----------------------------------------------------------

    def check_count(self, count: int) -> None:
        """Refuse more files than a report or supplement may have."""
        if count > self.max_attachments:
            raise ApiError("too_many_attachments", limits={"max_files": self.max_attachments})

    def check_claims(self, attachment_ids: Sequence[str], region: str) -> None:
        """Refuse a report's attachment list before storing it.

        Each file must exist, be sealed (a ticket whose upload never arrived is not a
        file), unexpired and unclaimed; the count is bounded, and every file must be
        sealed to the office that will handle the report (a file for another region
        could not be opened). Where the store seals uploads later (AWS), a pending file
        may still arrive: it passes here, and the store's claim waits for its sealing or
        refuses it.
        """
        self.check_count(len(attachment_ids))
        unit = self.unit_for(region)
        now = self.now()
        may_arrive = {AttachmentState.sealed}
        if self.store.seals_later:
            may_arrive.add(AttachmentState.pending)
        for attachment_id in attachment_ids:
            record = self.store.get_attachment(attachment_id)
            if (
                record is None
                or record.state not in may_arrive  # a ticket whose file never arrived
                or record.report_number is not None
                or record.expires_at <= now
                or record.unit != unit.code
            ):
                raise ApiError("attachment_unknown")

    # -- submit --------------------------------------------------------------------------

    def submit(
        self,
        payload: Any,
        idempotency_key: str | None = None,
        *,
        client: str | None = None,
        files: PostedFiles | None = None,
    ) -> SubmitResult:
        """Validate, seal and store one report.

        ``client`` (the source address, only ever hashed) binds the implicit replay: the
        same body from the same client within an hour gets its receipt back, the same
        body from anyone else is a new report. ``files`` came inside a form post; they
        are stored only once everything else about the report has been accepted.
        """
        submission = parse(ReportSubmission, payload, self.office)
        if submission.website:
            raise ApiError("bot_suspected")
        posted = files.count if files is not None else 0
        if posted:
            self._check_count(len(submission.attachments) + posted)
        body = canonical(payload) + (b"\0files\0" + files.digest if files and posted else b"")
        key_material, ttl, key_kind = self._idempotency_material(idempotency_key, body, client)
        key_hash = crypto.keyed_hash(self.idempotency_key, key_material, key_kind)
        body_hash = crypto.keyed_hash(self.idempotency_key, body, b"idem-body")
        seal_key = crypto.keyed_hash(self.idempotency_key, key_material, b"idem-seal")

        existing = self.store.get_idempotency(key_hash)
        if existing is not None:  # before the claim check: a replay's files are claimed
            return self._replay(existing, body_hash, seal_key, submission.source)
        self._check_attachments(submission.attachments, submission.region)

        unit = self.handling_unit(submission.region)
        if files is not None and posted:  # the last check passed: now the files are kept
            stored = files.store(submission.region)
            submission = submission.model_copy(
                update={"attachments": [*submission.attachments, *stored]}
            )
        tag = tags.verify(submission.source, self.tag_key) if submission.source else None
        now = self.clock()
        for _ in range(_NUMBER_ATTEMPTS):
            receipt = Receipt.new()
            record = self._record(submission, receipt, unit, tag, now)
            idem = IdempotencyRecord(
                key_hash=key_hash,
                body_hash=body_hash,
                report_number=receipt.number,
                sealed_receipt=crypto.secret_seal(
                    seal_key, receipt.compact.encode("ascii"), "idempotency"
                ),
                expires_at=now + ttl,
            )
            try:
                self.store.create_report(record, idem)
            except NumberTaken:
                continue
            except IdempotencyReplay as replay:  # a concurrent retry won the race
                return self._replay(replay.record, body_hash, seal_key, submission.source)
            except AttachmentUnavailable:
                raise ApiError("validation_failed", [_UNAVAILABLE_FILE]) from None
            return SubmitResult(self._receipt_response(receipt, record, tag), replayed=False)
        raise ApiError("service_unavailable")

    def _check_count(self, count: int) -> None:
        try:
            self.check_count(count)
        except ApiError as error:
            raise error.on_field("attachments") from None

    def _check_attachments(self, ids: list[str], region: str) -> None:
        """Count, and every file sealed to the office that will handle the report."""
        if ids:
            try:
                self.check_claims(ids, region)
            except ApiError as error:  # say which field, so a form can mark it
                raise error.on_field("attachments") from None

    def _idempotency_material(
        self, idempotency_key: str | None, body: bytes, client: str | None = None
    ) -> tuple[bytes, timedelta, bytes]:
        if idempotency_key is None:
            # the implicit key is the body *and who sent it*: otherwise anyone who can
            # guess a report's text gets its receipt, secret included
            who = (client or "").encode("utf-8", "replace")
            client_hash = crypto.keyed_hash(self.idempotency_key, who, b"idem-client")
            return client_hash + b"\0" + body, IMPLICIT_KEY_TTL, b"idem-implicit"
        if not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise ApiError("idempotency_key_invalid")
        return idempotency_key.encode("ascii"), EXPLICIT_KEY_TTL, b"idem-key"

    def _replay(
        self, record: IdempotencyRecord, body_hash: bytes, seal_key: bytes, source: str | None
    ) -> SubmitResult:
        """The first answer again. ``source`` is this request's tag: the body hashes match,
        so it is the first request's, whereas the stored form lost the MAC (and, at coarser
        granularity, the place), so it cannot name the poster's issuer again."""
        if not crypto.equal(record.body_hash, body_hash):
            raise ApiError("idempotency_conflict")
        receipt = Receipt.parse(
            crypto.secret_open(seal_key, record.sealed_receipt, "idempotency").decode("ascii")
        )
        report = self.store.get_report(record.report_number)
        if report is None:  # pragma: no cover - the two are written atomically
            raise ApiError("service_unavailable")
        tag = tags.verify(source, self.tag_key) if source else None
        return SubmitResult(self._receipt_response(receipt, report, tag), replayed=True)

    def _record(
        self,
        submission: ReportSubmission,
        receipt: Receipt,
        unit: Unit,
        tag: tags.TagInfo | None,
        now: datetime,
    ) -> ReportRecord:
        number = receipt.number
        content = dict(submission.sealed_content(), received_at=now.isoformat())
        content["attachments"] = list(submission.attachments)
        identity = None
        if submission.reporter is not None:
            identity = crypto.seal(
                canonical(submission.reporter.model_dump(mode="json")),
                [unit.custodian_key],
                f"{number}/identity",
            ).to_bytes()
        _, reporter_public = receipt.reporter_keypair()
        return ReportRecord(
            number=number,
            receipt_mac=receipt.mac(self.receipt_key),
            received_at=now,
            kind=submission.kind,
            region=submission.region,
            industry=submission.industry,
            unit=unit.code,
            source=tags.stored_form(tag, self.office.posters.tag_granularity),
            status=ReportStatus.received,
            acceptance_due=deadlines.acceptance_due(now, self.office.rules.deadlines),
            verification_due=None,
            reporter_key=reporter_public,
            content=crypto.seal(
                canonical(content), [unit.content_key], f"{number}/content"
            ).to_bytes(),
            identity=identity,
            attachments=tuple(submission.attachments),
        )

    def _receipt_response(
        self, receipt: Receipt, record: ReportRecord, tag: tags.TagInfo | None
    ) -> ReceiptResponse:
        zh, en = label(record.status)
        unit = self.office.units_by_code[record.unit]
        return ReceiptResponse(
            receipt=str(receipt),
            report_number=record.number,
            received_at=record.received_at,
            status=record.status,
            status_label=zh,
            status_label_en=en,
            acceptance_due=self._public_acceptance_due(record),
            handling_unit=unit.name,
            source_issuer=tags.issuer(tag, self.office) if tag else None,
        )

    def _public_acceptance_due(self, record: ReportRecord) -> date | None:
        """The acceptance due date as the public may see it: only as the office's own
        commitment (the case clock keeps it regardless)."""
        promised = deadlines.acceptance_promised(self.office.rules.deadlines)
        return record.acceptance_due if promised else None

    # -- receipt holders -----------------------------------------------------------------

    def authenticate(self, receipt_text: str) -> tuple[Receipt, ReportRecord]:
        """The report a receipt opens. Wrong and unknown receipts fail the same way."""
        try:
            receipt = Receipt.parse(receipt_text)
        except MalformedReceipt:
            raise ApiError("receipt_malformed") from None
        mac = receipt.mac(self.receipt_key)
        report = self.store.get_report(receipt.number)
        stored = report.receipt_mac if report is not None else b"\0" * len(mac)
        if report is None or not crypto.equal(stored, mac):
            raise ApiError("receipt_invalid")
        return receipt, report

    def status(self, payload: Any) -> StatusResponse:
        return self.lookup(payload)[1]

    def lookup(self, payload: Any) -> tuple[Receipt, StatusResponse]:
        """``status``, with the receipt as parsed: a page shows it in its printed form,
        never as typed."""
        query = parse(StatusQuery, payload, self.office)
        receipt, report = self.authenticate(query.receipt)
        return receipt, self.status_of(receipt, report)

    def status_of(self, receipt: Receipt, report: ReportRecord) -> StatusResponse:
        """What the receipt holder sees: one read of the report's entries, feedback opened."""
        private, _ = receipt.reporter_keypair()
        entries = self.store.list_entries(report.number)
        feedback = [
            FeedbackItem(
                at=entry.at,
                text=crypto.open_envelope(
                    crypto.Envelope.from_bytes(entry.sealed), private, f"{report.number}/feedback"
                ).decode("utf-8"),
            )
            for entry in entries
            if entry.kind == EntryKind.feedback
        ]
        zh, en = label(report.status)
        return StatusResponse(
            report_number=report.number,
            status=report.status,
            status_label=zh,
            status_label_en=en,
            received_at=report.received_at,
            kind=ReportKind(report.kind),
            region=report.region,
            deadlines=DeadlineInfo(
                acceptance_due=self._public_acceptance_due(report),
                verification_due=report.verification_due,
            ),
            feedback=feedback,
            supplements=sum(1 for entry in entries if entry.kind == EntryKind.supplement),
        )

    def grantee_keys(self, number: str) -> list[str]:
        """The encryption keys of the officers a case is granted to now.

        A supplement is sealed to them as well as to the unit's content key, so the
        handler reads it without another grant; an officer whose grant was revoked is
        not among them, and cannot open what arrives afterwards.
        """
        if not isinstance(self.store, CaseStore):
            return []
        case = self.store.get_case(number)
        if case is None:
            return []
        keys = []
        for officer_id in case.assignees:
            officer = self.office.officer(officer_id)
            if officer is not None and officer_id not in case.excluded:
                keys.append(officer.encryption_key)
        return keys

    def supplement(self, payload: Any, *, files: PostedFiles | None = None) -> StatusResponse:
        """Add information to a report; ``files`` (a form post's) are stored last."""
        data = parse(Supplement, payload, self.office)
        receipt, report = self.authenticate(data.receipt)
        posted = files.count if files is not None else 0
        if posted:
            self._check_count(len(data.attachments) + posted)
        self._check_attachments(data.attachments, report.region)
        unit = self.office.units_by_code[report.unit]
        if files is not None and posted:
            data = data.model_copy(
                update={"attachments": [*data.attachments, *files.store(report.region)]}
            )
        sealed = crypto.seal(
            canonical({"text": data.text, "attachments": list(data.attachments)}),
            [unit.content_key, *self.grantee_keys(report.number)],
            f"{report.number}/supplement",
        )
        try:
            self.store.add_entry(
                Entry(
                    report.number,
                    EntryKind.supplement,
                    self.clock(),
                    sealed.to_bytes(),
                    tuple(data.attachments),
                )
            )
        except AttachmentUnavailable:
            raise ApiError("validation_failed", [_UNAVAILABLE_FILE]) from None
        return self.status_of(receipt, report)
