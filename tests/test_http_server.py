"""The strict HTTP layer of ``jubao serve`` (``jubao.http_server``), in focus.

The parser is fed bytes directly (framing rules, property-based: any bytes end in a
request, a refusal or a wait, never an exception); the header deadline and shedding are
tried on a real server in this process, on loopback, with small limits so the test is
quick. The full hostile suite against a `jubao serve` process is tests/api/test_hostile_http.py.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from waitress.adjustments import Adjustments
from waitress.wasyncore import close_all

from chalicelib.errors import CATALOGUE
from jubao.http_server import StrictParser, StrictServer, refusal
from jubao.serve import ServerLimits, bind, make_server
from tests.api.client import ReplyReader, http_request, read_reply

MAX_BODY = 64 * 1024


def parse(data: bytes, step: int | None = None) -> StrictParser:
    """Feed ``data`` (in pieces of ``step`` bytes) as a channel would, until it completes."""
    parser = StrictParser(Adjustments(max_request_body_size=MAX_BODY))
    pieces = [data] if step is None else [data[i : i + step] for i in range(0, len(data), step)]
    for piece in pieces:
        while piece and not parser.completed:
            used = parser.received(piece)
            piece = piece[used:]
    return parser


def status_of(parser: StrictParser) -> int | None:
    return None if parser.error is None else int(parser.error.code)


CHUNKED = b"POST /api/status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"


def test_a_plain_chunked_request_is_read_whole():
    parser = parse(CHUNKED + b"\r\n4\r\nabcd\r\n0\r\n\r\n", step=3)
    assert parser.completed and parser.error is None
    assert parser.headers["CONTENT_LENGTH"] == "4"


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (CHUNKED + b"Content-Length: 4\r\n", 400),  # both framings: the smuggling shape
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: x\r\n", 505),
        (b"GET / HTTP/9.9\r\nHost: x\r\n", 505),
        (b"GET / HTTP/0.9\r\nHost: x\r\n", 505),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n", 501),
    ],
)
def test_framing_rules(head, status):
    parser = parse(head + b"\r\n4\r\nabcd\r\n0\r\n\r\n")
    assert parser.completed
    assert status_of(parser) == status


def test_a_chunk_bigger_than_the_body_limit_is_refused_before_its_bytes():
    parser = parse(CHUNKED + b"\r\n" + b"f" * 24 + b"\r\nabc")
    assert parser.completed and status_of(parser) == 413
    small = parse(CHUNKED + b"\r\n" + f"{MAX_BODY - 10:x}".encode() + b"\r\nabc")
    assert not small.completed and small.error is None  # within the limit: it waits


def test_after_a_refusal_nothing_more_is_parsed():
    """The smuggled request behind a refused one is swallowed, never served."""
    smuggled = b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
    parser = StrictParser(Adjustments(max_request_body_size=MAX_BODY))
    data = CHUNKED + b"Content-Length: 40\r\n\r\n0\r\n\r\n" + smuggled
    assert parser.received(data) == len(data)
    assert status_of(parser) == 400


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.integers(min_value=1, max_value=64))
def test_any_bytes_end_in_a_request_a_refusal_or_a_wait(data, step):
    parser = parse(data, step)
    if parser.error is not None:
        assert int(parser.error.code) in (400, 413, 431, 501, 505)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=200))
def test_no_header_value_smuggles_a_line_break(value):
    parser = parse(b"GET / HTTP/1.1\r\nHost: x\r\nX-Any: " + value + b"\r\n\r\n")
    if parser.error is None:
        for name, text in parser.headers.items():
            assert "\r" not in text and "\n" not in text, (name, text)
    else:
        assert int(parser.error.code) in (400, 413, 431, 501, 505)


@pytest.mark.parametrize("status", [400, 408, 413, 431, 500, 501, 505])
def test_refusals_are_catalogued_bilingual_and_carry_the_policy(status):
    line, headers, body = refusal(status)
    assert line.startswith(f"{status} ")
    error = json.loads(body)["error"]
    assert CATALOGUE[error["code"]][0] == status
    assert error["message_zh"] and error["message_en"]
    names = {name.lower() for name, _ in headers}
    assert {"content-security-policy", "cache-control", "x-content-type-options"} <= names


# ---- a real server in this process ----------------------------------------------------------


@pytest.fixture
def small_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[int, StrictServer]]:
    """A server with a 1.5 s header deadline and room for 30 connections."""
    monkeypatch.setenv("JUBAO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JUBAO_STORE", "sqlite")
    from jubao.commands.serve import prepare

    prepare(tmp_path / "data")
    sock = bind("127.0.0.1", 0)
    limits = ServerLimits(threads=2, connection_limit=30, header_timeout=1.5, channel_timeout=30)
    from chalicelib.public.app import LazyApp, from_environment

    public = LazyApp(from_environment)
    server = make_server(sock, None, public, limits)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield sock.getsockname()[1], server
    loop = server  # the trigger and the map are waitress's own
    loop.trigger.pull_trigger(lambda: close_all(loop._map))  # type: ignore[attr-defined]
    thread.join(5)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    public.reset()


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    return sock


def test_late_headers_get_408_and_the_connection_closes(small_server):
    port, _ = small_server
    stop = threading.Event()

    def trickle(sock: socket.socket) -> None:
        while not stop.wait(0.1):  # a byte every 0.1 s: never idle, never finished
            try:
                sock.sendall(b"s")
            except OSError:
                return

    started = time.monotonic()
    with connect(port) as sock:
        sock.sendall(b"GET /api/openapi.json HTTP/1.1\r\nX-Slow: ")
        trickler = threading.Thread(target=trickle, args=(sock,), daemon=True)
        trickler.start()
        try:
            reply = read_reply(sock)
        finally:
            stop.set()
            trickler.join()
        assert reply.status == 408
        assert json.loads(reply.body)["error"]["code"] == "request_timeout"
        assert reply.headers["connection"] == "close"
        assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
    assert 1.5 <= time.monotonic() - started < 4.5


def test_headers_on_time_are_served_and_kept_alive(small_server):
    port, _ = small_server
    with connect(port) as sock:
        reader = ReplyReader(sock)
        for _ in range(3):
            sock.sendall(
                http_request("GET", "/api/openapi.json", b"", {"Connection": "keep-alive"})
            )
            assert reader.read().status == 200
            time.sleep(1.0)  # idle between requests is not a late header


def test_a_flood_of_partial_requests_is_shed_for_a_real_client(small_server):
    port, _ = small_server
    held = []
    for i in range(45):  # more than the limit of 30
        sock = connect(port, f"127.66.0.{i + 1}")
        sock.sendall(b"POST /api/reports HTTP/1.1\r\nHost: x\r\nContent-Le")
        held.append(sock)
    time.sleep(2.2)  # past the grace period that protects brand-new connections
    started = time.monotonic()
    with connect(port, "127.66.1.1") as sock:
        sock.sendall(http_request("GET", "/api/openapi.json", b"", {"Connection": "close"}))
        reply = read_reply(sock)
    assert reply.status == 200
    assert time.monotonic() - started < 3.0
    shed = 0
    for sock in held:
        sock.settimeout(0.2)
        try:
            data = sock.recv(200)
        except (TimeoutError, OSError):
            data = b""
        shed += data.startswith(b"HTTP/1.1 408 ")
        sock.close()
    assert shed >= 15  # at least the overflow was answered 408 and closed
