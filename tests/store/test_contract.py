"""The ReportStore contract, run against both stores: SQLite (a file) and AWS (moto server).

Every rule the intake service relies on is here once, and both implementations must
keep it: atomic creation with the idempotency record and the attachment claims,
refusals that store nothing, claims only of sealed files, purging of unclaimed expired
uploads, entry order, listing order, and durability across a new store instance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.config.settings import Settings
from chalicelib.store.aws import AwsStore
from chalicelib.store.base import (
    AttachmentUnavailable,
    Entry,
    IdempotencyReplay,
    NumberTaken,
    ReportStore,
    StoreError,
)
from chalicelib.store.sqlite import SqliteStore
from tests.store import support as s


@dataclass
class Backend:
    name: str
    open: Callable[[], ReportStore]


@pytest.fixture(params=["sqlite", pytest.param("aws", marks=pytest.mark.aws)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        path = tmp_path / "jubao.sqlite3"
        return Backend("sqlite", lambda: SqliteStore(path))
    settings: Settings = request.getfixturevalue("aws_settings")
    # a short wait for the sealer: a refused pending claim costs this much per test
    return Backend("aws", lambda: AwsStore(settings, seal_wait=0.5))


@pytest.fixture
def store(backend: Backend) -> Iterator[ReportStore]:
    opened = backend.open()
    yield opened
    opened.close()


def _stored_attachment(
    store: ReportStore, expires_in: timedelta = timedelta(hours=1), *, sealed: bool = True
) -> str:
    """An uploaded file: its record and (unless ``sealed=False``) its sealed bytes."""
    record = s.attachment(expires_in=expires_in)
    store.create_attachment(record)
    if sealed:
        store.put_sealed_attachment(
            record.attachment_id, b"sealed:" + record.attachment_id.encode(), 9
        )
    return record.attachment_id


# ---- reports ------------------------------------------------------------------------------


def test_round_trip_keeps_every_field(store: ReportStore) -> None:
    ids = (_stored_attachment(store), _stored_attachment(store))
    full = s.report(attachments=ids)
    anonymous = s.report(identity=None, source=None)
    store.create_report(full, s.idempotency(full))
    store.create_report(anonymous)
    assert store.get_report(full.number) == full
    assert store.get_report(anonymous.number) == anonymous
    assert store.get_report("99999999") is None


def test_number_collision_stores_nothing(store: ReportStore) -> None:
    first = s.report()
    store.create_report(first)
    attachment_id = _stored_attachment(store)
    second = replace(s.report(attachments=(attachment_id,)), number=first.number)
    idem = s.idempotency(second)
    with pytest.raises(NumberTaken):
        store.create_report(second, idem)
    assert store.get_report(first.number) == first
    assert store.get_idempotency(idem.key_hash) is None
    record = store.get_attachment(attachment_id)
    assert record is not None and record.report_number is None


def test_idempotency_replay_returns_first_record_and_stores_nothing(store: ReportStore) -> None:
    first = s.report()
    idem = s.idempotency(first)
    store.create_report(first, idem)
    assert store.get_idempotency(idem.key_hash) == idem

    attachment_id = _stored_attachment(store)
    retry = s.report(attachments=(attachment_id,))
    retry_idem = replace(s.idempotency(retry), key_hash=idem.key_hash)
    with pytest.raises(IdempotencyReplay) as replay:
        store.create_report(retry, retry_idem)
    assert replay.value.record == idem
    assert store.get_report(retry.number) is None
    assert store.get_idempotency(idem.key_hash) == idem
    record = store.get_attachment(attachment_id)
    assert record is not None and record.report_number is None


def test_expired_idempotency_record_is_neither_returned_nor_blocking(store: ReportStore) -> None:
    first = s.report()
    stale = s.idempotency(first, ttl=-timedelta(seconds=1))
    store.create_report(first, stale)
    assert store.get_idempotency(stale.key_hash) is None
    second = s.report()
    fresh = replace(s.idempotency(second), key_hash=stale.key_hash)
    store.create_report(second, fresh)
    assert store.get_idempotency(stale.key_hash) == fresh


# ---- attachment claims --------------------------------------------------------------------


def test_report_claims_its_attachments(store: ReportStore) -> None:
    ids = (_stored_attachment(store), _stored_attachment(store))
    report = s.report(attachments=ids)
    store.create_report(report)
    for attachment_id in ids:
        record = store.get_attachment(attachment_id)
        assert record is not None
        assert record.report_number == report.number
        assert record.state == "sealed"


@pytest.mark.parametrize(
    "problem", ["unknown", "pending", "expired", "expired_pending", "claimed", "listed_twice"]
)
def test_unavailable_attachment_refuses_the_whole_report(store: ReportStore, problem: str) -> None:
    good = _stored_attachment(store)
    if problem == "unknown":
        bad = ("a" * 26,)
    elif problem == "pending":  # a ticket was issued, the file never arrived
        bad = (_stored_attachment(store, sealed=False),)
    elif problem == "expired":
        bad = (_stored_attachment(store, expires_in=-timedelta(seconds=1)),)
    elif problem == "expired_pending":
        bad = (_stored_attachment(store, expires_in=-timedelta(seconds=1), sealed=False),)
    elif problem == "claimed":
        taken = _stored_attachment(store)
        store.create_report(s.report(attachments=(taken,)))
        bad = (taken,)
    else:
        bad = (good,)
    report = s.report(attachments=(good, *bad))
    idem = s.idempotency(report)
    with pytest.raises(AttachmentUnavailable):
        store.create_report(report, idem)
    assert store.get_report(report.number) is None
    assert store.get_idempotency(idem.key_hash) is None
    record = store.get_attachment(good)
    assert record is not None and record.report_number is None


def test_a_claim_needs_the_sealed_file_and_sealing_happens_once(store: ReportStore) -> None:
    attachment_id = _stored_attachment(store, sealed=False)
    assert store.get_sealed_attachment(attachment_id) is None
    report = s.report(attachments=(attachment_id,))
    with pytest.raises(AttachmentUnavailable):
        store.create_report(report)
    assert store.get_report(report.number) is None
    store.put_sealed_attachment(attachment_id, b"sealed-bytes", 11)
    store.create_report(report)
    record = store.get_attachment(attachment_id)
    assert record is not None
    assert (record.state, record.size, record.report_number) == ("sealed", 11, report.number)
    assert store.get_sealed_attachment(attachment_id) == b"sealed-bytes"
    with pytest.raises(AttachmentUnavailable):
        store.put_sealed_attachment(attachment_id, b"other", 5)
    assert store.get_sealed_attachment(attachment_id) == b"sealed-bytes"


def test_an_entry_cannot_claim_a_pending_file(store: ReportStore) -> None:
    report = s.report()
    store.create_report(report)
    pending = _stored_attachment(store, sealed=False)
    with pytest.raises(AttachmentUnavailable):
        store.add_entry(Entry(report.number, "supplement", s.now(), b"x", (pending,)))
    assert store.list_entries(report.number) == []
    record = store.get_attachment(pending)
    assert record is not None and record.report_number is None


def test_sealing_an_unknown_attachment_is_refused(store: ReportStore) -> None:
    with pytest.raises(AttachmentUnavailable):
        store.put_sealed_attachment("b" * 26, b"sealed", 6)
    assert store.get_sealed_attachment("b" * 26) is None


def test_attachment_record_round_trip(store: ReportStore) -> None:
    record = s.attachment()
    store.create_attachment(record)
    assert store.get_attachment(record.attachment_id) == record
    assert store.get_attachment("c" * 26) is None


# ---- purging ------------------------------------------------------------------------------


def test_purge_deletes_unclaimed_expired_uploads_only(store: ReportStore) -> None:
    expired_sealed = _stored_attachment(store, -timedelta(minutes=1))
    expired_pending = _stored_attachment(store, -timedelta(minutes=1), sealed=False)
    fresh = _stored_attachment(store)
    claimed = _stored_attachment(store, timedelta(minutes=5))
    report = s.report(attachments=(claimed,))
    store.create_report(report)

    assert store.purge_uploads(s.now()) == 2
    for gone in (expired_sealed, expired_pending):
        assert store.get_attachment(gone) is None
        assert store.get_sealed_attachment(gone) is None
    assert store.get_sealed_attachment(fresh) is not None
    # long after every expiry: the unclaimed one goes, the claimed one is never touched
    assert store.purge_uploads(s.now() + timedelta(days=30)) == 1
    assert store.get_attachment(fresh) is None
    record = store.get_attachment(claimed)
    assert record is not None and record.report_number == report.number
    assert store.get_sealed_attachment(claimed) == b"sealed:" + claimed.encode()
    assert store.get_report(report.number) == report
    assert store.purge_uploads(s.now() + timedelta(days=30)) == 0


def test_purge_of_nothing_is_zero(store: ReportStore) -> None:
    assert store.purge_uploads(s.now()) == 0


# ---- entries ------------------------------------------------------------------------------


def test_entries_keep_insertion_order_and_filter_by_kind(store: ReportStore) -> None:
    report = s.report()
    store.create_report(report)
    at = s.now()
    # clock times that tie and step back must not reorder entries
    entries = [
        Entry(report.number, "supplement", at, b"one"),
        Entry(report.number, "feedback", at, b"two"),
        Entry(report.number, "supplement", at - timedelta(minutes=5), b"three"),
        Entry(report.number, "feedback", at + timedelta(minutes=1), b"four"),
    ]
    for entry in entries:
        store.add_entry(entry)
    assert store.list_entries(report.number) == entries
    assert store.list_entries(report.number, "feedback") == [entries[1], entries[3]]
    assert store.list_entries(report.number, "supplement") == [entries[0], entries[2]]
    assert store.list_entries("99999999") == []


def test_entry_for_unknown_report_is_refused(store: ReportStore) -> None:
    with pytest.raises(StoreError):
        store.add_entry(Entry("99999999", "supplement", s.now(), b"x"))


def test_entry_claims_attachments_atomically(store: ReportStore) -> None:
    report = s.report()
    store.create_report(report)
    free = _stored_attachment(store)
    entry = Entry(report.number, "supplement", s.now(), b"with file", (free,))
    store.add_entry(entry)
    record = store.get_attachment(free)
    assert record is not None and record.report_number == report.number

    other = _stored_attachment(store)
    refused = Entry(report.number, "supplement", s.now(), b"refused", (other, free))
    with pytest.raises(AttachmentUnavailable):
        store.add_entry(refused)
    assert store.list_entries(report.number) == [entry]
    record = store.get_attachment(other)
    assert record is not None and record.report_number is None


# ---- status and listing -------------------------------------------------------------------


def test_update_status(store: ReportStore) -> None:
    report = s.report()
    store.create_report(report)
    store.update_status(report.number, "accepted", s.due(60))
    store.update_status(report.number, "extended")  # keeps the deadline
    stored = store.get_report(report.number)
    assert stored == replace(report, status="extended", verification_due=s.due(60))
    with pytest.raises(StoreError):
        store.update_status("99999999", "accepted")


def test_iter_reports_oldest_first_then_by_number(store: ReportStore) -> None:
    base = s.now()
    made = [
        s.report("30000000", received_at=base + timedelta(seconds=2)),
        s.report("20000000", received_at=base),
        s.report("10000000", received_at=base + timedelta(seconds=2)),
        s.report("40000000", received_at=base - timedelta(days=400)),
    ]
    for record in made:
        store.create_report(record)
    assert [r.number for r in store.iter_reports()] == [
        "40000000",
        "20000000",
        "10000000",
        "30000000",
    ]
    assert next(iter(store.iter_reports())) == made[3]


# ---- durability ---------------------------------------------------------------------------


def test_a_new_store_instance_sees_everything(backend: Backend) -> None:
    first = backend.open()
    attachment_id = _stored_attachment(first, sealed=False)
    first.put_sealed_attachment(attachment_id, b"sealed file", 9)
    report = s.report(attachments=(attachment_id,))
    idem = s.idempotency(report)
    first.create_report(report, idem)
    entry = Entry(report.number, "feedback", s.now(), b"sealed feedback")
    first.add_entry(entry)
    first.close()

    second = backend.open()
    try:
        assert second.get_report(report.number) == report
        assert second.get_idempotency(idem.key_hash) == idem
        assert second.list_entries(report.number) == [entry]
        assert second.get_sealed_attachment(attachment_id) == b"sealed file"
        assert [r.number for r in second.iter_reports()] == [report.number]
    finally:
        second.close()


# ---- concurrency --------------------------------------------------------------------------


@pytest.fixture
def contended(
    backend: Backend, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ReportStore]:
    """A store for racing writers (AWS: through moto's serial endpoint, see moto_env)."""
    if backend.name == "aws":
        monkeypatch.setenv("AWS_ENDPOINT_URL", request.getfixturevalue("serial_moto"))
    opened = backend.open()
    yield opened
    opened.close()


def test_concurrent_retries_with_one_key_store_one_report(contended: ReportStore) -> None:
    store = contended
    reports = [s.report() for _ in range(6)]
    key_hash = s.idempotency(reports[0]).key_hash
    records = [replace(s.idempotency(r), key_hash=key_hash) for r in reports]
    barrier = threading.Barrier(len(reports))

    def attempt(index: int) -> str:
        barrier.wait()
        try:
            store.create_report(reports[index], records[index])
        except IdempotencyReplay as replay:
            return f"replay:{replay.record.report_number}"
        return "stored"

    with ThreadPoolExecutor(len(reports)) as pool:
        results = list(pool.map(attempt, range(len(reports))))
    assert results.count("stored") == 1
    winner = reports[results.index("stored")].number
    assert set(results) == {"stored", f"replay:{winner}"}
    assert [r.number for r in store.iter_reports()] == [winner]


def test_concurrent_appends_keep_every_entry_in_each_writers_order(
    contended: ReportStore,
) -> None:
    store = contended
    report = s.report()
    store.create_report(report)
    writers, each = 4, 5
    barrier = threading.Barrier(writers)

    def append(writer: int) -> None:
        barrier.wait()
        for n in range(each):
            store.add_entry(Entry(report.number, "supplement", s.now(), f"{writer}:{n}".encode()))

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(append, range(writers)))
    sealed = [e.sealed.decode() for e in store.list_entries(report.number)]
    assert len(sealed) == writers * each
    for writer in range(writers):
        assert [x for x in sealed if x.startswith(f"{writer}:")] == [
            f"{writer}:{n}" for n in range(each)
        ]


def test_purge_racing_claims_never_takes_a_claimed_file(contended: ReportStore) -> None:
    """Claims (valid at their time) against a purge whose clock is past every expiry."""
    store = contended
    ids = [_stored_attachment(store, timedelta(minutes=30)) for _ in range(12)]
    reports = [s.report(attachments=(a,)) for a in ids]
    barrier = threading.Barrier(len(ids) + 1)

    def claim(index: int) -> bool:
        barrier.wait()
        try:
            store.create_report(reports[index])
        except AttachmentUnavailable:
            return False
        return True

    def purge() -> int:
        barrier.wait()
        return store.purge_uploads(s.now() + timedelta(hours=1))

    with ThreadPoolExecutor(len(ids) + 1) as pool:
        purging = pool.submit(purge)
        claimed = list(pool.map(claim, range(len(ids))))
        purged = purging.result()
    assert purged == claimed.count(False)
    for attachment_id, report, won in zip(ids, reports, claimed, strict=True):
        record = store.get_attachment(attachment_id)
        if won:
            assert record is not None and record.report_number == report.number
            assert store.get_sealed_attachment(attachment_id) is not None
        else:
            assert record is None and store.get_report(report.number) is None
