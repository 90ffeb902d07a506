"""Keys, entries and checkpoints for the audit tests: a small unit log built the real way."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from chalicelib import crypto
from chalicelib.audit import merkle
from chalicelib.audit.checkpoint import Checkpoint, cosign, origin_for, sign_checkpoint
from chalicelib.audit.entries import (
    AuditAction,
    AuditEntry,
    EntryBody,
    request_signed,
    server_signed,
)
from chalicelib.audit.verify import VerifyResult, verify_log


def keypair(label: str) -> tuple[str, str]:
    """A fixed Ed25519 key pair per label, so a failing example replays byte for byte."""
    seed = crypto.b64e(hashlib.sha256(label.encode()).digest())
    return seed, crypto.verify_key_from_seed(seed)


OFFICE, UNIT = "340000", "340104"
ORIGIN = origin_for(OFFICE, UNIT)
SERVER = keypair("server")
OFFICER_ID, OFFICER = "340104-handler", keypair("officer")
WITNESS_ID, WITNESS = "340100-supervisor", keypair("witness")
OTHER = keypair("someone else")
OFFICER_KEYS = {OFFICER_ID: OFFICER[1]}
WITNESS_KEYS = {WITNESS_ID: WITNESS[1]}


def request_base(index: int, case: str) -> str:
    """An RFC 9421 signature base as an officer's client would sign it."""
    return (
        '"@method": GET\n'
        f'"@path": /officer/cases/{case}\n'
        f'"@signature-params": ("@method" "@path");created={1760000000 + index}'
        f';keyid="{OFFICER_ID}";nonce="n{index}"'
    )


def body(index: int, prev: str, *, actor: str, case: str | None = None) -> EntryBody:
    return EntryBody(
        log=UNIT,
        index=index,
        at=f"2026-03-01T08:{index // 60 % 60:02d}:{index % 60:02d}Z",
        actor=actor,
        action=AuditAction.read_case if case else AuditAction.checkpoint,
        case=case,
        outcome="ok",
        detail={"role": "handler"} if case else {},
        prev=prev,
    )


def make_entry(index: int, prev: str, kind: str) -> AuditEntry:
    if kind == "request":
        case = f"{10000000 + index}"
        base = request_base(index, case)
        signature = crypto.b64e(crypto.sign(OFFICER[0], base.encode()))
        return request_signed(
            body(index, prev, actor=OFFICER_ID, case=case), OFFICER_ID, base, signature
        )
    return server_signed(body(index, prev, actor="server"), SERVER[0])


def make_log(kinds: Sequence[str]) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for index, kind in enumerate(kinds):
        entries.append(make_entry(index, entries[-1].link() if entries else "", kind))
    return entries


def hashes(entries: Sequence[AuditEntry]) -> list[bytes]:
    return [e.leaf_hash() for e in entries]


def head(entries: Sequence[AuditEntry], size: int) -> Checkpoint:
    return Checkpoint(origin=ORIGIN, size=size, root=merkle.root(hashes(entries)[:size]))


def signed(checkpoint: Checkpoint, *, witness: bool = True, server_seed: str = SERVER[0]) -> str:
    text = sign_checkpoint(checkpoint, server_seed)
    return cosign(text, WITNESS_ID, WITNESS[0]) if witness else text


def notes(entries: Sequence[AuditEntry], sizes: Sequence[int]) -> list[str]:
    return [signed(head(entries, size)) for size in sizes]


def check(
    entries: Sequence[AuditEntry], checkpoints: Sequence[str], **kwargs: object
) -> VerifyResult:
    options: dict[str, object] = {
        "officer_keys": OFFICER_KEYS,
        "server_key": SERVER[1],
        "witness_keys": WITNESS_KEYS,
        "origin": ORIGIN,
        **kwargs,
    }
    return verify_log(entries, checkpoints, **options)  # type: ignore[arg-type]
