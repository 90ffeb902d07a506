"""What every officer command runs in: the options it was given and what they name (key
file, passphrase, office configuration, API), how it prints and fails, and its exit codes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from chalicelib.config.office import OfficeConfig, load_office
from chalicelib.config.settings import from_env
from jubao.officer.actions import ActionError
from jubao.officer.client import OfficerClient
from jubao.officer.keyfile import (
    Limits,
    OfficerKeys,
    inspect_keyfile,
    read_keyfile,
    read_passphrase,
    write_keyfile,
)

DEFAULT_API: Final = "http://127.0.0.1:8000"
API_ENV: Final = "JUBAO_API"
KEY_ENV: Final = "JUBAO_OFFICER_KEY"

OK, AUDIT_FAILED, REFUSED, UNREACHABLE = 0, 1, 2, 3

Handler = Callable[["Context"], int]


# ---- the context every command runs in ------------------------------------------------------


class Context:
    """The parsed arguments, and what they name, loaded only when a command needs it."""

    def __init__(self, args: argparse.Namespace, env: Mapping[str, str]) -> None:
        self.args = args
        self.env = env
        self.as_json: bool = bool(getattr(args, "json", False))
        self._keys: OfficerKeys | None = None
        self._passphrase: bytes | None = None
        self._office: OfficeConfig | None = None

    @property
    def key_path(self) -> Path:
        path = getattr(self.args, "key", None) or self.env.get(KEY_ENV)
        if not path:
            raise ActionError(
                f"请用 --key 或 {KEY_ENV} 指定您的密钥文件。",
                f"Name your key file with --key or {KEY_ENV}.",
            )
        return Path(path)

    @property
    def api(self) -> str:
        return str(getattr(self.args, "api", None) or self.env.get(API_ENV) or DEFAULT_API)

    def passphrase(self) -> bytes:
        if self._passphrase is None:
            self._passphrase = read_passphrase(
                getattr(self.args, "passphrase_file", None), self.env
            )
        return self._passphrase

    def keys(self) -> OfficerKeys:
        if self._keys is None:
            self._keys = read_keyfile(self.key_path, self.passphrase())
        return self._keys

    def save_keys(self, keys: OfficerKeys) -> None:
        """Write changed keys back, under the same passphrase, limits and mark."""
        header = inspect_keyfile(self.key_path)
        write_keyfile(
            self.key_path,
            keys,
            self.passphrase(),
            development=header.development,
            limits=Limits.of(header.kdf.opslimit, header.kdf.memlimit),
            replace=True,
        )
        self._keys = keys

    def office(self) -> OfficeConfig:
        if self._office is None:
            settings = from_env(self.env)
            office_file = getattr(self.args, "office", None) or settings.office_config
            keys_file = getattr(self.args, "public_keys", None) or settings.keys_file
            if keys_file is not None and not Path(keys_file).exists():
                keys_file = None
            self._office = load_office(office_file, keys_file)
        return self._office

    def client(self) -> OfficerClient:
        return OfficerClient(self.api, self.keys())

    def own_unit(self) -> str:
        unit = getattr(self.args, "unit", None)
        if unit:
            return str(unit)
        officer = self.office().officer(self.keys().officer)
        if officer is not None:
            return officer.unit
        return str(self.client().get("/me")["officer"]["unit"])

    def emit(self, value: Any, text: str) -> None:
        if self.as_json:
            print(json.dumps(value, ensure_ascii=False, indent=2))
        else:
            print(text)


def fail(ctx: Context, code: str, zh: str, en: str, status: int, exit_code: int) -> int:
    if ctx.as_json:
        error = {"code": code, "status": status, "message_zh": zh, "message_en": en}
        print(json.dumps({"error": error}, ensure_ascii=False, indent=2))
    print(f"{zh}\n{en}", file=sys.stderr)
    return exit_code


def read_small(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(64 * 1024)
    except OSError:
        raise ActionError(f"无法读取文件 {path}。", f"Cannot read {path}.") from None


def create_private(path: Path, data: bytes) -> None:
    """A new file readable by its owner only; never over an existing one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ActionError(f"文件 {path} 已存在。", f"{path} exists already.") from None
    except OSError:
        raise ActionError(f"无法创建文件 {path}。", f"Cannot create {path}.") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [head, *rows]
    )
