"""Development keys: made on first run so the whole chain works on one machine.

Real offices make their key pairs on their own machines (``jubao keys new``) and publish
only the public halves in the office configuration. For development, ``jubao serve``
creates a pair per unit that has none, the receipt and poster-tag hash keys and the
audit log's signing key, under ``data/keys/``, and says loudly that they are for
development only. (The officers' development roster is ``jubao.officer.devroster``.)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib import crypto
from chalicelib.config.office import OfficeConfig


@dataclass
class DevKeys:
    directory: Path
    created: list[Path]

    @property
    def public_keys(self) -> Path:
        return self.directory / "public-keys.json"


def _write_secret(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text + "\n")


def ensure_dev_keys(office: OfficeConfig, directory: Path) -> DevKeys:
    """Create whatever development key is missing; never overwrite an existing one."""
    created: list[Path] = []
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    for name in ("receipt.key", "tag.key"):
        path = directory / name
        if not path.exists():
            _write_secret(path, crypto.b64e(crypto.random_bytes(crypto.KEY_BYTES)))
            created.append(path)
    log_key = directory / "log.key"  # the server's own key for signing audit checkpoints
    if not log_key.exists():
        seed, _ = crypto.generate_signing_keypair()
        _write_secret(log_key, seed)
        created.append(log_key)
    public_path = directory / "public-keys.json"
    public: dict[str, Any] = {"units": {}}
    if public_path.exists():
        public = json.loads(public_path.read_text(encoding="utf-8"))
    public.setdefault("units", {})
    seed = log_key.read_text(encoding="ascii").strip()
    public["audit"] = {"server_key": crypto.verify_key_from_seed(seed)}
    for unit in office.units:
        entry = public["units"].setdefault(unit.code, {})
        for role in ("content", "custodian"):
            if getattr(unit, f"{role}_key"):
                continue
            private_path = directory / f"{unit.code}-{role}.private"
            if not private_path.exists():
                private, _ = crypto.generate_keypair()
                _write_secret(private_path, private)
                created.append(private_path)
            private = private_path.read_text(encoding="ascii").strip()
            entry[f"{role}_key"] = crypto.public_from_private(private)
    public_path.write_text(json.dumps(public, indent=2) + "\n", encoding="utf-8")
    return DevKeys(directory, created)


def banner(keys: DevKeys) -> str:
    lines = [
        "=" * 72,
        "开发用密钥 / DEVELOPMENT KEYS — for development only, never for real reports.",
        f"Private office keys and hash keys are in: {keys.directory.resolve()}",
        "Real offices create their own pairs with `jubao keys new` and publish only",
        "the public halves in the office configuration.",
        "=" * 72,
    ]
    return "\n".join(lines)
