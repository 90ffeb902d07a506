"""The CaseStore contract (the officers' side), run against both stores: SQLite and AWS (moto).

What the case workflow and the audit chain rely on is here once: the case opened at
intake, changes conditional on the version (a refused change leaves nothing behind, not
even an audit entry), grants, revocations and exclusions, the audit entry committed with
its change, gapless logs under concurrent writers, the deadline listing with its opaque
cursor, nonces seen once, and checkpoints that may gain cosignatures but never change
their root.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chalicelib.cases.status import ReportStatus
from chalicelib.config.settings import Settings
from chalicelib.store.aws import AwsStore
from chalicelib.store.base import (
    Entry,
    EntryKind,
    IdempotencyReplay,
    NumberTaken,
    ReportRecord,
    StoreError,
)
from chalicelib.store.cases import (
    AuditAppend,
    AuditRecord,
    CaseChange,
    CaseRecord,
    CaseStore,
    CaseUnknown,
    CheckpointRecord,
    VersionConflict,
    Wrap,
)
from chalicelib.store.sqlite import SqliteStore
from tests.store import support as s


@dataclass
class Backend:
    name: str
    open: Callable[[], SqliteStore | AwsStore]


@pytest.fixture(params=["sqlite", pytest.param("aws", marks=pytest.mark.aws)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        path = tmp_path / "jubao.sqlite3"
        return Backend("sqlite", lambda: SqliteStore(path))
    aws: Settings = request.getfixturevalue("aws_settings")
    return Backend("aws", lambda: AwsStore(aws, seal_wait=0.5))


@pytest.fixture
def store(backend: Backend) -> Iterator[SqliteStore | AwsStore]:
    opened = backend.open()
    yield opened
    opened.close()


@pytest.fixture
def contended(
    backend: Backend, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SqliteStore | AwsStore]:
    """A store for racing writers (AWS: through moto's serial endpoint, see moto_env)."""
    if backend.name == "aws":
        monkeypatch.setenv("AWS_ENDPOINT_URL", request.getfixturevalue("serial_moto"))
    opened = backend.open()
    yield opened
    opened.close()


_units = (f"U{n:05d}" for n in itertools.count(10_000))


def fresh_unit() -> str:
    """A unit no other test (or hypothesis example) has used: listings start empty."""
    return next(_units)


@dataclass
class Builder:
    """An audit builder that chains entries by hash and records how it was called."""

    payload: str = "read"
    fail: bool = False
    calls: list[tuple[int, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, index: int, prev: bytes) -> tuple[bytes, bytes]:
        with self.lock:
            self.calls.append((index, prev))
        if self.fail:
            raise RuntimeError("the builder refused")
        entry = json.dumps({"i": index, "prev": prev.hex(), "what": self.payload}).encode()
        return entry, leaf(entry)


def leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def opened_case(
    store: SqliteStore | AwsStore, unit: str | None = None, due: date | None = None
) -> ReportRecord:
    report = s.report()
    if unit is not None:
        report = replace(report, unit=unit)
    if due is not None:
        report = replace(report, acceptance_due=due)
    store.create_report(report)
    return report


def case_of(store: CaseStore, number: str) -> CaseRecord:
    case = store.get_case(number)
    assert case is not None
    return case


def wrap(number: str, officer: str, blob: str = "content") -> Wrap:
    return Wrap(number, blob, officer, f"key-{officer}", f"wrapped:{officer}:{blob}")


# ---- the case opened at intake ------------------------------------------------------------


def test_a_report_opens_its_case(store: SqliteStore | AwsStore) -> None:
    report = opened_case(store)
    assert store.get_case(report.number) == CaseRecord(
        number=report.number,
        unit=report.unit,
        kind=report.kind,
        region=report.region,
        industry=report.industry,
        state=ReportStatus.received,
        version=1,
        received_at=report.received_at,
        updated_at=report.received_at,
        next_deadline=report.acceptance_due,
    )
    assert case_of(store, report.number).is_open
    assert store.get_case("99999999") is None
    assert store.get_report(report.number) == report


def test_a_refused_report_opens_no_case(store: SqliteStore | AwsStore) -> None:
    first = s.report()
    idem = s.idempotency(first)
    store.create_report(first, idem)
    with pytest.raises(NumberTaken):
        store.create_report(replace(s.report(), number=first.number, unit="340100"))
    assert case_of(store, first.number).unit == first.unit
    retry = s.report()
    with pytest.raises(IdempotencyReplay):
        store.create_report(retry, replace(s.idempotency(retry), key_hash=idem.key_hash))
    assert store.get_case(retry.number) is None


# ---- changes ------------------------------------------------------------------------------


def test_a_change_applies_with_its_audit_entry(store: SqliteStore | AwsStore) -> None:
    unit = fresh_unit()
    report = opened_case(store, unit)
    build = Builder("accept")
    at = s.now()
    wraps = (
        wrap(report.number, "alice"),
        wrap(report.number, "bob"),
        wrap(report.number, "bob", "entry:1"),
    )
    new = store.apply_case_change(
        CaseChange(
            report.number,
            expected_version=1,
            at=at,
            state=ReportStatus.accepted,
            next_deadline=s.due(60),
            grant=("alice", "bob", "alice"),
            wraps=wraps,
        ),
        AuditAppend(unit, build),
    )
    assert new == case_of(store, report.number)
    assert (new.state, new.version, new.next_deadline) == ("accepted", 2, s.due(60))
    assert new.assignees == ("alice", "bob")  # once each, in the order granted
    assert new.updated_at == at and new.received_at == report.received_at
    assert store.list_wraps(report.number, "alice") == [wraps[0]]
    assert sorted(store.list_wraps(report.number, "bob"), key=lambda w: w.blob) == [
        wraps[1],
        wraps[2],
    ]
    assert store.list_wraps(report.number, "carol") == []
    assert build.calls == [(0, b"")]
    [record] = store.audit_records(unit)
    assert (record.log, record.index) == (unit, 0)
    assert record.leaf_hash == leaf(record.entry) and json.loads(record.entry)["what"] == "accept"

    # revoke deletes the officer's wraps (of this case only); exclusion only grows
    other = opened_case(store, unit)
    store.apply_case_change(
        CaseChange(other.number, 1, s.now(), grant=("bob",), wraps=(wrap(other.number, "bob"),)),
        AuditAppend(unit, build),
    )
    closed = store.apply_case_change(
        CaseChange(
            report.number,
            expected_version=2,
            at=s.now(),
            state=ReportStatus.concluded,
            clear_deadline=True,
            revoke=("bob",),
            exclude=("carol", "carol"),
        ),
        AuditAppend(unit, build),
    )
    assert closed == case_of(store, report.number)
    assert (closed.version, closed.next_deadline, closed.is_open) == (3, None, False)
    assert (closed.assignees, closed.excluded) == (("alice",), ("carol",))
    assert store.list_wraps(report.number, "bob") == []
    assert store.list_wraps(report.number, "alice") == [wraps[0]]
    assert store.list_wraps(other.number, "bob") == [wrap(other.number, "bob")]
    records = store.audit_records(unit)
    assert [r.index for r in records] == [0, 1, 2]
    assert build.calls == [(0, b""), (1, records[0].leaf_hash), (2, records[1].leaf_hash)]


def test_a_change_keeps_what_it_does_not_name(store: SqliteStore | AwsStore) -> None:
    report = opened_case(store)
    unit = fresh_unit()
    store.apply_case_change(
        CaseChange(report.number, 1, s.now(), grant=("alice",), exclude=("dave",)),
        AuditAppend(unit, Builder()),
    )
    again = store.apply_case_change(
        CaseChange(report.number, 2, s.now(), grant=("bob",), exclude=("erin",)),
        AuditAppend(unit, Builder()),
    )
    assert (again.state, again.next_deadline) == ("received", report.acceptance_due)
    assert (again.assignees, again.excluded) == (("alice", "bob"), ("dave", "erin"))
    # regranting a revoked officer, with a new wrap, in one change
    back = store.apply_case_change(
        CaseChange(
            report.number,
            3,
            s.now(),
            revoke=("alice",),
            grant=("alice",),
            wraps=(wrap(report.number, "alice"),),
        ),
        AuditAppend(unit, Builder()),
    )
    assert back.version == 4


@pytest.mark.parametrize("problem", ["stale", "ahead", "unknown", "builder"])
def test_a_refused_change_leaves_nothing(store: SqliteStore | AwsStore, problem: str) -> None:
    unit = fresh_unit()
    report = opened_case(store, unit)
    store.apply_case_change(
        CaseChange(
            report.number, 1, s.now(), grant=("alice",), wraps=(wrap(report.number, "alice"),)
        ),
        AuditAppend(unit, Builder()),
    )
    before = case_of(store, report.number)
    build = Builder(fail=problem == "builder")
    change = CaseChange(
        "99999999" if problem == "unknown" else report.number,
        expected_version={"stale": 1, "ahead": 3}.get(problem, 2),
        at=s.now(),
        state=ReportStatus.accepted,
        grant=("bob",),
        revoke=("alice",),
        wraps=(wrap(report.number, "bob"),) if problem != "unknown" else (),
    )
    expected: type[Exception] = {
        "stale": VersionConflict,
        "ahead": VersionConflict,
        "unknown": CaseUnknown,
        "builder": RuntimeError,
    }[problem]
    with pytest.raises(expected):
        store.apply_case_change(change, AuditAppend(unit, build))
    assert case_of(store, report.number) == before
    assert store.list_wraps(report.number, "alice") == [wrap(report.number, "alice")]
    assert store.list_wraps(report.number, "bob") == []
    assert store.audit_size(unit) == 1
    if problem != "builder":
        assert build.calls == []  # refused before any entry was made
    # and the store goes on working
    assert (
        store.apply_case_change(
            CaseChange(report.number, 2, s.now()), AuditAppend(unit, Builder())
        ).version
        == 3
    )
    assert store.audit_size(unit) == 2


def test_a_wrap_of_another_case_is_refused(store: SqliteStore | AwsStore) -> None:
    report = opened_case(store)
    with pytest.raises(ValueError):
        store.apply_case_change(
            CaseChange(report.number, 1, s.now(), wraps=(wrap("12345678", "alice"),)),
            AuditAppend(fresh_unit(), Builder()),
        )
    assert case_of(store, report.number).version == 1


def test_entries_have_stable_ids(store: SqliteStore | AwsStore) -> None:
    report = opened_case(store)
    other = opened_case(store)
    for n in range(3):
        store.add_entry(Entry(report.number, EntryKind.supplement, s.now(), f"s{n}".encode()))
        store.add_entry(Entry(other.number, EntryKind.feedback, s.now(), f"o{n}".encode()))
    listed = store.list_entries_with_ids(report.number)
    assert [e for _, e in listed] == store.list_entries(report.number)
    ids = [i for i, _ in listed]
    assert len(set(ids)) == 3 and all(isinstance(i, str) and i for i in ids)
    assert store.list_entries_with_ids(report.number) == listed
    assert store.list_entries_with_ids("99999999") == []


# ---- the audit log ------------------------------------------------------------------------


def test_append_audit_chains_each_log_apart(store: SqliteStore | AwsStore) -> None:
    one, two = fresh_unit(), fresh_unit()
    assert (store.audit_size(one), store.audit_records(one)) == (0, [])
    build = Builder()
    made = [store.append_audit(AuditAppend(one, build)) for _ in range(5)]
    store.append_audit(AuditAppend(two, Builder()))
    assert [r.index for r in made] == list(range(5))
    assert store.audit_size(one) == 5 and store.audit_size(two) == 1
    assert store.audit_records(one) == made
    assert store.audit_records(one, 1, 3) == made[1:3]
    assert store.audit_records(one, 3) == made[3:]
    assert store.audit_records(one, 2, 2) == []
    assert store.audit_records(one, 4, 99) == made[4:]
    assert build.calls == [(0, b"")] + [(i + 1, made[i].leaf_hash) for i in range(4)]
    with pytest.raises(ValueError):
        store.audit_records(one, -1)
    failing = Builder(fail=True)
    with pytest.raises(RuntimeError):
        store.append_audit(AuditAppend(one, failing))
    assert failing.calls == [(5, made[4].leaf_hash)]
    assert store.audit_size(one) == 5


@dataclass
class CaseBuilder:
    """Entries that name their case, as the officers' trail writes them."""

    case: str | None

    def __call__(self, index: int, prev: bytes) -> tuple[bytes, bytes]:
        entry = json.dumps({"case": self.case, "i": index, "prev": prev.hex()}).encode()
        return entry, leaf(entry)


def test_case_audit_reads_one_cases_entries_through_its_index(
    store: SqliteStore | AwsStore,
) -> None:
    unit = fresh_unit()
    report, other = opened_case(store, unit), opened_case(store, unit)
    mine: list[AuditRecord] = []
    for i in range(7):
        number = (report.number, other.number, None)[i % 3]
        record = store.append_audit(AuditAppend(unit, CaseBuilder(number), number))
        if number == report.number:
            mine.append(record)
    # a change commits its entry and its pointer together
    changed = store.apply_case_change(
        CaseChange(report.number, 1, s.now(), grant=("alice",)),
        AuditAppend(unit, CaseBuilder(report.number), report.number),
    )
    assert changed.version == 2
    mine.append(store.audit_records(unit)[-1])
    assert [json.loads(r.entry)["case"] for r in mine] == [report.number] * 4
    assert store.case_audit(report.number, 100) == mine
    assert store.case_audit(report.number, 2) == mine[-2:]
    assert store.case_audit(report.number, 0) == []
    assert [json.loads(r.entry)["case"] for r in store.case_audit(other.number, 100)] == [
        other.number
    ] * 2
    assert store.case_audit("99999999", 10) == []
    # a refused change leaves no pointer
    with pytest.raises(VersionConflict):
        store.apply_case_change(
            CaseChange(report.number, 1, s.now()),
            AuditAppend(unit, CaseBuilder(report.number), report.number),
        )
    assert store.case_audit(report.number, 100) == mine


def test_concurrent_appends_make_one_gapless_chain(contended: SqliteStore | AwsStore) -> None:
    """Appends alone and with case changes, from threads: indexes 0..n-1, each entry built
    on the leaf before it (a lost race rebuilds the entry, it never leaves a gap)."""
    store = contended
    unit = fresh_unit()
    # moto's serial endpoint answers one request at a time: fewer there, same races
    threads, each = (8, 20) if isinstance(store, SqliteStore) else (6, 10)
    reports = [opened_case(store, unit) for _ in range(threads // 2)]
    barrier = threading.Barrier(threads)

    def work(writer: int) -> None:
        barrier.wait()
        for n in range(each):
            build = Builder(f"{writer}:{n}")
            if writer % 2:
                number = reports[writer // 2].number
                store.apply_case_change(
                    CaseChange(number, n + 1, s.now(), grant=(f"o{n}",)), AuditAppend(unit, build)
                )
            else:
                store.append_audit(AuditAppend(unit, build))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    records = store.audit_records(unit)
    assert [r.index for r in records] == list(range(threads * each))
    assert store.audit_size(unit) == threads * each
    prev = b""
    for record in records:
        body = json.loads(record.entry)
        assert (body["i"], bytes.fromhex(body["prev"])) == (record.index, prev)
        assert record.leaf_hash == leaf(record.entry)
        prev = record.leaf_hash
    payloads = [json.loads(r.entry)["what"] for r in records]
    assert sorted(payloads) == sorted(f"{w}:{n}" for w in range(threads) for n in range(each))
    for writer in range(threads):  # each writer's entries in its own order
        mine = [p for p in payloads if p.split(":")[0] == str(writer)]
        assert mine == [f"{writer}:{n}" for n in range(each)]
    for report in reports:
        assert case_of(store, report.number).version == each + 1


# ---- the deadline listing -----------------------------------------------------------------

# per case: days to its deadline, and what officers did: nothing, cleared the deadline
# (still open), closed it (no deadline), closed it keeping a date
CASES = st.lists(
    st.tuples(st.integers(-30, 30), st.sampled_from(["none", "clear", "close", "close_dated"])),
    min_size=0,
    max_size=12,
)


def _fill(
    store: SqliteStore | AwsStore, unit: str, plan: list[tuple[int, str]]
) -> list[CaseRecord]:
    made = []
    for days, action in plan:
        report = opened_case(store, unit, s.due(days))
        change = CaseChange(report.number, 1, s.now())
        if action == "none":
            made.append(case_of(store, report.number))
            continue
        if action == "clear":
            change = replace(change, next_deadline=None, clear_deadline=True)
        elif action == "close":
            change = replace(
                change, next_deadline=None, clear_deadline=True, state=ReportStatus.concluded
            )
        elif action == "close_dated":
            change = replace(change, state=ReportStatus.not_accepted)
        made.append(store.apply_case_change(change, AuditAppend(unit, Builder())))
    return made


def _order(case: CaseRecord) -> tuple[date, str]:
    return (case.next_deadline or date.max, case.number)


def _walk(store: CaseStore, unit: str, open_only: bool, limit: int) -> list[CaseRecord]:
    seen: list[CaseRecord] = []
    after = None
    for _ in range(100):
        page, after = store.list_cases(unit, open_only=open_only, limit=limit, after=after)
        assert len(page) <= limit
        seen += page
        if after is None:
            return seen
        assert len(page) == limit  # only a full page has a next one
    raise AssertionError("the listing never ended")


def test_list_cases_pages_through_the_sorted_set(
    store: SqliteStore | AwsStore, backend: Backend
) -> None:
    # moto: each case costs a few transactions, so fewer examples and no shrinking (a
    # failure there is reproduced and shrunk on SQLite, which runs the same rules)
    sqlite = backend.name == "sqlite"

    @settings(
        max_examples=25 if sqlite else 5,
        phases=list(Phase) if sqlite else [Phase.explicit, Phase.reuse, Phase.generate],
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(plan=CASES, limit=st.integers(1, 5))
    def run(plan: list[tuple[int, str]], limit: int) -> None:
        unit = fresh_unit()
        made = _fill(store, unit, plan)
        opened_case(store, fresh_unit())  # another unit's case is never listed
        every = sorted(made, key=_order)
        assert _walk(store, unit, False, limit) == every
        assert _walk(store, unit, True, limit) == [c for c in every if c.is_open]

    run()


def test_list_cases_first_page_and_limits(store: SqliteStore | AwsStore) -> None:
    unit = fresh_unit()
    made = _fill(store, unit, [(3, "none"), (1, "none"), (2, "close"), (5, "clear")])
    page, after = store.list_cases(unit)
    assert [c.number for c in page] == [made[1].number, made[0].number, made[3].number]
    assert after is None
    # without a deadline, closed or not, last (then by number)
    page, after = store.list_cases(unit, open_only=False, limit=3)
    assert page == [made[1], made[0], made[2]] and after is not None
    page, after = store.list_cases(unit, open_only=False, limit=3, after=after)
    assert (page, after) == ([made[3]], None)
    assert store.list_cases(fresh_unit()) == ([], None)
    for limit in (0, -1, 10_001, True, 2.0, "2"):
        with pytest.raises(ValueError):
            store.list_cases(unit, limit=limit)  # type: ignore[arg-type]
    # a page that ends exactly at the last case has no next page
    page, after = store.list_cases(unit, open_only=False, limit=4)
    assert len(page) == 4 and after is None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def bad_cursors(unit: str) -> list[str]:
    """Cursors no listing of ``unit`` made: broken encodings, wrong shapes and types."""
    u = json.dumps(unit)
    shapes = [
        b"not json",
        b"{}",
        b"[]",
        b"null",
        f'[{u}, true, "2024-01-01"]'.encode(),
        f'[{u}, true, "2024-13-01", "1"]'.encode(),
        f'[{u}, true, "20240101", "1"]'.encode(),
        f'[{u}, true, "2024-1-01", "1"]'.encode(),
        f'[{u}, true, 20240101, "1"]'.encode(),
        f'[{u}, true, "2024-01-01", 1]'.encode(),
        f'[{u}, 1, "2024-01-01", "1"]'.encode(),
        f'[{u}, null, "2024-01-01", "1"]'.encode(),
        b'[[], true, "2024-01-01", "1"]',
        f'[{u}, true, "2024-01-01", "1", "extra"]'.encode(),
        json.dumps([unit, True, "2024-01-01", "1" * 2000]).encode(),
        b"\xff\xfe",
    ]
    return ["", "!!!!", "a", "=" * 8, "x" * 100_000, *(_b64(raw) for raw in shapes)]


def test_malformed_or_foreign_cursors_are_value_errors(store: SqliteStore | AwsStore) -> None:
    unit = fresh_unit()
    _fill(store, unit, [(1, "none"), (2, "none"), (3, "close")])
    _, mine = store.list_cases(unit, limit=1)
    _, all_cases = store.list_cases(unit, open_only=False, limit=1)
    assert mine is not None and all_cases is not None
    foreign = [
        mine[:-2],  # truncated
        mine + "A",
        all_cases,  # a cursor of the listing with closed cases, given to the open one
    ]
    for cursor in [*bad_cursors(unit), *foreign]:
        with pytest.raises(ValueError):
            store.list_cases(unit, limit=1, after=cursor)
    with pytest.raises(ValueError):
        store.list_cases(fresh_unit(), limit=1, after=mine)  # another unit's position


@settings(max_examples=150, deadline=None)
@given(cursor=st.one_of(st.text(max_size=300), st.binary(max_size=200).map(_b64)))
def test_any_cursor_is_a_page_or_a_value_error(cursor: str) -> None:
    from chalicelib.store.case_rules import decode_cursor

    try:
        key, number = decode_cursor(cursor, "U1", True)
    except ValueError:
        return
    assert isinstance(key, str) and isinstance(number, str)


# ---- nonces -------------------------------------------------------------------------------


def test_a_nonce_is_remembered_until_it_expires(store: SqliteStore | AwsStore) -> None:
    now = s.now()
    nonce, other = hashlib.sha256(b"n1").digest(), hashlib.sha256(b"n2").digest()
    assert store.remember_nonce(nonce, now + timedelta(minutes=5), now)
    assert not store.remember_nonce(nonce, now + timedelta(minutes=5), now)
    assert not store.remember_nonce(nonce, now + timedelta(minutes=9), now + timedelta(minutes=4))
    assert store.remember_nonce(other, now + timedelta(minutes=1), now)
    # expired: may be taken again (and then it holds until its new expiry)
    later = now + timedelta(minutes=6)
    assert store.remember_nonce(nonce, later + timedelta(minutes=5), later)
    assert not store.remember_nonce(nonce, later + timedelta(minutes=5), later)
    assert store.purge_nonces(later) == 1  # `other` expired at now + 1 min
    assert store.remember_nonce(other, later + timedelta(minutes=1), later)
    assert store.purge_nonces(later + timedelta(hours=1)) == 2
    assert store.purge_nonces(later + timedelta(hours=1)) == 0


def test_one_nonce_from_many_threads_is_accepted_once(contended: SqliteStore | AwsStore) -> None:
    store = contended
    now = s.now()
    threads = 8
    for round_ in range(3):
        nonce = hashlib.sha256(f"race{round_}".encode()).digest()
        barrier = threading.Barrier(threads)

        def attempt(_: int, nonce: bytes = nonce, barrier: threading.Barrier = barrier) -> bool:
            barrier.wait()
            return store.remember_nonce(nonce, now + timedelta(minutes=5), now)

        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(attempt, range(threads)))
        assert results.count(True) == 1


# ---- checkpoints --------------------------------------------------------------------------


def test_checkpoints_gain_cosignatures_but_never_change_their_root(
    store: SqliteStore | AwsStore,
) -> None:
    log, other = fresh_unit(), fresh_unit()
    assert store.latest_checkpoint(log) is None and store.list_checkpoints(log) == []
    at = s.now()
    second = CheckpointRecord(log, 8, b"r" * 32, "note 8\n\n— a sig\n", at)
    first = CheckpointRecord(log, 3, b"q" * 32, "note 3\n\n— a sig\n", at - timedelta(hours=1))
    store.put_checkpoint(second)
    store.put_checkpoint(first)
    store.put_checkpoint(CheckpointRecord(other, 99, b"z" * 32, "other", at))
    assert store.latest_checkpoint(log) == second
    assert store.list_checkpoints(log) == [first, second]
    cosigned = replace(second, note=second.note + "— a witness\n")
    store.put_checkpoint(cosigned)
    assert store.latest_checkpoint(log) == cosigned
    with pytest.raises(StoreError):
        store.put_checkpoint(replace(first, root=b"x" * 32))
    assert store.list_checkpoints(log) == [first, cosigned]
    assert store.list_checkpoints(other) == [CheckpointRecord(other, 99, b"z" * 32, "other", at)]


# ---- SQLite: an older database gains its cases --------------------------------------------


def test_sqlite_backfills_cases_of_an_older_database(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store = SqliteStore(path)
    received = s.report()
    accepted = s.report()
    concluded = s.report()
    for report in (received, accepted, concluded):
        store.create_report(report)
    store.update_status(accepted.number, ReportStatus.accepted, s.due(60))
    store.update_status(concluded.number, ReportStatus.concluded)
    store.close()
    # the database as the version before cases left it: no case tables, user_version 0
    with sqlite3.connect(path) as conn:
        for table in ("wraps", "cases", "audit", "audit_by_case", "checkpoints", "nonces"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("PRAGMA user_version=0")
    conn.close()

    store = SqliteStore(path)
    try:
        got = {n: case_of(store, n) for n in (received.number, accepted.number, concluded.number)}
        assert got[received.number] == CaseRecord(
            received.number,
            received.unit,
            received.kind,
            received.region,
            received.industry,
            ReportStatus.received,
            1,
            received.received_at,
            received.received_at,
            received.acceptance_due,
        )
        assert (got[accepted.number].state, got[accepted.number].next_deadline) == (
            "accepted",
            s.due(60),
        )
        assert got[concluded.number].next_deadline is None
        assert not got[concluded.number].is_open
        page, _ = store.list_cases(received.unit, limit=1000)
        assert {received.number, accepted.number} <= {c.number for c in page}
        assert concluded.number not in {c.number for c in page}
        store.apply_case_change(
            CaseChange(received.number, 1, s.now(), grant=("alice",)),
            AuditAppend(received.unit, Builder()),
        )
    finally:
        store.close()
    reopened = SqliteStore(path)  # the backfill runs once: the change stays
    try:
        assert case_of(reopened, received.number).version == 2
    finally:
        reopened.close()


def test_sqlite_backfills_the_case_index_of_the_audit_log(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    store = SqliteStore(path)
    report = s.report()
    store.create_report(report)
    made = [
        store.append_audit(AuditAppend(report.unit, CaseBuilder(case), case))
        for case in (report.number, None, report.number)
    ]
    store.close()
    # the database as version 1 left it: entries, but no index by case
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE audit_by_case")
        conn.execute("PRAGMA user_version=1")
    conn.close()
    reopened = SqliteStore(path)
    try:
        assert reopened.case_audit(report.number, 10) == [made[0], made[2]]
    finally:
        reopened.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (2,)
    conn.close()


# ---- AWS: the limits of one transaction and of the index ---------------------------------


@pytest.mark.aws
def test_aws_refuses_more_wraps_than_one_transaction_holds(aws_settings: Settings) -> None:
    store = AwsStore(aws_settings)
    report = opened_case(store)
    unit = fresh_unit()
    # the case, 97 wraps, the log head and its leaf: 100 items
    many = tuple(wrap(report.number, "alice", f"entry:{n}") for n in range(98))
    with pytest.raises(StoreError):
        store.apply_case_change(
            CaseChange(report.number, 1, s.now(), grant=("alice",), wraps=many),
            AuditAppend(unit, Builder()),
        )
    assert case_of(store, report.number).version == 1 and store.audit_size(unit) == 0
    store.apply_case_change(
        CaseChange(report.number, 1, s.now(), grant=("alice",), wraps=many[:97]),
        AuditAppend(unit, Builder()),
    )
    assert len(store.list_wraps(report.number, "alice")) == 97


@pytest.mark.aws
def test_aws_case_index_holds_keys_only(aws_settings: Settings) -> None:
    store = AwsStore(aws_settings)
    report = opened_case(store)
    [index] = [
        i
        for i in store.ddb.describe_table(TableName=store.table)["Table"]["GlobalSecondaryIndexes"]
        if i["IndexName"] == "by_unit_deadline"
    ]
    assert index["Projection"]["ProjectionType"] == "KEYS_ONLY"
    items = store.ddb.query(
        TableName=store.table,
        IndexName="by_unit_deadline",
        KeyConditionExpression="upk = :p",
        ExpressionAttributeValues={":p": {"S": f"{report.unit}#open"}},
    )["Items"]
    assert items and all(set(i) == {"pk", "sk", "upk", "usk"} for i in items)
