"""Officers' access end to end, through the real server (`jubao serve --dev-roster`).

A report goes in through the public API; officers of the development roster then work it
with their own key files, over signed HTTP requests, exactly as `jubao officer` does. The
rules of issue 12 are checked twice: by the server (refusals, all audited) and by the
keys (what the server might hand out does not open without the right private key).
"""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import crypto
from chalicelib.audit import checkpoint as notes
from chalicelib.audit.entries import AuditEntry
from chalicelib.audit.verify import verify_log
from chalicelib.config.office import OfficeConfig, load_office
from jubao.officer import casework, recovery
from jubao.officer.client import OfficerApiError, OfficerClient
from jubao.officer.keyfile import OfficerKeys, read_keyfile
from jubao.officer.signing import sign_request
from tests.conftest import LiveServer, free_port, start_server, venv_tool
from tests.store.moto_env import create_resources, environment

pytestmark = pytest.mark.xdist_group("officer-e2e")

UNIT = "340104"  # 蜀山区, a county of Hefei
CITY = "340100"
OTHER_COUNTY = "340102"
MARKER = "举报内容标记-7f3a9c"  # must never appear in anything stored


@pytest.fixture(scope="module")
def moto_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's server in a process of its own: other tests in this worker wipe the moto
    state of theirs between tests, and these tests share one server across the module."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    process = subprocess.Popen(
        [venv_tool("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def _aws_env(url: str) -> dict[str, str]:
    """Resources on the moto process, and the server's environment for them."""
    env = environment(url)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        key_arn = create_resources("jubao-officers", "jubao-officers")
    return {
        **env,
        "JUBAO_STORE": "aws",
        "JUBAO_TABLE": "jubao-officers",
        "JUBAO_BUCKET": "jubao-officers",
        "JUBAO_KMS_KEY_ID": key_arn,
    }


@pytest.fixture(scope="module", params=["sqlite", pytest.param("aws", marks=pytest.mark.aws)])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The real server with the development roster, on SQLite and on the AWS store."""
    base = tmp_path_factory.mktemp(f"officers-{request.param}")
    env = {"JUBAO_SUBMIT_RATE_PER_MINUTE": "100000", "JUBAO_STATUS_RATE_PER_MINUTE": "100000"}
    if request.param == "aws":
        env |= _aws_env(request.getfixturevalue("moto_process"))
    live = start_server(base / "data", env=env, log=base / "server.log", dev_roster=True)
    live.store = request.param  # type: ignore[attr-defined]
    yield live
    live.stop()


class Officers:
    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.dir = server.data_dir / "keys" / "officers"
        self.passphrase = (self.dir / "PASSPHRASE").read_text().strip().encode()
        self._keys: dict[str, OfficerKeys] = {}

    def keys(self, officer_id: str) -> OfficerKeys:
        if officer_id not in self._keys:
            self._keys[officer_id] = read_keyfile(self.dir / f"{officer_id}.key", self.passphrase)
        return self._keys[officer_id]

    def client(self, officer_id: str) -> OfficerClient:
        return OfficerClient(self.server.url, self.keys(officer_id))

    def office(self) -> OfficeConfig:
        return load_office(None, self.server.data_dir / "keys" / "public-keys.json")


@pytest.fixture(scope="module")
def officers(server: LiveServer) -> Officers:
    return Officers(server)


def post_public(server: LiveServer, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        result: dict[str, Any] = json.load(answer)
    return result


_SERIAL = itertools.count(1)


def submit(server: LiveServer, **extra: Any) -> dict[str, Any]:
    """A new report (each text differs: the intake answers a repeated body with its
    first receipt)."""
    report = {
        "kind": "hazard",
        "region": UNIT,
        "industry": "fire",
        "unit_name": "合肥某商场",
        "description": f"消防通道被货物堵塞，安全出口上锁（第{next(_SERIAL)}次）。{MARKER}",
        **extra,
    }
    return post_public(server, "/api/reports", report)


def refused(call: Any, status: int, code: str) -> OfficerApiError:
    with pytest.raises(OfficerApiError) as caught:
        call()
    assert (caught.value.status, caught.value.code) == (status, code)
    return caught.value


def rewrap(officers: Officers, by: str, number: str, to: str, route: str) -> dict[str, Any]:
    """A case's data keys wrapped, on ``by``'s machine, for ``to``, posted to ``route``."""
    client = officers.client(by)
    view = client.get(f"/cases/{number}")
    grantee = officers.office().officer(to)
    assert grantee is not None
    wraps = casework.make_wraps(
        view,
        officers.keys(by),
        grantee.encryption_key,
        set(),
        casework.attachment_fetcher(client, number),
    )
    return client.post(
        f"/cases/{number}/{route}",
        {"to": to, "expected_version": view["case"]["version"], "wraps": wraps},
    )


def grant(officers: Officers, intake: str, number: str, to: str) -> dict[str, Any]:
    return rewrap(officers, intake, number, to, "grant")


def refusals_in_log(officers: Officers, reader: str, unit: str) -> list[dict[str, Any]]:
    entries = officers.client(reader).get(f"/audit/{unit}")["entries"]
    return [e for e in entries if e["action"] == "refusal"]


# ---- the whole path of one case -----------------------------------------------------------


def test_intake_lists_reads_and_assigns_and_only_the_grantee_reads(server, officers):
    number = submit(server)["report_number"]
    intake = officers.client(f"{UNIT}-intake")
    listed = [c["number"] for c in intake.get("/cases")["cases"]]
    assert number in listed
    view = intake.get(f"/cases/{number}")
    assert view["access"] == "unit_key"
    content = casework.open_case_content(view, officers.keys(f"{UNIT}-intake"))
    assert content["description"].endswith(MARKER)

    # before the grant, the handler cannot see it
    handler = officers.client(f"{UNIT}-handler")
    refused(lambda: handler.get(f"/cases/{number}"), 403, "case_forbidden")

    answer = grant(officers, f"{UNIT}-intake", number, f"{UNIT}-handler")
    assert answer["case"]["assignees"] == [f"{UNIT}-handler"]
    assert answer["case"]["version"] == view["case"]["version"] + 1

    mine = handler.get(f"/cases/{number}")
    assert mine["access"] == "grant"
    # the envelope carries exactly one wrapped key: the handler's own
    handler_kid = crypto.key_id(officers.keys(f"{UNIT}-handler").encryption_public)
    assert list(mine["content"]["keys"]) == [handler_kid]
    opened = casework.open_case_content(mine, officers.keys(f"{UNIT}-handler"))
    assert opened["description"] == content["description"]

    # the second handler of the same unit: refused by the server, and by the keys
    second = officers.client(f"{UNIT}-handler2")
    refused(lambda: second.get(f"/cases/{number}"), 403, "case_forbidden")
    with pytest.raises(casework.CaseworkError):
        casework.open_case_content(mine, officers.keys(f"{UNIT}-handler2"))
    with pytest.raises(casework.CaseworkError):
        casework.open_case_content(view, officers.keys(f"{UNIT}-handler2"))

    # the history names the grant
    history = handler.get(f"/cases/{number}")["history"]
    assert [h["action"] for h in history if h["action"] == "grant"] == ["grant"]


def test_another_county_gets_403_cannot_decrypt_and_is_audited(server, officers):
    number = submit(server)["report_number"]
    stranger_id = f"{OTHER_COUNTY}-intake"
    stranger = officers.client(stranger_id)
    refused(lambda: stranger.get(f"/cases/{number}"), 403, "case_forbidden")
    refused(lambda: stranger.get("/cases", {"unit": UNIT}), 403, "unit_forbidden")
    refused(lambda: stranger.get(f"/cases/{number}/identity"), 403, "identity_forbidden")
    # handed the envelope anyway (say, by a faulty server), their keys do not open it
    view = officers.client(f"{UNIT}-intake").get(f"/cases/{number}")
    with pytest.raises(casework.CaseworkError):
        casework.open_case_content(view, officers.keys(stranger_id))
    # every attempt is in the case unit's log, signed by the server
    attempts = [
        r for r in refusals_in_log(officers, f"{UNIT}-intake", UNIT) if r["actor"] == stranger_id
    ]
    assert {(r["outcome"], r["case"]) for r in attempts} >= {
        ("case_forbidden", number),
        ("unit_forbidden", None),
        ("identity_forbidden", number),
    }
    assert all(r["proof"]["kind"] == "server" for r in attempts)


def test_only_the_custodian_reads_the_identity(server, officers):
    reporter = {"name": "张三", "phone": "13800000000", "employee": True}
    number = submit(server, reporter=reporter)["report_number"]
    grant(officers, f"{UNIT}-intake", number, f"{UNIT}-handler")
    custodian_id = f"{UNIT}-custodian"
    answer = officers.client(custodian_id).get(f"/cases/{number}/identity")
    identity = casework.open_identity(number, answer["identity"], officers.keys(custodian_id))
    assert identity["name"] == "张三"
    for who in (f"{UNIT}-handler", f"{UNIT}-intake", f"{CITY}-supervisor"):
        refused(
            lambda who=who: officers.client(who).get(f"/cases/{number}/identity"),
            403,
            "identity_forbidden",
        )
    # the intake officer's keys cannot open the identity either
    with pytest.raises(casework.CaseworkError):
        casework.open_identity(number, answer["identity"], officers.keys(f"{UNIT}-intake"))
    log = officers.client(f"{UNIT}-intake").get(f"/audit/{UNIT}")["entries"]
    reads = [e for e in log if e["action"] == "read_identity" and e["case"] == number]
    assert [(r["actor"], r["proof"]["kind"]) for r in reads] == [(custodian_id, "request")]


def test_revoked_handler_cannot_open_what_comes_after(server, officers):
    receipt = submit(server)
    number = receipt["report_number"]
    grant(officers, f"{UNIT}-intake", number, f"{UNIT}-handler")
    # a supplement while granted is sealed to the handler too
    post_public(
        server,
        "/api/reports/supplement",
        {"receipt": receipt["receipt"], "text": "补充一：仓库堆放易燃物。"},
    )
    handler_keys = officers.keys(f"{UNIT}-handler")
    view = officers.client(f"{UNIT}-handler").get(f"/cases/{number}")
    [first] = casework.supplements(view)
    assert casework.open_entry(number, first, handler_keys)["text"].startswith("补充一")

    intake = officers.client(f"{UNIT}-intake")
    version = intake.get(f"/cases/{number}")["case"]["version"]
    revoked = intake.post(
        f"/cases/{number}/revoke", {"officer": f"{UNIT}-handler", "expected_version": version}
    )
    assert revoked["case"]["assignees"] == []
    post_public(
        server,
        "/api/reports/supplement",
        {"receipt": receipt["receipt"], "text": "补充二：夜间有人员留宿。"},
    )
    refused(
        lambda: officers.client(f"{UNIT}-handler").get(f"/cases/{number}"), 403, "case_forbidden"
    )
    # by the keys: the later supplement is not sealed to the handler at all
    latest = intake.get(f"/cases/{number}")
    second = casework.supplements(latest)[-1]
    assert casework.open_entry(number, second, officers.keys(f"{UNIT}-intake"))["text"].startswith(
        "补充二"
    )
    with pytest.raises(casework.CaseworkError):
        casework.open_entry(number, second, handler_keys)


def test_excluded_officer_cannot_be_granted_and_stale_versions_conflict(server, officers):
    number = submit(server)["report_number"]
    intake = officers.client(f"{UNIT}-intake")
    version = intake.get(f"/cases/{number}")["case"]["version"]
    excluded = intake.post(
        f"/cases/{number}/exclude", {"officer": f"{UNIT}-handler2", "expected_version": version}
    )
    assert excluded["case"]["excluded"] == [f"{UNIT}-handler2"]
    refused(
        lambda: grant(officers, f"{UNIT}-intake", number, f"{UNIT}-handler2"),
        403,
        "officer_excluded",
    )
    refused(
        lambda: intake.post(
            f"/cases/{number}/grant",
            {"to": f"{UNIT}-handler", "expected_version": version, "wraps": []},
        ),
        422,
        "grant_incomplete",
    )
    view = intake.get(f"/cases/{number}")
    grantee = officers.office().officer(f"{UNIT}-handler")
    assert grantee is not None
    wraps = casework.make_wraps(
        view,
        officers.keys(f"{UNIT}-intake"),
        grantee.encryption_key,
        set(),
        casework.attachment_fetcher(intake, number),
    )
    refused(
        lambda: intake.post(
            f"/cases/{number}/grant",
            {"to": f"{UNIT}-handler", "expected_version": version, "wraps": wraps},
        ),
        409,
        "version_conflict",
    )
    # only the unit's intake may grant
    handler = officers.client(f"{UNIT}-handler")
    refused(
        lambda: handler.post(
            f"/cases/{number}/grant",
            {"to": f"{UNIT}-handler", "expected_version": version + 1, "wraps": wraps},
        ),
        403,
        "grant_forbidden",
    )


def test_units_above_see_metadata_only(server, officers):
    number = submit(server)["report_number"]
    supervisor = officers.client(f"{CITY}-supervisor")
    listed = supervisor.get("/cases", {"unit": UNIT, "limit": 200})["cases"]
    assert number in [c["number"] for c in listed]
    view = supervisor.get(f"/cases/{number}")
    assert view["access"] == "metadata"
    assert view["content"] is None
    assert all(e["sealed"] is None for e in view["entries"])
    refused(lambda: supervisor.get(f"/cases/{number}/attachments/x"), 403, "case_forbidden")


def escalate(officers: Officers, by: str, number: str, to: str) -> dict[str, Any]:
    return rewrap(officers, by, number, to, "escalate")


def test_a_handler_escalates_a_case_upward_and_only_that_supervisor_opens_it(server, officers):
    receipt = submit(server)
    number = receipt["report_number"]
    handler, city, province = f"{UNIT}-handler", f"{CITY}-supervisor", "340000-supervisor"
    grant(officers, f"{UNIT}-intake", number, handler)
    # not sideways, not to a handler above, not by one who cannot open it
    refused(
        lambda: escalate(officers, handler, number, f"{OTHER_COUNTY}-intake"),
        422,
        "escalation_target_invalid",
    )
    refused(
        lambda: escalate(officers, handler, number, f"{CITY}-handler"),
        422,
        "escalation_target_invalid",
    )
    refused(lambda: escalate(officers, f"{UNIT}-handler2", number, city), 403, "case_forbidden")
    refused(
        lambda: officers.client(f"{UNIT}-handler2").post(
            f"/cases/{number}/escalate", {"to": city, "expected_version": 1, "wraps": []}
        ),
        403,
        "escalation_forbidden",
    )

    answer = escalate(officers, handler, number, city)
    assert city in answer["case"]["assignees"]
    view = officers.client(city).get(f"/cases/{number}")
    assert view["access"] == "grant"
    content = casework.open_case_content(view, officers.keys(city))
    assert content["description"].endswith(MARKER)
    # the unit above the city still sees metadata only, and its keys open nothing
    top = officers.client(province).get(f"/cases/{number}")
    assert top["access"] == "metadata" and top["content"] is None
    with pytest.raises(casework.CaseworkError):
        casework.open_case_content(view, officers.keys(province))
    # later supplements are sealed to the escalated supervisor too, as to any grantee
    post_public(
        server, "/api/reports/supplement", {"receipt": receipt["receipt"], "text": "补充：已复工。"}
    )
    later = casework.supplements(officers.client(city).get(f"/cases/{number}"))[-1]
    assert casework.open_entry(number, later, officers.keys(city))["text"] == "补充：已复工。"
    # audited in the case's unit, by the officer who escalated it
    entries = officers.client(f"{UNIT}-intake").get(f"/audit/{UNIT}")["entries"]
    [entry] = [e for e in entries if e["action"] == "escalate" and e["case"] == number]
    assert (entry["actor"], entry["outcome"], entry["detail"]) == (
        handler,
        "ok",
        {"to": city, "unit": CITY},
    )
    # the intake may take it back like any grant
    version = officers.client(f"{UNIT}-intake").get(f"/cases/{number}")["case"]["version"]
    officers.client(f"{UNIT}-intake").post(
        f"/cases/{number}/revoke", {"officer": city, "expected_version": version}
    )
    assert officers.client(city).get(f"/cases/{number}")["access"] == "metadata"


# ---- signed requests ------------------------------------------------------------------------


def raw_get(server: LiveServer, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(server.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_replayed_expired_unsigned_and_unknown_requests_are_refused(server, officers):
    keys = officers.keys(f"{UNIT}-handler")
    path = "/api/officer/me"
    headers = sign_request(
        "GET", path, None, b"", officer_id=keys.officer, signing_seed_b64=keys.signing_seed
    )
    assert raw_get(server, path, headers)[0] == 200
    status, body = raw_get(server, path, headers)
    assert (status, body["error"]["code"]) == (401, "signature_replayed")
    old = datetime.now(UTC) - timedelta(minutes=10)
    stale = sign_request(
        "GET", path, None, b"", officer_id=keys.officer, signing_seed_b64=keys.signing_seed, now=old
    )
    status, body = raw_get(server, path, stale)
    assert (status, body["error"]["code"]) == (401, "signature_expired")
    status, body = raw_get(server, path, {})
    assert (status, body["error"]["code"]) == (401, "signature_missing")
    impostor = OfficerKeys.new(f"{UNIT}-handler")  # right name, wrong key
    forged = sign_request(
        "GET", path, None, b"", officer_id=impostor.officer, signing_seed_b64=impostor.signing_seed
    )
    status, body = raw_get(server, path, forged)
    assert (status, body["error"]["code"]) == (401, "signature_invalid")
    # another path than the one signed
    moved = sign_request(
        "GET",
        "/api/officer/cases",
        None,
        b"",
        officer_id=keys.officer,
        signing_seed_b64=keys.signing_seed,
    )
    status, body = raw_get(server, path, moved)
    assert (status, body["error"]["code"]) == (401, "signature_invalid")
    # the refusals are in the top unit's log
    top = refusals_in_log(officers, "340000-intake", "340000")
    assert {
        "signature_replayed",
        "signature_expired",
        "signature_missing",
        "signature_invalid",
    } <= {r["outcome"] for r in top} | {
        r["outcome"] for r in refusals_in_log(officers, f"{UNIT}-intake", UNIT)
    }


# ---- keys: recovery, and a stolen copy of the store ------------------------------------


def test_k_of_n_recovery_restores_the_unit_key_and_fewer_shares_do_not(server, officers):
    number = submit(server)["report_number"]
    intake_keys = officers.keys(f"{UNIT}-intake")
    unit_key = intake_keys.unit_keys[UNIT].content[0]
    shares = recovery.split_key(unit_key, 2, ["a", "b", "c"])
    restored = recovery.recover_key([shares["a"], shares["c"]])
    assert restored == unit_key
    with pytest.raises(recovery.RecoveryError):
        recovery.recover_key([shares["b"]])
    # a new machine: fresh officer keys plus the recovered unit key open the case
    fresh = OfficerKeys.new(f"{UNIT}-intake").with_unit_key(UNIT, "content", restored)
    view = officers.client(f"{UNIT}-intake").get(f"/cases/{number}")
    assert casework.open_case_content(view, fresh)["description"].endswith(MARKER)
    # the recovery is put on the unit's record, by the officer who did it
    event = {"action": "recover", "unit": UNIT, "role": "content"}
    recorded = officers.client(f"{UNIT}-intake").post("/keys/events", event)
    entries = officers.client(f"{UNIT}-intake").get(f"/audit/{UNIT}")["entries"]
    entry = entries[recorded["index"]]
    assert (entry["action"], entry["actor"], entry["proof"]["kind"]) == (
        "recover",
        f"{UNIT}-intake",
        "request",
    )
    assert entry["detail"] == {"event": "recover", "role": "content"}
    refused(
        lambda: officers.client(f"{OTHER_COUNTY}-intake").post("/keys/events", event),
        403,
        "audit_forbidden",
    )


def test_a_copy_of_the_whole_store_reveals_nothing(server, officers, request):
    submit(server, reporter={"name": "李四标记", "phone": "13900000000"})
    if server.store == "aws":
        stored = _aws_dump(request.getfixturevalue("moto_process"))
    else:
        data = server.data_dir
        stored = b"".join(
            p.read_bytes()
            for p in data.rglob("*")
            if p.is_file() and "keys" not in p.relative_to(data).parts
        )
    assert stored, "the store is empty"
    for secret in (MARKER, "李四标记", "13900000000", "补充一"):
        assert secret.encode() not in stored


def _aws_dump(url: str) -> bytes:
    """Every item of the table and every object version of the bucket, as bytes."""
    import boto3

    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment(url).items():
            patch.setenv(name, value)
        ddb = boto3.client("dynamodb")
        items = []
        for page in ddb.get_paginator("scan").paginate(TableName="jubao-officers"):
            items += page["Items"]
        s3 = boto3.client("s3")
        # clear text as it is stored: strings unescaped, binary values as their bytes
        blobs = [
            json.dumps(
                items, ensure_ascii=False, default=lambda b: b.decode("utf-8", "replace")
            ).encode()
        ]
        for page in s3.get_paginator("list_object_versions").paginate(Bucket="jubao-officers"):
            for version in page.get("Versions", []):
                blobs.append(
                    s3.get_object(
                        Bucket="jubao-officers", Key=version["Key"], VersionId=version["VersionId"]
                    )["Body"].read()
                )
    assert len(items) > 10
    return b"".join(blobs)


# ---- the audit log, verified and witnessed ----------------------------------------------


def test_the_units_log_verifies_and_the_city_cosigns_it(server, officers):
    number = submit(server)["report_number"]
    officers.client(f"{UNIT}-intake").get(f"/cases/{number}")
    reader = officers.client(f"{UNIT}-intake")
    note = reader.get(f"/audit/{UNIT}/checkpoint")["note"]
    supervisor_id = f"{CITY}-supervisor"
    cosigned = notes.cosign(note, supervisor_id, officers.keys(supervisor_id).signing_seed)
    stored = officers.client(supervisor_id).post(f"/audit/{UNIT}/cosign", {"note": cosigned})
    office = officers.office()
    witness = office.officer(supervisor_id)
    assert witness is not None
    assert notes.verify_note(stored["note"], {supervisor_id: witness.signing_key}) == {
        supervisor_id
    }

    entries = [AuditEntry.model_validate(e) for e in reader.get(f"/audit/{UNIT}")["entries"]][
        : stored["size"]
    ]
    result = verify_log(
        entries,
        [stored["note"]],
        officer_keys={o.id: o.signing_key for o in office.officers},
        server_key=office.audit.server_key,
        witness_keys={supervisor_id: witness.signing_key},
        origin=notes.origin_for(office.office.code, UNIT),
    )
    assert result.ok, result.problems

    # a county officer may not witness its own log, nor another county's
    refused(
        lambda: officers.client(f"{UNIT}-intake").post(f"/audit/{UNIT}/cosign", {"note": cosigned}),
        403,
        "audit_forbidden",
    )
    # a changed note is refused
    forged = cosigned.replace(cosigned.splitlines()[1], str(int(cosigned.splitlines()[1]) + 1), 1)
    refused(
        lambda: officers.client(supervisor_id).post(f"/audit/{UNIT}/cosign", {"note": forged}),
        422,
        "checkpoint_invalid",
    )
    # an edited entry (not the last: the next one's link names it) is detected and named
    tampered = list(entries)
    victim = len(tampered) // 2
    tampered[victim] = tampered[victim].model_copy(update={"outcome": "ok_but_not"})
    bad = verify_log(
        tampered,
        [stored["note"]],
        officer_keys={o.id: o.signing_key for o in office.officers},
        server_key=office.audit.server_key,
        witness_keys={supervisor_id: witness.signing_key},
        origin=notes.origin_for(office.office.code, UNIT),
    )
    assert not bad.ok
    assert bad.first_bad == victim


def test_inclusion_and_consistency_proofs_verify(server, officers):
    from chalicelib.audit import merkle

    reader = officers.client(f"{UNIT}-intake")
    first = reader.get(f"/audit/{UNIT}/checkpoint")
    submit(server)
    reader.get("/cases")
    second = reader.get(f"/audit/{UNIT}/checkpoint")
    assert second["size"] > first["size"]
    proof = reader.get(f"/audit/{UNIT}/consistency", {"old": first["size"], "new": second["size"]})
    assert merkle.verify_consistency(
        first["size"],
        second["size"],
        bytes.fromhex(first["root"]),
        bytes.fromhex(second["root"]),
        [bytes.fromhex(p) for p in proof["proof"]],
    )
    inclusion = reader.get(f"/audit/{UNIT}/inclusion", {"index": 0, "size": second["size"]})
    entry = reader.get(f"/audit/{UNIT}", {"start": 0, "end": 1})["entries"][0]
    leaf = AuditEntry.model_validate(entry).leaf_hash()
    assert leaf.hex() == inclusion["leaf"]
    assert merkle.verify_inclusion(
        leaf,
        0,
        second["size"],
        [bytes.fromhex(p) for p in inclusion["proof"]],
        bytes.fromhex(second["root"]),
    )
    refused(lambda: reader.get(f"/audit/{UNIT}/inclusion", {"index": 10**6}), 400, "query_invalid")
    refused(lambda: reader.get(f"/audit/{CITY}"), 403, "audit_forbidden")
