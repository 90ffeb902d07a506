"""The Merkle tree of RFC 6962 / RFC 9162 (SHA-256), and its two kinds of proof.

Why this tree: an audit log whose tree head is signed can prove, with a handful of
hashes, that one entry is in it (inclusion) and that a later head only appends to an
earlier one (consistency). Anyone can check either without seeing the other entries,
so an officer's access to one case can be shown to that case's reviewer alone.

The hashing is RFC 6962's: a leaf is ``SHA-256(0x00 || data)`` and an inner node
``SHA-256(0x01 || left || right)``; the prefixes keep a leaf from ever passing for an
inner node (second preimages). Proof generation follows RFC 9162 §2.1.3.1/§2.1.4.1
and verification the algorithms of §2.1.3.2/§2.1.4.2 step by step. Generation is the
log's side and refuses impossible requests with ``ValueError``; verification is the
auditor's side and answers every input, however malformed, with a plain yes or no.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_BYTES = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def empty_root() -> bytes:
    """The root of the tree with no leaves: the hash of the empty string (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"").digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (> 1): where RFC 9162 splits a tree."""
    return 1 << ((size - 1).bit_length() - 1)


def _subtree_root(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(D[start:end]) without copying slices."""
    size = end - start
    if size == 0:
        return empty_root()
    if size == 1:
        return leaves[start]
    k = _split(size)
    return node_hash(_subtree_root(leaves, start, start + k), _subtree_root(leaves, start + k, end))


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the leaves (already leaf-hashed), in order."""
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 §2.1.3.1: the audit path of one leaf, leaf side first."""
    if not 0 <= index < len(leaf_hashes):
        raise ValueError("leaf index out of range")
    return _path(leaf_hashes, index, 0, len(leaf_hashes))


def _path(leaves: Sequence[bytes], m: int, start: int, end: int) -> list[bytes]:
    size = end - start
    if size == 1:
        return []
    k = _split(size)
    if m < k:
        return [*_path(leaves, m, start, start + k), _subtree_root(leaves, start + k, end)]
    return [*_path(leaves, m - k, start + k, end), _subtree_root(leaves, start, start + k)]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1, from the first ``old_size`` leaves to all.

    Defined for ``0 < old_size <= n``; the proof between equal sizes is empty.
    """
    if not 0 < old_size <= len(leaf_hashes):
        raise ValueError("old size out of range")
    return _subproof(leaf_hashes, old_size, 0, len(leaf_hashes), True)


def _subproof(leaves: Sequence[bytes], m: int, start: int, end: int, whole: bool) -> list[bytes]:
    size = end - start
    if m == size:
        return [] if whole else [_subtree_root(leaves, start, end)]
    k = _split(size)
    if m <= k:
        return [
            *_subproof(leaves, m, start, start + k, whole),
            _subtree_root(leaves, start + k, end),
        ]
    return [
        *_subproof(leaves, m - k, start + k, end, False),
        _subtree_root(leaves, start, start + k),
    ]


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_BYTES


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_path(proof: object) -> bool:
    return isinstance(proof, list | tuple) and all(_is_hash(p) for p in proof)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: whether ``proof`` shows leaf ``index`` of a ``size`` tree is in it."""
    if not (_is_size(index) and _is_size(size) and _is_hash(leaf_hash) and _is_hash(root)):
        return False
    if not _is_path(proof) or index >= size:
        return False
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: whether the ``new_size`` tree only appends to the ``old_size`` one.

    Equal sizes need an empty proof and equal roots. A proof from the empty tree is
    meaningless (RFC 9162 defines proofs for ``0 < old_size``), so it never verifies:
    a caller comparing against an empty tree compares the root with ``empty_root()``.
    """
    if not (_is_size(old_size) and _is_size(new_size) and _is_hash(old_root)):
        return False
    if not (_is_hash(new_root) and _is_path(proof)):
        return False
    if old_size == 0 or old_size > new_size:
        return False
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    if len(proof) == 0:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
