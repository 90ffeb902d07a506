"""Server benchmarks: the figures issue 7 names, through the real `jubao serve` process.

1. Submissions per second and p50/p99 latency with 32 concurrent clients on keep-alive
   connections (4 client processes x 8 threads, so the clients do not share one GIL), and
   what bounds it: the server process's CPU use over the run, against the cost of one
   durable SQLite commit measured on the same disk (``synchronous=FULL`` vs ``OFF``).
2. Latency of real submissions while 300 slow clients hold connections (half a request
   each, a third trickling a byte a second), against the same without them.
3. The server's open file descriptors and resident memory before and after a soak of N
   submissions, each on a new connection from its own loopback address.

Run: `make bench` (all benchmarks) or `uv run python bench/bench_server.py [N]` (N soak
submissions, default 20,000). Loopback only.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "functions")]

from bench.keepalive import REPORT, keepalive_client  # noqa: E402 - after the path set-up
from tests.api.client import (  # noqa: E402 - after the path set-up above
    NO_RATE_LIMITS,
    hold_slow_clients,
    open_fds,
    raise_fd_limit,
    rss_mb,
    soak,
    submit_new_connection,
    trickle,
    unreadable,
)
from tests.conftest import LiveServer, start_server  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


@contextmanager
def server(workers: int = 1) -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory() as tmp:
        live = start_server(
            Path(tmp) / "data", env=NO_RATE_LIMITS, log=Path(tmp) / "server.log", workers=workers
        )
        try:
            yield live
        finally:
            live.stop()


def port_of(live: LiveServer) -> int:
    return int(live.url.rsplit(":", 1)[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


# ---- 1. throughput over keep-alive connections -----------------------------------------


STATES = ("running", "disk", "lock", "sleep", "poll", "other")


def thread_state(task: Path) -> str:
    """What one server thread is doing now, from its state and kernel wait channel."""
    state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
    wchan = (task / "wchan").read_text()
    if state == "R":
        return "running"  # on a core, or waiting for one
    if state == "D":
        return "disk"  # uninterruptible: the durable commit's fsync
    if "futex" in wchan:
        return "lock"  # the GIL, the store's write lock, or an idle worker's queue
    if "nanosleep" in wchan:
        return "sleep"
    if "poll" in wchan or "select" in wchan:
        return "poll"  # waitress's I/O loop waiting for sockets
    return "other"


def sample_threads(pid: int, stop: threading.Event, out: dict[str, float]) -> None:
    """Average number of the server's threads in each state, sampled every 5 ms."""
    counts = dict.fromkeys(STATES, 0)
    rounds = 0
    while not stop.wait(0.005):
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                counts[thread_state(task)] += 1
            except OSError:
                continue
        rounds += 1
    out.update({k: v / max(1, rounds) for k, v in counts.items()})


def throughput(
    live: LiveServer, seconds: float = 10.0, processes: int = 4, threads: int = 8
) -> dict[str, float]:
    port, pid = port_of(live), live.process.pid
    for i in range(20):  # warm up: imports, store connections, first pages of the db
        submit_new_connection(port, "127.0.0.1", dict(REPORT, description=f"预热 {i} 次提交。"))
    queue: multiprocessing.Queue[Any] = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=keepalive_client, args=(port, seconds, w, threads, queue))
        for w in range(processes)
    ]
    cpu_before = cpu_seconds(pid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    states: dict[str, float] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=sample_threads, args=(pid, stop, states))
    started = time.perf_counter()
    for p in procs:
        p.start()
    time.sleep(1)  # sample the steady state
    sampler.start()
    results = [queue.get() for _ in procs]
    stop.set()
    sampler.join()
    wall = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    for p in procs:
        p.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    latencies = [x for lat, _ in results for x in lat]
    return {
        "clients": processes * threads,
        "submissions": len(latencies),
        "per_second": len(latencies) / wall,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "errors": sum(e for _, e in results),
        "server_cores": cpu / wall,
        "server_cpu_ms": 1000 * cpu / max(1, len(latencies)),
        "client_cores": client_cpu / wall,
        "load": max(load, os.getloadavg()[0]),
        **{f"threads_{k}": v for k, v in states.items()},
    }


def commit_cost(n: int = 300) -> dict[str, float]:
    """Median time of one small SQLite commit in WAL mode, durable (FULL) and not (OFF),
    on the temporary-files disk the benchmark's store uses."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("FULL", "OFF"):
            conn = sqlite3.connect(Path(tmp) / f"{mode}.sqlite3", isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={mode}")
            conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
            samples = []
            for i in range(n):
                started = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO t (id, body) VALUES (?, ?)", (i, os.urandom(2048)))
                conn.execute("COMMIT")
                samples.append(time.perf_counter() - started)
            conn.close()
            out[mode] = 1000 * statistics.median(samples)
    return out


# ---- 2. slow clients ---------------------------------------------------------------------


def submissions_latency(port: int, n: int, tag: str) -> list[float]:
    timings = []
    for i in range(n):
        report = dict(REPORT, description=f"{REPORT['description']} {tag} {i}")
        started = time.perf_counter()
        status, _ = submit_new_connection(port, f"127.98.{i // 250}.{i % 250 + 1}", report)
        timings.append(time.perf_counter() - started)
        if status != 201:
            raise RuntimeError(f"submission among slow clients: {status}")
    return timings


def slow_clients(live: LiveServer, held_count: int = 300, n: int = 200) -> dict[str, float]:
    raise_fd_limit(held_count + 1024)
    port, pid = port_of(live), live.process.pid
    tag = os.urandom(3).hex()
    alone = submissions_latency(port, n, f"{tag} alone")
    held = hold_slow_clients(port, held_count, REPORT)
    stop = threading.Event()
    trickler = threading.Thread(target=trickle, args=(held, stop), daemon=True)
    trickler.start()
    try:
        time.sleep(1)
        fds_held = open_fds(pid)
        among = submissions_latency(port, n, f"{tag} among")
        still_open = sum(1 for sock in held if _still_open(sock))
    finally:
        stop.set()
        trickler.join()
        for sock in held:
            sock.close()
    return {
        "held": held_count,
        "still_open": still_open,
        "fds_held": fds_held,
        "alone_p50_ms": 1000 * percentile(alone, 0.5),
        "alone_p99_ms": 1000 * percentile(alone, 0.99),
        "p50_ms": 1000 * percentile(among, 0.5),
        "p99_ms": 1000 * percentile(among, 0.99),
        "max_ms": 1000 * max(among),
    }


def _still_open(sock: Any) -> bool:
    """True if the server has not closed this held connection."""
    import socket

    sock.setblocking(False)
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))
    except BlockingIOError:
        return True
    except OSError:
        return False


# ---- 3. soak of new connections ----------------------------------------------------------


def soak_figures(live: LiveServer, total: int) -> dict[str, float]:
    raise_fd_limit(4096)
    port, pid = port_of(live), live.process.pid
    soak(port, pid, 400, REPORT)  # warm-up
    time.sleep(1)
    fds_before, rss_before = open_fds(pid), rss_mb(pid)
    result = soak(port, pid, total, REPORT)
    time.sleep(2)
    fds_after, rss_after = open_fds(pid), rss_mb(pid)
    started = time.perf_counter()
    missing = unreadable(port, result.receipts)
    return {
        "total": total,
        "ok": len(result.receipts),
        "failed": len(result.failures),
        "per_second": result.per_second,
        "fds_before": fds_before,
        "fds_after": fds_after,
        "fds_peak": result.peak_fds,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "rss_peak": result.peak_rss_mb,
        "unreadable": len(missing),
        "readback_s": time.perf_counter() - started,
    }


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print("== server benchmarks (jubao serve, loopback) ==", flush=True)
    with server() as live:
        t = throughput(live)
    c = commit_cost()
    print(
        f"throughput: {t['per_second']:.0f} submissions/s with {t['clients']:.0f} concurrent "
        f"keep-alive clients, p50 {t['p50_ms']:.1f} ms, p99 {t['p99_ms']:.1f} ms, errors "
        f"{t['errors']:.0f} ({t['submissions']:.0f} submissions, one process)"
    )
    ceiling = 1000 / c["FULL"]
    print(
        f"  bound: server process used {t['server_cores']:.2f} of {os.cpu_count()} cores "
        f"({t['server_cpu_ms']:.2f} ms CPU per submission); one durable SQLite commit "
        f"{c['FULL']:.2f} ms (without fsync {c['OFF']:.2f} ms) -> serial commits alone "
        f"allow ~{ceiling:.0f}/s; at the measured rate the writer spends "
        f"{t['per_second'] * c['FULL'] / 10:.0f}% of the time in durable commits"
    )
    print(
        f"  the clients used {t['client_cores']:.2f} cores; machine load average "
        f"{t['load']:.1f} on {os.cpu_count()} cores (other work on the machine lowers "
        "every figure here)"
    )
    print(
        "  server threads on average: "
        + ", ".join(f"{t['threads_' + k]:.2f} {k}" for k in STATES)
        + " (disk = fsync of the commit; lock = GIL, the store's one-writer lock or an idle "
        "worker; poll = the I/O loop)"
    )
    with server(workers=2) as live:
        t2 = throughput(live)
    print(
        f"  with --workers 2: {t2['per_second']:.0f} submissions/s, p50 {t2['p50_ms']:.1f} ms, "
        f"p99 {t2['p99_ms']:.1f} ms, errors {t2['errors']:.0f} (one process is bound by "
        "Python's GIL; a second shares the port and the SQLite writer)"
    )
    with server() as live:
        s = slow_clients(live)
    print(
        f"slow clients: with {s['held']:.0f} held ({s['still_open']:.0f} still open at the end, "
        f"server fds {s['fds_held']:.0f}) a real submission p50 {s['p50_ms']:.1f} ms, "
        f"p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms (alone: p50 "
        f"{s['alone_p50_ms']:.1f} ms, p99 {s['alone_p99_ms']:.1f} ms; target p99 < 2000 ms)"
    )
    with server() as live:
        k = soak_figures(live, total)
    print(
        f"soak: {k['ok']:.0f}/{k['total']:.0f} submissions on new connections from distinct "
        f"loopback addresses ({k['per_second']:.0f}/s, {k['failed']:.0f} failed); server fds "
        f"{k['fds_before']:.0f} -> {k['fds_after']:.0f} (peak {k['fds_peak']:.0f}), RSS "
        f"{k['rss_before']:.0f} -> {k['rss_after']:.0f} MB (peak {k['rss_peak']:.0f} MB); "
        f"{k['unreadable']:.0f} receipts unreadable (all read back in {k['readback_s']:.0f} s)"
    )


if __name__ == "__main__":
    main()
