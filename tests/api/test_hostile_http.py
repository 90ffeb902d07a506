"""Hostile input at the HTTP level, against one real `jubao serve` process.

Every request here gets an HTTP answer within a timeout (never a dropped connection, never a
hang), and the answer is a 4xx, never a 5xx. Protocol-level refusals by the server library
may be any 4xx with any body; refusals by the application carry our error shape (a stable
code and a message in Chinese and English), or for ``/api/form/*`` an HTML page, and every
answer of the application carries the security-header policy. Requests come from many
loopback addresses and carry marker strings in paths, queries, headers and bodies; at the
end the server's log must hold nothing but route, status and time.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.errors import CATALOGUE
from tests.conftest import LiveServer, start_server

from .client import (
    NO_RATE_LIMITS,
    REPORT,
    Dropped,
    RawReply,
    ReplyReader,
    connect,
    exchange,
    fds_by_kind,
    http_request,
    read_reply,
    rss_mb,
)

# Planted everywhere; must never reach the log. Fixed, not random: pytest-xdist
# workers must collect the same test ids, and the ids carry it.
MARKER = "mk5d1c0a7e93"
TIMEOUT = 15.0  # seconds for any one answer, on a loaded 2-core machine

JSON_ROUTES = [
    "/api/reports",
    "/api/status",
    "/api/reports/supplement",
    "/api/attachments",
    "/api/tags/verify",
]
FORM_ROUTES = ["/api/form/report", "/api/form/status", "/api/form/supplement"]
SITE_PATHS = ["/", "/report/", "/status/", "/en/report/", "/404.html", f"/no-such-{MARKER}/"]
API_PATHS = [*JSON_ROUTES, *FORM_ROUTES, "/api/openapi.json", f"/api/no-such-{MARKER}"]

_addresses = count(1)
SOURCES: list[str] = []  # every client address used; none may appear in the log


def source() -> str:
    """A fresh loopback client address, 127.77.x.y (never 127.0.0.1)."""
    n = next(_addresses)
    address = f"127.77.{n // 250 % 250}.{n % 250 + 1}"
    SOURCES.append(address)
    return address


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp("hostile")
    live = start_server(base / "data", env=NO_RATE_LIMITS, log=base / "hostile-server.log")
    yield live
    live.stop()


def port_of(server: LiveServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def send(server: LiveServer, data: bytes, timeout: float = TIMEOUT) -> RawReply:
    try:
        return exchange(port_of(server), data, source(), timeout)
    except TimeoutError:
        raise AssertionError(f"no answer within {timeout} s to {data[:120]!r}") from None


def call(
    server: LiveServer,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> RawReply:
    return send(server, http_request(method, path, body, {"User-Agent": MARKER, **(headers or {})}))


def post_json(server: LiveServer, path: str, payload: object) -> RawReply:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return call(server, "POST", path, body, {"Content-Type": "application/json"})


def post_form(server: LiveServer, path: str, fields: dict[str, str]) -> RawReply:
    body = urlencode(fields).encode()
    return call(server, "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})


# ---- what an answer must look like ---------------------------------------------------------


def before_the_application(reply: RawReply) -> bool:
    """A refusal the server wrote while reading the request; it closes the connection."""
    if reply.status in (408, 413, 431, 501, 505):
        return reply.headers.get("connection", "").lower() == "close"
    return reply.status == 400 and b'"bad_request"' in reply.body


def assert_policy(reply: RawReply, path: str) -> None:
    """The security-header policy, on every answer of the application."""
    csp = reply.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, (reply.status, path, reply.headers)
    assert reply.headers.get("x-content-type-options") == "nosniff", (path, reply.headers)
    assert reply.headers.get("cache-control"), (path, reply.headers)
    if path.split("?")[0].startswith("/api/"):
        assert "no-store" in reply.headers["cache-control"], (path, reply.headers)


def assert_error_shape(reply: RawReply, codes: set[str] | None = None) -> str:
    payload = json.loads(reply.body)
    assert set(payload) == {"error"}, payload
    error = payload["error"]
    assert error["code"] in CATALOGUE, error
    assert CATALOGUE[error["code"]][0] == reply.status, (reply.status, error)
    assert error["message_zh"] and error["message_en"], error
    if codes is not None:
        assert error["code"] in codes, (error["code"], codes)
    return str(error["code"])


def assert_refused(
    reply: RawReply, path: str, codes: set[str] | None = None, allow: tuple[int, ...] = ()
) -> None:
    """A 4xx (or one of ``allow``), never a 5xx; the application's own answers in our shape."""
    assert reply.status < 500 or reply.status in allow, (reply.status, path, reply.body[:300])
    assert 400 <= reply.status < 500 or reply.status in allow, (
        reply.status,
        path,
        reply.body[:300],
    )
    assert not reply.body.startswith(b'{"Code"'), reply.body[:300]  # Chalice's error shape
    assert b"Traceback" not in reply.body and b'File "' not in reply.body
    assert_policy(reply, path)
    media = reply.headers.get("content-type", "")
    if before_the_application(reply):
        # refused while the request was being read (framing, size, version, timeout):
        # the API's JSON shape whatever the path, as the application never saw it
        assert media.startswith("application/json"), (path, media, reply.body[:200])
        assert_error_shape(reply)
    elif path.startswith("/api/form/") and reply.status != 405:
        assert media.startswith("text/html"), (path, media)
    elif path.startswith("/api/") or path == "/api":
        assert media.startswith("application/json"), (path, media, reply.body[:200])
        if reply.method != "HEAD":
            assert_error_shape(reply, codes)


# ---- the request line, Content-Length, Transfer-Encoding ------------------------------------

BODY = b'{"receipt": "x"}'


@pytest.mark.parametrize(
    "value",
    ["abc", "0x10", "15 15", "-1", "+16", "1e3", "16.0", " ", "", "٣", "99999999999999999999999"],
)
def test_bad_content_length_is_refused(server, value):
    head = (
        f"POST /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {value}\r\n"
    )
    reply = send(server, head.encode() + b"Content-Type: application/json\r\n\r\n" + BODY)
    assert_refused(reply, "/api/status")


@pytest.mark.parametrize("lengths", [("16", "16"), ("16", "2"), ("16, 16", None), ("2", "16")])
def test_duplicate_content_length_is_refused(server, lengths):
    head = "POST /api/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += "".join(f"Content-Length: {n}\r\n" for n in lengths if n is not None)
    reply = send(server, head.encode() + b"Connection: close\r\n\r\n" + BODY)
    assert_refused(reply, "/api/status")


@pytest.mark.parametrize(
    "chunks",
    [
        b"zz\r\n" + BODY + b"\r\n0\r\n\r\n",
        b"-10\r\n" + BODY + b"\r\n0\r\n\r\n",
        b"0x10\r\n" + BODY + b"\r\n0\r\n\r\n",
        b"ffffffffffffffffffffffff\r\n" + BODY + b"\r\n0\r\n\r\n",
        b"5\r\n" + BODY + b"\r\n0\r\n\r\n",  # size says 5, 16 bytes follow
        b"10\r\n" + BODY + b"XX0\r\n\r\n",  # no CRLF after the data
        b"10;" + b"e" * 70000 + b"\r\n" + BODY + b"\r\n0\r\n\r\n",  # a 70 KB chunk extension
        b"10\r\n" + BODY + b"\r\n0\r\n" + b"X-Trailer: x\r\n" * 3000 + b"\r\n",
    ],
    ids=["letters", "negative", "hex-prefix", "huge", "short", "no-crlf", "long-ext", "trailers"],
)
def test_bad_chunked_bodies_are_refused(server, chunks):
    head = (
        b"POST /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    assert_refused(send(server, head + chunks), "/api/status")


def test_both_transfer_encoding_and_content_length_answer_once_then_close(server):
    """A smuggling attempt: whichever framing the server picks, one answer, then close
    (RFC 9112 6.1: a server that processes such a request must close the connection)."""
    smuggled = b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
    body = b"0\r\n\r\n" + smuggled
    head = (
        b"POST /api/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with connect(port_of(server), source(), TIMEOUT) as sock:
        sock.sendall(head + body)
        first = read_reply(sock)
        assert_refused(first, "/api/status")
        sock.settimeout(3)
        try:
            rest = sock.recv(65536)
        except TimeoutError:
            rest = b"(still open)"
        except ConnectionResetError:
            rest = b""
        assert rest == b"", f"a second answer or an open connection after smuggling: {rest[:120]!r}"


@pytest.mark.parametrize("coding", ["gzip", "chunked, gzip", "identity", "chunked\x0b"])
def test_unknown_transfer_codings_are_refused(server, coding):
    head = (
        f"POST /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nTransfer-Encoding: {coding}\r\n\r\n"
    )
    # 501 is what RFC 9112 6.1 says for a transfer coding the server does not understand
    assert_refused(
        send(server, head.encode() + b"10\r\n" + BODY + b"\r\n0\r\n\r\n"), "/", allow=(501,)
    )


@pytest.mark.parametrize(
    "line",
    [
        b"GARBAGE",
        b"GET",
        b"GET /",
        b"GET / HTTP/9.9",
        b"GET / HTTP/1.1 extra",
        b"GET  /  HTTP/1.1",
        b"GET / HTTP/1.1\x00",
        b"G\xc3\x89T / HTTP/1.1",
        b"GET / FTP/1.0",
        b"GET / HTTP/1",
        b"GET / HTTP/01.1",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello on plain HTTP
        b"GET /" + b"a" * 70 * 1024 + b" HTTP/1.1",
        b"GET http://evil.example/ HTTP/1.1",
        b"CONNECT 127.0.0.1:22 HTTP/1.1",
        b"GET * HTTP/1.1",
        b"OPTIONS * HTTP/1.1",
    ],
    ids=lambda b: repr(b[:24]),
)
def test_malformed_request_lines_are_answered(server, line):
    reply = send(server, line + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
    # the HTTP version of an unknown major version is 505 (RFC 9110 15.6.6)
    allow = (505,) if b"9.9" in line else ()
    # an absolute-form target or `*` may be served like the origin-form path, and
    # `GET /` is an HTTP/0.9 simple request
    if line.startswith((b"GET http://", b"OPTIONS *")) or line == b"GET /":
        allow = (200, 204)
    assert_refused(reply, "/", allow=allow)
    assert b"root:" not in reply.body


def test_many_headers_and_huge_headers(server):
    body = json.dumps({"receipt": "x"}).encode()
    many = {f"X-H{i}-{MARKER}": f"v{i}" for i in range(200)}
    assert_refused(call(server, "POST", "/api/status", body, many), "/api/status")
    big = {"X-Big": MARKER + "b" * 80 * 1024}
    assert_refused(call(server, "POST", "/api/status", body, big), "/api/status")
    huge = {f"X-Huge-{i}": "h" * 8000 for i in range(100)}  # 800 KB of headers
    assert_refused(call(server, "POST", "/api/status", body, huge), "/api/status")


@pytest.mark.parametrize(
    "header",
    [
        b"X-Bare-Cr: a\rb",
        b"X-Bare-Lf: a\nX-Other: b",
        b"X-Folded: a\r\n  continued",
        b"X Space: 1",
        b"X-Colon-Space : 1",
        b": no-name",
        b"X-Nul: a\x00b",
        b"X-\xe4\xb8\xad: 1",
        b"Host: second-host",
        b"Content-Type: application/json\r\nContent-Type: text/plain",
        b"Expect: 100-continue",
        b"Expect: 999-unknown",
    ],
    ids=lambda b: repr(b[:20]),
)
def test_malformed_headers_are_answered(server, header):
    head = b"POST /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + header + b"\r\n"
    head += b"Content-Type: application/json\r\nContent-Length: 16\r\n\r\n"
    assert_refused(send(server, head + BODY), "/api/status", allow=(417,))


# ---- paths --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        b"/%00/etc/passwd",
        b"/../../etc/passwd",
        b"/%2e%2e/%2e%2e/etc/passwd",
        b"/..%2f..%2f..%2fetc%2fpasswd",
        b"/%2fetc%2fpasswd",
        b"//etc/passwd",
        b"/assets/..%2f..%2f..%2f..%2fetc/passwd",
        b"/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        b"/api/..%2f..%2fetc%2fpasswd",
        b"/api/%2e%2e/%2e%2e/etc/passwd",
        b"/..\\..\\etc\\passwd",
        b"/index.html%00.txt",
        b"/%c0%ae%c0%ae/etc/passwd",
        b"/%ff%fe%fd",
        b"/\x00/etc/passwd",
        b"/a\rb",
        b"/x%0d%0aSet-Cookie:%20a=1",
        b"/api/reports%00",
        b"/api/%00",
        b"/api/uploads/%2e%2e%2f%2e%2e%2fjubao.sqlite3",
        b"/api/uploads/..%2f..%2fkeys%2freceipt.key",
        b"/jubao.sqlite3",
        b"/../data/jubao.sqlite3",
        b"/keys/receipt.key",
        b"/.git/config",
        b"/" + quote("中文/../../etc/passwd").encode(),
        b"/" + MARKER.encode() + b"?receipt=" + MARKER.encode(),
    ],
    ids=lambda b: repr(b[:30]),
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_hostile_paths_are_refused_and_leak_nothing(server, path, method):
    request = method.encode() + b" " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    request += b"Content-Type: application/json\r\nContent-Length: 16\r\n\r\n" + BODY
    reply = send(server, request)
    target = path.decode("latin-1")
    codes = (
        None
        if method == "GET"
        else {
            "not_found",
            "method_not_allowed",
            "receipt_malformed",
            "malformed_json",
            "validation_failed",
            "unsupported_media_type",
            "malformed_form",
            "invalid_body",
        }
    )
    assert_refused(reply, target if target.startswith("/api/") else "/", codes)
    for secret in (b"root:", b"[core]", b"SQLite format", b"PRIVATE"):
        assert secret not in reply.body
    assert "set-cookie" not in reply.headers


def test_site_paths_carry_the_policy(server):
    for path in SITE_PATHS[:5]:
        reply = call(server, "GET", path)
        assert reply.status == 200, (path, reply.status)
        assert_policy(reply, path)
        assert "script-src 'self'" in reply.headers["content-security-policy"]
        assert (
            "unsafe-inline"
            not in reply.headers["content-security-policy"].split("script-src")[1].split(";")[0]
        )
    for path in ("/report/", "/status/", "/en/report/"):
        assert "no-store" in call(server, "GET", path).headers["cache-control"], path
    missing = call(server, "GET", f"/no-such-page-{MARKER}/")
    assert missing.status == 404
    assert_policy(missing, "/")


# ---- methods ------------------------------------------------------------------------------


# GET and HEAD of the site's pages and of the OpenAPI document are served (tested above
# and in test_openapi_ignores_a_wrong_content_type); every other pair is refused
METHOD_CASES = [
    (method, path)
    for path in [*API_PATHS, *SITE_PATHS]
    for method in ["OPTIONS", "TRACE", "PUT", "DELETE", "PATCH", "FOO", "GET", "HEAD"]
    if not (
        method in ("GET", "HEAD") and (not path.startswith("/api/") or path == "/api/openapi.json")
    )
]


@pytest.mark.parametrize(("method", "path"), METHOD_CASES)
def test_every_method_on_every_path(server, method, path):
    reply = call(server, method, path, BODY, {"Content-Type": "application/json", "X-Echo": MARKER})
    assert reply.status not in (500, 501), (method, path, reply.status)
    if method == "OPTIONS" and 200 <= reply.status < 300:
        assert_policy(reply, path)  # a CORS-style answer is allowed, with the policy
    else:
        assert_refused(
            reply, path, {"method_not_allowed", "not_found"} if method != "POST" else None
        )
    if method in ("TRACE", "FOO"):
        assert MARKER.encode() not in reply.body  # no echo of the request (cross-site tracing)


def test_openapi_ignores_a_wrong_content_type(server):
    for ctype in (
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "*/*",
        "\x7f",
    ):
        reply = call(server, "GET", "/api/openapi.json", headers={"Content-Type": ctype})
        assert not reply.body.startswith(b'{"Code"'), reply.body[:200]  # Chalice's own shape
        if reply.status == 200:
            assert json.loads(reply.body)["openapi"].startswith("3.")
            assert_policy(reply, "/api/openapi.json")
        else:
            assert_refused(reply, "/api/openapi.json")


# ---- receipts and tags with digits that are not ASCII digits --------------------------------

DIGITS = {
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "fullwidth": "０１２３４５６７８９",
    "devanagari": "०१२३४५६७८९",
}


def _odd_receipts(digits: str) -> list[str]:
    return [
        digits[9] * 24,
        digits[1:9] + "ABCDEFGHJKMNPQRS",
        "12345678" + digits[2] * 16,
        "1234-" + digits[5] * 4 + "-ABCD-EFGH-JKMN-PQRS",
    ]


@pytest.mark.parametrize("script", sorted(DIGITS))
def test_unicode_digits_in_receipts(server, script):
    receipt_codes = {"receipt_malformed", "receipt_invalid", "validation_failed"}
    for receipt in _odd_receipts(DIGITS[script]):
        reply = post_json(server, "/api/status", {"receipt": receipt})
        assert_refused(reply, "/api/status", receipt_codes)
        reply = post_json(
            server, "/api/reports/supplement", {"receipt": receipt, "text": "补充情况说明。"}
        )
        assert_refused(reply, "/api/reports/supplement", receipt_codes)
        reply = post_form(server, "/api/form/status", {"receipt": receipt, "lang": "zh"})
        assert_refused(reply, "/api/form/status")
        assert receipt.encode() not in reply.body  # the receipt is not echoed into the page
        reply = post_form(
            server, "/api/form/supplement", {"receipt": receipt, "text": "补充情况说明。"}
        )
        assert_refused(reply, "/api/form/supplement")


@pytest.mark.parametrize("script", sorted(DIGITS))
def test_unicode_digits_in_poster_tags(server, script):
    d = DIGITS[script]
    for tag in (
        f"340104-c{d[0]}{d[0]}{d[1]}{d[2]}.AAAAAAAAAAA",
        f"{d[3]}{d[4]}{d[0]}{d[1]}{d[0]}{d[4]}-r.AAAAAAAAAAA",
        f"340104-c0012.{d[9] * 11}",
        f"340104-c0012.{'é' * 11}",
    ):
        reply = post_json(server, "/api/tags/verify", {"tag": tag})
        assert reply.status in (200, 422), (tag, reply.status, reply.body[:200])
        assert_policy(reply, "/api/tags/verify")
        if reply.status == 200:
            assert json.loads(reply.body)["valid"] is False
        else:
            assert_error_shape(reply, {"validation_failed"})
        # a report whose tag is forged is kept, the tag dropped; or refused: never a 500
        reply = post_json(
            server,
            "/api/reports",
            dict(REPORT, source=tag, description=f"{REPORT['description']}{MARKER}"),
        )
        assert reply.status in (201, 422), (tag, reply.status, reply.body[:200])
        assert_policy(reply, "/api/reports")
        form = {**REPORT, "source": tag, "lang": "zh"}
        reply = post_form(server, "/api/form/report", form)
        assert reply.status in (201, 422), (tag, reply.status, reply.body[:200])
        assert_policy(reply, "/api/form/report")
    region = post_json(
        server, "/api/reports", dict(REPORT, region=d[3] + d[4] + d[0] + d[1] + d[0] + d[4])
    )
    assert_refused(region, "/api/reports", {"validation_failed"})


# ---- JSON bodies --------------------------------------------------------------------------

DEEP = [b"[" * 3000 + b"]" * 3000, b'{"a":' * 3000 + b"1" + b"}" * 3000, b"[" * 30000]


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize("body", DEEP, ids=["array", "object", "unclosed"])
def test_deeply_nested_json_is_refused(server, route, body):
    assert_refused(post_json(server, route, body), route)


@pytest.mark.parametrize("route", JSON_ROUTES)
def test_deep_nesting_inside_a_field_is_refused(server, route):
    inner = "[" * 3000 + "]" * 3000
    body = json.dumps(dict(REPORT, receipt="x", tag="x")).replace('"x"', inner, 1).encode()
    assert_refused(post_json(server, route, body), route)


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize(
    "body",
    [
        b'{"description": "\xff\xfe"}',
        b'{"receipt": "\xc0\xaf"}',
        b'{"receipt": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8 (CESU)
        b"\xef\xbb\xbf{}",
        b"\xff\xfe{\x00}\x00",  # UTF-16
        b'{"a": NaN, "b": Infinity}',
        b'{"a": 1e999999}',
        b'{"a": ' + b"9" * 5000 + b"}",
        b'{"receipt": "x", "receipt": "y"}',
        b"",
        b"null",
        b'"\\ud800"',
        b"[]",
    ],
    ids=lambda b: repr(b[:16]),
)
def test_odd_json_is_refused(server, route, body):
    assert_refused(post_json(server, route, body), route)


SURROGATES = ["\\ud800", "\\udfff", "\\udfff\\ud800", "a\\ud83d", "\\ud83d\\ude00\\ud800"]


@pytest.mark.parametrize("escape", SURROGATES)
def test_lone_surrogates_in_json_are_refused_with_field_codes(server, escape):
    for field in ("description", "unit_name", "address"):
        text = json.dumps({**REPORT, "address": "蜀山区某路 1 号", field: "@@"})
        value = "储罐区可燃气体报警器长期关闭" + escape + MARKER
        text = text.replace('"@@"', '"' + value + '"')
        reply = post_json(server, "/api/reports", text.encode())
        # refused as JSON that is not Unicode text, or as a field with a bad character
        assert_refused(reply, "/api/reports", {"validation_failed", "malformed_json"})
        if reply.status == 422:
            fields = {f["field"] for f in json.loads(reply.body)["error"]["fields"]}
            assert field in fields, (field, fields)
    for route, payload in (
        ("/api/status", '{"receipt": "1234' + escape + '"}'),
        ("/api/reports/supplement", '{"receipt": "1234", "text": "补充' + escape + '"}'),
        ("/api/tags/verify", '{"tag": "340104-c0001.' + escape + '"}'),
        (
            "/api/attachments",
            '{"region": "340104", "content_type": "image/' + escape + '", "size": 1}',
        ),
        ("/api/reports", '{"' + escape + '": 1}'),
    ):
        reply = post_json(server, route, payload.encode())
        if route == "/api/tags/verify" and reply.status == 200:
            assert json.loads(reply.body)["valid"] is False
            continue
        assert_refused(reply, route)


INVISIBLE = [
    "\u2060",
    "\ufeff",
    "\u061c",
    "\U000e0001",
    "\U000e007f",
    "\u200b",
    "\ue000",
    "\U000f0000",
    "\u2066",
]


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_characters_are_refused_with_field_codes(server, char):
    for field, value in (
        ("description", f"储罐区{char}可燃气体报警器长期关闭。"),
        ("unit_name", f"合肥{char}某化工"),
        ("address", f"蜀山区{char}某路 1 号"),
    ):
        reply = post_json(server, "/api/reports", dict(REPORT, **{field: value}))
        assert_refused(reply, "/api/reports", {"validation_failed"})
        errors = json.loads(reply.body)["error"]["fields"]
        assert any(e["field"] == field and e["code"] for e in errors), errors
    reporter = dict(REPORT, reporter={"name": f"张{char}三", "phone": "13800138000"})
    reply = post_json(server, "/api/reports", reporter)
    assert_refused(reply, "/api/reports", {"validation_failed"})
    reply = post_form(
        server,
        "/api/form/report",
        {**REPORT, "description": f"描述{char}内容足够长的一段。", "lang": "zh"},
    )
    assert_refused(reply, "/api/form/report")


# ---- multipart parts in odd charsets ------------------------------------------------------


def _multipart(fields: dict[str, tuple[bytes, str]]) -> tuple[bytes, str]:
    boundary = "----hostile-7d3f"
    parts = b""
    for name, (value, charset) in fields.items():
        ctype = f"Content-Type: text/plain; charset={charset}\r\n" if charset else ""
        parts += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n{ctype}\r\n'.encode()
            + value
            + b"\r\n"
        )
    return parts + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("value", "charset"),
    [
        (b"+2AA-", "utf-7"),
        (b"abc+3AA-", "utf-7"),
        (b"\\ud800\\udfff", "unicode_escape"),
        (b"\\ud800", "raw_unicode_escape"),
        (b"\x00\xd8", "utf-16-le"),
        (b"\xd8", "utf-16"),
        (b"\x00\xd8\x00\x00", "utf-32-le"),
        (b"abc", "rot13"),
        (b"YWJj", "base64"),
        (b"abc", "zlib"),
        (b"abc", "no-such-codec"),
        (b"xn--abc", "idna"),
        (b"abc", "punycode"),
        (b"\x9c\x9d", "cp037"),
        (b"\x80", "ascii"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
@pytest.mark.parametrize("route", FORM_ROUTES)
def test_form_parts_in_odd_charsets(server, route, value, charset):
    fields = {k: (v.encode(), "") for k, v in REPORT.items()}
    fields |= {"lang": (b"zh", ""), "receipt": (b"1234", ""), "text": (b"x", "")}
    target = {"/api/form/report": "description", "/api/form/status": "receipt"}.get(route, "text")
    fields[target] = (value + MARKER.encode(), charset)
    body, ctype = _multipart(fields)
    reply = call(server, "POST", route, body, {"Content-Type": ctype})
    assert_refused(reply, route)
    assert MARKER.encode() not in reply.body or target == "description"


# ---- body sizes ---------------------------------------------------------------------------


def test_body_bigger_than_its_declared_length(server):
    big = b'{"receipt": "' + b"9" * 200_000 + b'"}'
    head = b"POST /api/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    reply = send(server, head + b"Content-Length: 12\r\n\r\n" + big)
    assert_refused(reply, "/api/status")


def test_declared_length_over_the_cap_is_refused_before_the_body(server):
    head = b"POST /api/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    reply = send(server, head + b"Content-Length: 200000000\r\n\r\n" + BODY, timeout=5)
    assert reply.status == 413, reply.status
    assert_refused(reply, "/api/reports", {"body_too_large"})


@pytest.mark.parametrize("route", JSON_ROUTES)
def test_body_over_the_json_limit_is_413(server, route):
    reply = post_json(server, route, b'{"description": "' + b"a" * 200_000 + b'"}')
    assert reply.status == 413
    assert_refused(reply, route, {"body_too_large"})


def _stream(sock: socket.socket, total: int, sent: list[int], stop: threading.Event) -> None:
    chunk = b"[" * (1 << 20)
    deadline = time.monotonic() + 60
    with contextlib.suppress(OSError):
        while sent[0] < total and not stop.is_set() and time.monotonic() < deadline:
            sock.sendall(chunk)
            sent[0] += len(chunk)


def test_negative_length_with_a_300_mb_stream_is_refused_promptly(server):
    pid = server.process.pid
    post_json(server, "/api/status", {"receipt": "warm"})
    before = rss_mb(pid)
    sock = connect(port_of(server), source(), TIMEOUT)
    head = b"POST /api/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    sock.sendall(head + b"Content-Length: -1\r\n\r\n")
    sent = [0]
    stop = threading.Event()
    streamer = threading.Thread(target=_stream, args=(sock, 300 << 20, sent, stop))
    started = time.perf_counter()
    streamer.start()
    try:
        reply = read_reply(sock)
        answered = time.perf_counter() - started
    finally:
        stop.set()
        streamer.join(timeout=70)
        sock.close()
    time.sleep(0.5)
    grown = rss_mb(pid) - before
    print(
        f"\nContent-Length -1: {reply.status} after {answered * 1000:.0f} ms, "
        f"{sent[0] >> 20} MB taken by the kernel, server RSS +{grown:.1f} MB"
    )
    assert_refused(reply, "/api/reports")
    assert answered < 5, f"answered after {answered:.1f} s"
    assert sent[0] < 100 << 20, f"the server took {sent[0] >> 20} MB before refusing"
    assert grown < 40, (before, grown)


# ---- rude clients -------------------------------------------------------------------------


def test_clients_that_hang_up_or_reset(server):
    pid = server.process.pid
    body = json.dumps(dict(REPORT, description=f"{REPORT['description']} 掉线 {MARKER}")).encode()
    request = http_request("POST", "/api/reports", body, {"Content-Type": "application/json"})

    def hang_up_thirty_times() -> None:
        for i in range(30):
            with connect(port_of(server), source(), TIMEOUT) as sock:
                if i % 3 == 0:  # the whole report, then gone before the answer
                    sock.sendall(request)
                elif i % 3 == 1:  # half the body, then a reset (RST, not FIN)
                    sock.sendall(request[: len(request) - len(body) // 2])
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:  # the whole report, then a reset
                    sock.sendall(request)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(1)

    # the first round warms the store's connection pool; the pool may still open more of
    # its bounded connections later (requests overlap at random), which is not a leak
    hang_up_thirty_times()
    before = fds_by_kind(pid)
    hang_up_thirty_times()
    hang_up_thirty_times()
    health = post_json(
        server, "/api/reports", dict(REPORT, description=f"{REPORT['description']} 之后")
    )
    assert health.status == 201, health.body[:200]
    after = fds_by_kind(pid)
    print(f"\nfds after hang-ups: {before} -> {after}")
    assert after["socket"] <= before["socket"] + 2, (before, after)
    assert after["other"] <= before["other"] + 2, (before, after)
    # at most the pool's 8 connections, each with the database and its WAL, plus the
    # process's one shared-memory file
    assert after["database"] <= 2 * 8 + 1, (before, after)


def test_idle_connections_do_not_block_others(server):
    idle = [connect(port_of(server), source(), TIMEOUT) for _ in range(20)]
    try:
        reply = post_json(server, "/api/status", {"receipt": "1234"})
        assert_refused(reply, "/api/status")
        assert reply.seconds < 2, reply.seconds
    finally:
        for sock in idle:
            sock.close()


# ---- properties over wide inputs ----------------------------------------------------------

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(route=st.sampled_from(JSON_ROUTES), body=st.binary(max_size=3000))
def test_property_random_bodies_on_json_routes(server, route, body):
    assert_refused(post_json(server, route, MARKER.encode() + body), route)


@PROPERTY
@given(
    route=st.sampled_from([*JSON_ROUTES, *FORM_ROUTES]),
    body=st.text(max_size=400).map(lambda s: s.encode("utf-8", "surrogatepass")),
    ctype=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=b",
            "text/plain",
        ]
    ),
)
def test_property_random_text_bodies_any_content_type(server, route, body, ctype):
    assert_refused(call(server, "POST", route, body, {"Content-Type": ctype}), route)


HEADER_NAMES = [
    "Content-Type", "Accept", "Accept-Language", "Accept-Encoding", "Referer", "Origin",
    "Idempotency-Key", "Cookie", "User-Agent", "X-Forwarded-For", "Forwarded", "X-Real-Ip",
    "Range", "If-None-Match", "If-Modified-Since", "Authorization", "X-Marker",
]  # fmt: skip


@PROPERTY
@given(
    name=st.sampled_from(HEADER_NAMES),
    value=st.binary(max_size=300).filter(lambda b: b"\r" not in b and b"\n" not in b),
    route=st.sampled_from([*JSON_ROUTES, "/api/form/status"]),
)
def test_property_random_header_values(server, name, value, route):
    head = f"POST {route} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode()
    if name != "Content-Type":
        head += b"Content-Type: application/json\r\n"
    head += name.encode() + b": " + MARKER.encode() + value + b"\r\n"
    reply = send(server, head + b"Content-Length: 16\r\n\r\n" + BODY)
    assert_refused(reply, route)


@PROPERTY
@given(path=st.binary(min_size=1, max_size=200).filter(lambda b: not set(b) & set(b" \r\n?#")))
def test_property_random_paths(server, path):
    reply = send(
        server,
        b"GET /"
        + path
        + b"?"
        + MARKER.encode()
        + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert reply.status < 500, (path, reply.status)
    assert b"root:" not in reply.body
    assert_policy(reply, "/" + path.decode("latin-1"))


# ---- the log ------------------------------------------------------------------------------

# before this line the server may print its start-up notes (the development-keys banner)
BANNER = re.compile(r"^jubao: site and API on http://127\.0\.0\.1:\d+/ ")
# what a log record may be: one shape per event, fixed fields, no free text
RECORDS = {
    "request": {"event", "route", "status", "ms"},
    "unhandled": {"event", "route", "error", "where"},  # type and code location only
    "library": {"event", "logger", "level", "where", "error"},
    "uncaught": {"event", "error", "where"},
    "uncaught_in_thread": {"event", "error", "where"},
    "unraisable": {"event", "error", "where"},
    "stopped": {"event", "drained"},
    "purged_uploads": {"event", "count"},
    "purge_failed": {"event", "error"},
}
PREFIX = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (?:DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
WHERE = re.compile(r"^[\w.<>-]+\.py:\d+:[\w<>]+$")


def _offending(line: str) -> str | None:
    """Why ``line`` is more than route, status and time (None if it is not)."""
    for needle in (MARKER, "Traceback", 'File "', "Errno", "?", "passwd", "203.0.113"):
        if needle in line:
            return f"contains {needle!r}"
    if any(address in line for address in SOURCES) or re.search(r"127\.77\.\d+\.\d+", line):
        return "contains a client address"
    prefix = PREFIX.match(line)
    try:
        record = json.loads(line[prefix.end() :]) if prefix else None
    except ValueError:
        record = None
    if not isinstance(record, dict) or record.get("event") not in RECORDS:
        return "not a log record of a known shape"
    extra = set(record) - RECORDS[record["event"]]
    if extra:
        return f"unexpected fields {sorted(extra)}"
    for value in record.values():
        if isinstance(value, str) and not re.fullmatch(r"[\w.-]+", value):
            return f"free text {value[:40]!r}"
    where = record.get("where", [])
    for frame in [where] if isinstance(where, str) else where:
        if not WHERE.match(frame):
            return f"not a code location {frame[:40]!r}"
    return None


def test_zz_log_holds_only_route_status_and_time(server):
    """Runs last in this module: everything above went through this server."""
    # one more of each rude kind, with markers, so that this test stands alone too
    call(server, "GET", f"/{MARKER}?q={MARKER}", headers={"X-Forwarded-For": "203.0.113.77"})
    post_json(server, "/api/status", {"receipt": MARKER})
    with contextlib.suppress(Dropped, AssertionError):
        send(server, b"GET / HTTP/9.9\r\n\r\n")
    with connect(port_of(server), source(), TIMEOUT) as sock:
        sock.sendall(
            http_request(
                "POST",
                "/api/reports",
                json.dumps(REPORT).encode(),
                {"Content-Type": "application/json"},
            )
        )
    time.sleep(1.5)
    lines = Path(server.log).read_text(encoding="utf-8", errors="replace").splitlines()
    started = next(i for i, line in enumerate(lines) if BANNER.match(line))
    assert not any(MARKER in line for line in lines[:started])
    lines = [line for line in lines[started + 1 :] if line.strip()]
    bad = [(why, line[:200]) for line in lines if (why := _offending(line))]
    assert bad == [], f"{len(bad)} log lines say more than route, status and time: {bad[:10]}"
    assert sum('"event": "request"' in line for line in lines) >= 2, "no access lines"


# ---- keep-alive and pipelining ------------------------------------------------------------


def test_pipelined_requests_each_get_their_answer_in_order(server):
    """Three requests in one write on one connection, a bad one in the middle."""
    good = json.dumps({"receipt": "1234"}).encode()
    requests = [
        b"POST /api/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(good)).encode() + b"\r\n\r\n" + good,
        b"POST /api/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 9\r\n\r\n[[[[[[[[[",
        b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]
    with connect(port_of(server), source(), TIMEOUT) as sock:
        sock.sendall(b"".join(requests))
        reader = ReplyReader(sock)
        replies = [reader.read() for _ in requests]
    assert [r.status for r in replies] == [422, 400, 200], [r.status for r in replies]
    assert_error_shape(replies[0], {"receipt_malformed"})
    assert_error_shape(replies[1], {"malformed_json"})


def test_refusals_never_echo_what_the_client_sent(server):
    """Neither our errors nor the server library's echo a request's bytes back."""
    cases = [
        f"X-Bad header {MARKER}".encode(),
        f"X-Nul: {MARKER}\x00".encode(),
        f"X-Bare-Cr: {MARKER}\rY".encode(),
    ]
    for header in cases:
        head = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + header + b"\r\n\r\n"
        reply = send(server, head)
        assert 400 <= reply.status < 500, (header, reply.status)
        assert MARKER.encode() not in reply.body, (header, reply.body[:200])
    for line in (
        f"{MARKER} / HTTP/1.1",
        f"G{MARKER}\x01 / HTTP/1.1",
        f"GET /{MARKER}\x7f HTTP/1.1",
    ):
        reply = send(server, line.encode() + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert reply.status < 500, (line, reply.status)
        assert MARKER.encode() not in reply.body, (line, reply.body[:200])
