"""The officer's side of the audit log: verify it, remember what was seen, cosign it.

Why on the officer's machine: the server keeps the log, so the server's word that the
log is intact proves nothing. The officer fetches the entries and the signed
checkpoints, and checks them all with the public keys of the office configuration
(``chalicelib.audit.verify.verify_log``), not with keys the server hands out.

Why a local memory of checkpoints (``<keyfile>.seen.json``): a server that rewrote its
history, or shows this officer another history than the supervisor's, can serve a log
that is consistent in itself. What it cannot do is make a new head extend the one this
officer saw last: the last head seen is kept, and each new one must extend it (an RFC
9162 consistency proof, and the entries' own root at the old size). A head smaller
than the one seen is a rollback; two roots for one size a split view.

The witness (the supervisor of the unit above) cosigns a head only after checking all
of that itself, so the cosignature means "I saw this history, and it extends the one I
cosigned before", never merely "the server said so".
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from chalicelib.audit import checkpoint as notes
from chalicelib.audit import merkle
from chalicelib.audit.entries import AuditEntry
from chalicelib.audit.verify import VerifyResult, verify_consistency_between, verify_log
from chalicelib.config.office import OfficeConfig, Role
from jubao.officer.client import ApiClient
from jubao.officer.errors import OfficerError
from jubao.officer.keyfile import OfficerKeys

SEEN_FORMAT: Final = "jubao-officer-seen"
SEEN_SUFFIX: Final = ".seen.json"
# what verify_log says of a checkpoint no witness has cosigned yet: a head signed a
# moment ago is always so, which is the witness's work pending, not a broken log
_AWAITING_WITNESS: Final = ": not cosigned by a witness"
_PAGE_LIMIT: Final = 10_000  # pages asked for before giving up on a growing log


class AuditError(OfficerError):
    """The log cannot be checked or cosigned; ``zh`` and ``en`` are for the officer."""


@dataclass(frozen=True)
class Trust:
    """The public keys a unit's log is checked with, all from the office configuration."""

    origin: str
    server_key: str
    officer_keys: dict[str, str]
    witness_keys: dict[str, str]


def trust_for(office: OfficeConfig, unit: str) -> Trust:
    """Who may have signed what in ``unit``'s log.

    Every roster officer's key, active or not (an entry signed before someone left
    must still verify); the witnesses are the supervisors of the unit directly above.
    """
    if unit not in office.units_by_code:
        raise AuditError("配置中没有该单位。", f"Unit {unit} is not in the office configuration.")
    if not office.audit.server_key:
        raise AuditError(
            "配置中没有审计日志的服务器公钥（audit.server_key）。",
            "The office configuration has no audit server key (audit.server_key).",
        )
    above = office.unit_above(unit)
    witnesses = {
        o.id: o.signing_key
        for o in office.officers
        if above is not None and o.unit == above.code and o.has(Role.supervisor)
    }
    return Trust(
        origin=notes.origin_for(office.office.code, unit),
        server_key=office.audit.server_key,
        officer_keys={o.id: o.signing_key for o in office.officers},
        witness_keys=witnesses,
    )


# ---- what this officer has seen ----------------------------------------------------------


def seen_path(keyfile: Path) -> Path:
    return keyfile.with_name(keyfile.name + SEEN_SUFFIX)


@dataclass
class Seen:
    """The last verified head of each log, by origin (so two offices never mix)."""

    path: Path
    logs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def last(self, origin: str) -> str | None:
        entry = self.logs.get(origin)
        note = entry.get("note") if isinstance(entry, dict) else None
        return note if isinstance(note, str) else None

    def remember(self, origin: str, note: str) -> None:
        head, _ = notes.parse_note(note)
        self.logs[origin] = {"size": head.size, "root": head.root.hex(), "note": note}

    def save(self) -> None:
        data = {"format": SEEN_FORMAT, "version": 1, "logs": self.logs}
        _atomic_write(self.path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def load_seen(path: Path) -> Seen:
    if not path.exists():
        return Seen(path)
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, UnicodeDecodeError):
        data = None
    if (
        not isinstance(data, dict)
        or data.get("format") != SEEN_FORMAT
        or not isinstance(data.get("logs"), dict)
    ):
        raise AuditError(
            f"已见检查点记录文件无法读取：{path}",
            f"The record of checkpoints seen cannot be read: {path}",
        )
    return Seen(path, dict(data["logs"]))


def _atomic_write(path: Path, data: bytes) -> None:
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# ---- fetching ------------------------------------------------------------------------------


def _bad(what: str) -> AuditError:
    return AuditError(f"服务器返回的{what}格式不正确。", f"The server's {what} is malformed.")


def fetch_entries(client: ApiClient, unit: str) -> list[AuditEntry]:
    """Every entry of the unit's log, oldest first, page after page."""
    entries: list[AuditEntry] = []
    for _ in range(_PAGE_LIMIT):
        answer = client.get(f"/audit/{unit}", {"start": len(entries)} if entries else None)
        size, page = answer.get("size"), answer.get("entries")
        if not isinstance(size, int) or not isinstance(page, list):
            raise _bad("audit log")
        try:
            entries.extend(AuditEntry.model_validate(item) for item in page)
        except ValidationError:
            raise _bad("audit entry") from None
        if len(entries) >= size or not page:
            return entries
    raise _bad("audit log")


def fetch_checkpoints(client: ApiClient, unit: str) -> list[str]:
    answer = client.get(f"/audit/{unit}/checkpoints")
    listed = answer.get("checkpoints")
    if not isinstance(listed, list):
        raise _bad("checkpoint list")
    found = [c.get("note") for c in listed if isinstance(c, dict)]
    if not all(isinstance(n, str) for n in found) or len(found) != len(listed):
        raise _bad("checkpoint list")
    return [n for n in found if isinstance(n, str)]


def fetch_latest(client: ApiClient, unit: str) -> str:
    note = client.get(f"/audit/{unit}/checkpoint").get("note")
    if not isinstance(note, str):
        raise _bad("checkpoint")
    return note


def fetch_consistency(client: ApiClient, unit: str, old: int, new: int) -> list[bytes]:
    proof = client.get(f"/audit/{unit}/consistency", {"old": old, "new": new}).get("proof")
    if not isinstance(proof, list) or not all(isinstance(p, str) for p in proof):
        raise _bad("consistency proof")
    try:
        return [bytes.fromhex(p) for p in proof]
    except ValueError:
        raise _bad("consistency proof") from None


# ---- checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """A verdict for the officer: ``ok`` unless a real problem was found."""

    unit: str
    size: int
    root_hex: str
    first_bad: int | None
    problems: list[str]
    awaiting_witness: list[str]
    latest_size: int | None

    @property
    def ok(self) -> bool:
        return not self.problems


def _head(note: str) -> notes.Checkpoint:
    try:
        head, _ = notes.parse_note(note)
    except notes.CheckpointError:
        raise AuditError("检查点格式不正确。", "A checkpoint is malformed.") from None
    return head


def check_against_seen(
    client: ApiClient,
    unit: str,
    seen_note: str | None,
    new_note: str,
    entries: Sequence[AuditEntry],
    trust: Trust,
) -> list[str]:
    """Problems with ``new_note`` given the last head this officer saw (rollback, fork)."""
    if seen_note is None:
        return []
    old, new = _head(seen_note), _head(new_note)
    problems: list[str] = []
    if new.size < old.size:
        return [
            f"the latest checkpoint has size {new.size}, smaller than size {old.size} seen"
            " before (rollback)"
        ]
    if new.size == old.size and new.root != old.root:
        return [f"two roots for size {old.size}: the one seen before and now (split view)"]
    hashes = [e.leaf_hash() for e in entries]
    if old.size <= len(hashes) and merkle.root(hashes[: old.size]) != old.root:
        problems.append(
            f"the entries no longer give the root seen before at size {old.size}"
            " (rewritten history or split view)"
        )
    proof = fetch_consistency(client, unit, old.size, new.size) if 0 < old.size < new.size else []
    if not verify_consistency_between(seen_note, new_note, proof, server_key=trust.server_key):
        problems.append(
            f"the checkpoint of size {new.size} does not extend the one of size {old.size}"
            " seen before (consistency proof fails)"
        )
    return problems


def _report(unit: str, result: VerifyResult, extra: list[str], latest: int | None) -> Report:
    waiting = [p for p in result.problems if p.endswith(_AWAITING_WITNESS)]
    real = [p for p in result.problems if not p.endswith(_AWAITING_WITNESS)]
    return Report(
        unit=unit,
        size=result.size,
        root_hex=result.root_hex,
        first_bad=result.first_bad,
        problems=real + extra,
        awaiting_witness=waiting,
        latest_size=latest,
    )


def verify_unit(
    client: ApiClient, office: OfficeConfig, unit: str, seen: Seen, *, remember: bool = True
) -> Report:
    """Fetch and check a unit's whole log; remember its latest head if all holds.

    The latest head is asked for first, so the entries fetched after it cover it.
    """
    trust = trust_for(office, unit)
    latest = fetch_latest(client, unit)
    entries = fetch_entries(client, unit)
    listed = fetch_checkpoints(client, unit)
    checkpoints = listed if latest in listed else [*listed, latest]
    result = verify_log(
        entries,
        checkpoints,
        officer_keys=trust.officer_keys,
        server_key=trust.server_key,
        witness_keys=trust.witness_keys,
        origin=trust.origin,
    )
    extra = check_against_seen(client, unit, seen.last(trust.origin), latest, entries, trust)
    report = _report(unit, result, extra, _head(latest).size)
    if report.ok and remember:
        seen.remember(trust.origin, latest)
        seen.save()
    return report


@dataclass(frozen=True)
class Cosigned:
    report: Report
    note: str | None  # the note with our cosignature as the server stored it; None if refused


def cosign_unit(
    client: ApiClient, office: OfficeConfig, keys: OfficerKeys, unit: str, seen: Seen
) -> Cosigned:
    """Check the unit's latest head and its entries, then cosign it as a witness.

    The head is verified as it will be once cosigned (our line added, our key the only
    witness key), so "not cosigned" cannot hide another problem, and a head that does
    not extend the one we cosigned last is never signed.
    """
    trust = trust_for(office, unit)
    if keys.officer not in trust.witness_keys:
        raise AuditError(
            "只有上一级单位的监督人员可以见证该单位的审计日志（以本地配置为准）。",
            "Only a supervisor of the unit directly above witnesses this log"
            " (per the local configuration).",
        )
    if trust.witness_keys[keys.officer] != keys.signing_public:
        raise AuditError(
            "您的签名密钥与配置中的公钥不一致。",
            "Your signing key does not match your key in the office configuration.",
        )
    latest = fetch_latest(client, unit)
    try:
        if notes.SERVER_NAME not in notes.verify_note(
            latest, {notes.SERVER_NAME: trust.server_key}
        ):
            raise AuditError(
                "最新检查点的服务器签名无效。",
                "The latest checkpoint's server signature does not verify.",
            )
        mine = notes.cosign(latest, keys.officer, keys.signing_seed)
    except notes.CheckpointError:
        raise AuditError("检查点格式不正确。", "The checkpoint is malformed.") from None
    entries = fetch_entries(client, unit)
    result = verify_log(
        entries,
        [mine],
        officer_keys=trust.officer_keys,
        server_key=trust.server_key,
        witness_keys={keys.officer: keys.signing_public},
        origin=trust.origin,
    )
    extra = check_against_seen(client, unit, seen.last(trust.origin), latest, entries, trust)
    report = _report(unit, result, extra, _head(latest).size)
    if not report.ok:
        return Cosigned(report, None)
    answer = client.post(f"/audit/{unit}/cosign", {"note": mine})
    note = _stored_or_mine(answer.get("note"), mine)
    seen.remember(trust.origin, note)
    seen.save()
    return Cosigned(report, note)


def _stored_or_mine(stored: object, mine: str) -> str:
    """The server's copy of the cosigned note if it is the same head, else ours."""
    if isinstance(stored, str):
        try:
            if notes.parse_note(stored)[0] == notes.parse_note(mine)[0]:
                return stored
        except notes.CheckpointError:
            pass
    return mine


__all__ = [
    "AuditError",
    "Cosigned",
    "Report",
    "Seen",
    "Trust",
    "check_against_seen",
    "cosign_unit",
    "fetch_checkpoints",
    "fetch_consistency",
    "fetch_entries",
    "fetch_latest",
    "load_seen",
    "seen_path",
    "trust_for",
    "verify_unit",
]
