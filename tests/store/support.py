"""Builders shared by the store, attachment and infrastructure tests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from chalicelib import crypto
from chalicelib.config.office import OfficeConfig, load_office
from chalicelib.reports.intake import Intake
from chalicelib.store.base import AttachmentRecord, IdempotencyRecord, ReportRecord, ReportStore

REGION = "340102"  # a county of Hefei, with a unit of its own
UNIT = "340102"


@dataclass(frozen=True)
class OfficeKeys:
    """Development key pairs for the county unit (what its officers hold)."""

    content_private: str
    custodian_private: str


def office_with_keys() -> tuple[OfficeConfig, OfficeKeys]:
    content_private, content_public = crypto.generate_keypair()
    custodian_private, custodian_public = crypto.generate_keypair()
    office = load_office().with_unit_keys(
        {UNIT: {"content_key": content_public, "custodian_key": custodian_public}}
    )
    return office, OfficeKeys(content_private, custodian_private)


def make_intake(store: ReportStore, office: OfficeConfig, max_attachments: int = 5) -> Intake:
    return Intake(
        office=office,
        store=store,
        receipt_key=crypto.random_bytes(32),
        tag_key=crypto.random_bytes(32),
        max_attachments=max_attachments,
    )


_counter = iter(range(10_000_000, 99_999_999))


def now() -> datetime:
    return datetime.now(UTC)


def report(
    number: str | None = None,
    *,
    received_at: datetime | None = None,
    attachments: tuple[str, ...] = (),
    identity: bytes | None = b"sealed-identity",
    source: str | None = "340100.p1",
) -> ReportRecord:
    received = received_at or now()
    return ReportRecord(
        number=number or str(next(_counter)),
        receipt_mac=crypto.random_bytes(32),
        received_at=received,
        kind="hazard",
        region=REGION,
        industry="construction",
        unit=UNIT,
        source=source,
        status="received",
        acceptance_due=received.date() + timedelta(days=7),
        verification_due=None,
        reporter_key=crypto.b64e(crypto.random_bytes(32)),
        content=b"sealed-content-" + crypto.random_bytes(64),
        identity=identity,
        attachments=attachments,
    )


def idempotency(
    for_report: ReportRecord, *, ttl: timedelta = timedelta(hours=1)
) -> IdempotencyRecord:
    return IdempotencyRecord(
        key_hash=crypto.random_bytes(32),
        body_hash=crypto.random_bytes(32),
        report_number=for_report.number,
        sealed_receipt=crypto.random_bytes(64),
        expires_at=now() + ttl,
    )


def attachment(
    attachment_id: str | None = None, *, expires_in: timedelta = timedelta(hours=1)
) -> AttachmentRecord:
    created = now()
    return AttachmentRecord(
        attachment_id=attachment_id or crypto.random_bytes(16).hex()[:26],
        region=REGION,
        unit=UNIT,
        content_type="image/jpeg",
        max_bytes=1_000_000,
        created_at=created,
        expires_at=created + expires_in,
    )


def renumbered(record: ReportRecord, number: str) -> ReportRecord:
    return replace(record, number=number)


def due(days: int) -> date:
    return now().date() + timedelta(days=days)
