"""Audit entries: one canonical byte form, strict fields, and the server's proof over them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib import crypto
from chalicelib.audit import merkle
from chalicelib.audit.entries import (
    SIGNING_CONTEXT,
    AuditAction,
    AuditEntry,
    EntryBody,
    RequestProof,
    ServerProof,
    canonical_json,
    server_signed,
    utc_stamp,
)

from .support import OFFICER_ID, SERVER, body, make_log

GOOD = body(1, "ab" * 32, actor=OFFICER_ID, case="12345678").model_dump()


def test_actions_are_the_listed_ones():
    assert [a.value for a in AuditAction] == [
        "list_cases",
        "read_case",
        "read_identity",
        "grant",
        "revoke",
        "transfer",
        "exclude",
        "transition",
        "refusal",
        "cosign",
        "checkpoint",
        "enrol",
        "recover",
        "rotate",
        "escalate",
    ]


def test_canonical_form_is_sorted_compact_utf8():
    entry = server_signed(
        EntryBody.model_validate({**GOOD, "detail": {"b": "两", "a": "1"}}), SERVER[0]
    )
    raw = entry.canonical()
    assert raw == json.dumps(
        entry.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert "两".encode() in raw
    assert b" " not in raw.replace(b'"@', b"")
    assert raw.index(b'"action"') < raw.index(b'"actor"') < raw.index(b'"at"')
    assert b'"case":"12345678"' in raw
    assert AuditEntry.from_canonical(raw) == entry
    assert AuditEntry.from_canonical(raw).canonical() == raw
    assert entry.leaf_hash() == merkle.leaf_hash(raw)
    assert entry.link() == merkle.leaf_hash(raw).hex()
    assert canonical_json({"b": 1, "a": [None]}) == b'{"a":[null],"b":1}'


def test_a_server_proof_signs_the_entry_without_its_proof_under_its_own_context():
    plain = EntryBody.model_validate(GOOD)
    entry = server_signed(plain, SERVER[0])
    assert isinstance(entry.proof, ServerProof)
    assert entry.body() == plain
    assert entry.signed_bytes() == plain.signed_bytes()
    assert plain.signed_bytes() == SIGNING_CONTEXT + canonical_json(plain.model_dump(mode="json"))
    assert b"proof" not in entry.signed_bytes()
    signature = crypto.b64d(entry.proof.signature)
    assert crypto.verify(SERVER[1], plain.signed_bytes(), signature)
    assert not crypto.verify(SERVER[1], plain.signed_bytes()[len(SIGNING_CONTEXT) :], signature)


def test_a_case_less_entry_writes_null():
    entry = make_log(["server"])[0]
    assert b'"case":null' in entry.canonical()
    assert b'"prev":""' in entry.canonical()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("log", "34010"),
        ("log", "3401040"),
        ("log", "34010a"),
        ("index", -1),
        ("index", True),
        ("index", "1"),
        ("index", 1.0),
        ("at", "2026-03-01T08:00:00"),
        ("at", "2026-03-01T08:00:00.5Z"),
        ("at", "2026-03-01T08:00:00+00:00"),
        ("at", "2026-02-30T08:00:00Z"),
        ("at", "2026-3-01T08:00:00Z"),
        ("at", "２026-03-01T08:00:00Z"),
        ("actor", "Officer"),
        ("actor", "-x"),
        ("actor", "a"),
        ("action", "delete_everything"),
        ("case", "1234567"),
        ("case", "123456789"),
        ("outcome", ""),
        ("outcome", "Forbidden"),
        ("outcome", "x"),
        ("detail", {"Key": "v"}),
        ("detail", {"k": "line\nbreak"}),
        ("detail", {"k": "x" * 257}),
        ("detail", {f"k{i}": "v" for i in range(17)}),
        ("detail", {"k": "\ud800"}),
        ("prev", ""),
        ("prev", "AB" * 32),
        ("prev", "ab" * 31),
        ("surplus", "x"),
    ],
)
def test_fields_are_strict(field, value):
    with pytest.raises(ValidationError):
        EntryBody.model_validate({**GOOD, field: value})


def test_prev_is_empty_exactly_for_the_first_entry():
    EntryBody.model_validate({**GOOD, "index": 0, "prev": ""})
    with pytest.raises(ValidationError):
        EntryBody.model_validate({**GOOD, "index": 0, "prev": "ab" * 32})


def test_entries_are_frozen_and_proofs_are_typed():
    entry = make_log(["server"])[0]
    with pytest.raises(ValidationError):
        entry.index = 3  # type: ignore[misc]
    raw = json.loads(entry.canonical())
    for proof in (
        {"kind": "magic", "signature": raw["proof"]["signature"]},
        {"kind": "server"},
        {"kind": "server", "signature": "c2ln"},
        {"kind": "request", "signature": raw["proof"]["signature"], "keyid": OFFICER_ID},
        {**raw["proof"], "extra": 1},
    ):
        with pytest.raises(ValidationError):
            AuditEntry.model_validate({**raw, "proof": proof})
    with pytest.raises(ValidationError):
        AuditEntry.model_validate({k: v for k, v in raw.items() if k != "proof"})
    request = make_log(["request"])[0]
    with pytest.raises(ValidationError):
        AuditEntry.model_validate(
            {**raw, "proof": {**json.loads(request.canonical())["proof"], "base": "x\udfff"}}
        )
    assert isinstance(request.proof, RequestProof)
    assert AuditEntry.from_canonical(request.canonical()) == request


def test_utc_stamp():
    moment = datetime(2026, 3, 1, 16, 0, 5, 999, tzinfo=timezone(timedelta(hours=8)))
    assert utc_stamp(moment) == "2026-03-01T08:00:05Z"
    assert utc_stamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    with pytest.raises(ValueError):
        utc_stamp(datetime(2026, 1, 1))


@settings(max_examples=40, deadline=None)
@given(
    detail=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,31}", fullmatch=True),
        st.text(
            st.characters(
                min_codepoint=0x20, exclude_characters="\x7f", exclude_categories=("Cs",)
            ),
            max_size=40,
        ),
        max_size=16,
    ),
    index=st.integers(1, 2**40),
)
def test_canonical_round_trip(detail, index):
    plain = EntryBody.model_validate({**GOOD, "detail": detail, "index": index})
    entry = server_signed(plain, SERVER[0])
    assert AuditEntry.from_canonical(entry.canonical()) == entry
    assert AuditEntry.from_canonical(entry.canonical()).canonical() == entry.canonical()
