"""The load the throughput benchmarks put on a server: submissions over keep-alive connections.

One function for ``bench_intake`` and ``bench_server``, so both measure the same thing:
each process runs ``threads`` clients, each with one connection, posting reports with
distinct texts (a repeated text would be an idempotent replay, not a new report) until
``seconds`` have passed; latencies of the 201s and the count of failures go to ``out``.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import threading
import time
from typing import Any

REPORT: dict[str, Any] = {
    "kind": "hazard",
    "region": "340104",
    "industry": "fire",
    "unit_name": "合肥某商场",
    "description": "消防通道被货物堵塞，安全出口上锁，灭火器过期。",
    "reporter": {"name": "张三", "phone": "13800138000"},
}


def keepalive_client(
    port: int,
    seconds: float,
    worker: int,
    threads: int,
    out: multiprocessing.Queue[tuple[list[float], int]],
) -> None:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    end = time.monotonic() + seconds
    run = os.urandom(3).hex()  # texts differ from an earlier run's against the same server

    def loop(t: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = 0
        while time.monotonic() < end:
            i += 1
            text = f"{REPORT['description']} {run}w{worker}t{t}n{i}"
            body = json.dumps(dict(REPORT, description=text))
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/reports", body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 201
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors += 1

    pool = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    out.put((latencies, errors))
