"""Weight of the report form page: what a phone on a slow link downloads to report.

Opens ``/report/`` in Debian's Chromium (Playwright) against ``jubao serve``, records every
response the page loads until the network is idle (HTML, CSS, scripts, the search index
and worker, images), and sums their gzip sizes (level 6, what a server or CDN sends).
The budget is 200 KB compressed.

    uv run python bench/bench_site.py [--site-dir build/site] [--url http://127.0.0.1:8000]
                                      [--path report/] [--path en/report/]

Without ``--url`` it starts ``jubao serve`` on a free port with a throw-away data folder.
"""

from __future__ import annotations

import argparse
import gzip
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_BYTES = 200 * 1024
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class Resource:
    url: str
    status: int
    raw_bytes: int
    gzip_bytes: int


def measure(base_url: str, path: str, width: int = 360) -> list[Resource]:
    """Every response the page at ``path`` loads, with its raw and gzip sizes."""
    from playwright.sync_api import Response, sync_playwright

    responses: list[Response] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 780})
            page.on("response", lambda response: responses.append(response))
            page.goto(f"{base_url}/{path}", wait_until="networkidle")
            page.wait_for_timeout(500)  # late, lazy requests (search worker, its index)
            page.wait_for_load_state("networkidle")
            out = []
            for response in responses:
                try:
                    body = response.body()
                except Exception:  # redirects and aborted requests have no body
                    body = b""
                out.append(
                    Resource(response.url, response.status, len(body), len(gzip.compress(body, 6)))
                )
        finally:
            browser.close()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(site_dir: Path) -> Iterator[str]:
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-site-") as data:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jubao.cli",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                data,
                "--site-dir",
                str(site_dir),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("jubao serve did not start") from None
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def report(base_url: str, path: str) -> int:
    resources = measure(base_url, path)
    total = sum(r.gzip_bytes for r in resources)
    print(f"page /{path}: {len(resources)} responses")
    print(f"  {'status':>6} {'raw':>9} {'gzip':>8}  url")
    for r in sorted(resources, key=lambda r: -r.gzip_bytes):
        where = r.url.removeprefix(base_url)
        print(f"  {r.status:>6} {r.raw_bytes:>9,} {r.gzip_bytes:>8,}  {where}")
    verdict = "within" if total <= BUDGET_BYTES else "OVER"
    print(
        f"form page weight /{path}: {total:,} bytes gzip ({total / 1024:.1f} KB), "
        f"{verdict} the {BUDGET_BYTES // 1024} KB budget"
    )
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-dir", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--url", help="an already running `jubao serve` (default: start one)")
    parser.add_argument("--path", action="append", help="page paths (default: report/, en/report/)")
    args = parser.parse_args()
    paths = args.path or ["report/", "en/report/"]
    if args.url:
        totals = [report(args.url.rstrip("/"), p) for p in paths]
    else:
        if not (args.site_dir / "index.html").exists():
            print(f"no built site in {args.site_dir}: run `make site` first", file=sys.stderr)
            return 2
        with serve(args.site_dir) as url:
            totals = [report(url, p) for p in paths]
    return 0 if max(totals) <= BUDGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
