"""Soak and slow clients, against a real `jubao serve` process on loopback.

(a) Many submissions, each over a NEW connection from its own loopback address
    (127.x.y.z), from 16 client threads: the server's open file descriptors and resident
    memory stay bounded, and every report answered 201 can be read back with its receipt.
(b) 300 connections that send half a request and then hold on (a third of them trickle a
    byte a second): real submissions still complete promptly, and the server is healthy
    and holds no extra descriptors afterwards.

The count of (a) is ``JUBAO_SOAK_SUBMISSIONS``, default 20,000 (about a minute and a half
on a 2-core machine; `bench/bench_server.py` runs the same soak and prints its figures).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import threading
import time
from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer, start_server

from .client import (
    NO_RATE_LIMITS,
    REPORT,
    exchange,
    hold_slow_clients,
    http_request,
    open_fds,
    raise_fd_limit,
    rss_mb,
    soak,
    submit_new_connection,
    trickle,
    unreadable,
)

SUBMISSIONS = int(os.environ.get("JUBAO_SOAK_SUBMISSIONS", "20000"))
THREADS = 16
FD_SLACK = 50  # open files after the soak <= after warm-up + 50
RSS_SLACK_MB = 100  # resident memory after the soak <= after warm-up + 100 MB
SLOW_CLIENTS = 300
PROMPT_SECONDS = 2.0  # a real submission among the slow clients


@pytest.fixture
def server(tmp_path) -> Iterator[LiveServer]:
    live = start_server(tmp_path / "data", env=NO_RATE_LIMITS, log=tmp_path / "server.log")
    yield live
    live.stop()


def port_of(server: LiveServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


@pytest.mark.slow
def test_soak_of_new_connections_keeps_files_and_memory_bounded(server):
    raise_fd_limit(4096)
    port, pid = port_of(server), server.process.pid
    warm = soak(port, pid, 400, REPORT, THREADS)
    assert warm.failures == []
    time.sleep(1)
    fds_before, rss_before = open_fds(pid), rss_mb(pid)

    result = soak(port, pid, SUBMISSIONS, REPORT, THREADS)
    time.sleep(2)  # connections the server closed last are reaped
    fds_after, rss_after = open_fds(pid), rss_mb(pid)
    print(
        f"\nsoak: {SUBMISSIONS} submissions on new connections in {result.seconds:.1f} s "
        f"({result.per_second:.0f}/s); fds {fds_before} -> {fds_after} (peak "
        f"{result.peak_fds}); RSS {rss_before:.0f} -> {rss_after:.0f} MB (peak "
        f"{result.peak_rss_mb:.0f} MB)"
    )
    assert result.failures == [], f"{len(result.failures)} failed: {result.failures[:10]}"
    assert fds_after <= fds_before + FD_SLACK, (fds_before, fds_after)
    assert result.peak_fds <= fds_before + THREADS + FD_SLACK, (fds_before, result.peak_fds)
    assert rss_after <= rss_before + RSS_SLACK_MB, (rss_before, rss_after)

    receipts = result.receipts
    assert len(receipts) == SUBMISSIONS == len(set(receipts))
    started = time.perf_counter()
    missing = unreadable(port, receipts + warm.receipts)
    print(f"all {len(receipts)} receipts read back in {time.perf_counter() - started:.1f} s")
    assert missing == [], f"{len(missing)} receipts unreadable: {missing[:10]}"


@pytest.mark.slow
def test_slow_clients_do_not_delay_a_real_submission(server):
    raise_fd_limit(4096)
    port, pid = port_of(server), server.process.pid
    assert submit_new_connection(port, "127.98.0.1", REPORT)[0] == 201
    fds_before = open_fds(pid)
    held = hold_slow_clients(port, SLOW_CLIENTS, REPORT)
    stop = threading.Event()
    trickler = threading.Thread(target=trickle, args=(held, stop), daemon=True)
    trickler.start()
    receipts = []
    try:
        time.sleep(1)
        timings = []
        for i in range(20):
            report = dict(REPORT, description=f"{REPORT['description']} 慢客户端之间 {i}")
            started = time.perf_counter()
            status, receipt = submit_new_connection(port, f"127.98.1.{i + 1}", report)
            timings.append(time.perf_counter() - started)
            assert status == 201, status
            receipts.append(receipt)
            time.sleep(random.uniform(0, 0.2))
        print(f"\n{SLOW_CLIENTS} slow clients held: submission max {max(timings) * 1000:.0f} ms")
        assert max(timings) < PROMPT_SECONDS, timings
        # the slow clients are still connected: the server has not given up on them
        assert open_fds(pid) >= fds_before + SLOW_CLIENTS // 2, open_fds(pid)
    finally:
        stop.set()
        trickler.join()
        for sock in held:
            sock.close()
    time.sleep(2)
    status, receipt = submit_new_connection(port, "127.98.2.1", REPORT | {"unit_name": "之后"})
    assert status == 201
    assert unreadable(port, [*receipts, receipt]) == []
    assert open_fds(pid) <= fds_before + FD_SLACK, (fds_before, open_fds(pid))


@pytest.mark.slow
def test_slowloris_beyond_the_connection_limit_does_not_lock_reporters_out(server):
    """1,100 connections (more than the server's connection limit of 1,000) that keep
    trickling header bytes: an idle timeout never fires for them, so only a deadline for
    the whole request (or a cap per client) keeps the door open for a real reporter."""
    raise_fd_limit(4096)
    port = port_of(server)
    held = hold_slow_clients(port, 1100, REPORT)
    stop = threading.Event()
    trickler = threading.Thread(target=trickle_all, args=(held, stop), daemon=True)
    trickler.start()
    try:
        time.sleep(2)
        body = json.dumps(dict(REPORT, description=f"{REPORT['description']} 慢速攻击之间"))
        data = http_request(
            "POST", "/api/reports", body.encode(), {"Content-Type": "application/json"}
        )
        started = time.perf_counter()
        try:
            reply = exchange(port, data, "127.98.3.1", timeout=10)
        except TimeoutError:
            raise AssertionError("no answer within 10 s behind 1,100 slow clients") from None
        assert reply.status == 201, reply.status
        assert time.perf_counter() - started < 5.0
    finally:
        stop.set()
        trickler.join()
        for sock in held:
            sock.close()


def trickle_all(held: list, stop: threading.Event) -> None:
    """Every held connection sends one more header byte every two seconds."""
    while not stop.wait(2.0):
        for sock in held:
            with contextlib.suppress(OSError):
                sock.send(b"X")
