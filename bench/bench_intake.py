"""Intake benchmarks: the figures the intake issue names.

1. Sustained submissions per second and p50/p99 latency against the local server
   (`jubao serve`, SQLite, durable commits) with concurrent clients in other processes.
2. Per-submission cost in process, as a ratio to a bare Chalice handler returning 201.
3. Cold-start import time of functions/app.py in a fresh interpreter, as a ratio to a
   bare Chalice app importing only pydantic.
4. Size of the public Lambda package (`make package`, build/sam/public; both: bench_package).

Run: `make bench` (all benchmarks) or `uv run python bench/bench_intake.py`.
"""

from __future__ import annotations

import http.client
import json
import logging
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "functions")]

from bench.keepalive import REPORT, keepalive_client  # noqa: E402 - after the path set-up


def throughput(
    seconds: float = 10.0, processes: int = 4, threads: int = 8, workers: int = 1
) -> dict[str, float]:
    from tests.conftest import start_server

    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(
            Path(tmp) / "data",
            env={
                "JUBAO_SUBMIT_RATE_PER_MINUTE": "100000000",
                "JUBAO_STATUS_RATE_PER_MINUTE": "100000000",
            },
            log=Path(tmp) / "server.log",
            workers=workers,
        )
        port = int(server.url.rsplit(":", 1)[1])
        try:
            # warm up (imports, first SQLite connection per thread)
            _warm = http.client.HTTPConnection("127.0.0.1", port)
            _warm.request(
                "POST", "/api/reports", json.dumps(REPORT), {"Content-Type": "application/json"}
            )
            _warm.getresponse().read()
            queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
            procs = [
                multiprocessing.Process(
                    target=keepalive_client, args=(port, seconds, w, threads, queue)
                )
                for w in range(processes)
            ]
            started = time.perf_counter()
            for p in procs:
                p.start()
            results = [queue.get() for _ in procs]
            wall = time.perf_counter() - started
            for p in procs:
                p.join()
        finally:
            server.stop()
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    return {
        "clients": processes * threads,
        "submissions": len(latencies),
        "per_second": len(latencies) / wall,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
        "errors": errors,
    }


def _lambda_event(path: str, body: str) -> dict[str, object]:
    return {
        "requestContext": {
            "httpMethod": "POST",
            "resourcePath": path,
            "path": path,
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "headers": {"content-type": "application/json"},
        "pathParameters": None,
        "multiValueQueryStringParameters": None,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": False,
    }


def in_process_ratio(n: int = 2000) -> dict[str, float]:
    """Median cost of one submission through app(event, context) vs a bare Chalice 201."""
    from chalice.app import Chalice, Response

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(
            {
                "JUBAO_DATA_DIR": tmp,
                "JUBAO_STORE": "sqlite",
                "JUBAO_SUBMIT_RATE_PER_MINUTE": "100000000",
            }
        )
        import app as function
        from chalicelib.config.office import load_office
        from jubao.devkeys import ensure_dev_keys

        ensure_dev_keys(load_office(), Path(tmp) / "keys")
        function.public.reset()  # the services of the new environment
        app = function.app

        bare = Chalice(app_name="bare")

        @bare.route("/api/reports", methods=["POST"])
        def bare_submit() -> Response:
            return Response(body="", status_code=201)

        logging.getLogger("jubao").setLevel(logging.WARNING)
        counter = iter(range(10**9))

        def timed(target: Chalice, vary: bool) -> tuple[float, float]:
            wall, cpu = [], []
            for _ in range(n):
                text = f"{REPORT['description']} {next(counter)}"
                body = json.dumps(dict(REPORT, description=text)) if vary else "{}"
                event = _lambda_event("/api/reports", body)
                started, cpu_started = time.perf_counter(), time.thread_time()
                response = target(event, None)
                wall.append(time.perf_counter() - started)
                cpu.append(time.thread_time() - cpu_started)
                assert response["statusCode"] == 201, response
            return statistics.median(wall), statistics.median(cpu)

        timed(bare, False)
        timed(app, True)  # warm both
        bare_wall, bare_cpu = timed(bare, False)
        app_wall, app_cpu = timed(app, True)
        function.public.reset()
    return {
        "bare_us": bare_wall * 1e6,
        "app_us": app_wall * 1e6,
        "ratio": app_wall / bare_wall,
        "bare_cpu_us": bare_cpu * 1e6,
        "app_cpu_us": app_cpu * 1e6,
        "cpu_ratio": app_cpu / bare_cpu,
    }


def cold_start(repeat: int = 7) -> dict[str, float]:
    """Fresh-interpreter import time: app.py vs a bare Chalice app importing pydantic."""
    # "importing pydantic" = its public API; a bare `import pydantic` loads it lazily and
    # would measure almost nothing
    bare = (
        "from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator\n"
        "from chalice import Chalice\napp = Chalice(app_name='bare')\n"
    )

    def measure(code: str) -> float:
        samples = []
        for _ in range(repeat):
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import time; t=time.perf_counter()\n"
                    + code
                    + "\nprint(time.perf_counter()-t)",
                ],
                cwd=ROOT / "functions",
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            )
            samples.append(float(out.stdout.strip().splitlines()[-1]))
        return statistics.median(samples)

    bare_s = measure(bare)
    app_s = measure("import app")
    return {"bare_ms": bare_s * 1000, "app_ms": app_s * 1000, "ratio": app_s / bare_s}


def package_size() -> dict[str, float | bool]:
    zip_path = ROOT / "build" / "sam" / "public" / "deployment.zip"  # bench_package: both
    if not zip_path.exists():
        subprocess.run(["make", "package"], cwd=ROOT, check=True, capture_output=True)
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    core = any(
        n.startswith("pydantic_core/_pydantic_core.cpython-312") and n.endswith(".so")
        for n in names
    )
    return {"zip_mb": zip_path.stat().st_size / 1e6, "pydantic_core_inside": core}


def main() -> None:
    print("== intake benchmarks ==")
    t = throughput()
    print(
        f"throughput: {t['per_second']:.0f} submissions/s with {t['clients']} concurrent clients, "
        f"p50 {t['p50_ms']:.1f} ms, p99 {t['p99_ms']:.1f} ms, errors {t['errors']} "
        f"({t['submissions']} submissions; target >= 300/s, 0 errors)"
    )
    r = in_process_ratio()
    print(
        f"in-process cost (wall, durable SQLite commit included): {r['app_us']:.0f} us per "
        f"submission vs bare Chalice 201 {r['bare_us']:.0f} us -> ratio {r['ratio']:.1f}x "
        f"(target <= 2x)"
    )
    print(
        f"in-process cost (CPU only): {r['app_cpu_us']:.0f} us vs {r['bare_cpu_us']:.0f} us "
        f"-> ratio {r['cpu_ratio']:.1f}x"
    )
    c = cold_start()
    print(
        f"cold start import: app.py {c['app_ms']:.0f} ms vs bare Chalice+pydantic "
        f"{c['bare_ms']:.0f} ms -> ratio {c['ratio']:.2f}x (target <= 1.5x)"
    )
    p = package_size()
    print(
        f"lambda package: {p['zip_mb']:.2f} MB zipped, compiled pydantic core inside: "
        f"{p['pydantic_core_inside']} (target <= 10 MB)"
    )


if __name__ == "__main__":
    main()
