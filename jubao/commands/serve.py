"""``jubao serve``: the site and the API on one local address, with the embedded store."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("serve", help="serve the site and the API locally / 本地运行")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data"),
        help="SQLite store and development keys (kept across restarts)",
    )
    parser.add_argument("--site-dir", type=Path, default=Path("build/site"))
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing the port (SQLite serialises their writes)",
    )
    parser.set_defaults(func=_run)


def prepare(data_dir: Path) -> str:
    """Point the settings at ``data_dir`` and make development keys if needed.

    Returns the banner to print when keys were created.
    """
    os.environ["JUBAO_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("JUBAO_STORE", "sqlite")
    from chalicelib import api, settings
    from chalicelib.office import load_office

    from jubao.devkeys import banner, ensure_dev_keys

    settings.reset()
    configured = settings.get_settings()
    office = load_office(configured.office_config)
    message = ""
    needs_keys = not (configured.receipt_key and configured.tag_key) or any(
        not (u.content_key and u.custodian_key) for u in office.units
    )
    if needs_keys:
        keys = ensure_dev_keys(office, data_dir / "keys")
        message = banner(keys)
    settings.reset()
    api.reset()
    return message


def _run(args: argparse.Namespace) -> int:
    functions = Path(__file__).resolve().parents[2] / "functions"
    if str(functions) not in sys.path:
        sys.path.insert(0, str(functions))
    message = prepare(args.data_dir)
    if message:
        print(message, flush=True)
    if not (args.site_dir / "index.html").exists():
        print(
            f"warning: no built site in {args.site_dir} (run `make site`); serving the API only",
            file=sys.stderr,
        )
    from jubao.serve import make_server

    server = make_server(args.host, args.port, args.site_dir)
    print(
        f"jubao: site and API on http://{args.host}:{server.server_port}/ "
        f"(store: {args.data_dir / 'jubao.sqlite3'})",
        flush=True,
    )
    children: list[int] = []
    for _ in range(args.workers - 1):
        pid = _fork()
        if pid == 0:  # a worker: serve, own no children
            children = []
            break
        children.append(pid)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    return 0


def _fork() -> int:
    """A worker process serving the same socket; it dies with its parent."""
    pid = os.fork()
    if pid == 0:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: a killed parent takes its workers along
    return pid
