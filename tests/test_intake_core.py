"""The intake's promises, one at a time: what is sealed, stored, claimed and answered.

Each test here holds one behaviour of ``chalicelib.reports.intake`` (and the poster tags it
verifies) that a one-line change could break without the broader suites noticing; they
were written against the mutants ``make mutation`` found alive (mutation/survivors.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib import crypto, receipts, tags
from chalicelib.cases.feedback import add_feedback
from chalicelib.config.office import load_office
from chalicelib.config.settings import Settings
from chalicelib.errors import ApiError
from chalicelib.receipts import Receipt
from chalicelib.reports import attachments
from chalicelib.reports.intake import Intake, PostedFiles
from chalicelib.reports.models import UploadRequest
from chalicelib.store.base import AttachmentUnavailable, IdempotencyReplay
from chalicelib.store.sqlite import SqliteStore
from tests.store import support as s

REPORT: dict[str, Any] = {
    "kind": "hazard",
    "region": s.REGION,
    "industry": "construction",
    "unit_name": "某建筑工地",
    "description": "脚手架严重变形，随时可能坍塌，请尽快处理。",
}


@dataclass
class World:
    intake: Intake
    store: SqliteStore
    keys: s.OfficeKeys


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    office, keys = s.office_with_keys()
    store = SqliteStore(tmp_path / "jubao.sqlite3")
    yield World(s.make_intake(store, office), store, keys)
    store.close()


def _upload(world: World) -> str:
    pdf = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n%%EOF\n"
    ticket = attachments.request_upload(
        world.intake,
        UploadRequest(region=s.REGION, content_type="application/pdf", size=len(pdf)),
        settings=Settings(),
    )
    attachments.receive_upload(world.intake, ticket.attachment_id, ticket.fields, pdf)
    return ticket.attachment_id


def _opened(world: World, sealed: bytes | None, context: str, private: str = "") -> Any:
    assert sealed is not None
    key = private or world.keys.content_private
    return json.loads(crypto.open_envelope(crypto.Envelope.from_bytes(sealed), key, context))


def _number(printed: str) -> str:
    return Receipt.parse(printed).number


# ---- what is sealed and stored --------------------------------------------------------------


def test_the_sealed_report_holds_its_files_and_time_and_claims_them(world: World) -> None:
    file_id = _upload(world)
    body = dict(REPORT, attachments=[file_id], reporter={"name": "王五", "phone": "13800000000"})
    number = _number(world.intake.submit(body).response.receipt)
    stored = world.store.get_report(number)
    assert stored is not None
    assert stored.status == "received"
    assert stored.attachments == (file_id,)
    claimed = world.store.get_attachment(file_id)
    assert claimed is not None and claimed.report_number == number
    content = _opened(world, stored.content, f"{number}/content")
    assert content["attachments"] == [file_id]
    assert content["received_at"] == stored.received_at.isoformat()
    assert content["description"] == REPORT["description"]
    identity = _opened(world, stored.identity, f"{number}/identity", world.keys.custodian_private)
    assert identity == {"name": "王五", "phone": "13800000000", "email": None, "employee": False}


def test_a_supplement_is_sealed_with_its_files_and_counted(world: World) -> None:
    printed = world.intake.submit(REPORT).response.receipt
    number = _number(printed)
    file_id = _upload(world)
    shown = world.intake.supplement(
        {"receipt": printed, "text": "补充：现场又有新的裂缝。", "attachments": [file_id]}
    )
    (entry,) = world.store.list_entries(number, "supplement")
    assert entry.attachments == (file_id,)
    claimed = world.store.get_attachment(file_id)
    assert claimed is not None and claimed.report_number == number
    sealed = _opened(world, entry.sealed, f"{number}/supplement")
    assert sealed == {"text": "补充：现场又有新的裂缝。", "attachments": [file_id]}
    assert shown.supplements == 1
    add_feedback(world.store, number, "已收到补充。")
    again = world.intake.status({"receipt": printed})
    assert (again.supplements, len(again.feedback)) == (1, 1)  # feedback is not a supplement


def test_status_shows_the_stored_status_and_deadlines(world: World) -> None:
    printed = world.intake.submit(REPORT).response.receipt
    number = _number(printed)
    assert world.intake.status({"receipt": printed}).status_label == "已接收，等待受理"
    world.store.update_status(number, "accepted", s.due(60))
    shown = world.intake.status({"receipt": printed})
    assert (shown.status, shown.status_label, shown.status_label_en) == (
        "accepted",
        "已受理，正在核查",
        "Accepted, under verification",
    )
    assert shown.deadlines.verification_due == s.due(60)


def test_feedback_for_an_unknown_report_names_it(world: World) -> None:
    with pytest.raises(KeyError) as missing:
        add_feedback(world.store, "12345678", "x")
    assert missing.value.args == ("12345678",)


def test_a_region_without_keys_cannot_take_reports(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "jubao.sqlite3")
    intake = s.make_intake(store, load_office())  # no unit has keys
    with pytest.raises(ApiError) as refused:
        intake.submit(REPORT)
    assert refused.value.code == "service_unavailable"
    assert list(store.iter_reports()) == []
    store.close()


# ---- report numbers and idempotency ---------------------------------------------------------


def test_a_taken_number_is_drawn_again(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.store.create_report(s.report("55555555"))
    drawn = iter(["55555555", "66666666"])
    monkeypatch.setattr(receipts, "new_report_number", lambda: next(drawn))
    assert _number(world.intake.submit(REPORT).response.receipt) == "66666666"


def test_numbers_that_stay_taken_are_service_unavailable(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.store.create_report(s.report("55555555"))
    monkeypatch.setattr(receipts, "new_report_number", lambda: "55555555")
    with pytest.raises(ApiError) as refused:
        world.intake.submit(REPORT)
    assert refused.value.code == "service_unavailable"


def test_one_client_two_bodies_are_two_reports(world: World) -> None:
    first = world.intake.submit(REPORT, client="10.0.0.1")
    other = world.intake.submit(dict(REPORT, unit_name="另一个工地"), client="10.0.0.1")
    again = world.intake.submit(REPORT, client="10.0.0.1")
    assert not first.replayed and not other.replayed and again.replayed
    assert first.response.receipt != other.response.receipt
    assert again.response.receipt == first.response.receipt


def test_one_key_two_bodies_is_a_conflict(world: World) -> None:
    world.intake.submit(REPORT, "conflict-key-00000001")
    with pytest.raises(ApiError) as refused:
        world.intake.submit(dict(REPORT, unit_name="另一个工地"), "conflict-key-00000001")
    assert refused.value.code == "idempotency_conflict"


def test_a_concurrent_retry_that_won_the_race_is_replayed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = world.intake.submit(REPORT, "race-key-0000000001")
    # the retry looked before the first had committed, then lost the race in the store
    monkeypatch.setattr(world.store, "get_idempotency", lambda key_hash: None)
    again = world.intake.submit(REPORT, "race-key-0000000001")
    assert again.replayed and again.response.receipt == first.response.receipt


def test_a_race_lost_with_another_body_is_still_a_conflict(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.intake.submit(REPORT, "race-key-0000000002")
    monkeypatch.setattr(world.store, "get_idempotency", lambda key_hash: None)
    with pytest.raises(ApiError) as refused:
        world.intake.submit(dict(REPORT, unit_name="另一个工地"), "race-key-0000000002")
    assert refused.value.code == "idempotency_conflict"


def test_posted_files_are_part_of_what_a_double_click_repeats(world: World) -> None:
    def posted(digest: bytes) -> PostedFiles:
        return PostedFiles(count=1, digest=digest, store=lambda region: [_upload(world)])

    first = world.intake.submit(REPORT, client="10.0.0.3", files=posted(b"A" * 32))
    other = world.intake.submit(REPORT, client="10.0.0.3", files=posted(b"B" * 32))
    again = world.intake.submit(REPORT, client="10.0.0.3", files=posted(b"A" * 32))
    assert not first.replayed and not other.replayed and again.replayed
    assert first.response.receipt != other.response.receipt
    stored = world.store.get_report(_number(other.response.receipt))
    assert stored is not None and len(stored.attachments) == 1


def _field_error(error: ApiError) -> list[tuple[str, str]]:
    return [(f.field, f.code) for f in error.fields]


def test_a_file_claimed_meanwhile_is_a_field_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = world.intake.submit(REPORT).response.receipt

    def gone(*args: object) -> None:
        raise AttachmentUnavailable("x")

    monkeypatch.setattr(world.store, "create_report", gone)
    monkeypatch.setattr(world.store, "add_entry", gone)
    with pytest.raises(ApiError) as refused:
        world.intake.submit(dict(REPORT, unit_name="另一个工地"))
    assert refused.value.code == "validation_failed"
    assert _field_error(refused.value) == [("attachments", "attachment_unknown")]
    with pytest.raises(ApiError) as refused:
        world.intake.supplement({"receipt": printed, "text": "补充内容补充内容"})
    assert refused.value.code == "validation_failed"
    assert _field_error(refused.value) == [("attachments", "attachment_unknown")]


def test_replay_of_a_lost_race_is_what_the_store_says(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IdempotencyReplay carries the winner's record; that record is what is replayed."""
    first = world.intake.submit(REPORT, "race-key-0000000003")
    existing = world.store.get_idempotency
    recorded: list[object] = []

    def lost(report: object, idem: Any = None) -> None:
        record = existing(idem.key_hash)
        recorded.append(record)
        raise IdempotencyReplay(record)

    monkeypatch.setattr(world.store, "get_idempotency", lambda key_hash: None)
    monkeypatch.setattr(world.store, "create_report", lost)
    again = world.intake.submit(REPORT, "race-key-0000000003")
    assert recorded and recorded[0] is not None
    assert again.replayed and again.response.receipt == first.response.receipt


# ---- poster tags ----------------------------------------------------------------------------


def test_a_poster_tag_is_verified_and_kept_at_the_office_granularity(world: World) -> None:
    tag = tags.sign(f"{s.REGION}-c0012", world.intake.tag_key)
    result = world.intake.submit(dict(REPORT, source=tag), "tag-key-000000000001")
    issuer = world.intake.office.regions_by_code[s.REGION].name
    assert result.response.source_issuer == issuer
    stored = world.store.get_report(result.response.report_number)
    assert stored is not None and stored.source == f"{s.REGION}-c0012"

    forged = tags.sign(f"{s.REGION}-c0012", b"k" * 32)
    other = world.intake.submit(dict(REPORT, unit_name="伪造海报", source=forged))
    assert other.response.source_issuer is None
    kept = world.store.get_report(other.response.report_number)
    assert kept is not None and kept.source is None


def test_a_replayed_receipt_names_the_poster_issuer_again(world: World) -> None:
    tag = tags.sign(f"{s.REGION}-c0012", world.intake.tag_key)
    world.intake.submit(dict(REPORT, source=tag), "tag-key-000000000002")
    replay = world.intake.submit(dict(REPORT, source=tag), "tag-key-000000000002")
    assert replay.replayed
    assert replay.response.source_issuer == world.intake.office.regions_by_code[s.REGION].name


def test_a_replay_after_a_lost_race_names_the_poster_issuer_too(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = tags.sign(f"{s.REGION}-c0012", world.intake.tag_key)
    world.intake.submit(dict(REPORT, source=tag), "tag-key-000000000003")
    monkeypatch.setattr(world.store, "get_idempotency", lambda key_hash: None)
    replay = world.intake.submit(dict(REPORT, source=tag), "tag-key-000000000003")
    assert replay.replayed
    assert replay.response.source_issuer == world.intake.office.regions_by_code[s.REGION].name


@pytest.mark.parametrize(("granularity", "kept"), [("region", f"{s.REGION}-r"), ("none", None)])
def test_the_intake_stores_the_tag_at_the_office_granularity(
    world: World, granularity: str, kept: str | None
) -> None:
    posters = world.intake.office.posters.model_copy(update={"tag_granularity": granularity})
    world.intake.office = world.intake.office.model_copy(update={"posters": posters})
    tag = tags.sign(f"{s.REGION}-c0012", world.intake.tag_key)
    result = world.intake.submit(dict(REPORT, source=tag))
    assert result.response.source_issuer == world.intake.office.regions_by_code[s.REGION].name
    stored = world.store.get_report(_number(result.response.receipt))
    assert stored is not None and stored.source == kept


def test_a_first_answer_says_it_is_not_a_replay(world: World) -> None:
    assert world.intake.submit(REPORT, "first-key-000000001").replayed is False


def test_a_client_address_that_is_not_text_still_keys_a_retry(world: World) -> None:
    """The implicit idempotency key hashes who sent the report; any string must do."""
    first = world.intake.submit(REPORT, client="\ud800 odd")
    again = world.intake.submit(REPORT, client="\ud800 odd")
    assert again.replayed and again.response.receipt == first.response.receipt


@pytest.mark.parametrize(
    ("granularity", "kept"), [("place", "340102-c0012"), ("region", "340102-r"), ("none", None)]
)
def test_stored_form_follows_the_granularity(granularity: str, kept: str | None) -> None:
    info = tags.verify(tags.sign("340102-c0012", b"k" * 32), b"k" * 32)
    assert info == tags.TagInfo(slug="340102-c0012", region="340102", place="c0012")
    assert tags.stored_form(info, granularity) == kept
    assert tags.stored_form(None, granularity) is None


def test_tag_macs_are_fixed() -> None:
    """Tags are printed on posters: the MAC of a slug may never change silently."""
    assert tags.sign("340102-c0012", b"k" * 32) == "340102-c0012.FiaAC3qwJjs"
    assert tags.verify("340102-c0012.FiaAC3qwJjs", b"k" * 32) is not None


def test_reporter_keys_and_sealing_use_separate_key_material(world: World) -> None:
    """The feedback key pair is not one of the office's, nor any other report's."""
    a = Receipt.parse(world.intake.submit(REPORT).response.receipt)
    b = Receipt.parse(world.intake.submit(dict(REPORT, unit_name="另一个工地")).response.receipt)
    assert a.reporter_keypair() != b.reporter_keypair()
    offices = {
        crypto.public_from_private(world.keys.content_private),
        crypto.public_from_private(world.keys.custodian_private),
    }
    assert a.reporter_keypair()[1] not in offices


def test_the_deadline_of_a_new_report(world: World) -> None:
    result = world.intake.submit(REPORT)
    days = world.intake.office.rules.deadlines.acceptance_days
    received = result.response.received_at
    stored = world.store.get_report(_number(result.response.receipt))
    assert stored is not None  # the case clock counts it, promised or not
    assert stored.acceptance_due - received.date() in (
        timedelta(days=days),
        timedelta(days=days + 1),  # the calendar day in China may be the next one
    )


def _promising(world: World) -> None:
    office = world.intake.office
    rules = office.rules.model_copy(
        update={
            "deadlines": office.rules.deadlines.model_copy(
                update={"acceptance_days_confirmed": True}
            )
        }
    )
    world.intake.office = office.model_copy(update={"rules": rules})


def test_acceptance_due_is_told_only_as_the_offices_own_commitment(world: World) -> None:
    assert not world.intake.office.rules.deadlines.acceptance_days_confirmed
    silent = world.intake.submit(REPORT).response
    status = world.intake.status({"receipt": silent.receipt})
    assert silent.acceptance_due is None and status.deadlines.acceptance_due is None
    # absent from the JSON, not null: nothing a client could show as a date
    assert "acceptance_due" not in json.loads(silent.model_dump_json())
    assert "acceptance_due" not in json.loads(status.model_dump_json())["deadlines"]

    _promising(world)
    told = world.intake.submit(dict(REPORT, unit_name="另一家单位")).response
    stored = world.store.get_report(_number(told.receipt))
    assert stored is not None and told.acceptance_due == stored.acceptance_due
    assert json.loads(told.model_dump_json())["acceptance_due"] == stored.acceptance_due.isoformat()
    again = world.intake.status({"receipt": told.receipt})
    assert again.deadlines.acceptance_due == stored.acceptance_due


# ---- how many files, and which ones, a report may claim -----------------------------------


def _field_codes(error: ApiError) -> list[tuple[str, str]]:
    return [(f.field, f.code) for f in error.fields]


def test_exactly_the_most_files_may_be_claimed(world: World) -> None:
    world.intake.max_attachments = 2
    printed = world.intake.submit(dict(REPORT, attachments=[_upload(world), _upload(world)]))
    number = _number(printed.response.receipt)
    stored = world.store.get_report(number)
    assert stored is not None and len(stored.attachments) == 2
    shown = world.intake.supplement(
        {
            "receipt": printed.response.receipt,
            "text": "再补充两份材料。",
            "attachments": [_upload(world), _upload(world)],
        }
    )
    assert shown.supplements == 1
    with pytest.raises(ApiError) as refused:
        world.intake.submit(dict(REPORT, attachments=[_upload(world) for _ in range(3)]))
    assert refused.value.code == "too_many_attachments"


def test_listed_and_posted_files_count_together(world: World) -> None:
    world.intake.max_attachments = 2
    printed = world.intake.submit(REPORT).response.receipt
    posted = PostedFiles(count=2, digest=b"P" * 32, store=lambda region: [])
    with pytest.raises(ApiError) as report:
        world.intake.submit(dict(REPORT, attachments=[_upload(world)]), files=posted)
    with pytest.raises(ApiError) as supplement:
        world.intake.supplement(
            {"receipt": printed, "text": "补充材料补充材料", "attachments": [_upload(world)]},
            files=posted,
        )
    for refused in (report, supplement):
        assert refused.value.code == "too_many_attachments"
        assert _field_codes(refused.value) == [("attachments", "too_many_attachments")]
        # the refusal names the configured limit, for the request and on the field
        detail = refused.value.as_dict()["error"]
        assert "最多 2 个文件" in detail["message_zh"] and "2 files at most" in detail["message_en"]
        assert detail["fields"][0]["message_zh"] == detail["message_zh"]


def test_files_posted_with_a_supplement_are_sealed_into_it(world: World) -> None:
    printed = world.intake.submit(REPORT).response.receipt
    number = _number(printed)
    kept: list[str] = []

    def store(region: str) -> list[str]:
        kept.append(_upload(world))
        return kept

    files = PostedFiles(count=1, digest=b"S" * 32, store=store)
    world.intake.supplement({"receipt": printed, "text": "补充现场照片一张。"}, files=files)
    (entry,) = world.store.list_entries(number, "supplement")
    assert entry.attachments == tuple(kept) and len(kept) == 1
    sealed = _opened(world, entry.sealed, f"{number}/supplement")
    assert sealed["attachments"] == kept


def test_a_supplement_claiming_a_file_never_uploaded_is_refused_before_the_store(
    world: World,
) -> None:
    printed = world.intake.submit(REPORT).response.receipt
    with pytest.raises(ApiError) as refused:
        world.intake.supplement(
            {"receipt": printed, "text": "补充材料补充材料", "attachments": ["q" * 26]}
        )
    assert refused.value.code == "attachment_unknown"
    assert _field_codes(refused.value) == [("attachments", "attachment_unknown")]


def test_a_file_is_claimable_until_the_moment_it_expires_and_only_once(world: World) -> None:
    file_id = _upload(world)
    record = world.store.get_attachment(file_id)
    assert record is not None
    world.intake.clock = lambda: record.expires_at - timedelta(microseconds=1)
    world.intake.check_claims([file_id], s.REGION)  # still in time
    world.intake.clock = lambda: record.expires_at  # the very moment it expires
    with pytest.raises(ApiError) as expired:
        world.intake.check_claims([file_id], s.REGION)
    assert expired.value.code == "attachment_unknown"
    world.intake.clock = lambda: record.expires_at - timedelta(hours=1)
    world.intake.submit(dict(REPORT, attachments=[file_id]))
    with pytest.raises(ApiError) as claimed:
        world.intake.check_claims([file_id], s.REGION)  # unexpired, but taken
    assert claimed.value.code == "attachment_unknown"


def test_an_unknown_region_is_a_field_error_of_the_region(world: World) -> None:
    with pytest.raises(ApiError) as refused:
        world.intake.unit_for("999999")
    assert refused.value.code == "validation_failed"
    assert _field_codes(refused.value) == [("region", "unknown_region")]


def test_a_report_goes_to_the_nearest_unit_with_both_keys(tmp_path: Path) -> None:
    """A unit with only one of its two keys is skipped for its parent: a report is never
    sealed to a unit whose custodian (or content) key is missing."""
    from chalicelib.config.office import load_office

    _, content = crypto.generate_keypair()
    _, custodian = crypto.generate_keypair()
    both = {"content_key": content, "custodian_key": custodian}
    city = load_office().unit_above(s.UNIT)
    assert city is not None
    store = SqliteStore(tmp_path / "jubao.sqlite3")
    try:
        for half in ({"custodian_key": custodian}, {"content_key": content}):
            office = load_office().with_unit_keys({s.UNIT: half, city.code: both})
            intake = s.make_intake(store, office)
            assert intake.handling_unit(s.UNIT).code == city.code
        office = load_office().with_unit_keys({s.UNIT: both, city.code: both})
        assert s.make_intake(store, office).handling_unit(s.UNIT).code == s.UNIT
    finally:
        store.close()
