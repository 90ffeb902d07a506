"""Signed tree heads: C2SP checkpoints (c2sp.org/tlog-checkpoint) as signed notes.

Why this format: a checkpoint is three lines (origin, size, root) that anyone can read,
sign and compare, and the note format lets several parties sign the same text. The
server signs as ``jubao-server``; the supervising officer of the unit above cosigns as
a witness under their officer id. A witness that never signs two different roots for
one size, nor a head that does not extend the last one it signed, turns a split view
(one history shown to the unit, another to its supervisor) into two signatures that
contradict each other.

Signed notes follow c2sp.org/signed-note with Ed25519 (signature type 0x01). Parsing is
strict, and everything malformed is a ``CheckpointError``, never another exception:
a verifier handed hostile text answers with a refusal, not a crash. This log writes no
extension lines, so a checkpoint with any is refused rather than half-understood.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib import crypto
from chalicelib.audit import merkle

SERVER_NAME = "jubao-server"
_ED25519 = b"\x01"
_DASH = "\u2014 "
KEY_ID_BYTES = 4
SIGNATURE_BYTES = 64
MAX_NOTE_CHARS = 65536
MAX_SIGNATURES = 32  # the note spec asks verifiers to accept at least 16
MAX_SIZE = 2**63 - 1
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


class CheckpointError(Exception):
    """A checkpoint or note is malformed. The message says how, never quoting the text."""


def _valid_name(name: str) -> bool:
    """A note key name (and our origins): non-empty, no Unicode spaces, no "+"."""
    return bool(name) and not any(ch.isspace() or ch == "+" or ord(ch) < 0x20 for ch in name)


class Checkpoint(BaseModel):
    """A tree head: which log, how many leaves, and the root over them."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    origin: str = Field(min_length=1, max_length=256)
    size: int = Field(ge=0, le=MAX_SIZE, strict=True)
    root: bytes = Field(min_length=merkle.HASH_BYTES, max_length=merkle.HASH_BYTES)

    @field_validator("origin")
    @classmethod
    def _origin_is_a_name(cls, value: str) -> str:
        if not _valid_name(value):
            raise ValueError("an origin has no spaces, no '+' and no control characters")
        return value

    def body(self) -> str:
        """The note text: origin, size and base64 root, each ending in a newline."""
        return f"{self.origin}\n{self.size}\n{crypto.b64e(self.root)}\n"


def origin_for(office_code: str, unit: str) -> str:
    """The origin of a unit's log: one name per office and unit, never reused."""
    if not re.fullmatch(r"[A-Za-z0-9-]{1,40}", office_code):
        raise CheckpointError("office code must be letters, digits or '-'")
    if not re.fullmatch(r"[0-9]{6}", unit):
        raise CheckpointError("unit code must be 6 digits")
    return f"{office_code}.jubao/{unit}"


def key_id(name: str, verify_key_b64: str) -> bytes:
    """SHA-256(name || 0x0A || 0x01 || public key)[:4], the note spec's Ed25519 key id."""
    public = crypto.b64d(verify_key_b64)
    return hashlib.sha256(name.encode("utf-8") + b"\n" + _ED25519 + public).digest()[:KEY_ID_BYTES]


def sign_note(body: str, name: str, seed_b64: str) -> str:
    """One signature line (ending in a newline) by ``name``'s key over the note text."""
    if not _valid_name(name):
        raise CheckpointError("invalid key name")
    if not body.endswith("\n"):
        raise CheckpointError("a note text ends with a newline")
    signature = crypto.sign(seed_b64, body.encode("utf-8"))
    kid = key_id(name, crypto.verify_key_from_seed(seed_b64))
    return f"{_DASH}{name} {crypto.b64e(kid + signature)}\n"


def note(body: str, *signature_lines: str) -> str:
    """The signed note: the text, a blank line, then the signature lines."""
    return body + "\n" + "".join(signature_lines)


def sign_checkpoint(checkpoint: Checkpoint, seed_b64: str, name: str = SERVER_NAME) -> str:
    """A new signed note of ``checkpoint``, signed by the server's log key."""
    body = checkpoint.body()
    return note(body, sign_note(body, name, seed_b64))


def cosign(signed: str, name: str, seed_b64: str) -> str:
    """``signed`` with one more signature line, a witness's, over the same text."""
    body, _ = split_note(signed)
    _parse_body(body)
    return signed + sign_note(body, name, seed_b64)


def split_note(text: object) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """A signed note's text and its (name, key id, signature) lines; any note, not only ours."""
    if not isinstance(text, str):
        raise CheckpointError("a note is text")
    if len(text) > MAX_NOTE_CHARS:
        raise CheckpointError("note too long")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CheckpointError("a note is valid UTF-8") from exc
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise CheckpointError("a note has no control characters but newlines")
    if not text.endswith("\n"):
        raise CheckpointError("a note ends with a newline")
    cut = text.rfind("\n\n")
    if cut < 0:
        raise CheckpointError("no blank line before the signatures")
    body, block = text[: cut + 1], text[cut + 2 :]
    lines = block[:-1].split("\n") if block else []
    if not lines:
        raise CheckpointError("a note has at least one signature")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError("too many signatures")
    return body, [_signature_line(line) for line in lines]


def _signature_line(line: str) -> tuple[str, bytes, bytes]:
    if not line.startswith(_DASH):
        raise CheckpointError("a signature line starts with an em dash and a space")
    parts = line[len(_DASH) :].split(" ")
    if len(parts) != 2 or not _valid_name(parts[0]):
        raise CheckpointError("a signature line is a key name and a signature")
    raw = _b64(parts[1])
    if len(raw) <= KEY_ID_BYTES:
        raise CheckpointError("a signature is a key id and signature bytes")
    return parts[0], raw[:KEY_ID_BYTES], raw[KEY_ID_BYTES:]


def _b64(text: str) -> bytes:
    try:
        raw = crypto.b64d(text)
    except crypto.CryptoError as exc:
        raise CheckpointError("invalid base64") from exc
    if crypto.b64e(raw) != text:
        raise CheckpointError("base64 not in its canonical form")
    return raw


def _parse_body(body: str) -> Checkpoint:
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint has an origin, a size and a root")
    if len(lines) > 3:
        raise CheckpointError("this log writes no extension lines")
    origin, size, root = lines
    if not _SIZE.fullmatch(size):
        raise CheckpointError("the size is a decimal number without leading zeroes")
    try:
        return Checkpoint(origin=origin, size=int(size), root=_b64(root))
    except ValidationError as exc:
        raise CheckpointError("not a valid checkpoint") from exc


def parse_note(text: str) -> tuple[Checkpoint, list[tuple[str, bytes, bytes]]]:
    """The checkpoint and the (name, key id, signature) of each line; nothing verified yet."""
    body, signatures = split_note(text)
    return _parse_body(body), signatures


def note_body(text: str) -> str:
    """The signed text of a note (what every signature line covers)."""
    body, _ = split_note(text)
    return body


def verify_note(text: str, trusted: Mapping[str, str]) -> set[str]:
    """The names in ``trusted`` (name -> base64 verify key) whose signature on it verifies.

    Lines of unknown keys are ignored, as the note spec says; a name whose key id does
    not match its trusted key is an unknown key. Malformed text raises CheckpointError.
    """
    body, signatures = split_note(text)
    _parse_body(body)
    message = body.encode("utf-8")
    verified: set[str] = set()
    for name, kid, signature in signatures:
        key = trusted.get(name)
        if key is None or len(signature) != SIGNATURE_BYTES:
            continue
        try:
            expected = key_id(name, key)
        except crypto.CryptoError:
            continue
        if kid == expected and crypto.verify(key, message, signature):
            verified.add(name)
    return verified


def known_signers(text: str, trusted: Mapping[str, str]) -> set[str]:
    """The names in ``trusted`` that signed (name and key id match), verified or not."""
    _, signatures = split_note(text)
    present: set[str] = set()
    for name, kid, _ in signatures:
        key = trusted.get(name)
        if key is None:
            continue
        try:
            if kid == key_id(name, key):
                present.add(name)
        except crypto.CryptoError:
            continue
    return present
