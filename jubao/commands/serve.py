"""``jubao serve``: the site and the API on one local address, with the embedded store."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("serve", help="serve the site and the API / 运行网站和举报接口")
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
    parser.add_argument(
        "--threads", type=int, default=8, help="worker threads per process (default 8)"
    )
    parser.add_argument(
        "--connection-limit",
        type=int,
        default=1000,
        help="open connections per process; beyond it the slowest are shed (default 1000)",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=20.0,
        help="seconds a client has to send its request line and headers (default 20)",
    )
    parser.add_argument(
        "--dev-roster",
        action="store_true",
        help="also create development officers with key files for every unit "
        "(data/keys/officers/; development only)",
    )
    parser.set_defaults(func=_run)


def prepare(data_dir: Path, dev_roster: bool = False) -> str:
    """Point the settings at ``data_dir`` and make development keys if needed (and, with
    ``dev_roster``, development officers for a configuration without a roster).

    Returns the banner to print when keys were created.
    """
    os.environ["JUBAO_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("JUBAO_STORE", "sqlite")
    from chalicelib.config import settings
    from chalicelib.config.office import load_office
    from jubao.devkeys import banner, ensure_dev_keys

    configured = settings.from_env()
    office = load_office(configured.office_config)
    needs_keys = not (configured.receipt_key and configured.tag_key) or any(
        not (u.content_key and u.custodian_key) for u in office.units
    )
    message = banner(ensure_dev_keys(office, data_dir / "keys")) if needs_keys else ""
    if dev_roster and not office.officers:
        from jubao.officer import devroster

        made = devroster.ensure_dev_roster(
            settings.office_for(settings.from_env()), data_dir / "keys"
        )
        if made.created:
            message = "\n".join(filter(None, [message, devroster.banner(made)]))
    return message


def _run(args: argparse.Namespace) -> int:
    from jubao import quietlog

    quietlog.install()
    message = prepare(args.data_dir, args.dev_roster)
    if message:
        print(message, flush=True)
    site_dir: Path | None = args.site_dir
    if site_dir is None or not (site_dir / "index.html").exists():
        print(
            f"warning: no built site in {args.site_dir} (run `make site`); serving the API only",
            file=sys.stderr,
        )
        site_dir = None

    from chalicelib.config.settings import from_env
    from chalicelib.lazy import LazyApp
    from chalicelib.officer.app import create_app as create_officer_app
    from chalicelib.public.app import create_app
    from jubao.serve import ServerLimits, bind, fork_worker, make_server, serve

    settings = from_env()
    # this process's services, built on the first request (after a worker is forked)
    public = LazyApp(lambda: create_app(settings))
    # the officers' door shares the public door's store (one pool of connections)
    officer = LazyApp(
        lambda: create_officer_app(settings, store=public.get().intake.store, shared_store=True)
    )

    def purge(now: datetime) -> int:
        from chalicelib.officer import housekeeping

        removed = public.get().intake.store.purge_uploads(now)
        housekeeping.run(officer.get(), now)  # checkpoints at least daily, old nonces
        return removed

    limits = ServerLimits(
        threads=args.threads,
        connection_limit=args.connection_limit,
        header_timeout=args.header_timeout,
        # the largest form with files, with room for the multipart framing
        max_body_bytes=settings.max_body_bytes
        + settings.max_attachments * settings.max_attachment_bytes
        + 1024 * 1024,
    )
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(
            f"jubao: 无法监听 {args.host}:{args.port}（{exc.strerror}）/ "
            f"cannot listen on {args.host}:{args.port} ({exc.strerror})",
            file=sys.stderr,
        )
        return 1
    port = sock.getsockname()[1]
    children: list[int] = []
    for _ in range(args.workers - 1):
        pid = fork_worker()
        if pid == 0:  # a worker: serve, own no children
            children = []
            break
        children.append(pid)
    is_parent = bool(children) or args.workers == 1
    server = make_server(sock, site_dir, public, limits, officer)
    if is_parent:
        print(
            f"jubao: site and API on http://{args.host}:{port}/ "
            f"(store: {args.data_dir / 'jubao.sqlite3'})",
            flush=True,
        )
    try:
        serve(server, limits, purge=purge if is_parent else None)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        public.reset()  # closes the store's connections
    return 0
