"""``jubao backup`` / ``jubao restore``: a backup taken under load keeps every acknowledged report.

Against real processes: `jubao serve` takes submissions from several threads while
`jubao backup` runs as a subprocess; the backup is restored into a fresh data folder
(with the original keys, kept separately as the README says), a new server is started on
it, and every report acknowledged (201) before the backup started is found by its
receipt. Refusals: a damaged file, an existing store without ``--force``, a store that a
running server has open.
"""

from __future__ import annotations

import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chalicelib.store.sqlite import SqliteStore
from jubao.commands import backup as backup_cmd
from tests.api.client import post_json
from tests.conftest import ROOT, LiveServer, start_server
from tests.store import support as s

UNLIMITED = {"JUBAO_SUBMIT_RATE_PER_MINUTE": "1000000", "JUBAO_STATUS_RATE_PER_MINUTE": "1000000"}


def report_body(n: int) -> dict[str, str]:
    # a distinct body each time: an identical one from the same client is a replay
    return {
        "kind": "hazard",
        "region": "340104",
        "industry": "hazardous_chemicals",
        "unit_name": f"合肥某化工有限公司第{n}号",
        "description": f"储罐区可燃气体报警器长期关闭，夜间违规动火作业（第{n}次）。",
    }


def jubao(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jubao.cli", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class Submitters:
    """Threads submitting reports until stopped; each 201's receipt with its time."""

    def __init__(self, server: LiveServer, threads: int = 4) -> None:
        self.server = server
        self.acknowledged: list[tuple[float, str]] = []
        self.failures: list[int] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._count = iter(range(10**9))
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                n = next(self._count)
            reply = post_json(f"{self.server.url}/api/reports", report_body(n))
            with self._lock:
                if reply.status == 201:
                    self.acknowledged.append((time.monotonic(), reply.json["receipt"]))
                else:
                    self.failures.append(reply.status)

    def __enter__(self) -> Submitters:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, "the server acknowledged too few reports"
            time.sleep(0.05)

    def receipts_before(self, moment: float) -> list[str]:
        with self._lock:
            return [receipt for at, receipt in self.acknowledged if at < moment]


@pytest.mark.slow
def test_backup_under_load_restores_every_acknowledged_report(tmp_path: Path) -> None:
    data = tmp_path / "office" / "data"
    out = tmp_path / "backups" / "jubao-backup.sqlite3"
    server = start_server(data, env=UNLIMITED)
    try:
        with Submitters(server) as load:
            load.wait_for(60)
            started = time.monotonic()
            taken = jubao("backup", "--out", out, "--data-dir", data)
            load.wait_for(len(load.acknowledged) + 20)  # submissions went on meanwhile
            acknowledged = load.receipts_before(started)
        assert not load.failures
        assert taken.returncode == 0, taken.stderr
    finally:
        server.stop()
    assert "backup saved" in taken.stdout and "integrity ok" in taken.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left behind
    # the copy is self-contained: nothing is needed beside it
    assert backup_cmd.verify(out).counts["reports"] >= len(acknowledged) >= 60

    fresh = tmp_path / "restored" / "data"
    shutil.copytree(data / "keys", fresh / "keys")  # kept separately, put back
    restored = jubao("restore", "--from", out, "--data-dir", fresh)
    assert restored.returncode == 0, restored.stderr
    assert "warning" not in restored.stderr
    assert not Path(f"{fresh / 'jubao.sqlite3'}-wal").exists()

    server = start_server(fresh, env=UNLIMITED)
    try:
        for receipt in acknowledged:
            status = post_json(f"{server.url}/api/status", {"receipt": receipt})
            assert status.status == 200, receipt[:4]
    finally:
        server.stop()


def _small_store(data: Path, reports: int = 3) -> None:
    store = SqliteStore(data / "jubao.sqlite3")
    try:
        for _ in range(reports):
            store.create_report(s.report())
    finally:
        store.close()


def test_backup_prints_counts_and_refuses_a_missing_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    missing = jubao("backup", "--out", tmp_path / "b.sqlite3", "--data-dir", data)
    assert missing.returncode == 1 and "no store" in missing.stderr
    _small_store(data, reports=3)
    taken = jubao("backup", "--out", tmp_path / "b.sqlite3", "--data-dir", data)
    assert taken.returncode == 0, taken.stderr
    assert "3 reports, 0 entries, 0 attachments" in taken.stdout
    assert "keys are not in the backup" in taken.stdout


@pytest.mark.parametrize("damage", ["garbage_page", "truncated", "not_sqlite", "other_db"])
def test_a_damaged_backup_is_refused_and_the_store_left_alone(tmp_path: Path, damage: str) -> None:
    data = tmp_path / "data"
    _small_store(data, reports=40)
    out = tmp_path / "b.sqlite3"
    backup_cmd.backup(data, out)
    raw = bytearray(out.read_bytes())
    page = int.from_bytes(raw[16:18], "big")
    if damage == "garbage_page":  # the root page of a table overwritten
        raw[page : page * 2] = bytes([0x5A]) * page
    elif damage == "truncated":
        raw = raw[: len(raw) // 2]
    elif damage == "not_sqlite":
        raw = bytearray(b"not a database at all\n" * 100)
    else:
        other = tmp_path / "other.sqlite3"
        with sqlite3.connect(other) as conn:
            conn.execute("CREATE TABLE t(x)")
        conn.close()
        raw = bytearray(other.read_bytes())
    out.write_bytes(bytes(raw))

    target = tmp_path / "target"
    _small_store(target, reports=1)
    before = (target / "jubao.sqlite3").read_bytes()
    refused = jubao("restore", "--from", out, "--data-dir", target, "--force")
    assert refused.returncode == 1
    assert "backup" in refused.stderr
    assert (target / "jubao.sqlite3").read_bytes() == before
    assert sorted(p.name for p in target.iterdir()) == ["jubao.sqlite3"]


def test_restore_needs_force_over_an_existing_store_and_moves_it_aside(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    _small_store(source, reports=5)
    _small_store(target, reports=2)
    out = tmp_path / "b.sqlite3"
    backup_cmd.backup(source, out)
    before = (target / "jubao.sqlite3").read_bytes()

    refused = jubao("restore", "--from", out, "--data-dir", target)
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert (target / "jubao.sqlite3").read_bytes() == before

    forced = jubao("restore", "--from", out, "--data-dir", target, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "moved to" in forced.stdout
    assert "receipt.key" in forced.stderr  # no keys in this folder: said so
    [aside] = [p for p in target.iterdir() if ".before-restore-" in p.name]
    assert aside.read_bytes() == before
    store = SqliteStore(target / "jubao.sqlite3")
    try:
        assert sum(1 for _ in store.iter_reports()) == 5
    finally:
        store.close()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX locks")
def test_restore_refuses_while_the_store_is_open(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _small_store(data, reports=2)
    out = tmp_path / "b.sqlite3"
    backup_cmd.backup(data, out)
    holder = subprocess.Popen(  # another process holding the store open, as a server does
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(data / 'jubao.sqlite3')!r})\n"
            "c.execute('SELECT count(*) FROM reports').fetchone()\n"
            "print('open', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        refused = jubao("restore", "--from", out, "--data-dir", data, "--force")
        assert refused.returncode == 1 and "stop `jubao serve`" in refused.stderr
    finally:
        holder.kill()
        holder.wait()
    allowed = jubao("restore", "--from", out, "--data-dir", data, "--force")
    assert allowed.returncode == 0, allowed.stderr


def test_restore_refuses_a_running_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data, env=UNLIMITED)
    try:
        assert post_json(f"{server.url}/api/reports", report_body(1)).status == 201
        out = tmp_path / "b.sqlite3"
        assert jubao("backup", "--out", out, "--data-dir", data).returncode == 0
        refused = jubao("restore", "--from", out, "--data-dir", data, "--force")
        assert refused.returncode == 1 and "stop `jubao serve`" in refused.stderr
    finally:
        server.stop()
