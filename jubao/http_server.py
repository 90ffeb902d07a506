"""waitress's HTTP/1.1 layer, made strict, silent and hard to starve.

waitress parses requests well, but as a public endpoint for reporters it needs four
things its defaults do not give, all at the layer before the application runs:

* **Strict framing.** A request with both ``Transfer-Encoding`` and ``Content-Length``
  (the request-smuggling shape), ``Transfer-Encoding`` in HTTP/1.0, or an HTTP version
  other than 1.0/1.1 is refused (400, or 505 for the version), and the connection closes
  (RFC 9112 6.1, 6.3). A chunk announcing more bytes than the body limit is refused at
  once with 413, not after the client has streamed them.
* **Refusals in our shape, never echoing.** waitress writes its own plain-text errors and
  quotes the offending header line back; a header can carry a receipt or a name. Every
  refusal here is the API's JSON error (a stable code, Chinese first, English) with the
  security-header policy of ``chalicelib.web.http_policy``, and never a byte of the request.
* **A deadline for request headers.** A connection that has not sent its whole request
  line and headers within ``header_timeout`` seconds is answered 408 and closed: slow
  clients that trickle a byte now and then never trip an idle timeout.
* **Shedding under a connection flood.** At the connection limit waitress stops
  accepting, so a slowloris of ``connection_limit`` sockets locks every reporter out.
  Instead, the connections making the least progress (idle keep-alives first, then the
  partial requests with the lowest byte rate) are answered 408 and closed to make room;
  a request that has been received in full is never shed.

The classes plug into waitress's documented extension points (``channel_class``,
``parser_class``, ``error_task_class``) and use no private state beyond what those
classes read themselves.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import BadRequest, Error, RequestEntityTooLarge

from chalicelib.errors import ApiError
from chalicelib.web.http_policy import Kind, headers_for

HEADER_TIMEOUT_SECONDS = 20.0  # the request line and headers must arrive within this
SHED_GRACE_SECONDS = 2.0  # a connection this young is never shed (it has had no chance)
SHED_BATCH = 20  # connections shed at once when the limit is reached (less churn)

# waitress's error classes -> our catalogue code (the status comes from the catalogue)
_CODES = {
    400: "bad_request",
    408: "request_timeout",
    413: "body_too_large",
    431: "headers_too_large",
    500: "internal_error",
    501: "transfer_encoding_unsupported",
    505: "http_version_unsupported",
}
_REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}


class VersionNotSupported(Error):
    code = 505
    reason = "HTTP Version Not Supported"


def refusal(status: int) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status line, headers and body of a refusal made before the application ran."""
    error = ApiError(_CODES.get(status, "bad_request"))
    body = json.dumps(error.as_dict(), ensure_ascii=False).encode("utf-8")
    headers = [("Content-Type", "application/json; charset=utf-8")]
    headers += list(headers_for(Kind.api).items())
    return f"{error.status} {_REASONS.get(error.status, 'Bad Request')}", headers, body


class StrictParser(HTTPRequestParser):
    """waitress's parser, plus the framing rules above; it records when it started."""

    def __init__(self, adj: Adjustments) -> None:
        super().__init__(adj)
        self.started = time.monotonic()

    def received(self, data: bytes) -> int:
        headers_before = self.headers_finished
        consumed: int = super().received(data)
        if self.error is None and self.headers_finished and not headers_before:
            self.error = self._framing_error()
        if self.error is None and self.chunked and not self.completed:
            announced = self.body_bytes_received + getattr(self.body_rcv, "chunk_remainder", 0)
            if announced >= self.adj.max_request_body_size:
                self.error = RequestEntityTooLarge("chunk")
        if self.error is not None and not self.completed:
            self.completed = True
        if self.error is not None:
            return len(data)  # the connection closes after the refusal: nothing more is read
        return consumed

    def _framing_error(self) -> Error | None:
        version = getattr(self, "version", "")
        if version not in ("", "1.0", "1.1"):
            return VersionNotSupported("version")
        if self.chunked and "CONTENT_LENGTH" in self.headers:
            return BadRequest("framing")  # both framings: refuse rather than pick one
        if version != "1.1" and "TRANSFER_ENCODING" in self.headers:
            return BadRequest("framing")  # HTTP/1.0 has no Transfer-Encoding
        return None

    def bytes_received(self) -> int:
        return int(self.header_bytes_received) + int(self.body_bytes_received)


class QuietErrorTask(ErrorTask):
    """A refusal in the API's JSON shape, with the header policy, never quoting the request."""

    def execute(self) -> None:
        raw: Any = self  # types-waitress mistypes ``request`` and ``response_headers``
        status, headers, body = refusal(int(getattr(raw.request.error, "code", 400)))
        self.status = status
        raw.response_headers.extend(headers)
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class StrictChannel(HTTPChannel):
    """One client connection; knows how to refuse itself from the I/O loop's thread."""

    parser_class = StrictParser
    error_task_class = QuietErrorTask

    def in_progress(self) -> StrictParser | None:
        """The request being received, if its bytes are still arriving."""
        request = self.request
        return request if isinstance(request, StrictParser) else None

    def sheddable(self) -> bool:
        """Nothing dispatched to a worker and nothing being written: safe to refuse."""
        return not (self.requests or self.total_outbufs_len or self.will_close) and not (
            self.close_when_flushed
        )

    def refuse_408(self) -> None:
        """Answer 408 and close once it is flushed (runs on the I/O loop's thread)."""
        raw: Any = self  # types-waitress omits ``requests_lock``
        with raw.requests_lock:
            if not self.sheddable():
                return
            status, headers, body = refusal(408)
            head = f"HTTP/1.1 {status}\r\nConnection: close\r\nServer: {self.adj.ident}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in headers)
            head += f"Content-Length: {len(body)}\r\n\r\n"
            payload = head.encode("latin-1") + body
            with self.outbuf_lock:
                self.outbufs[-1].append(payload)
                self.current_outbuf_count += len(payload)
                self.total_outbufs_len += len(payload)
            self.request = None
            self.close_when_flushed = True


class StrictServer(TcpWSGIServer):
    """waitress's TCP server with the strict channel, a header deadline and shedding."""

    channel_class = StrictChannel
    header_timeout: float = HEADER_TIMEOUT_SECONDS

    def channels(self) -> list[StrictChannel]:
        raw: Any = self.active_channels  # a dict of channels; types-waitress says one channel
        return [c for c in list(raw.values()) if isinstance(c, StrictChannel)]

    def maintenance(self, now: float) -> None:
        super().maintenance(int(now))
        cutoff = time.monotonic() - self.header_timeout
        for channel in self.channels():
            request = channel.in_progress()
            if request is not None and not request.headers_finished and request.started < cutoff:
                channel.refuse_408()

    def readable(self) -> bool:
        raw: Any = self  # types-waitress omits ``_map`` and types the cleanup time as int
        now = time.time()
        if now >= raw.next_channel_cleanup:
            raw.next_channel_cleanup = now + self.adj.cleanup_interval
            self.maintenance(now)
        if not self.accepting:
            return False
        over = len(raw._map) - self.adj.connection_limit
        if over < 0:
            return True
        self.shed(over + 1)
        return False  # accept again once the shed connections have closed

    def shed(self, needed: int) -> int:
        """Refuse up to ``needed`` (at least a batch) of the least-progressing connections."""
        channels = self.channels()
        closing = sum(1 for c in channels if c.close_when_flushed or c.will_close)
        wanted = max(needed - closing, 0)
        if wanted == 0:
            return 0
        now, wall = time.monotonic(), time.time()
        candidates: list[tuple[int, float, StrictChannel]] = []
        for channel in channels:
            if not channel.sheddable():
                continue
            request = channel.in_progress()
            if request is None:  # idle: between keep-alive requests, or nothing sent yet
                if wall - channel.last_activity >= SHED_GRACE_SECONDS:
                    candidates.append((0, channel.last_activity, channel))
                continue
            age = now - request.started
            if age >= SHED_GRACE_SECONDS:
                candidates.append((1, request.bytes_received() / age, channel))
        candidates.sort(key=lambda item: (item[0], item[1]))
        victims = [channel for _, _, channel in candidates[: max(wanted, SHED_BATCH)]]
        for channel in victims:
            channel.refuse_408()
        return len(victims)


def create_strict_server(application: Any, sock: socket.socket, **settings: Any) -> StrictServer:
    """A ``StrictServer`` on the already bound ``sock`` with waitress ``settings``."""
    adj = Adjustments(sockets=[sock], **settings)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    sockinfo = (sock.family, sock.type, sock.proto, sock.getsockname())
    return StrictServer(
        application,
        {},
        True,
        sock,
        dispatcher=dispatcher,
        adj=adj,
        bind_socket=False,
        sockinfo=sockinfo,
    )
