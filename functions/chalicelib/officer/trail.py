"""The server's pen on the audit log: entries for officers' acts, and signed checkpoints.

An officer's act is recorded with the officer's own signed request as its proof (what
the server cannot forge); what the server decides by itself (every refusal) carries the
server's signature. Entries are built inside the store's append, once the index and the
previous leaf are known, so the log has no gaps and every ``prev`` links. Checkpoints
are signed with the server's log key (``Settings.log_key``), which is no officer's key:
the unit above cosigns them as a witness, so the server alone cannot fork a unit's log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import crypto
from ..audit import checkpoint as notes
from ..audit import merkle
from ..audit.entries import (
    SERVER_ACTOR,
    AuditAction,
    AuditEntry,
    EntryBody,
    request_signed,
    server_signed,
    utc_stamp,
)
from ..clock import Clock
from ..store.cases import AuditAppend, AuditRecord, CaseStore, CheckpointRecord
from .signatures import VerifiedRequest


class CheckpointRefused(Exception):
    """A cosignature that does not fit: unknown size, another root, or a bad signature."""


@dataclass(frozen=True)
class Trail:
    store: CaseStore
    office_code: str
    server_seed: str  # base64 Ed25519 seed of the server's log key
    clock: Clock

    def entry(
        self,
        *,
        log: str,
        actor: str,
        action: AuditAction,
        case: str | None,
        outcome: str,
        detail: Mapping[str, str] | None = None,
        request: VerifiedRequest | None = None,
    ) -> AuditAppend:
        """An append for the store: the officer's signed request as proof, or, without one
        (refusals), the server's signature."""
        at = utc_stamp(self.clock())

        def build(index: int, prev: bytes) -> tuple[bytes, bytes]:
            body = EntryBody(
                log=log,
                index=index,
                at=at,
                actor=actor,
                action=action,
                case=case,
                outcome=outcome,
                detail=dict(detail or {}),
                prev=prev.hex(),
            )
            entry: AuditEntry
            if request is not None:
                entry = request_signed(body, request.officer, request.base, request.signature_b64)
            else:
                entry = server_signed(body, self.server_seed)
            return entry.canonical(), entry.leaf_hash()

        return AuditAppend(log, build, case)

    def record(self, **kwargs: object) -> AuditRecord:
        return self.store.append_audit(self.entry(**kwargs))  # type: ignore[arg-type]

    def refusal(
        self,
        *,
        log: str,
        actor: str | None,
        action: AuditAction,
        case: str | None,
        code: str,
        detail: Mapping[str, str] | None = None,
    ) -> AuditRecord:
        """A refused request, signed by the server (the request itself may be forged)."""
        return self.store.append_audit(
            self.entry(
                log=log,
                actor=actor or SERVER_ACTOR,
                action=AuditAction.refusal,
                case=case,
                outcome=code,
                detail={"attempted": str(action), **(detail or {})},
            )
        )

    # ---- checkpoints --------------------------------------------------------------------

    def leaf_hashes(self, log: str, size: int | None = None) -> list[bytes]:
        return [r.leaf_hash for r in self.store.audit_records(log, 0, size)]

    def checkpoint(self, log: str) -> CheckpointRecord:
        """The latest checkpoint of ``log``, signing a new one if the log grew since."""
        latest = self.store.latest_checkpoint(log)
        size = self.store.audit_size(log)
        if latest is not None and latest.size >= size:
            return latest
        leaves = self.leaf_hashes(log, size)
        root = merkle.root(leaves)
        body = notes.Checkpoint(
            origin=notes.origin_for(self.office_code, log), size=size, root=root
        )
        record = CheckpointRecord(
            log=log,
            size=size,
            root=root,
            note=notes.sign_checkpoint(body, self.server_seed),
            created_at=self.clock(),
        )
        self.store.put_checkpoint(record)
        return record

    def add_cosignature(
        self, log: str, cosigned: str, witness: str, witness_key: str, server_key: str
    ) -> CheckpointRecord:
        """Store a witness's cosignature on one of our checkpoints of ``log``."""
        try:
            checkpoint, _ = notes.parse_note(cosigned)
            signers = notes.verify_note(
                cosigned, {notes.SERVER_NAME: server_key, witness: witness_key}
            )
        except notes.CheckpointError as exc:
            raise CheckpointRefused("malformed note") from exc
        if signers != {notes.SERVER_NAME, witness}:
            raise CheckpointRefused("signatures do not verify")
        if checkpoint.origin != notes.origin_for(self.office_code, log):
            raise CheckpointRefused("another log's checkpoint")
        stored = {c.size: c for c in self.store.list_checkpoints(log)}.get(checkpoint.size)
        if stored is None or stored.root != checkpoint.root:
            raise CheckpointRefused("no such checkpoint")
        # keep every earlier cosignature; add this witness's line once
        note_text = stored.note
        known = {(name, keyhash) for name, keyhash, _ in notes.split_note(stored.note)[1]}
        for name, keyhash, signature in notes.split_note(cosigned)[1]:
            if name == witness and (name, keyhash) not in known:
                note_text += f"\u2014 {name} {crypto.b64e(keyhash + signature)}\n"
        record = CheckpointRecord(log, stored.size, stored.root, note_text, stored.created_at)
        self.store.put_checkpoint(record)
        return record
