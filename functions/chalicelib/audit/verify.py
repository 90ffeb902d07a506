"""The auditor's check of a unit's log: entries, chain, tree and signed checkpoints together.

Why all at once: each piece alone can be fooled. Signatures on entries do not show that
none was removed; the ``prev`` chain does not show that the server did not rewrite it
whole; a checkpoint root does not say which entry changed; a server's own checkpoint
does not show that the supervisor saw the same history. Together they detect an edit,
a removal, a reordering, an insertion, a truncation and a split view, and usually name
the first entry that is wrong.

How the first bad entry is named: an entry with a wrong log, a wrong index, a proof
that does not verify or a replayed request is bad itself. A broken ``prev`` link between
two entries blames the later one when the earlier carries a verified server signature
(its content is then authentic) or the later one is already bad, and otherwise the
earlier one: it is the first entry nothing vouches for (an officer's request signature
covers the request, not the entry, so two request entries cannot say which of them
changed). Failing that, a checkpoint whose root differs where the last agreeing one is
one entry smaller names that entry. A checkpoint that disagrees with the entries while
a larger one agrees is a fork, not an entry's fault, and names none.

Positions in the messages count from 0, for entries and for checkpoints alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from chalicelib import crypto
from chalicelib.audit import merkle
from chalicelib.audit.checkpoint import (
    SERVER_NAME,
    Checkpoint,
    CheckpointError,
    known_signers,
    parse_note,
    verify_note,
)
from chalicelib.audit.entries import AuditEntry, RequestProof, ServerProof

RequestCheck = Callable[[RequestProof | ServerProof], bool]


@dataclass(frozen=True)
class VerifyResult:
    """The verdict: ``ok`` only without a single problem; problems in plain English."""

    ok: bool
    size: int
    root_hex: str
    first_bad: int | None
    problems: list[str] = field(default_factory=list)


@dataclass
class _Findings:
    problems: list[str] = field(default_factory=list)
    named: set[int] = field(default_factory=set)

    def add(self, problem: str, index: int | None = None) -> None:
        self.problems.append(problem)
        if index is not None:
            self.named.add(index)


def _signature(text: str) -> bytes:
    try:
        return crypto.b64d(text)
    except crypto.CryptoError:
        return b""


def _proof_problem(
    pos: int,
    entry: AuditEntry,
    officer_keys: Mapping[str, str],
    server_key: str,
    check_request: RequestCheck | None,
) -> str | None:
    proof = entry.proof
    if isinstance(proof, ServerProof):
        if not crypto.verify(server_key, entry.signed_bytes(), _signature(proof.signature)):
            return f"entry {pos}: signature does not verify"
        return None
    key = officer_keys.get(proof.keyid)
    if key is None:
        return f"entry {pos}: signed by unknown officer {proof.keyid}"
    if not crypto.verify(key, proof.base.encode("utf-8"), _signature(proof.signature)):
        return f"entry {pos}: signature does not verify"
    if proof.keyid != entry.actor:
        return f"entry {pos}: request signed by {proof.keyid} but the actor is {entry.actor}"
    if check_request is not None and not check_request(proof):
        return f"entry {pos}: the signed request does not match the entry"
    return None


def _check_entries(
    entries: Sequence[AuditEntry],
    links: Sequence[str],
    unit: str,
    officer_keys: Mapping[str, str],
    server_key: str,
    check_request: RequestCheck | None,
    found: _Findings,
) -> None:
    bad: set[int] = set()
    authentic: set[int] = set()
    requests: dict[str, int] = {}
    for pos, entry in enumerate(entries):
        own: list[str] = []
        if entry.log != unit:
            own.append(f"entry {pos}: log {entry.log} where {unit} was expected")
        if entry.index != pos:
            own.append(f"entry {pos}: index {entry.index} where {pos} was expected")
        proof_problem = _proof_problem(pos, entry, officer_keys, server_key, check_request)
        if proof_problem is not None:
            own.append(proof_problem)
        elif isinstance(entry.proof, ServerProof):
            authentic.add(pos)
        if isinstance(entry.proof, RequestProof):
            earlier = requests.setdefault(entry.proof.signature, pos)
            if earlier != pos:
                own.append(f"entry {pos}: request already logged as entry {earlier} (replayed)")
        for problem in own:
            found.add(problem, pos)
        if own:
            bad.add(pos)
    for pos, entry in enumerate(entries):
        if pos == 0:
            if entry.prev != "":
                found.add("entry 0: prev is not empty", 0)
            continue
        if entry.prev == links[pos - 1]:
            continue
        if entry.index == pos - 1 and entry.prev == (links[pos - 2] if pos >= 2 else ""):
            # this entry belongs right after pos - 2, where the entry at pos - 1 sits
            found.add(
                f"entry {pos - 1}: out of place (entry {pos} follows entry {pos - 2})", pos - 1
            )
            continue
        blamed = pos if (pos - 1 in authentic or pos in bad) else pos - 1
        found.add(f"entry {pos}: prev does not match entry {pos - 1}", blamed)


def _checkpoint(
    i: int,
    text: str,
    origin: str,
    server_key: str,
    witness_keys: Mapping[str, str],
    found: _Findings,
) -> Checkpoint | None:
    """The checkpoint if the server signed it (cosigned or not); None if it proves nothing."""
    try:
        checkpoint, _ = parse_note(text)
    except CheckpointError as exc:
        found.add(f"checkpoint {i}: malformed ({exc})")
        return None
    if checkpoint.origin != origin:
        found.add(f"checkpoint {i}: origin {checkpoint.origin} where {origin} was expected")
        return None
    if SERVER_NAME not in verify_note(text, {SERVER_NAME: server_key}):
        found.add(f"checkpoint {i}: not signed by the server")
        return None
    witnesses = {name: key for name, key in witness_keys.items() if name != SERVER_NAME}
    cosigned = verify_note(text, witnesses)
    for name in sorted(known_signers(text, witnesses) - cosigned):
        found.add(f"checkpoint {i}: cosignature of {name} does not verify")
    if not cosigned:
        found.add(f"checkpoint {i}: not cosigned by a witness")
    return checkpoint


def _check_history(
    heads: Sequence[tuple[int, Checkpoint]], hashes: Sequence[bytes], found: _Findings
) -> None:
    size = len(hashes)
    by_size: dict[int, tuple[int, bytes]] = {}
    largest: tuple[int, int] | None = None
    for i, head in heads:
        first, root = by_size.setdefault(head.size, (i, head.root))
        if root != head.root:
            found.add(f"checkpoints {first} and {i}: two roots for size {head.size} (split view)")
        if largest is not None and head.size < largest[0]:
            found.add(
                f"checkpoint {i}: size {head.size} after size {largest[0]} of checkpoint"
                f" {largest[1]} (the log shrank)"
            )
        if largest is None or head.size > largest[0]:
            largest = (head.size, i)
    agreeing: list[tuple[int, int]] = []
    differing: list[tuple[int, Checkpoint]] = []
    for i, head in heads:
        if head.size > size:
            found.add(f"checkpoint {i}: size {head.size} > log size {size} (truncated)")
        elif merkle.root(hashes[: head.size]) == head.root:
            agreeing.append((head.size, i))
        else:
            differing.append((i, head))
    for i, head in differing:
        found.add(
            f"checkpoint {i} of size {head.size}: root differs (split view or rewritten history)"
        )
        above = [(s, j) for s, j in agreeing if s > head.size]
        if above:
            # a larger head vouches for these entries: the two heads are the contradiction
            j = min(above)[1]
            found.add(f"checkpoint {max(i, j)} is not consistent with checkpoint {min(i, j)}")
            continue
        below = max((s for s, _ in agreeing if s < head.size), default=0)
        if head.size - below == 1:
            found.named.add(below)


def verify_log(
    entries: Sequence[AuditEntry],
    checkpoints: Sequence[str],
    *,
    officer_keys: Mapping[str, str],
    server_key: str,
    witness_keys: Mapping[str, str],
    origin: str,
    check_request: RequestCheck | None = None,
) -> VerifyResult:
    """Everything about one unit's log, given its entries and checkpoints (oldest first).

    ``officer_keys`` and ``witness_keys`` map officer ids to base64 Ed25519 verify keys;
    ``server_key`` is the server's log key. ``check_request`` may refuse a request proof
    for reasons of its own (its base's path, time, or nonce).
    """
    found = _Findings()
    unit = origin.rsplit("/", 1)[-1]
    hashes = [entry.leaf_hash() for entry in entries]
    links = [h.hex() for h in hashes]
    _check_entries(entries, links, unit, officer_keys, server_key, check_request, found)
    heads: list[tuple[int, Checkpoint]] = []
    for i, text in enumerate(checkpoints):
        head = _checkpoint(i, text, origin, server_key, witness_keys, found)
        if head is not None:
            heads.append((i, head))
    if not heads:
        found.add("no checkpoint signed by the server: nothing vouches for these entries")
    _check_history(heads, hashes, found)
    return VerifyResult(
        ok=not found.problems,
        size=len(entries),
        root_hex=merkle.root(hashes).hex(),
        first_bad=min(found.named) if found.named else None,
        problems=found.problems,
    )


def _signed_head(
    text: str, server_key: str, witness_keys: Mapping[str, str] | None
) -> Checkpoint | None:
    try:
        head, _ = parse_note(text)
        if SERVER_NAME not in verify_note(text, {SERVER_NAME: server_key}):
            return None
        if witness_keys is not None:
            witnesses = {n: k for n, k in witness_keys.items() if n != SERVER_NAME}
            if not verify_note(text, witnesses):
                return None
    except CheckpointError:
        return None
    return head


def verify_consistency_between(
    note_a: str,
    note_b: str,
    proof: Sequence[bytes],
    *,
    server_key: str,
    witness_keys: Mapping[str, str] | None = None,
) -> bool:
    """Whether the log of signed note ``note_b`` only appends to that of ``note_a``.

    Both must be signed by the server (and cosigned by a witness, when ``witness_keys``
    is given) and name the same log; from the empty tree, every later head extends it.
    """
    a = _signed_head(note_a, server_key, witness_keys)
    b = _signed_head(note_b, server_key, witness_keys)
    if a is None or b is None or a.origin != b.origin:
        return False
    if a.size == 0:
        return a.root == merkle.empty_root() and len(proof) == 0
    return merkle.verify_consistency(a.size, b.size, a.root, b.root, list(proof))


def verify_entry_inclusion(
    entry: AuditEntry,
    note: str,
    proof: Sequence[bytes],
    *,
    server_key: str,
    witness_keys: Mapping[str, str] | None = None,
) -> bool:
    """Whether ``entry`` is leaf ``entry.index`` of the signed head: one entry, shown alone."""
    head = _signed_head(note, server_key, witness_keys)
    if head is None or not head.origin.endswith("/" + entry.log):
        return False
    return merkle.verify_inclusion(
        entry.leaf_hash(), entry.index, head.size, list(proof), head.root
    )
