"""The production server of a one-machine office: ``jubao serve``.

waitress serves the WSGI application of ``jubao.wsgi`` (site + API on one origin). Why
waitress: pure Python (no compiler, runs on the Windows machines many county offices
have), maintained, and built the way a public endpoint needs: an asynchronous I/O loop
reads every request completely before a worker thread sees it, so a reporter on a bad
mobile line (or 300 deliberately slow clients) holds a socket, not a thread; the worker
pool is fixed; header, body and connection limits and idle timeouts are settings; and
malformed requests (bad ``Content-Length``, bad request lines, unknown versions) get a
4xx from its strict HTTP/1.1 parser instead of a dropped connection.

Bodies are kept in memory up to the largest allowed request (``inbuf_overflow``), so a
report never lands in a temporary file in plain text. Shutdown on SIGTERM/SIGINT is
graceful: the listening socket closes, requests already received are answered (their
writes are durable before the answer), then the process exits.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from waitress.server import BaseWSGIServer, TcpWSGIServer
from waitress.wasyncore import close_all

from chalicelib.lazy import LazyApp
from chalicelib.officer.app import OfficerApp
from chalicelib.public.app import PublicApp
from jubao.http_server import StrictServer, create_strict_server
from jubao.wsgi import create_app

log = logging.getLogger("jubao.server")


@dataclass(frozen=True)
class ServerLimits:
    """What one process accepts; the defaults suit a 2-core office machine."""

    threads: int = 8  # worker threads running the application (SQLite writes are serial)
    connection_limit: int = 1000  # open connections, slow ones included
    channel_timeout: int = 30  # seconds a connection may sit idle before it is closed
    header_timeout: float = 20.0  # seconds for the request line and headers to arrive
    max_header_bytes: int = 64 * 1024  # request line + headers
    max_body_bytes: int = 110 * 1024 * 1024  # the largest form with files, plus margin
    drain_seconds: float = 20.0  # how long shutdown waits for requests already received
    purge_every_seconds: float = 600.0  # unclaimed, expired uploads are deleted this often


def _raise_fd_limit(wanted: int) -> None:
    """Let the process hold ``wanted`` descriptors (connections + store), up to the hard cap."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before any worker process is forked."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def make_server(
    sock: socket.socket,
    site_dir: Path | None,
    public: LazyApp[PublicApp],
    limits: ServerLimits = ServerLimits(),
    officer: LazyApp[OfficerApp] | None = None,
) -> StrictServer:
    """A waitress server on ``sock`` with our limits; call ``serve`` to run it."""
    _raise_fd_limit(limits.connection_limit + 256)
    server = create_strict_server(
        create_app(site_dir, public, officer),
        sock,
        threads=limits.threads,
        connection_limit=limits.connection_limit,
        channel_timeout=limits.channel_timeout,
        # how often idle connections and late headers are looked for
        cleanup_interval=max(1, min(10, limits.channel_timeout, int(limits.header_timeout / 2))),
        max_request_header_size=limits.max_header_bytes,
        max_request_body_size=limits.max_body_bytes,
        inbuf_overflow=limits.max_body_bytes + 1,  # never spool a request to a temp file
        outbuf_overflow=16 * 1024 * 1024,
        asyncore_use_poll=True,  # select() fails beyond 1024 descriptors
        expose_tracebacks=False,
        ident="jubao",
        clear_untrusted_proxy_headers=True,
        log_socket_errors=False,
    )
    server.header_timeout = limits.header_timeout
    return server


def _loop(server: TcpWSGIServer) -> Any:
    """waitress's loop internals (``_map``, ``trigger``), which types-waitress mistypes."""
    return server


def _idle(server: TcpWSGIServer) -> bool:
    """No request queued, running, or with an answer still being sent."""
    dispatcher = server.task_dispatcher
    if dispatcher.queue or dispatcher.active_count > 0:
        return False
    for channel in list(_loop(server)._map.values()):
        if getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0):
            return False
    return True


def serve(
    server: TcpWSGIServer,
    limits: ServerLimits = ServerLimits(),
    purge: Callable[[datetime], int] | None = None,
) -> None:
    """Run until SIGTERM or SIGINT, then drain and return."""
    stopping = threading.Event()
    loop = _loop(server)

    def close_listeners() -> None:
        for channel in list(loop._map.values()):
            if isinstance(channel, BaseWSGIServer):
                # connections already in the kernel's backlog have sent their requests:
                # take them in and answer them, rather than resetting them with the socket
                for _ in range(limits.connection_limit):
                    before = len(loop._map)
                    channel.handle_accept()
                    if len(loop._map) == before:
                        break
                channel.accepting = False
                channel.del_channel()
                if channel.socket is not None:
                    with contextlib.suppress(OSError):
                        channel.socket.close()

    def drain() -> None:
        deadline = time.monotonic() + limits.drain_seconds
        quiet = 0  # idle at three looks in a row: connections just taken in have been read
        while time.monotonic() < deadline and quiet < 3:
            time.sleep(0.1)
            quiet = quiet + 1 if _idle(server) else 0
        log.info(json.dumps({"event": "stopped", "drained": _idle(server)}))
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        # closing every channel (the trigger included) empties the map: the loop returns
        loop.trigger.pull_trigger(lambda: close_all(loop._map))

    def on_signal(signum: int, _frame: Any) -> None:
        if stopping.is_set():
            return
        stopping.set()
        loop.trigger.pull_trigger(close_listeners)
        threading.Thread(target=drain, name="jubao-drain", daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if purge is not None:
        threading.Thread(
            target=_purge_loop, args=(purge, limits, stopping), name="jubao-purge", daemon=True
        ).start()
    try:
        server.run()
    finally:
        with contextlib.suppress(Exception):
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)


def _purge_loop(
    purge: Callable[[datetime], int], limits: ServerLimits, stopping: threading.Event
) -> None:
    """Delete unclaimed, expired uploads now and then (never stops the server)."""
    while not stopping.wait(limits.purge_every_seconds):
        try:
            removed = purge(datetime.now(UTC))
        except Exception as exc:  # logged by type only; the next round tries again
            log.error(json.dumps({"event": "purge_failed", "error": type(exc).__name__}))
            continue
        log.info(json.dumps({"event": "purged_uploads", "count": removed}))


def fork_worker() -> int:
    """A worker process serving the same socket; it dies with its parent."""
    pid = os.fork()
    if pid == 0:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: a killed parent takes its workers along
    return pid
