"""The Merkle tree against published vectors, an independent implementation, and properties.

The vectors are transparency-dev/merkle's (bundled in ``rfc6962_vectors.json``): the
8 leaves of Certificate Transparency's merkle tests, their roots per size, and inclusion
and consistency proofs with every way of spoiling them that library tests. ``pymerkle``
is a second, independent RFC 6962 implementation for roots of random trees.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from chalicelib.audit import merkle

VECTORS = json.loads((Path(__file__).with_name("rfc6962_vectors.json")).read_text("utf-8"))

CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_HASHES = [merkle.leaf_hash(leaf) for leaf in CT_LEAVES]


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def proof_of(vector: dict[str, object]) -> list[bytes]:
    return [b64(p) for p in vector["proof"] or []]  # type: ignore[attr-defined]


def hashes_are_well_formed(*values: bytes) -> bool:
    return all(len(v) == 32 for v in values)


def test_hashing_is_rfc6962():
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert merkle.empty_root() == hashlib.sha256(b"").digest()
    assert merkle.root([]) == merkle.empty_root()


@pytest.mark.parametrize("size", range(len(CT_ROOTS)))
def test_roots_of_the_ct_tree(size):
    assert merkle.root(CT_HASHES[:size]).hex() == CT_ROOTS[size]


def test_ct_leaf_hashes_are_the_level_zero_nodes():
    assert CT_HASHES[0].hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert CT_HASHES[7].hex() == "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"


@pytest.mark.parametrize("vector", VECTORS["inclusion"], ids=lambda v: v["file"])
def test_inclusion_vectors(vector):
    leaf, root = b64(vector["leafHash"]), b64(vector["root"])
    ok = merkle.verify_inclusion(
        leaf, vector["leafIdx"], vector["treeSize"], proof_of(vector), root
    )
    assert ok is (not vector["wantErr"])


@pytest.mark.parametrize("vector", VECTORS["consistency"], ids=lambda v: v["file"])
def test_consistency_vectors(vector):
    old, new = b64(vector["root1"]), b64(vector["root2"])
    ok = merkle.verify_consistency(vector["size1"], vector["size2"], old, new, proof_of(vector))
    if hashes_are_well_formed(old, new):
        assert ok is (not vector["wantErr"])
    else:
        # stricter than transparency-dev/merkle, which takes two equal non-hashes of equal
        # sizes as consistent: a root that is not 32 bytes is no SHA-256 root of anything
        assert ok is False


def happy(kind: str) -> list[dict[str, object]]:
    return [v for v in VECTORS[kind] if v["desc"] == "happy path"]


@pytest.mark.parametrize("vector", happy("inclusion"), ids=lambda v: v["file"])
def test_generated_inclusion_proofs_are_the_reference_ones(vector):
    index, size = vector["leafIdx"], vector["treeSize"]
    tree = CT_HASHES[:size] if size <= 8 else None
    assert tree is not None
    assert merkle.inclusion_proof(tree, index) == proof_of(vector)
    assert merkle.root(tree) == b64(vector["root"])


@pytest.mark.parametrize("vector", happy("consistency"), ids=lambda v: v["file"])
def test_generated_consistency_proofs_are_the_reference_ones(vector):
    old, new = vector["size1"], vector["size2"]
    assert merkle.consistency_proof(CT_HASHES[:new], old) == proof_of(vector)
    assert merkle.root(CT_HASHES[:old]) == b64(vector["root1"])


@pytest.mark.parametrize(("old", "new"), [(1, 2), (3, 7), (4, 7), (2, 8), (7, 8), (5, 5)])
def test_every_ct_consistency_pair_verifies(old, new):
    proof = merkle.consistency_proof(CT_HASHES[:new], old)
    assert merkle.verify_consistency(
        old, new, merkle.root(CT_HASHES[:old]), merkle.root(CT_HASHES[:new]), proof
    )


def test_generation_refuses_impossible_requests():
    with pytest.raises(ValueError):
        merkle.inclusion_proof(CT_HASHES, 8)
    with pytest.raises(ValueError):
        merkle.inclusion_proof(CT_HASHES, -1)
    with pytest.raises(ValueError):
        merkle.inclusion_proof([], 0)
    with pytest.raises(ValueError):
        merkle.consistency_proof(CT_HASHES, 0)
    with pytest.raises(ValueError):
        merkle.consistency_proof(CT_HASHES, 9)
    assert merkle.consistency_proof(CT_HASHES, 8) == []
    assert merkle.inclusion_proof(CT_HASHES[:1], 0) == []


@pytest.mark.parametrize(
    "args",
    [
        (CT_HASHES[0], -1, 8),
        (CT_HASHES[0], 0, -8),
        (CT_HASHES[0], True, 8),
        (CT_HASHES[0], 0, 8.0),
        ("not bytes", 0, 8),
        (CT_HASHES[0][:31], 0, 8),
    ],
)
def test_verification_never_raises_on_junk(args):
    proof = merkle.inclusion_proof(CT_HASHES, 0)
    root8 = merkle.root(CT_HASHES)
    assert merkle.verify_inclusion(*args, proof, root8) is False
    assert merkle.verify_inclusion(CT_HASHES[0], 0, 8, [*proof[:2], b"short"], root8) is False
    assert merkle.verify_inclusion(CT_HASHES[0], 0, 8, "junk", root8) is False  # type: ignore[arg-type]
    assert merkle.verify_inclusion(CT_HASHES[0], 0, 8, proof, root8[:-1]) is False
    assert merkle.verify_consistency(2, 1, root8, root8, proof) is False
    assert merkle.verify_consistency(-1, 8, root8, root8, proof) is False
    assert merkle.verify_consistency(True, 8, root8, root8, proof) is False
    assert merkle.verify_consistency(1, 8, b"x", root8, proof) is False
    assert merkle.verify_consistency(1, 8, root8, b"x", proof) is False
    assert merkle.verify_consistency(1, 8, root8, root8, [b"x"]) is False
    assert merkle.verify_consistency(0, 0, merkle.empty_root(), merkle.empty_root(), []) is False


def pymerkle_root(leaves: list[bytes]) -> bytes:
    tree = InmemoryTree(algorithm="sha256", disable_security=False)
    for leaf in leaves:
        tree.append_entry(leaf)
    return bytes(tree.get_root()) if leaves else merkle.empty_root()


def test_pymerkle_is_rfc6962_on_the_ct_tree():
    for size in range(1, 9):
        assert pymerkle_root(CT_LEAVES[:size]).hex() == CT_ROOTS[size]


# distinct leaves: with equal leaves, a proof for one index can honestly be one for
# another. Sizes are not varied here: a proof can fit another size's shape (the size is
# authenticated by the signed checkpoint, not by the proof); the vectors spoil sizes.
leaf_lists = st.lists(st.binary(max_size=24), min_size=1, max_size=40, unique=True)


@settings(max_examples=80, deadline=None)
@given(leaves=leaf_lists)
def test_roots_agree_with_pymerkle(leaves):
    assert merkle.root([merkle.leaf_hash(x) for x in leaves]) == pymerkle_root(leaves)


@settings(max_examples=80, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_inclusion_proofs_verify_exactly_for_the_true_leaf_index_and_root(leaves, data):
    hashes = [merkle.leaf_hash(x) for x in leaves]
    size, top = len(hashes), merkle.root(hashes)
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_proof(hashes, index)
    assert merkle.verify_inclusion(hashes[index], index, size, proof, top)

    other_leaf = merkle.leaf_hash(
        data.draw(st.binary(max_size=24).filter(lambda b: b != leaves[index]))
    )
    assert not merkle.verify_inclusion(other_leaf, index, size, proof, top)
    other_index = data.draw(st.integers(0, size + 2).filter(lambda i: i != index))
    assert not merkle.verify_inclusion(hashes[index], other_index, size, proof, top)
    other_root = hashlib.sha256(top).digest()
    assert not merkle.verify_inclusion(hashes[index], index, size, proof, other_root)
    if proof:
        spoiled = list(proof)
        at = data.draw(st.integers(0, len(proof) - 1))
        spoiled[at] = hashlib.sha256(spoiled[at]).digest()
        assert not merkle.verify_inclusion(hashes[index], index, size, spoiled, top)
        assert not merkle.verify_inclusion(hashes[index], index, size, proof[:-1], top)
        assert not merkle.verify_inclusion(hashes[index], index, size, [*proof, top], top)


@settings(max_examples=80, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_consistency_proofs_verify_for_the_true_pair_only(leaves, data):
    hashes = [merkle.leaf_hash(x) for x in leaves]
    new = len(hashes)
    old = data.draw(st.integers(1, new))
    proof = merkle.consistency_proof(hashes, old)
    old_root, new_root = merkle.root(hashes[:old]), merkle.root(hashes)
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)

    changed = data.draw(st.integers(0, old - 1))
    rewritten = list(hashes)
    rewritten[changed] = merkle.leaf_hash(b"rewritten" + leaves[changed])
    forged_old = merkle.root(rewritten[:old])
    assert not merkle.verify_consistency(old, new, forged_old, new_root, proof)
    # a history rewritten below the old size cannot be shown to extend the old head
    forged_proof = merkle.consistency_proof(rewritten, old)
    assert not merkle.verify_consistency(old, new, old_root, merkle.root(rewritten), forged_proof)
    if old < new:
        assert not merkle.verify_consistency(old, new, new_root, new_root, proof)
        at = data.draw(st.integers(0, len(proof) - 1))
        spoiled = list(proof)
        spoiled[at] = hashlib.sha256(spoiled[at]).digest()
        assert not merkle.verify_consistency(old, new, old_root, new_root, spoiled)
        assert not merkle.verify_consistency(old, new, old_root, new_root, proof[:-1])
        assert not merkle.verify_consistency(old, new, old_root, new_root, [*proof, new_root])


def test_consistency_with_malformed_arguments_is_false_never_an_error():
    leaves = [bytes([i]) * 32 for i in range(8)]
    old, new = merkle.root(leaves[:3]), merkle.root(leaves)
    proof = merkle.consistency_proof(leaves, 3)
    assert merkle.verify_consistency(3, 8, old, new, proof)
    for args in [
        ("3", 8, old, new, proof),
        (3, "8", old, new, proof),
        (3, 8, old[:31], new, proof),
        (3, 8, old, new[:31], proof),
        (3, 8, old, new, "not a list"),
        (3, 8, old, new, [p[:31] for p in proof]),
        (-1, 8, old, new, proof),
    ]:
        assert merkle.verify_consistency(*args) is False  # type: ignore[arg-type]
    assert merkle.verify_inclusion(0, 8, leaves[0], "x", new) is False  # type: ignore[arg-type]


def test_no_consistency_proof_from_the_empty_tree():
    leaves = [bytes([i]) * 32 for i in range(4)]
    for old_size in (0, -1, 5):
        with pytest.raises(ValueError):
            merkle.consistency_proof(leaves, old_size)
