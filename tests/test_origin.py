"""The origin check (chalicelib/web/origin.py): CloudFront's secret, and the viewer behind it.

Unit tests of the check and of the viewer's address; the two Lambda doors with the secret
configured are in tests/test_origin_lambda.py.
"""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.config.settings import from_env
from chalicelib.errors import CATALOGUE, ApiError
from chalicelib.web.guard import guarded
from chalicelib.web.http import HttpRequest, HttpResponse, json_response, new_request
from chalicelib.web.origin import (
    ORIGIN_HEADER,
    VIEWER_ADDRESS_HEADER,
    OriginCheck,
    through_origin,
    viewer_address,
)

SECRET = "c2VjcmV0LW9mLXRoZS1zdGFnZS0zMi1ieXRlcy1sb25nIQ=="
EDGE = "130.176.96.72"  # a CloudFront edge node: API Gateway's sourceIp behind CloudFront


def request(headers: dict[str, str] | None = None, client: str = EDGE) -> HttpRequest:
    return new_request("POST", "/api/status", headers or {}, b"{}", client)


def through(check: OriginCheck, headers: dict[str, str]) -> HttpResponse | HttpRequest:
    try:
        return check.admit(request(headers))
    except ApiError as refused:
        assert refused.code == "origin_forbidden"
        return HttpResponse(refused.status, refused.code)


# ---- the secret ----------------------------------------------------------------------------


def test_without_a_secret_every_request_passes_unchanged() -> None:
    check = OriginCheck()
    bare = request({VIEWER_ADDRESS_HEADER: "198.51.100.10:46532"})
    assert not check.configured and check.admit(bare) is bare  # nor is the header believed
    assert not check.verified(request({ORIGIN_HEADER: ""}))


def test_the_right_secret_passes_any_other_is_a_403_from_the_catalogue() -> None:
    check = OriginCheck(SECRET)
    assert check.admit(request({ORIGIN_HEADER: SECRET})).client == EDGE
    # the header's name in any case, as API Gateway and Chalice may hand it over
    assert check.admit(request({ORIGIN_HEADER.upper(): SECRET})).client == EDGE
    for wrong in ({}, {ORIGIN_HEADER: ""}, {ORIGIN_HEADER: SECRET[:-1]}, {"X-Other": SECRET}):
        with pytest.raises(ApiError) as refused:
            check.admit(request(wrong))
        assert refused.value.code == "origin_forbidden"
    status, zh, en = CATALOGUE["origin_forbidden"]
    assert status == 403 and zh and en and zh != en
    assert "X-Jubao" not in zh + en  # the refusal names no header, no secret


secrets_shapes = st.one_of(
    st.just(""),
    st.text(max_size=64),  # non-ASCII, control characters, lone surrogates
    st.text(alphabet=st.characters(codec="ascii"), min_size=2000, max_size=9000),  # huge
    st.sampled_from([SECRET + " ", " " + SECRET, SECRET.lower(), SECRET + "\x00", SECRET * 2]),
)


@settings(max_examples=300)
@given(presented=secrets_shapes)
def test_any_other_header_value_is_refused_never_an_error(presented: str) -> None:
    answer = through(OriginCheck(SECRET), {ORIGIN_HEADER: presented})
    assert isinstance(answer, HttpResponse) and answer.status == 403


def test_the_comparison_is_of_digests_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import chalicelib.web.origin as origin

    seen: list[tuple[bytes, bytes]] = []

    def compare(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return a == b

    monkeypatch.setattr(origin.hmac, "compare_digest", compare)
    assert OriginCheck(SECRET).verified(request({ORIGIN_HEADER: "x"})) is False
    assert OriginCheck(SECRET).verified(request({ORIGIN_HEADER: SECRET})) is True
    # equal lengths whatever was sent: the secret's length does not leak either
    assert [(len(a), len(b)) for a, b in seen] == [(32, 32), (32, 32)]


def test_the_setting_is_read_from_the_environment_and_checked() -> None:
    assert from_env({}).origin_secret == ""
    assert from_env({"JUBAO_ORIGIN_SECRET": SECRET}).origin_secret == SECRET
    for unfit in ("short", "with space inside it", "非ASCII的密钥非ASCII的密钥非ASCII的"):
        with pytest.raises(ValueError):
            from_env({"JUBAO_ORIGIN_SECRET": unfit})


# ---- the viewer's address ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "client"),
    [
        ("198.51.100.10:46532", "198.51.100.10"),
        (" 198.51.100.10:1 ", "198.51.100.10"),
        ("198.51.100.10:65535", "198.51.100.10"),
        # CloudFront writes IPv6 unbracketed; the last colon starts the port
        ("2001:db8:1:2:3:4:5:6:46532", "2001:db8:1:2::/64"),
        ("2001:db8::1:46532", "2001:db8::/64"),
        ("[2001:db8::1]:46532", "2001:db8::/64"),
        ("[2001:DB8:0:0:ffff::1]:443", "2001:db8::/64"),
        ("::ffff:198.51.100.10:5000", "198.51.100.10"),  # IPv4-mapped: the IPv4 address
    ],
)
def test_the_viewer_is_its_address_without_the_port_an_ipv6_viewer_its_64(
    header: str, client: str
) -> None:
    assert viewer_address(header) == client
    check = OriginCheck(SECRET)
    admitted = check.admit(request({ORIGIN_HEADER: SECRET, VIEWER_ADDRESS_HEADER: header}))
    assert admitted.client == client


@pytest.mark.parametrize(
    "header",
    [
        "",
        "198.51.100.10",  # no port
        "198.51.100.10:",
        "198.51.100.10:65536",
        "198.51.100.10:-1",
        "198.51.100.10:８０",  # full-width digits
        "198.51.100.010:80",  # leading zeros are ambiguous (octal?)
        "[2001:db8::1]",
        "[2001:db8::1:80",
        "2001:db8::1",  # no port: the last group would be read as one, then no address
        "fe80::1%eth0:80",
        "unknown:80",
        "198.51.100.10:80, 203.0.113.1:80",
        "x" * 5000,
    ],
)
def test_a_malformed_viewer_address_falls_back_to_the_source(header: str) -> None:
    assert viewer_address(header) is None
    admitted = OriginCheck(SECRET).admit(
        request({ORIGIN_HEADER: SECRET, VIEWER_ADDRESS_HEADER: header})
    )
    assert admitted.client == EDGE


ports = st.integers(min_value=0, max_value=65535)


@settings(max_examples=300)
@given(address=st.ip_addresses(), port=ports, bracketed=st.booleans())
def test_every_address_with_any_port_is_read_back(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int, bracketed: bool
) -> None:
    text = f"[{address}]:{port}" if bracketed and address.version == 6 else f"{address}:{port}"
    found = viewer_address(text)
    if address.version == 4:
        assert found == str(address)
    elif address.ipv4_mapped is not None:
        assert found == str(address.ipv4_mapped)
    else:
        assert found is not None and address in ipaddress.ip_network(found)
        assert found.endswith("/64")
    # another port, the same viewer: a new connection is not a new bucket
    assert viewer_address(text.rsplit(":", 1)[0] + f":{(port + 1) % 65536}") == found


@settings(max_examples=500)
@given(header=st.text(max_size=80))
def test_any_text_gives_an_address_or_none_and_the_check_never_fails(header: str) -> None:
    found = viewer_address(header)
    if found is not None:
        ipaddress.ip_network(found)  # always an address (or a /64) when not None
    admitted = OriginCheck(SECRET).admit(
        request({ORIGIN_HEADER: SECRET, VIEWER_ADDRESS_HEADER: header})
    )
    assert admitted.client == (found if found is not None else EDGE)


def test_the_viewer_header_is_believed_only_with_the_secret() -> None:
    spoofed = {VIEWER_ADDRESS_HEADER: "203.0.113.5:1"}
    with pytest.raises(ApiError):
        OriginCheck(SECRET).admit(request(spoofed))
    assert OriginCheck().admit(request(spoofed)).client == EDGE  # no secret: not believed
    # the officers' door verifies the secret but keeps no address
    officers = OriginCheck(SECRET, viewer_addresses=False)
    kept = officers.admit(request({ORIGIN_HEADER: SECRET, **spoofed}, client="unknown"))
    assert kept.client == "unknown"


# ---- in the guard: a refusal is an answer, logged without the header ------------------------


def test_through_origin_refuses_before_the_handler_and_logs_no_header_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Services:
        origin = OriginCheck(SECRET)

    handled: list[str] = []

    def handler(services: Services, r: HttpRequest) -> HttpResponse:
        handled.append(r.client)
        return json_response(200, {"ok": True})

    run = guarded("report_status", through_origin(Services, handler))
    viewer = "203.0.113.77:40000"
    wrong = "not-the-secret-but-logged-nowhere"
    caplog.set_level("DEBUG")
    refused = run(request({ORIGIN_HEADER: wrong, VIEWER_ADDRESS_HEADER: viewer}))
    assert refused.status == 403 and handled == []
    assert json.loads(refused.body)["error"]["code"] == "origin_forbidden"
    served = run(request({ORIGIN_HEADER: SECRET, VIEWER_ADDRESS_HEADER: viewer}))
    assert served.status == 200 and handled == ["203.0.113.77"]
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert [json.loads(r.getMessage())["status"] for r in caplog.records] == [403, 200]
    for never in (SECRET, wrong, "203.0.113.77", "40000", EDGE):
        assert never not in logged
        assert never not in refused.body
