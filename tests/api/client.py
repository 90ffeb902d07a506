"""A tiny HTTP client over urllib for the end-to-end tests (status codes are not errors)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A report every live-server test may send (each varies its description), and rate
# limits no test traffic reaches: the limiter itself is tested on its own.
REPORT = {
    "kind": "hazard",
    "region": "340104",
    "industry": "fire",
    "unit_name": "合肥某商场",
    "description": "消防通道被货物堵塞，安全出口上锁，灭火器过期。",
}
NO_RATE_LIMITS = {
    "JUBAO_SUBMIT_RATE_PER_MINUTE": "100000000",
    "JUBAO_STATUS_RATE_PER_MINUTE": "100000000",
}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def request(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Reply:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def post_json(url: str, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
    return request("POST", url, data, {"Content-Type": "application/json", **(headers or {})})


def multipart(
    fields: dict[str, str], files: list[tuple[str, str, str, bytes]]
) -> tuple[bytes, str]:
    boundary = "----jubao-test-boundary-7d3f"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    for name, filename, ctype, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
            f"\r\nContent-Type: {ctype}\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# ---- raw sockets: protocol abuse, chosen source addresses, slow and rude clients ---------


class Dropped(AssertionError):
    """The server closed the connection without sending an HTTP answer."""


@dataclass
class RawReply:
    status: int
    reason: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    seconds: float  # from the first byte sent to the whole answer read
    method: str = ""  # of the request (a HEAD answer has no body)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def connect(port: int, source: str = "127.0.0.1", timeout: float = 10.0) -> socket.socket:
    """A TCP connection to the server on 127.0.0.1 from the loopback address ``source``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def read_reply(sock: socket.socket, started: float | None = None, method: str = "") -> RawReply:
    """Read one final HTTP answer (Content-Length, chunked or until close) or raise Dropped.

    Interim answers (``100 Continue``) are skipped. Bytes after the answer are dropped:
    to read pipelined answers off one connection, use ``ReplyReader``.
    """
    return ReplyReader(sock).read(started, method)


class ReplyReader:
    """Answers read one after another off one connection, keeping what follows each."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def read(self, started: float | None = None, method: str = "") -> RawReply:
        started = time.perf_counter() if started is None else started
        while True:
            while b"\r\n\r\n" not in self.buf:
                chunk = _recv(self.sock)
                if not chunk:
                    raise Dropped(
                        f"connection closed after {len(self.buf)} bytes: {self.buf[:200]!r}"
                    )
                self.buf += chunk
            head, _, rest = self.buf.partition(b"\r\n\r\n")
            self.buf = rest
            if not re.match(rb"HTTP/1\.[01] 1\d\d ", head):
                break
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise AssertionError(f"not an HTTP status line: {lines[0]!r}")
        status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body, self.buf = _read_chunked(self.sock, self.buf)
        elif "content-length" in headers:
            length = int(headers["content-length"])
            while len(self.buf) < length:
                chunk = _recv(self.sock)
                if not chunk:
                    raise Dropped(f"answer cut short: {len(self.buf)} of {length} bytes")
                self.buf += chunk
            body, self.buf = self.buf[:length], self.buf[length:]
        else:
            while chunk := _recv(self.sock):
                self.buf += chunk
            body, self.buf = self.buf, b""
        return RawReply(status, reason, headers, body, time.perf_counter() - started, method)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def _read_chunked(sock: socket.socket, rest: bytes) -> tuple[bytes, bytes]:
    """The body of a chunked answer, and the bytes that follow it."""
    body = b""
    while True:
        while b"\r\n" not in rest:
            chunk = _recv(sock)
            if not chunk:
                raise Dropped("chunked answer cut short")
            rest += chunk
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        while len(rest) < size + 2:
            chunk = _recv(sock)
            if not chunk:
                raise Dropped("chunked answer cut short")
            rest += chunk
        if size == 0:
            return body, rest[2:]
        body += rest[:size]
        rest = rest[size + 2 :]


def exchange(
    port: int,
    data: bytes,
    source: str = "127.0.0.1",
    timeout: float = 10.0,
    half_close: bool = False,
) -> RawReply:
    """Send ``data`` as is on a new connection and read one answer.

    ``half_close`` shuts the sending side after ``data`` (the server then knows no more is
    coming); otherwise the connection stays open until the answer is read.
    """
    with connect(port, source, timeout) as sock:
        started = time.perf_counter()
        # the server may refuse early and close; its answer may still be readable
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        method = data.split(b" ", 1)[0].decode("latin-1")
        return read_reply(sock, started, method)


def http_request(
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    content_length: bool = True,
) -> bytes:
    """The bytes of an HTTP/1.1 request that asks the server to close afterwards."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if content_length and body and not any(k.lower() == "content-length" for k in headers or {}):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body


# ---- the server process, from the outside -------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (VmRSS from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError("no VmRSS")


def open_fds(pid: int) -> int:
    """How many file descriptors process ``pid`` has open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def fds_by_kind(pid: int) -> dict[str, int]:
    """Process ``pid``'s open descriptors as ``socket``, ``database`` (the SQLite file, its
    WAL and shared-memory files) and ``other``.

    Why split them: the store's pool opens connections lazily, up to its bound, whenever
    requests overlap, so the total count can rise by a few database files without any leak.
    Sockets and other files must return to where they were; database files must stay
    within the pool's bound.
    """
    kinds = {"socket": 0, "database": 0, "other": 0}
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(fd_dir / fd)
        except FileNotFoundError:  # closed while we looked
            continue
        if target.startswith("socket:"):
            kinds["socket"] += 1
        elif ".sqlite3" in target:
            kinds["database"] += 1
        else:
            kinds["other"] += 1
    return kinds


# ---- soak and slow clients (shared by tests/api/test_soak.py and bench/bench_server.py) ---


def soak_address(thread: int, i: int) -> str:
    """A distinct loopback client address per submission (62,500 per thread)."""
    return f"127.{thread + 10}.{i // 250 % 250}.{i % 250 + 1}"


def submit_new_connection(port: int, source: str, report: dict[str, Any]) -> tuple[int, str]:
    """One report over a new connection from ``source``: (status, receipt or "")."""
    body = json.dumps(report, ensure_ascii=False).encode("utf-8")
    data = http_request("POST", "/api/reports", body, {"Content-Type": "application/json"})
    reply = exchange(port, data, source, timeout=30)
    receipt = reply.json.get("receipt", "") if reply.status == 201 else ""
    return reply.status, str(receipt)


@dataclass
class SoakResult:
    seconds: float
    per_second: float
    peak_fds: int
    peak_rss_mb: float
    receipts: list[str]
    failures: list[str]


def soak(port: int, pid: int, total: int, report: dict[str, Any], threads: int = 16) -> SoakResult:
    """``total`` submissions, each on a new connection from its own loopback address,
    spread over ``threads`` client threads, while the server's fds and RSS are sampled."""
    receipts: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()
    peak = [0, 0.0]
    done = threading.Event()
    run = os.urandom(3).hex()  # the same text twice within an hour is one report

    def watch() -> None:
        while not done.wait(0.25):
            with contextlib.suppress(OSError, LookupError):
                peak[0] = max(int(peak[0]), open_fds(pid))
                peak[1] = max(float(peak[1]), rss_mb(pid))

    def client(t: int) -> None:
        for i in range(t, total, threads):
            text = f"{report.get('description', '')} {run}t{t}n{i}"
            try:
                status, receipt = submit_new_connection(
                    port, soak_address(t, i // threads), {**report, "description": text}
                )
            except (OSError, AssertionError, ValueError) as exc:
                status, receipt = 0, type(exc).__name__
            with lock:
                if status == 201:
                    receipts.append(receipt)
                else:
                    failures.append(f"{status} {receipt}")

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    pool = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    return SoakResult(seconds, total / seconds, int(peak[0]), float(peak[1]), receipts, failures)


def unreadable(port: int, receipts: list[str], threads: int = 8) -> list[str]:
    """The receipts whose status look-up is not a 200 (over keep-alive connections)."""
    import http.client

    missing: list[str] = []
    lock = threading.Lock()

    def check(part: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for receipt in part:
            body = json.dumps({"receipt": receipt})
            conn.request("POST", "/api/status", body, {"Content-Type": "application/json"})
            reply = conn.getresponse()
            reply.read()
            if reply.status != 200:
                with lock:
                    missing.append(f"{receipt[:8]} {reply.status}")
        conn.close()

    pool = [threading.Thread(target=check, args=(receipts[t::threads],)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return missing


def hold_slow_clients(port: int, n: int, report: dict[str, Any]) -> list[socket.socket]:
    """``n`` connections from 127.99.x.y, each with half a request sent, then silence:
    a third all headers and half the body, a third half the headers, a third only the
    start of the request line (``trickle`` adds a byte a second to those)."""
    body = json.dumps(report).encode()
    full = http_request("POST", "/api/reports", body, {"Content-Type": "application/json"})
    head_end = full.index(b"\r\n\r\n") + 4
    held = []
    for i in range(n):
        sock = connect(port, f"127.99.{i // 250}.{i % 250 + 1}", timeout=10)
        if i % 3 == 0:
            sock.sendall(full[: head_end + len(body) // 2])
        elif i % 3 == 1:
            sock.sendall(full[: head_end // 2])
        else:
            sock.sendall(full[:10])
        held.append(sock)
    return held


def trickle(held: list[socket.socket], stop: threading.Event) -> None:
    """Slowloris: one more header byte every second on every third held connection."""
    while not stop.wait(1.0):
        for sock in held[2::3]:
            with contextlib.suppress(OSError):
                sock.send(b"X")


def raise_fd_limit(wanted: int) -> None:
    """Linux's default soft limit of 1,024 files is too few for hundreds of held sockets."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def receipt_on_page(html: str) -> str:
    """The receipt code a no-JavaScript answer page prints (its groups are elements)."""
    found = re.search(r'id="receipt"[^>]*>(.*?)</p>', html, re.DOTALL)
    assert found is not None, "no receipt on the page"
    return re.sub(r"<[^>]+>", "", found.group(1))
