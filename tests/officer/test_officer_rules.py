"""The officers' access rules (chalicelib/officer/access.py) and the timer's checkpoints."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib import crypto
from chalicelib.audit.entries import AuditAction
from chalicelib.cases.status import ReportStatus
from chalicelib.config.office import OfficeConfig, Role, load_office
from chalicelib.config.settings import Settings
from chalicelib.officer import access, housekeeping
from chalicelib.officer.access import Access
from chalicelib.officer.app import create_app
from chalicelib.reports.models import ReportKind
from chalicelib.store.cases import CaseRecord
from chalicelib.store.sqlite import SqliteStore

COUNTY, OTHER, CITY, PROVINCE = "340104", "340102", "340100", "340000"


def _officer(officer_id: str, unit: str, *roles: Role) -> dict[str, object]:
    _, signing = crypto.generate_signing_keypair()
    _, encryption = crypto.generate_keypair()
    return {
        "id": officer_id,
        "unit": unit,
        "roles": [str(r) for r in roles],
        "signing_key": signing,
        "encryption_key": encryption,
    }


@pytest.fixture(scope="module")
def office() -> OfficeConfig:
    return load_office().with_overlay(
        {
            "officers": [
                _officer("c-intake", COUNTY, Role.intake),
                _officer("c-handler", COUNTY, Role.handler),
                _officer("c-handler2", COUNTY, Role.handler),
                _officer("c-custodian", COUNTY, Role.custodian),
                _officer("o-intake", OTHER, Role.intake),
                _officer("city-supervisor", CITY, Role.supervisor),
                _officer("city-handler", CITY, Role.handler),
                _officer("prov-supervisor", PROVINCE, Role.supervisor),
            ]
        }
    )


def case(**changes: object) -> CaseRecord:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    base = CaseRecord(
        number="12345678",
        unit=COUNTY,
        kind=ReportKind.hazard,
        region=COUNTY,
        industry="fire",
        state=ReportStatus.received,
        version=1,
        received_at=now,
        updated_at=now,
        next_deadline=date(2026, 12, 8),
    )
    return CaseRecord(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def who(office: OfficeConfig, officer_id: str):
    found = office.officer(officer_id)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("officer_id", "changes", "expected"),
    [
        ("c-intake", {}, Access.unit_key),
        ("c-handler", {}, None),
        ("c-handler", {"assignees": ("c-handler",)}, Access.grant),
        ("c-handler2", {"assignees": ("c-handler",)}, None),
        ("c-custodian", {}, None),
        ("o-intake", {}, None),
        ("o-intake", {"assignees": ("o-intake",)}, Access.grant),  # a grant is a grant
        ("city-supervisor", {}, Access.metadata),
        ("prov-supervisor", {}, Access.metadata),
        ("city-handler", {}, None),
        ("c-intake", {"excluded": ("c-intake",)}, None),
        ("c-handler", {"assignees": ("c-handler",), "excluded": ("c-handler",)}, None),
    ],
)
def test_case_access(office, officer_id, changes, expected):
    assert access.case_access(office, who(office, officer_id), case(**changes)) == expected


def test_identity_grant_and_log_rules(office):
    record = case(assignees=("c-handler",))
    assert access.may_read_identity(who(office, "c-custodian"), record)
    for other in ("c-intake", "c-handler", "o-intake", "city-supervisor"):
        assert not access.may_read_identity(who(office, other), record)
    assert not access.may_read_identity(who(office, "c-custodian"), case(excluded=("c-custodian",)))
    assert access.may_grant(who(office, "c-intake"), record)
    assert not access.may_grant(who(office, "c-handler"), record)
    assert not access.may_grant(who(office, "o-intake"), record)
    assert access.valid_grantee(who(office, "c-handler2"), record)
    assert access.valid_grantee(who(office, "c-intake"), record)  # an intake officer too
    assert not access.valid_grantee(who(office, "c-custodian"), record)
    assert not access.valid_grantee(who(office, "city-handler"), record)
    assert not access.valid_grantee(None, record)
    assert access.may_read_log(office, who(office, "c-handler"), COUNTY)
    assert access.may_read_log(office, who(office, "prov-supervisor"), COUNTY)
    assert not access.may_read_log(office, who(office, "o-intake"), COUNTY)
    assert access.may_cosign(office, who(office, "city-supervisor"), COUNTY)
    assert not access.may_cosign(office, who(office, "prov-supervisor"), COUNTY)  # not directly
    assert access.may_cosign(office, who(office, "prov-supervisor"), CITY)
    assert not access.may_cosign(office, who(office, "city-handler"), COUNTY)
    assert not access.may_cosign(office, who(office, "city-supervisor"), PROVINCE)
    assert access.visible_units(office, who(office, "c-handler")) == [COUNTY]
    assert set(access.visible_units(office, who(office, "city-supervisor"))) == {
        CITY,
        *(u.code for u in office.units_below(CITY)),
    }
    assert access.may_list(office, who(office, "city-supervisor"), COUNTY)
    assert not access.may_list(office, who(office, "city-supervisor"), "340200")


def test_escalation_rules(office):
    record = case(assignees=("c-handler",))
    # who may escalate: those who can open the case themselves
    assert access.may_escalate(office, who(office, "c-intake"), record)
    assert access.may_escalate(office, who(office, "c-handler"), record)
    for other in ("c-handler2", "c-custodian", "o-intake", "city-supervisor", "city-handler"):
        assert not access.may_escalate(office, who(office, other), record), other
    assert not access.may_escalate(
        office, who(office, "c-handler"), case(assignees=("c-handler",), excluded=("c-handler",))
    )
    # to whom: a supervisor of a unit above, at any level, not excluded
    assert access.valid_escalation_target(office, who(office, "city-supervisor"), record)
    assert access.valid_escalation_target(office, who(office, "prov-supervisor"), record)
    for other in ("city-handler", "c-handler2", "o-intake", "c-intake"):
        assert not access.valid_escalation_target(office, who(office, other), record), other
    assert not access.valid_escalation_target(office, None, record)
    assert not access.valid_escalation_target(
        office, who(office, "city-supervisor"), case(excluded=("city-supervisor",))
    )
    # a supervisor of a city is not above a case of its own city's office
    assert not access.valid_escalation_target(
        office, who(office, "city-supervisor"), case(unit=CITY, region=CITY)
    )
    assert access.valid_escalation_target(
        office, who(office, "prov-supervisor"), case(unit=CITY, region=CITY)
    )
    # once escalated, the supervisor holds a grant: content, like a handler
    escalated = case(assignees=("c-handler", "city-supervisor"))
    assert access.case_access(office, who(office, "city-supervisor"), escalated) == Access.grant
    assert access.case_access(office, who(office, "prov-supervisor"), escalated) == Access.metadata


def test_unsigned_refusals_reach_the_log_at_a_bounded_rate_and_are_all_counted(
    office, tmp_path: Path
):
    from chalicelib.officer import handlers
    from chalicelib.officer.signatures import SignatureRefused
    from chalicelib.web.http import new_request

    seed, _ = crypto.generate_signing_keypair()
    now = [datetime(2026, 12, 1, 8, tzinfo=UTC)]
    store = SqliteStore(tmp_path / "s.sqlite3")
    settings = Settings(data_dir=tmp_path, log_key=seed, unsigned_refusals_per_minute=2)
    app = create_app(settings, office=office, store=store, clock=lambda: now[0])
    top = app.root_unit
    try:
        for _ in range(5):
            with pytest.raises(SignatureRefused):
                handlers.authenticate(app, new_request("GET", "/api/officer/me", {}, b"", "x"))
        written = list(app.cases.audit_records(top, 0, None))
        assert len(written) == 2
        now[0] += timedelta(seconds=30)  # one token back
        with pytest.raises(SignatureRefused):
            handlers.authenticate(app, new_request("GET", "/api/officer/me", {}, b"", "x"))
        records = list(app.cases.audit_records(top, 0, None))
        assert len(records) == 3
        last = json.loads(records[-1].entry)
        assert last["outcome"] == "signature_missing"
        assert last["detail"] == {"attempted": "refusal", "unwritten_before": "3"}
        assert "unwritten_before" not in json.loads(records[0].entry)["detail"]
    finally:
        app.close()


def test_the_refusal_sampler_admits_only_when_a_whole_token_is_back():
    from chalicelib.officer.refusals import RefusalSampler

    sampler = RefusalSampler(per_minute=2)  # one token every 30 s, two at first
    assert [sampler.admit(0.0), sampler.admit(0.0)] == [0, 0]
    assert sampler.admit(0.0) is None  # 30 s to wait
    assert sampler.admit(29.5) is None  # half a second to wait: still not written
    assert sampler.admit(30.5) == 2  # a token back: written, counting the two before
    assert sampler.admit(30.5) is None
    assert sampler.admit(61.0) == 1


def test_checkpoints_are_signed_at_least_daily_and_only_when_the_log_grew(office, tmp_path: Path):
    seed, _ = crypto.generate_signing_keypair()
    now = [datetime(2026, 12, 1, 8, tzinfo=UTC)]
    store = SqliteStore(tmp_path / "s.sqlite3")
    settings = Settings(data_dir=tmp_path, log_key=seed)
    app = create_app(settings, office=office, store=store, clock=lambda: now[0])
    try:
        assert housekeeping.sign_due_checkpoints(app, now[0]) == 0  # empty logs
        app.trail.refusal(
            log=COUNTY, actor=None, action=AuditAction.refusal, case=None, code="signature_missing"
        )
        assert housekeeping.sign_due_checkpoints(app, now[0]) == 1
        first = store.latest_checkpoint(COUNTY)
        assert first is not None and first.size == 1
        assert housekeeping.sign_due_checkpoints(app, now[0]) == 0  # nothing new
        app.trail.refusal(
            log=COUNTY, actor=None, action=AuditAction.refusal, case=None, code="signature_missing"
        )
        now[0] += timedelta(hours=23)
        assert housekeeping.sign_due_checkpoints(app, now[0]) == 0  # grew, but not a day yet
        now[0] += timedelta(hours=2)
        assert housekeeping.sign_due_checkpoints(app, now[0]) == 1
        latest = store.latest_checkpoint(COUNTY)
        assert latest is not None and latest.size == 2
        assert [c.size for c in store.list_checkpoints(COUNTY)] == [1, 2]
        assert housekeeping.run(app, now[0]) == {"checkpoints": 0, "nonces_purged": 0}
    finally:
        store.close()


def test_due_checkpoints_count_every_unit_and_a_day_is_a_day(office, tmp_path: Path):
    seed, _ = crypto.generate_signing_keypair()
    now = [datetime(2026, 12, 1, 8, tzinfo=UTC)]
    store = SqliteStore(tmp_path / "s.sqlite3")
    app = create_app(
        Settings(data_dir=tmp_path, log_key=seed), office=office, store=store, clock=lambda: now[0]
    )

    def refusal(unit: str) -> None:
        app.trail.refusal(
            log=unit, actor=None, action=AuditAction.refusal, case=None, code="signature_missing"
        )

    try:
        refusal(OTHER)
        refusal(COUNTY)
        assert housekeeping.sign_due_checkpoints(app, now[0]) == 2  # both units, counted
        now[0] += timedelta(days=2)
        assert housekeeping.sign_due_checkpoints(app, now[0]) == 0  # old, but nothing new
        # OTHER (listed before COUNTY) is up to date; COUNTY grew: it is still signed
        refusal(COUNTY)
        assert housekeeping.sign_due_checkpoints(app, now[0]) == 1
        refusal(COUNTY)
        now[0] += timedelta(days=1)  # exactly a day after the last checkpoint
        assert housekeeping.run(app, now[0]) == {"checkpoints": 1, "nonces_purged": 0}
        assert [c.size for c in store.list_checkpoints(COUNTY)] == [1, 2, 3]
    finally:
        store.close()


def test_a_log_key_that_is_not_the_offices_is_refused(office, tmp_path: Path):
    from chalicelib.config.office import AuditConfig
    from chalicelib.config.settings import SettingsError

    seed, _ = crypto.generate_signing_keypair()
    _, someone_else = crypto.generate_signing_keypair()
    wrong = office.model_copy(update={"audit": AuditConfig(server_key=someone_else)})
    store = SqliteStore(tmp_path / "s.sqlite3")
    try:
        with pytest.raises(SettingsError):
            create_app(Settings(data_dir=tmp_path, log_key=seed), office=wrong, store=store)
    finally:
        store.close()
