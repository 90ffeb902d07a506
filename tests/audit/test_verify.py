"""The auditor's verdict: a true log passes; every kind of tampering fails, named where it shows."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import crypto
from chalicelib.audit import merkle
from chalicelib.audit.checkpoint import Checkpoint, cosign, key_id, sign_checkpoint
from chalicelib.audit.entries import AuditAction, AuditEntry, RequestProof, ServerProof
from chalicelib.audit.verify import verify_consistency_between, verify_entry_inclusion

from .support import (
    OFFICER,
    OFFICER_ID,
    ORIGIN,
    OTHER,
    SERVER,
    WITNESS,
    WITNESS_ID,
    WITNESS_KEYS,
    check,
    hashes,
    head,
    make_entry,
    make_log,
    notes,
    signed,
)

kinds = st.lists(st.sampled_from(["server", "request"]), min_size=2, max_size=12)
server_only = st.lists(st.just("server"), min_size=2, max_size=12)


def sizes_for(data: st.DataObject, n: int) -> list[int]:
    """Checkpoint sizes, oldest first: some earlier heads, always one of the whole log."""
    earlier = data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=4))
    return [*sorted(earlier), n]


def test_a_true_log_verifies():
    entries = make_log(["server", "request", "request", "server", "request"])
    result = check(entries, notes(entries, [1, 3, 5]))
    assert result.ok, result.problems
    assert result.problems == []
    assert result.first_bad is None
    assert result.size == 5
    assert result.root_hex == merkle.root(hashes(entries)).hex()


def test_the_empty_log_verifies_against_the_empty_head():
    result = check([], notes([], [0]))
    assert result.ok, result.problems
    assert result.root_hex == merkle.empty_root().hex()


def test_without_a_checkpoint_nothing_vouches():
    result = check(make_log(["server"]), [])
    assert not result.ok
    assert result.problems == [
        "no checkpoint signed by the server: nothing vouches for these entries"
    ]


def test_messages_are_specific():
    entries = make_log(["server"] * 8)
    edited = list(entries)
    edited[5] = entries[5].model_copy(update={"outcome": "forbidden_unit"})
    result = check(edited, notes(entries, [8]))
    assert result.first_bad == 5
    assert "entry 5: signature does not verify" in result.problems
    assert "entry 6: prev does not match entry 5" in result.problems
    assert "checkpoint 0 of size 8: root differs (split view or rewritten history)" in (
        result.problems
    )

    dropped = entries[:7] + entries[8:]
    result = check([*entries[:7], entries[7].model_copy(update={"index": 8})], notes(entries, [7]))
    assert "entry 7: index 8 where 7 was expected" in result.problems
    assert result.first_bad == 7

    result = check(dropped[:6], notes(entries, [8]))
    assert "checkpoint 0: size 8 > log size 6 (truncated)" in result.problems
    assert result.first_bad is None

    result = check(entries, [signed(head(entries, 8), witness=False)])
    assert result.problems == ["checkpoint 0: not cosigned by a witness"]


def test_request_proofs():
    entries = make_log(["server", "request", "server"])
    assert check(entries, notes(entries, [3])).ok
    refused = check(entries, notes(entries, [3]), check_request=lambda proof: False)
    assert refused.problems == ["entry 1: the signed request does not match the entry"]
    seen: list[object] = []
    check(entries, notes(entries, [3]), check_request=seen.append)
    assert len(seen) == 1 and isinstance(seen[0], RequestProof)

    request = entries[1]
    assert isinstance(request.proof, RequestProof)
    stranger = request.model_copy(
        update={"proof": request.proof.model_copy(update={"keyid": "340104-stranger"})}
    )
    result = check([entries[0], stranger], notes([entries[0], stranger], [2]))
    assert result.problems == ["entry 1: signed by unknown officer 340104-stranger"]
    assert result.first_bad == 1

    other_actor = request.model_copy(update={"actor": "340104-intake"})
    log = [entries[0], other_actor]
    result = check(log, notes(log, [2]))
    assert result.problems == [
        "entry 1: request signed by 340104-handler but the actor is 340104-intake"
    ]

    base = request.proof.base.replace("10000001", "10000002")
    log = [
        entries[0],
        request.model_copy(update={"proof": request.proof.model_copy(update={"base": base})}),
    ]
    assert check(log, notes(log, [2])).problems == ["entry 1: signature does not verify"]


def test_a_replayed_request_is_named():
    entries = make_log(["request", "server"])
    replay = entries[0].model_copy(update={"index": 2, "prev": entries[1].link()})
    log = [*entries, replay]
    result = check(log, notes(log, [3]))
    assert result.problems == ["entry 2: request already logged as entry 0 (replayed)"]
    assert result.first_bad == 2


def test_checkpoint_signatures():
    entries = make_log(["server", "server"])
    good = head(entries, 2)
    forged = cosign(sign_checkpoint(good, OTHER[0]), WITNESS_ID, WITNESS[0])
    result = check(entries, [forged])
    assert "checkpoint 0: not signed by the server" in result.problems
    bad_witness = sign_checkpoint(good, SERVER[0])
    assert check(entries, [cosign(bad_witness, WITNESS_ID, OTHER[0])]).problems == [
        "checkpoint 0: not cosigned by a witness"  # another key: an unknown signer, ignored
    ]
    wrong = crypto.sign(OTHER[0], good.body().encode())
    bad_witness += f"— {WITNESS_ID} {crypto.b64e(key_id(WITNESS_ID, WITNESS[1]) + wrong)}\n"
    result = check(entries, [bad_witness])
    assert result.problems == [
        f"checkpoint 0: cosignature of {WITNESS_ID} does not verify",
        "checkpoint 0: not cosigned by a witness",
    ]
    elsewhere = Checkpoint(origin="340000.jubao/340105", size=2, root=good.root)
    result = check(entries, [signed(elsewhere), signed(good)])
    assert result.problems == [
        "checkpoint 0: origin 340000.jubao/340105 where 340000.jubao/340104 was expected"
    ]
    result = check(entries, ["garbage", signed(good)])
    assert result.problems == ["checkpoint 0: malformed (a note ends with a newline)"]
    # the server's own name is never a witness
    result = check(entries, [signed(good, witness=False)], witness_keys={"jubao-server": SERVER[1]})
    assert result.problems == ["checkpoint 0: not cosigned by a witness"]


def edits(entry: AuditEntry) -> dict[str, dict[str, object]]:
    """Every way to change one entry, each to a value it did not have."""
    out: dict[str, dict[str, object]] = {
        "at": {"at": "2027-01-01T00:00:00Z"},
        "action": {"action": AuditAction.read_identity},
        "case": {"case": "87654321"},
        "outcome": {"outcome": "forbidden_unit"},
        "detail": {"detail": {"note": "added"}},
        "log": {"log": "340105"},
        "index": {"index": entry.index + 3},
        "actor": {"actor": "340104-someone"},
    }
    if entry.index > 0:
        out["prev"] = {"prev": hashlib.sha256(entry.prev.encode()).hexdigest()}
    raw = bytearray(crypto.b64d(entry.proof.signature))
    raw[7] ^= 1
    out["signature"] = {
        "proof": entry.proof.model_copy(update={"signature": crypto.b64e(bytes(raw))})
    }
    if isinstance(entry.proof, RequestProof):
        out["base"] = {"proof": entry.proof.model_copy(update={"base": entry.proof.base + ";x"})}
    return out


@settings(max_examples=60, deadline=None)
@given(kinds=kinds, data=st.data())
def test_an_edited_entry_is_detected_and_named(kinds, data):
    entries = make_log(kinds)
    n = len(entries)
    e = data.draw(st.integers(0, n - 1))
    name, update = data.draw(st.sampled_from(sorted(edits(entries[e]).items())))
    tampered = list(entries)
    tampered[e] = entries[e].model_copy(update=update)
    sizes = sizes_for(data, n)
    result = check(tampered, notes(entries, sizes))
    assert not result.ok
    request = isinstance(entries[e].proof, RequestProof)
    if name == "prev" and request and isinstance(entries[e - 1].proof, RequestProof):
        # two request entries: the link cannot say which changed; the earlier is named
        assert result.first_bad in (e - 1, e)
    elif request and e == n - 1 and name in ("at", "action", "case", "outcome", "detail"):
        # nothing after it, and nothing signed it: only a head one smaller can name it
        assert result.first_bad == (e if n - 1 in sizes else None)
    else:
        assert result.first_bad == e, (name, result.problems)


@settings(max_examples=60, deadline=None)
@given(kinds=kinds, data=st.data())
def test_a_removed_entry_is_detected_and_named(kinds, data):
    entries = make_log(kinds)
    n = len(entries)
    e = data.draw(st.integers(0, n - 1))
    result = check(entries[:e] + entries[e + 1 :], notes(entries, sizes_for(data, n)))
    assert not result.ok
    assert result.first_bad == (e if e < n - 1 else None)


@settings(max_examples=60, deadline=None)
@given(kinds=kinds, data=st.data())
def test_reordered_entries_are_detected_and_named(kinds, data):
    entries = make_log(kinds)
    n = len(entries)
    a = data.draw(st.integers(0, n - 2))
    b = data.draw(st.integers(a + 1, n - 1))
    swapped = list(entries)
    swapped[a], swapped[b] = entries[b], entries[a]
    result = check(swapped, notes(entries, sizes_for(data, n)))
    assert not result.ok
    assert result.first_bad == a


def forged_entries(entries: list[AuditEntry], k: int) -> list[AuditEntry]:
    """Entries an intruder could slip in at position k, fitted to their place."""
    prev = entries[k - 1].link() if k else ""
    fresh = make_entry(k, prev, "server")
    wrong_key = fresh.model_copy(
        update={
            "proof": ServerProof(signature=crypto.b64e(crypto.sign(OTHER[0], fresh.signed_bytes())))
        }
    )
    out = [wrong_key]
    for entry in entries:
        out.append(entry.model_copy(update={"index": k, "prev": prev}))  # a copy, re-fitted
    # an officer's own, properly signed request that never happened here
    made_up = make_entry(k, prev, "request")
    assert isinstance(made_up.proof, RequestProof)
    base = made_up.proof.base + ";made-up"
    proof = made_up.proof.model_copy(
        update={"base": base, "signature": crypto.b64e(crypto.sign(OFFICER[0], base.encode()))}
    )
    out.append(made_up.model_copy(update={"proof": proof}))
    return out


@settings(max_examples=60, deadline=None)
@given(kinds=kinds, data=st.data())
def test_an_inserted_entry_is_detected_and_named(kinds, data):
    entries = make_log(kinds)
    n = len(entries)
    k = data.draw(st.integers(0, n - 1))
    intruder = data.draw(st.sampled_from(forged_entries(entries, k)))
    log = [*entries[:k], intruder, *entries[k:]]
    result = check(log, notes(entries, sizes_for(data, n)))
    assert not result.ok
    assert result.first_bad == k, result.problems


def test_what_is_appended_after_the_last_head():
    entries = make_log(["request", "server", "request"])
    n = len(entries)
    *copies_and_forgeries, officers_own = forged_entries(entries, n)
    for intruder in copies_and_forgeries:
        result = check([*entries, intruder], notes(entries, [n]))
        assert not result.ok
        assert result.first_bad == n
    # a properly signed request of a real officer is a new entry, not tampering: the next
    # head will vouch for it (or, if it never happened, the officer will not recognise it)
    assert check([*entries, officers_own], notes(entries, [n])).ok


@settings(max_examples=40, deadline=None)
@given(kinds=kinds, data=st.data())
def test_truncation_is_detected(kinds, data):
    entries = make_log(kinds)
    n = len(entries)
    keep = data.draw(st.integers(0, n - 1))
    result = check(entries[:keep], notes(entries, sizes_for(data, n)))
    assert not result.ok
    assert any(p.endswith(f"> log size {keep} (truncated)") for p in result.problems)
    assert result.first_bad is None


def other_history(entries: list[AuditEntry], size: int) -> Checkpoint:
    """A head of the same size over a history the unit never saw."""
    leaves = hashes(entries)[:size]
    leaves[-1] = merkle.leaf_hash(b"the other history")
    return Checkpoint(origin=ORIGIN, size=size, root=merkle.root(leaves))


@settings(max_examples=40, deadline=None)
@given(kinds=kinds, data=st.data())
def test_two_roots_for_one_size_are_a_split_view(kinds, data):
    entries = make_log(kinds)
    n = len(entries)
    s = data.draw(st.integers(1, n))
    fork = signed(other_history(entries, s))
    honest = signed(head(entries, s))
    pair = data.draw(st.sampled_from([[fork, honest], [honest, fork]]))
    result = check(entries, [*pair, signed(head(entries, n))])
    assert not result.ok
    assert f"checkpoints 0 and 1: two roots for size {s} (split view)" in result.problems
    if s < n:
        assert result.first_bad is None  # the entries are vouched for by the last head


@settings(max_examples=40, deadline=None)
@given(kinds=kinds, data=st.data())
def test_a_later_head_inconsistent_with_an_earlier_one(kinds, data):
    entries = make_log(kinds)
    n = len(entries)
    s = data.draw(st.integers(1, n - 1))
    result = check(entries, [signed(other_history(entries, s)), signed(head(entries, n))])
    assert not result.ok
    assert "checkpoint 1 is not consistent with checkpoint 0" in result.problems
    assert result.first_bad is None


def test_a_shrinking_log_is_refused():
    entries = make_log(["server"] * 4)
    result = check(entries, notes(entries, [4, 2]))
    assert result.problems == ["checkpoint 1: size 2 after size 4 of checkpoint 0 (the log shrank)"]


@settings(max_examples=40, deadline=None)
@given(kinds=server_only, data=st.data())
def test_a_whole_rewrite_by_someone_without_the_key_is_seen(kinds, data):
    entries = make_log(kinds)
    n = len(entries)
    e = data.draw(st.integers(0, n - 1))
    rewritten = list(entries[:e])
    for entry in entries[e:]:
        prev = rewritten[-1].link() if rewritten else ""
        changed = entry.model_copy(update={"prev": prev, "at": "2027-01-01T00:00:00Z"})
        rewritten.append(changed)
    result = check(rewritten, notes(entries, sizes_for(data, n)))
    assert not result.ok
    assert result.first_bad == e


@pytest.mark.parametrize("k", range(6))
def test_one_entry_is_shown_in_its_checkpoint_alone(k):
    entries = make_log(["server", "request", "server", "request", "request", "server"])
    note = signed(head(entries, 6))
    proof = merkle.inclusion_proof(hashes(entries), k)
    keys = {"server_key": SERVER[1], "witness_keys": WITNESS_KEYS}
    assert verify_entry_inclusion(entries[k], note, proof, **keys)
    assert verify_entry_inclusion(entries[k], note, proof, server_key=SERVER[1])
    other = entries[(k + 1) % 6]
    assert not verify_entry_inclusion(other, note, proof, **keys)
    moved = entries[k].model_copy(update={"index": (k + 1) % 6})
    assert not verify_entry_inclusion(moved, note, proof, **keys)
    assert not verify_entry_inclusion(entries[k], note, proof, server_key=OTHER[1])
    unwitnessed = signed(head(entries, 6), witness=False)
    assert not verify_entry_inclusion(entries[k], unwitnessed, proof, **keys)
    assert verify_entry_inclusion(entries[k], unwitnessed, proof, server_key=SERVER[1])
    elsewhere = signed(Checkpoint(origin="340000.jubao/340105", size=6, root=head(entries, 6).root))
    assert not verify_entry_inclusion(entries[k], elsewhere, proof, **keys)
    assert not verify_entry_inclusion(entries[k], "junk", proof, **keys)
    assert not verify_entry_inclusion(entries[k], note, proof[:-1], **keys)


@pytest.mark.parametrize(("old", "new"), [(0, 5), (1, 5), (3, 5), (4, 7), (7, 7)])
def test_consistency_between_two_signed_heads(old, new):
    entries = make_log(["server", "request"] * 4)
    a, b = signed(head(entries, old)), signed(head(entries, new))
    proof = merkle.consistency_proof(hashes(entries)[:new], old) if old else []
    keys = {"server_key": SERVER[1], "witness_keys": WITNESS_KEYS}
    assert verify_consistency_between(a, b, proof, **keys)
    assert not verify_consistency_between(a, b, proof, server_key=OTHER[1])
    if old:
        fork = signed(other_history(entries, old))
        assert not verify_consistency_between(fork, b, proof, **keys)
    else:
        assert not verify_consistency_between(a, b, [merkle.empty_root()], **keys)
        fake_empty = signed(Checkpoint(origin=ORIGIN, size=0, root=b"\x00" * 32))
        assert not verify_consistency_between(fake_empty, b, [], **keys)
    if old < new:
        assert not verify_consistency_between(b, a, proof, **keys)
    elsewhere = signed(
        Checkpoint(origin="340000.jubao/340105", size=new, root=head(entries, new).root)
    )
    assert not verify_consistency_between(a, elsewhere, proof, **keys)
    assert not verify_consistency_between("junk", b, proof, **keys)
    unwitnessed = signed(head(entries, new), witness=False)
    assert not verify_consistency_between(a, unwitnessed, proof, **keys)
    assert verify_consistency_between(a, unwitnessed, proof, server_key=SERVER[1])


def test_officer_key_is_the_one_that_signed():
    assert crypto.verify_key_from_seed(OFFICER[0]) == OFFICER[1]
    assert OFFICER_ID.startswith("340104-")


def test_a_broken_link_after_a_server_signed_entry_blames_the_later_entry():
    """The server signed entry 1, so its bytes are authentic: when entry 2 does not link
    to it, entry 2 is the one out of line."""
    entries = make_log(["server", "server"])
    entries.append(make_entry(2, "cd" * 32, "server"))
    result = check(entries, notes(entries, [3]))
    assert not result.ok and result.first_bad == 2
