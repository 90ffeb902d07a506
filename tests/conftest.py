"""Shared fixtures: an isolated data folder with development keys, and a live local server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from chalicelib.public.app import PublicApp

ROOT = Path(__file__).resolve().parents[1]


def venv_tool(name: str) -> str:
    """A command of the project's own environment, whatever the caller's PATH says."""
    return str(Path(sys.executable).with_name(name))


@pytest.fixture
def dev_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings pointed at a fresh data folder with development keys; returns the folder.

    The Lambda's services (``app.public``) are rebuilt for it, and closed afterwards.
    """
    import app as function
    from chalicelib.config.office import load_office
    from jubao.devkeys import ensure_dev_keys

    for name in list(os.environ):
        if name.startswith("JUBAO_"):
            monkeypatch.delenv(name)
    data = tmp_path / "data"
    monkeypatch.setenv("JUBAO_DATA_DIR", str(data))
    monkeypatch.setenv("JUBAO_STORE", "sqlite")
    ensure_dev_keys(load_office(), data / "keys")
    function.public.reset()
    yield data
    function.public.reset()


@pytest.fixture
def public_app(dev_env: Path) -> Iterator[PublicApp]:
    """The public front door of ``dev_env``'s settings, as ``jubao serve`` would build it."""
    from chalicelib.config.settings import from_env
    from chalicelib.public.app import create_app

    built = create_app(from_env())
    yield built
    built.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    data_dir: Path,
    site_dir: Path | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    workers: int = 1,
    dev_roster: bool = False,
) -> LiveServer:
    """Start `jubao serve` as a real process on a free loopback port and wait for it."""
    port = free_port()
    log = log or data_dir.parent / f"server-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    process_env = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}
    process_env.update(env or {})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jubao.cli",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--workers",
            str(workers),
            "--site-dir",
            str(site_dir or ROOT / "build" / "site"),
            *(["--dev-roster"] if dev_roster else []),
        ],
        cwd=ROOT,
        env=process_env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + (120 if dev_roster else 30)  # the roster: 133 key files
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return LiveServer(f"http://127.0.0.1:{port}", data_dir, process, log)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("live") / "data"
    server = start_server(
        data,
        env={"JUBAO_SUBMIT_RATE_PER_MINUTE": "100000", "JUBAO_STATUS_RATE_PER_MINUTE": "100000"},
    )
    yield server
    server.stop()


def stored_source(data_dir: Path, number: str) -> str | None:
    """The poster tag stored with report ``number`` in a ``jubao serve`` data folder."""
    from chalicelib.store.sqlite import SqliteStore

    store = SqliteStore(data_dir / "jubao.sqlite3")
    try:
        record = store.get_report(number)
        assert record is not None
        return record.source
    finally:
        store.close()
