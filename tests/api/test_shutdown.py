"""Graceful shutdown: SIGTERM in the middle of a stream of submissions.

Every request the server had fully received is answered before it exits, every answered
201 is stored, connections waiting in the kernel's backlog are taken in and answered
rather than reset, and the process exits promptly with nothing but its own lines logged.
"""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time

import pytest

from tests.conftest import start_server

from .client import NO_RATE_LIMITS, REPORT, post_json


@pytest.mark.slow
def test_sigterm_answers_every_received_request_and_exits(tmp_path):
    data = tmp_path / "data"
    server = start_server(data, env=NO_RATE_LIMITS)
    port = int(server.url.rsplit(":", 1)[1])
    acknowledged: list[str] = []
    unanswered: list[str] = []  # the request was sent whole, the answer never came
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.connect()
                body = json.dumps(dict(REPORT, description=f"{REPORT['description']} {n}-{i}"))
                conn.request("POST", "/api/reports", body, {"Content-Type": "application/json"})
            except OSError:  # refused: the server no longer listens; never acknowledged
                time.sleep(0.01)
                continue
            try:
                reply = conn.getresponse()
                payload = reply.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    unanswered.append(type(exc).__name__)
                continue
            finally:
                conn.close()
            if reply.status == 201:
                with lock:
                    acknowledged.append(json.loads(payload)["receipt"])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    server.process.wait(timeout=30)
    exited_after = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    assert server.process.returncode == 0
    assert exited_after < 15
    assert len(acknowledged) >= 100
    assert unanswered == []
    log = server.log.read_text(encoding="utf-8")
    assert '"event": "stopped", "drained": true' in log
    assert "Traceback" not in log

    restarted = start_server(data, env=NO_RATE_LIMITS)
    try:
        missing = [
            r[:9]
            for r in acknowledged
            if post_json(f"{restarted.url}/api/status", {"receipt": r}).status != 200
        ]
        assert missing == []
    finally:
        restarted.stop()
