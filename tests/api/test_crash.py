"""Durability: SIGKILL the server in the middle of a stream of submissions; every report
that was answered 201 must be readable afterwards."""

from __future__ import annotations

import http.client
import json
import signal
import sqlite3
import threading
import time

import pytest

from tests.conftest import start_server

from .client import NO_RATE_LIMITS, post_json

REPORT = {
    "kind": "violation",
    "region": "340200",
    "industry": "metal_smelting",
    "unit_name": "芜湖某冶炼厂",
    "description": "熔炼炉旁积水，作业人员未佩戴防护用品。",
}


@pytest.mark.slow
def test_sigkill_mid_stream_loses_no_acknowledged_report(tmp_path):
    data = tmp_path / "data"
    server = start_server(data, env=NO_RATE_LIMITS)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            body = dict(REPORT, description=f"{REPORT['description']} 客户端{n} 第{i}次")
            try:
                reply = post_json(f"{server.url}/api/reports", body)
            except (OSError, http.client.HTTPException):
                # the server died under us (maybe mid-answer): this report was never
                # acknowledged, since its receipt did not arrive whole
                return
            if reply.status == 201:
                with lock:
                    acknowledged.append(reply.json["receipt"])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.process.send_signal(signal.SIGKILL)  # mid-stream: requests are in flight
    server.process.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= 200

    with sqlite3.connect(data / "jubao.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    restarted = start_server(data, env=NO_RATE_LIMITS)
    try:
        missing = []
        for receipt in acknowledged:
            reply = post_json(f"{restarted.url}/api/status", {"receipt": receipt})
            if reply.status != 200:
                missing.append((receipt[:9], reply.status, json.dumps(reply.json)[:80]))
        assert missing == []
    finally:
        restarted.stop()
