"""``jubao backup`` and ``jubao restore``: a safety copy of the store for one-machine offices.

**Backup** takes SQLite's online backup while the server keeps serving. The source
connection first opens a read transaction, so the copy is one consistent snapshot (in
WAL mode a reader blocks no writer, and the snapshot does not move while the steps run:
without it, every commit by the server would restart a stepped backup from page one).
The pages are copied in steps with a pause between them, so the copy never monopolises
the disk. The copy is written to a private temporary file (0600) in the destination's
folder, switched to a self-contained rollback journal, fsynced, verified by reopening it
(``PRAGMA integrity_check``, the counts printed) and only then renamed over ``--out``.

**Restore** verifies the backup the same way, refuses to replace an existing store
without ``--force`` and refuses while a process has the store open (see
``_store_in_use``), moves the old store and its -wal/-shm aside together (a stale WAL
next to another database would be replayed into it), and renames the verified copy into
place.

**Keys are not in the backup.** ``DATA/keys`` (``receipt.key``, ``tag.key``,
``public-keys.json``) is written once and needed to check receipts and poster tags after
a restore; it is kept separately (README, "Backups"): the database copies travel often
(USB disk, office NAS), and a stolen copy without the keys cannot even have receipt
guesses checked or poster tags forged. In development that folder also holds office
*private* keys, which must never ride along with the data they open.

Nothing of a report is printed: only counts, sizes and paths.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STORE_NAME = "jubao.sqlite3"
KEY_FILES = ("receipt.key", "tag.key")
TABLES = ("reports", "entries", "attachments", "idempotency")
PAGES_PER_STEP = 1024  # 4 MiB at the default page size
PAUSE_BETWEEN_STEPS = 0.005  # seconds: the server's own writes get the disk in between
# In the -shm file every connection to a WAL database holds a shared lock on this byte
# (SQLite's unix VFS, UNIX_SHM_DMS = 120 + 8 lock slots); the last one to close takes it
# exclusively. If we cannot lock it, a process has the store open.
_SHM_DMS_BYTE = 128


class BackupError(Exception):
    """A backup or restore refused, with a bilingual message safe to print."""


@dataclass(frozen=True)
class Verified:
    path: Path
    size: int
    counts: dict[str, int]

    def summary(self) -> str:
        c = self.counts
        return (
            f"{c['reports']} 件举报、{c['entries']} 条补充/反馈、{c['attachments']} 个附件 / "
            f"{c['reports']} reports, {c['entries']} entries, {c['attachments']} attachments "
            f"({self.size:,} bytes, integrity ok)"
        )


def register(sub: Any) -> None:
    backup = sub.add_parser(
        "backup",
        help="online backup of the store while the server runs / 在线备份数据库",
        description="Copy the SQLite store while `jubao serve` keeps serving; verify the copy.",
    )
    backup.add_argument("--out", type=Path, required=True, help="the backup file to write")
    backup.add_argument("--data-dir", type=Path, default=Path("data"))
    backup.set_defaults(func=_backup_command)

    restore = sub.add_parser(
        "restore",
        help="replace the store with a verified backup (server stopped) / 从备份恢复",
        description="Verify a backup and make it the store. Stop `jubao serve` first.",
    )
    restore.add_argument("--from", dest="source", type=Path, required=True)
    restore.add_argument("--data-dir", type=Path, default=Path("data"))
    restore.add_argument(
        "--force", action="store_true", help="replace an existing store (it is moved aside)"
    )
    restore.set_defaults(func=_restore_command)


# ---- verification -----------------------------------------------------------------------------


def verify(path: Path) -> Verified:
    """Open a copy read-only, check every page and the tables the store needs, count."""
    if not path.is_file():
        raise BackupError(f"找不到备份文件 / no such backup file: {path}")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        raise BackupError(f"无法打开备份 / cannot open the backup: {path}") from None
    try:
        result = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if result != ["ok"]:
            raise BackupError(f"备份已损坏 / the backup is damaged: {path}")
        names = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master")}
        missing = [t for t in TABLES if t not in names]
        if missing:
            raise BackupError(f"这不是举报平台的备份 / not a jubao store backup: {path}")
        counts = {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - fixed names
            for table in TABLES
        }
    except sqlite3.Error:
        raise BackupError(f"备份已损坏 / the backup is damaged: {path}") from None
    finally:
        conn.close()
    return Verified(path, path.stat().st_size, counts)


# ---- backup -----------------------------------------------------------------------------------


def _private_temp(folder: Path, stem: str) -> Path:
    """A new empty file only we can read, in ``folder`` (so a rename is atomic)."""
    for _ in range(100):
        candidate = folder / f".{stem}.{os.getpid()}.{time.monotonic_ns()}.tmp"
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise BackupError(f"无法创建临时文件 / cannot create a temporary file in {folder}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        _fsync(folder)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def backup(data_dir: Path, out: Path) -> Verified:
    """Copy the live store to ``out`` (0600, atomic), verified; the server may keep running."""
    store = data_dir / STORE_NAME
    if not store.is_file():
        raise BackupError(f"没有数据库 / no store at {store}")
    out = out.resolve()
    if out == store.resolve():
        raise BackupError("备份不能覆盖数据库本身 / the backup cannot overwrite the store")
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = _private_temp(out.parent, out.name)
    try:
        source = sqlite3.connect(store, timeout=30, isolation_level=None)
        try:
            target = sqlite3.connect(temp, isolation_level=None)
            try:
                source.execute("BEGIN")  # one snapshot for every step (see the module doc)
                source.execute("SELECT count(*) FROM sqlite_master").fetchone()
                source.backup(target, pages=PAGES_PER_STEP, sleep=PAUSE_BETWEEN_STEPS)
                source.execute("COMMIT")
                # a backup is one self-contained file: no -wal beside it when opened
                target.execute("PRAGMA journal_mode=DELETE").fetchone()
            finally:
                target.close()
        finally:
            source.close()
        _remove(Path(f"{temp}-wal"))
        _remove(Path(f"{temp}-shm"))
        _fsync(temp)
        checked = verify(temp)
        temp.replace(out)
        _fsync_dir(out.parent)
    except sqlite3.Error:
        raise BackupError(f"备份失败 / the backup failed: {store}") from None
    finally:
        _remove(temp)
    return Verified(out, checked.size, checked.counts)


# ---- restore ----------------------------------------------------------------------------------


def _store_in_use(store: Path) -> bool | None:
    """Whether a process has the store open: True, False, or None when unknown.

    Every connection to a WAL database holds a shared POSIX lock on one byte of the
    -shm file for as long as it is open (also while idle), and SQLite itself relies on
    that byte to learn that it is the last connection. If an exclusive lock on it
    cannot be had, someone (a running ``jubao serve``) has the store open. POSIX locks
    belong to the process, so this process must not have the store open itself.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no POSIX locks to look at
        return None
    shm = Path(f"{store}-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False  # no connection in WAL mode has it open
    except OSError:
        return None
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE, os.SEEK_SET)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS_BYTE, os.SEEK_SET)
        return False
    finally:
        os.close(fd)


def restore(source: Path, data_dir: Path, *, force: bool) -> tuple[Verified, Path | None]:
    """Make a verified backup the store; returns it and where the old store was moved."""
    checked = verify(source)
    store = data_dir / STORE_NAME
    sidecars = [Path(f"{store}-wal"), Path(f"{store}-shm")]
    exists = store.exists() or any(p.exists() for p in sidecars)
    if exists and not force:
        raise BackupError(
            f"已有数据库 {store}，加 --force 才会替换（旧库会被移到一旁）/ "
            f"a store exists at {store}; add --force to replace it (the old one is moved aside)"
        )
    if _store_in_use(store):
        raise BackupError(
            "数据库正在使用中：请先停止 jubao serve / "
            "the store is open in another process: stop `jubao serve` first"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    temp = _private_temp(data_dir, STORE_NAME)
    aside: Path | None = None
    try:
        with source.open("rb") as src, temp.open("wb") as dst:
            while chunk := src.read(1024 * 1024):
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        verify(temp)  # what we copied is what we checked
        if exists:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            aside = data_dir / f"{STORE_NAME}.before-restore-{stamp}"
            # the database and its -wal/-shm move together: a WAL left beside the new
            # file would be replayed into it
            for path, suffix in ((store, ""), (sidecars[0], "-wal"), (sidecars[1], "-shm")):
                if path.exists():
                    path.replace(f"{aside}{suffix}")
        temp.replace(store)
        _fsync_dir(data_dir)
    finally:
        _remove(temp)
    return Verified(store, checked.size, checked.counts), aside


def missing_keys(data_dir: Path) -> list[str]:
    keys = data_dir / "keys"
    return [name for name in KEY_FILES if not (keys / name).is_file()]


# ---- the commands -----------------------------------------------------------------------------


def _fail(error: BackupError) -> int:
    print(f"jubao: {error}", file=sys.stderr)
    return 1


def _backup_command(args: argparse.Namespace) -> int:
    try:
        saved = backup(args.data_dir, args.out)
    except BackupError as error:
        return _fail(error)
    print(f"已备份到 / backup saved to {saved.path}: {saved.summary()}")
    print(
        f"密钥不在备份中：请另行保管 {args.data_dir / 'keys'} / "
        f"keys are not in the backup: keep {args.data_dir / 'keys'} separately"
    )
    return 0


def _restore_command(args: argparse.Namespace) -> int:
    try:
        restored, aside = restore(args.source, args.data_dir, force=args.force)
    except BackupError as error:
        return _fail(error)
    print(f"已恢复 / restored {restored.path}: {restored.summary()}")
    if aside is not None:
        print(f"旧数据库已移到 / the old store was moved to {aside}")
    missing = missing_keys(args.data_dir)
    if missing:
        names = ", ".join(missing)
        print(
            f"注意：{args.data_dir / 'keys'} 缺少 {names}，放回原密钥前回执无法查询 / "
            f"warning: {names} missing in {args.data_dir / 'keys'}; receipts cannot be "
            "checked until the original keys are put back",
            file=sys.stderr,
        )
    return 0
