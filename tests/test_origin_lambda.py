"""Both Lambda doors with CloudFront's origin secret configured (Chalice's test client).

Every request the test client sends has the same source address (Chalice's local
``sourceIp``), as every request through one CloudFront edge node does in AWS: the rate
limits must then follow ``CloudFront-Viewer-Address``, and only when the secret verified.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

import app as public_function
from chalicelib.web.origin import ORIGIN_HEADER, VIEWER_ADDRESS_HEADER
from jubao.officer.keyfile import OfficerKeys
from jubao.officer.signing import sign_request
from tests.officer.test_officer_lambda import hefei_intake_key

officer_function = importlib.import_module("officer.app")
SECRET = "b3JpZ2luLXNlY3JldC1vZi10aGUtdGVzdC1zdGFnZSE="
STATUS = json.dumps({"receipt": "0" * 24})  # well formed, unknown: a 404 when served


@pytest.fixture
def secured(dev_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``dev_env`` with the origin secret set and a status limit of one request at a time."""
    monkeypatch.setenv("JUBAO_ORIGIN_SECRET", SECRET)
    monkeypatch.setenv("JUBAO_STATUS_RATE_PER_MINUTE", "2")  # burst 1, refill 30 s
    public_function.public.reset()
    officer_function.officers.reset()
    yield dev_env
    public_function.public.reset()
    officer_function.officers.reset()


def status(client: Client, **headers: str) -> Any:
    return client.http.post(
        "/api/status", headers={"Content-Type": "application/json", **headers}, body=STATUS
    )


def code_of(reply: Any) -> str:
    return str(json.loads(reply.body)["error"]["code"])


def test_the_public_door_refuses_requests_without_the_secret(secured: Path) -> None:
    with Client(public_function.app) as client:
        for headers in ({}, {ORIGIN_HEADER: "wrong"}, {ORIGIN_HEADER: SECRET[:-2]}):
            reply = status(client, **headers)
            assert reply.status_code == 403 and code_of(reply) == "origin_forbidden"
            assert reply.headers["Cache-Control"] == "no-store"  # the API's header set
            error = json.loads(reply.body)["error"]
            assert error["message_zh"] and error["message_en"]
        # served, within the limit of one: the refusals cost no token (never reached it)
        served = status(client, **{ORIGIN_HEADER: SECRET})
        assert served.status_code == 404 and code_of(served) == "receipt_invalid"
        page = client.http.get("/api/openapi.json")
        assert page.status_code == 403


def test_the_public_door_limits_per_viewer_not_per_edge_node(secured: Path) -> None:
    def viewer(address: str) -> dict[str, str]:
        return {ORIGIN_HEADER: SECRET, VIEWER_ADDRESS_HEADER: address}

    with Client(public_function.app) as client:
        assert status(client, **viewer("198.51.100.10:40001")).status_code == 404
        # the same viewer on a new connection (another port): the same bucket
        again = status(client, **viewer("198.51.100.10:40002"))
        assert again.status_code == 429 and code_of(again) == "rate_limited"
        assert again.headers["Retry-After"]
        # another viewer through the same edge node (the same sourceIp) is not limited
        assert status(client, **viewer("203.0.113.20:40001")).status_code == 404
        assert status(client, **viewer("2001:db8:5::1:443")).status_code == 404
        # an IPv6 viewer is its /64: another address in it is the same subscriber
        assert status(client, **viewer("[2001:db8:5::9]:443")).status_code == 429
        # a malformed or missing address: the edge node's, one shared bucket
        assert status(client, **viewer("garbage")).status_code == 404
        assert status(client, **{ORIGIN_HEADER: SECRET}).status_code == 429


def test_without_the_secret_configured_the_door_is_as_before(dev_env: Path) -> None:
    public_function.public.reset()
    with Client(public_function.app) as client:
        assert status(client).status_code == 404  # no header needed
        spoofed = {VIEWER_ADDRESS_HEADER: "203.0.113.99:1"}
        assert status(client, **spoofed).status_code == 404


def test_viewer_addresses_and_the_secret_are_never_logged(
    secured: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    viewer = "198.51.100.233:61234"
    with Client(public_function.app) as client:
        status(client, **{ORIGIN_HEADER: SECRET, VIEWER_ADDRESS_HEADER: viewer})
        status(client, **{ORIGIN_HEADER: "guess-" + SECRET, VIEWER_ADDRESS_HEADER: viewer})
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("jubao")]
    assert [json.loads(line)["status"] for line in lines] == [404, 403]
    everything = caplog.text + "".join(str(vars(r)) for r in caplog.records)
    for never in ("198.51.100.233", "61234", SECRET, "127.0.0.1"):
        assert never not in everything


@pytest.fixture
def officer_key(secured: Path) -> OfficerKeys:
    return hefei_intake_key(secured / "keys")


def test_the_officers_door_refuses_before_the_signature_and_audits_nothing(
    officer_key: OfficerKeys,
) -> None:
    def signed() -> dict[str, str]:
        return sign_request(
            "GET",
            "/api/officer/me",
            None,
            b"",
            officer_id=officer_key.officer,
            signing_seed_b64=officer_key.signing_seed,
        )

    with Client(officer_function.app) as client:
        client.http.get("/api/officer/me", headers={ORIGIN_HEADER: SECRET})  # builds the app
        officers = officer_function.officers.get()
        before = {u.code: officers.cases.audit_size(u.code) for u in officers.office.units}
        # a signed request sent straight to execute-api: refused, its nonce not spent
        headers = signed()
        direct = client.http.get("/api/officer/me", headers=headers)
        assert direct.status_code == 403 and code_of(direct) == "origin_forbidden"
        unsigned = client.http.get("/api/officer/me", headers={ORIGIN_HEADER: "wrong"})
        assert unsigned.status_code == 403
        after = {u.code: officers.cases.audit_size(u.code) for u in officers.office.units}
        assert after == before  # never written, not even sampled
        # the very same signed request through CloudFront is served
        through = client.http.get("/api/officer/me", headers={**headers, ORIGIN_HEADER: SECRET})
        assert through.status_code == 200, through.body
        assert json.loads(through.body)["officer"]["id"] == "340100-intake"
        # an unsigned one through CloudFront is the signature check's, and audited as before
        refused = client.http.get("/api/officer/me", headers={ORIGIN_HEADER: SECRET})
        assert refused.status_code == 401 and code_of(refused) == "signature_missing"
        grown = {u.code: officers.cases.audit_size(u.code) for u in officers.office.units}
        assert sum(grown.values()) > sum(after.values())


def test_jubao_serve_checks_a_configured_secret_the_same_way(secured: Path) -> None:
    """The local server's dispatch goes through the same check (a proxy may add it)."""
    from jubao.wsgi import create_app
    from tests.test_wsgi_and_policy import call

    server = create_app(None, public_function.public)
    body = STATUS.encode()
    headers = {"Content-Type": "application/json"}
    refused, _, answer = call(server, "POST", "/api/status", body, headers)
    assert refused == 403 and json.loads(answer)["error"]["code"] == "origin_forbidden"
    served, _, answer = call(
        server, "POST", "/api/status", body, {**headers, ORIGIN_HEADER: SECRET}
    )
    assert served == 404 and json.loads(answer)["error"]["code"] == "receipt_invalid"
