"""The development roster: officers for every unit, so the whole officers' side runs on
one machine (`make run`).

For each unit: ``<unit>-intake`` (holds the unit's content key), ``<unit>-handler``,
``<unit>-handler2``, ``<unit>-custodian`` (holds the custodian key), ``<unit>-approver`` and,
for units with units below them, ``<unit>-supervisor``. Their key files are
``data/keys/officers/<id>.key`` under one passphrase in ``data/keys/officers/PASSPHRASE``;
the public halves join ``public-keys.json`` as the roster. Everything here is for
development only, and the key files say so (Argon2id's interactive limits, marked
``development``): real officers make their own key files with ``jubao officer init``.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib import crypto
from chalicelib.config.office import OfficeConfig, Role, Unit

from .keyfile import Limits, OfficerKeys, read_keyfile, write_keyfile

PASSPHRASE_NAME = "PASSPHRASE"  # noqa: S105 (a file name)


@dataclass(frozen=True)
class DevOfficer:
    id: str
    unit: str
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class DevRoster:
    directory: Path
    created: int

    @property
    def passphrase_file(self) -> Path:
        return self.directory / PASSPHRASE_NAME

    def key_file(self, officer_id: str) -> Path:
        return self.directory / f"{officer_id}.key"


def dev_officers(office: OfficeConfig) -> list[DevOfficer]:
    """The development officers of every unit, in a fixed order."""
    officers = []
    for unit in office.units:
        c = unit.code
        officers += [
            DevOfficer(f"{c}-intake", c, (Role.intake,)),
            DevOfficer(f"{c}-handler", c, (Role.handler,)),
            DevOfficer(f"{c}-handler2", c, (Role.handler,)),
            DevOfficer(f"{c}-custodian", c, (Role.custodian,)),
            DevOfficer(f"{c}-approver", c, (Role.approver,)),
        ]
        if office.units_below(c):
            officers.append(DevOfficer(f"{c}-supervisor", c, (Role.supervisor,)))
    return officers


def _passphrase(directory: Path) -> bytes:
    path = directory / PASSPHRASE_NAME
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(crypto.b64e(crypto.random_bytes(18)) + "\n")
    return path.read_text(encoding="ascii").strip().encode("ascii")


def _unit_private(keys_dir: Path, unit: Unit, role: str) -> str | None:
    """The development private key of a unit (made by ``jubao.devkeys``), if it has one."""
    path = keys_dir / f"{unit.code}-{role}.private"
    return path.read_text(encoding="ascii").strip() if path.exists() else None


def ensure_dev_roster(office: OfficeConfig, keys_dir: Path) -> DevRoster:
    """Create whichever development officer is missing; never overwrite a key file.

    ``office`` is the configuration with the development unit keys laid over it; the
    roster is written into ``keys_dir/public-keys.json`` (the keys overlay).
    """
    directory = keys_dir / "officers"
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    passphrase = _passphrase(directory)
    roster_path = keys_dir / "public-keys.json"
    overlay: dict[str, Any] = (
        json.loads(roster_path.read_text(encoding="utf-8")) if roster_path.exists() else {}
    )
    listed = {o["id"]: o for o in overlay.get("officers", [])}

    def make(officer: DevOfficer) -> tuple[dict[str, Any], bool]:
        path = directory / f"{officer.id}.key"
        if path.exists():
            if officer.id in listed:
                return listed[officer.id], False
            keys = read_keyfile(path, passphrase)
            return _entry(officer, keys), False
        keys = OfficerKeys.new(officer.id)
        unit = office.units_by_code[officer.unit]
        for role, name in ((Role.intake, "content"), (Role.custodian, "custodian")):
            private = _unit_private(keys_dir, unit, name) if role in officer.roles else None
            if private is not None:
                keys = keys.with_unit_key(unit.code, name, private)  # type: ignore[arg-type]
        write_keyfile(path, keys, passphrase, development=True, limits=Limits.INTERACTIVE)
        return _entry(officer, keys), True

    # Argon2id runs in libsodium without the GIL: one thread per core halves the wait
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        results = list(pool.map(make, dev_officers(office)))
    overlay["officers"] = [entry for entry, _ in results]
    roster_path.write_text(json.dumps(overlay, indent=2) + "\n", encoding="utf-8")
    return DevRoster(directory, sum(1 for _, made in results if made))


def _entry(officer: DevOfficer, keys: OfficerKeys) -> dict[str, Any]:
    return {
        "id": officer.id,
        "unit": officer.unit,
        "roles": [str(r) for r in officer.roles],
        "name": "",
        "signing_key": keys.signing_public,
        "encryption_key": keys.encryption_public,
    }


def banner(roster: DevRoster) -> str:
    lines = [
        "=" * 72,
        "开发用执法人员名册 / DEVELOPMENT ROSTER — for development only, never for real cases.",
        f"Officers' key files: {roster.directory.resolve()}/<officer id>.key",
        f"One passphrase for all of them: {roster.passphrase_file.resolve()}",
        "e.g. jubao officer --key data/keys/officers/340000-intake.key "
        "--passphrase-file data/keys/officers/PASSPHRASE list",
        "Real officers make their own key files (`jubao officer init`) and the office",
        "lists their public keys in the configuration's roster.",
        "=" * 72,
    ]
    return "\n".join(lines)
