"""What one leaf of a unit's audit log says: who did what to which case, and the proof of it.

Every officer access (reading content or an identity, granting, revoking, a state
change, a refusal) is one ``AuditEntry``. Its leaf data is ``canonical()``: one
deterministic JSON text, so the auditor, the witness and the server hash the same bytes
whatever produced the object. ``prev`` repeats the leaf hash of the entry before it,
so an entry removed, moved or slipped in breaks the chain at a place the verifier can
name, not only somewhere under a root.

An entry carries the evidence that it happened: the officer's own signed request (the
RFC 9421 signature base they signed, which the server cannot make up), or, for what the
server does of itself, the server's signature over the entry. ``detail`` holds small
routing facts only, never the text of a report: the log is read by supervisors who must
not learn what a sealed report says.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib import crypto
from chalicelib.audit import merkle

UNIT_PATTERN = r"^[0-9]{6}$"
# the roster's officer ids; "server" matches too
ACTOR_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
SERVER_ACTOR = "server"
# what an entry's server signature covers: a context of its own, so a signature made
# for an entry can never be passed off as a checkpoint's or a request's
SIGNING_CONTEXT = b"jubao/audit-entry/v1\n"
_STAMP = "%Y-%m-%dT%H:%M:%SZ"
_SIGNATURE_B64 = r"^[A-Za-z0-9+/]{86}==$"  # 64 bytes
MAX_DETAIL_ITEMS = 16
MAX_DETAIL_VALUE = 256


class AuditAction(StrEnum):
    list_cases = "list_cases"
    read_case = "read_case"
    read_identity = "read_identity"
    grant = "grant"
    revoke = "revoke"
    transfer = "transfer"
    exclude = "exclude"
    transition = "transition"
    refusal = "refusal"
    cosign = "cosign"
    checkpoint = "checkpoint"
    enrol = "enrol"
    recover = "recover"
    rotate = "rotate"
    escalate = "escalate"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def _encodable(text: str) -> str:
    """Refuse lone surrogates (JSON can carry them): a leaf must have one UTF-8 form."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode") from exc
    return text


class RequestProof(_Frozen):
    """The officer's signed request: what only the officer's private key could produce."""

    kind: Literal["request"] = "request"
    keyid: str = Field(pattern=ACTOR_PATTERN)
    base: str = Field(min_length=1, max_length=16384)
    signature: str = Field(pattern=_SIGNATURE_B64)

    @field_validator("base")
    @classmethod
    def _base_is_text(cls, value: str) -> str:
        return _encodable(value)


class ServerProof(_Frozen):
    """The server's signature over ``signed_bytes()``: for what the server does itself."""

    kind: Literal["server"] = "server"
    signature: str = Field(pattern=_SIGNATURE_B64)


EntryProof = Annotated[RequestProof | ServerProof, Field(discriminator="kind")]


def utc_stamp(moment: datetime) -> str:
    """The form of ``at``: UTC, to the second, with a "Z" (one spelling per instant)."""
    if moment.tzinfo is None:
        raise ValueError("a naive time has no place in the audit log")
    return moment.astimezone(UTC).strftime(_STAMP)


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


class EntryBody(_Frozen):
    """An entry without its proof: what the server signs, and what a producer fills in."""

    log: str = Field(pattern=UNIT_PATTERN)
    index: int = Field(ge=0, strict=True)
    at: str
    actor: str = Field(pattern=ACTOR_PATTERN)
    action: AuditAction
    case: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    outcome: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")
    detail: dict[str, str] = Field(default_factory=dict, max_length=MAX_DETAIL_ITEMS)
    prev: str = Field(pattern=r"^([0-9a-f]{64})?$")

    @field_validator("at")
    @classmethod
    def _utc_second(cls, value: str) -> str:
        try:
            parsed = datetime.strptime(value, _STAMP).replace(tzinfo=UTC)
        except ValueError as exc:
            raise ValueError(
                "at must be UTC ISO-8601 to the second, like 2026-01-31T08:00:00Z"
            ) from exc
        if utc_stamp(parsed) != value:
            raise ValueError("at must be written in its one canonical form")
        return value

    @field_validator("detail")
    @classmethod
    def _small_detail(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", key):
                raise ValueError("detail keys are short lower-case names")
            if len(text) > MAX_DETAIL_VALUE or any(
                ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text
            ):
                raise ValueError("detail values are short single-line texts")
            _encodable(text)
        return value

    @model_validator(mode="after")
    def _first_has_no_prev(self) -> EntryBody:
        if (self.index == 0) != (self.prev == ""):
            raise ValueError("prev is empty for the first entry of a log, and only for it")
        return self

    def signed_bytes(self) -> bytes:
        """What a server proof signs: the context, then the canonical entry without its proof."""
        return SIGNING_CONTEXT + canonical_json(self.model_dump(mode="json", exclude={"proof"}))


class AuditEntry(EntryBody):
    """One leaf of a unit's log: the entry and its proof."""

    proof: EntryProof

    def canonical(self) -> bytes:
        """The leaf data: the whole entry, proof included, as canonical JSON."""
        return canonical_json(self.model_dump(mode="json"))

    def leaf_hash(self) -> bytes:
        return merkle.leaf_hash(self.canonical())

    def link(self) -> str:
        """What the next entry's ``prev`` must be."""
        return self.leaf_hash().hex()

    def body(self) -> EntryBody:
        return EntryBody.model_validate(self.model_dump(exclude={"proof"}))

    @classmethod
    def from_canonical(cls, raw: bytes) -> AuditEntry:
        return cls.model_validate_json(raw)


def with_proof(body: EntryBody, proof: RequestProof | ServerProof) -> AuditEntry:
    return AuditEntry.model_validate({**body.model_dump(exclude={"proof"}), "proof": proof})


def server_signed(entry_without_proof: EntryBody, seed_b64: str) -> AuditEntry:
    """The entry with the server's proof: its log key's signature over ``signed_bytes()``."""
    signature = crypto.sign(seed_b64, entry_without_proof.signed_bytes())
    return with_proof(entry_without_proof, ServerProof(signature=crypto.b64e(signature)))


def request_signed(
    entry_without_proof: EntryBody, keyid: str, base: str, signature_b64: str
) -> AuditEntry:
    """The entry with the officer's signed request as its proof (as the request carried it)."""
    proof = RequestProof(keyid=keyid, base=base, signature=signature_b64)
    return with_proof(entry_without_proof, proof)
