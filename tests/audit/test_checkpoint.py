"""Checkpoints as C2SP signed notes: the exact text, the spec's own example, strict parsing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import crypto
from chalicelib.audit import checkpoint as cp
from chalicelib.audit import merkle

from .support import ORIGIN, OTHER, SERVER, WITNESS, WITNESS_ID

ROOT = merkle.root([merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")])
HEAD = cp.Checkpoint(origin=ORIGIN, size=2, root=ROOT)
TRUSTED = {cp.SERVER_NAME: SERVER[1], WITNESS_ID: WITNESS[1]}

# c2sp.org/signed-note: its example verifier key and the note it verifies
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXm"
    "RKuwHjG1Yu72IneyaQM=\n"
)
# c2sp.org/tlog-checkpoint: its example checkpoint
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q"
    "1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)


def server_note() -> str:
    return cp.sign_checkpoint(HEAD, SERVER[0])


def test_origin_and_body_are_exact():
    assert ORIGIN == "340000.jubao/340104"
    assert HEAD.body() == f"340000.jubao/340104\n2\n{crypto.b64e(ROOT)}\n"
    for office, unit in (("340 000", "340104"), ("340000", "34010"), ("", "340104"), ("a/b", "1")):
        with pytest.raises(cp.CheckpointError):
            cp.origin_for(office, unit)


def test_the_spec_example_key_id_and_signature():
    name, kid_hex, vkey = SPEC_VKEY.split("+")
    raw = crypto.b64d(vkey)
    assert raw[0] == 1
    public = crypto.b64e(raw[1:])
    assert cp.key_id(name, public).hex() == kid_hex
    body, signatures = cp.split_note(SPEC_NOTE)
    assert body == "This is an example message.\n"
    [(signer, kid, signature)] = signatures
    assert (signer, kid.hex()) == (name, kid_hex)
    assert crypto.verify(public, body.encode(), signature)


def test_the_spec_example_checkpoint_parses():
    head, signatures = cp.parse_note(SPEC_CHECKPOINT)
    assert (head.origin, head.size) == ("example.com/behind-the-sofa", 20852163)
    assert crypto.b64e(head.root) == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    assert [name for name, _, _ in signatures] == ["example.com/behind-the-sofa"]
    assert cp.verify_note(SPEC_CHECKPOINT, TRUSTED) == set()


def test_sign_parse_verify_and_cosign():
    text = server_note()
    body, rest = text.split("\n\n")
    assert body + "\n" == HEAD.body()
    line = cp.sign_note(HEAD.body(), cp.SERVER_NAME, SERVER[0])
    assert rest == line
    assert line.startswith("— jubao-server ") and line.endswith("\n")
    raw = crypto.b64d(line.split(" ")[2].strip())
    assert raw[:4] == cp.key_id(cp.SERVER_NAME, SERVER[1]) and len(raw) == 68
    parsed, signatures = cp.parse_note(text)
    assert parsed == HEAD
    assert signatures == [(cp.SERVER_NAME, raw[:4], raw[4:])]
    assert cp.verify_note(text, TRUSTED) == {cp.SERVER_NAME}
    both = cp.cosign(text, WITNESS_ID, WITNESS[0])
    assert both.startswith(text)
    assert cp.verify_note(both, TRUSTED) == {cp.SERVER_NAME, WITNESS_ID}
    assert cp.verify_note(both, {WITNESS_ID: WITNESS[1]}) == {WITNESS_ID}
    assert cp.known_signers(both, TRUSTED) == {cp.SERVER_NAME, WITNESS_ID}
    assert cp.note_body(both) == HEAD.body()
    assert cp.note(HEAD.body(), line) == text


def test_wrong_keys_and_names_do_not_verify():
    text = server_note()
    assert cp.verify_note(text, {cp.SERVER_NAME: OTHER[1]}) == set()
    assert cp.known_signers(text, {cp.SERVER_NAME: OTHER[1]}) == set()
    assert cp.verify_note(text, {"jubao-other": SERVER[1]}) == set()
    assert cp.verify_note(text, {cp.SERVER_NAME: "not base64!"}) == set()
    assert cp.known_signers(text, {cp.SERVER_NAME: "not base64!"}) == set()
    # right name and key id, wrong signature: known, not verified
    forged = cp.note(HEAD.body(), cp.sign_note(HEAD.body(), cp.SERVER_NAME, OTHER[0]))
    body, line = forged.split("\n\n")
    real_kid = crypto.b64e(
        cp.key_id(cp.SERVER_NAME, SERVER[1]) + crypto.b64d(line.split(" ")[2].strip())[4:]
    )
    forged = f"{body}\n\n— {cp.SERVER_NAME} {real_kid}\n"
    assert cp.known_signers(forged, TRUSTED) == {cp.SERVER_NAME}
    assert cp.verify_note(forged, TRUSTED) == set()
    # a signature over another body
    other = cp.Checkpoint(origin=ORIGIN, size=3, root=ROOT)
    moved = other.body() + "\n" + server_note().split("\n\n")[1]
    assert cp.verify_note(moved, TRUSTED) == set()
    # a short signature of a known key is skipped, not crashed on
    short_sig = crypto.b64e(cp.key_id(cp.SERVER_NAME, SERVER[1]) + b"x")
    short = f"{HEAD.body()}\n— {cp.SERVER_NAME} {short_sig}\n"
    assert cp.verify_note(short, TRUSTED) == set()


def test_refusals_to_sign():
    with pytest.raises(cp.CheckpointError):
        cp.sign_note(HEAD.body(), "has space", SERVER[0])
    with pytest.raises(cp.CheckpointError):
        cp.sign_note(HEAD.body(), "a+b", SERVER[0])
    with pytest.raises(cp.CheckpointError):
        cp.sign_note(HEAD.body()[:-1], cp.SERVER_NAME, SERVER[0])
    with pytest.raises(cp.CheckpointError):
        cp.cosign("not a note", WITNESS_ID, WITNESS[0])


def spoil(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def malformed() -> list[object]:
    text = server_note()
    size_line = "\n2\n"
    root_b64 = crypto.b64e(ROOT)
    line = text.split("\n\n")[1]
    sig = line.split(" ")[2].strip()
    return [
        b"bytes, not text",
        None,
        "",
        "\n",
        "\n\n",
        text[:-1],
        text.replace("\n\n", "\n"),
        HEAD.body() + "\n",
        spoil(text, size_line, "\n02\n"),
        spoil(text, size_line, "\n-2\n"),
        spoil(text, size_line, "\n+2\n"),
        spoil(text, size_line, "\n２\n"),
        spoil(text, size_line, "\n 2\n"),
        spoil(text, size_line, "\n\n"),
        spoil(text, size_line, f"\n{2**63}\n"),
        spoil(text, size_line, "\n99999999999999999999\n"),
        spoil(text, root_b64, root_b64.rstrip("=")),
        spoil(text, root_b64, crypto.b64e(ROOT[:31])),
        spoil(text, root_b64, crypto.b64e(ROOT + b"x")),
        spoil(text, root_b64, root_b64[:-2] + "B="),  # non-canonical padding bits
        spoil(text, root_b64 + "\n", root_b64 + "\nextension\n"),
        spoil(text, "340000.jubao", "340000 jubao"),
        spoil(text, "340000.jubao", "340000+jubao"),
        spoil(text, "340000.jubao", "340000\u3000jubao"),
        "\n" + text,
        text.replace("\n", "\r\n"),
        spoil(text, "—", "-"),
        spoil(text, "— ", "—"),
        spoil(text, "— jubao-server ", "— jubao-server  "),
        spoil(text, "— jubao-server ", "— jubao+server "),
        spoil(text, "— jubao-server ", "— jubao-server\t"),
        spoil(text, sig, sig + " extra"),
        spoil(text, sig, sig.rstrip("=")),
        spoil(text, sig, "!" + sig[1:]),
        spoil(text, sig, crypto.b64e(b"four")),
        text + "\n",
        text + "trailing",
        text + line * 40,
        text.replace("340104", "340104\x00"),
        text.replace("340104", "340104\ud800"),
        "x" * (cp.MAX_NOTE_CHARS + 1),
    ]


@pytest.mark.parametrize("text", malformed(), ids=range(len(malformed())))
def test_malformed_notes_are_checkpoint_errors(text):
    with pytest.raises(cp.CheckpointError):
        cp.parse_note(text)  # type: ignore[arg-type]
    with pytest.raises(cp.CheckpointError):
        cp.verify_note(text, TRUSTED)  # type: ignore[arg-type]


def test_the_empty_tree_and_the_largest_size_parse():
    empty = cp.Checkpoint(origin=ORIGIN, size=0, root=merkle.empty_root())
    assert cp.parse_note(cp.sign_checkpoint(empty, SERVER[0]))[0] == empty
    big = cp.Checkpoint(origin=ORIGIN, size=2**63 - 1, root=ROOT)
    assert cp.parse_note(cp.sign_checkpoint(big, SERVER[0]))[0] == big


def check_never_crashes(text: str) -> None:
    try:
        head, _ = cp.parse_note(text)
    except cp.CheckpointError:
        pass
    else:
        assert isinstance(head, cp.Checkpoint)
    try:
        cp.verify_note(text, TRUSTED)
        cp.known_signers(text, TRUSTED)
    except cp.CheckpointError:
        pass


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_parses_or_is_a_checkpoint_error(text):
    check_never_crashes(text)


note_alphabet = st.sampled_from([*"—\n +=/0123456789abcAZ.\x00\r\u3000", "jubao-server"])


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_spoiled_notes_parse_or_are_checkpoint_errors(data):
    text = cp.cosign(server_note(), WITNESS_ID, WITNESS[0])
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 3))
    insert = "".join(data.draw(st.lists(note_alphabet, max_size=3)))
    spoiled = text[:at] + insert + text[at + cut :]
    check_never_crashes(spoiled)
    if spoiled != text:
        try:
            verified = cp.verify_note(spoiled, TRUSTED)
        except cp.CheckpointError:
            return
        if cp.note_body(spoiled) != HEAD.body():
            assert verified == set()


# ---- the edges of a signed note (each kills a mutant make mutation found) ---------------

_SIG = "— someone " + crypto.b64e(b"\x01" * 4 + b"\x02" * 64) + "\n"


def test_split_note_takes_the_last_blank_line_as_the_start_of_the_signatures():
    body, signatures = cp.split_note("a\n\nb\n\n" + _SIG)
    assert body == "a\n\nb\n"
    assert [name for name, _, _ in signatures] == ["someone"]


def test_split_note_accepts_its_limits_exactly_and_refuses_one_more():
    at_most = "o\n\n" + _SIG * cp.MAX_SIGNATURES
    assert len(cp.split_note(at_most)[1]) == cp.MAX_SIGNATURES
    with pytest.raises(cp.CheckpointError):
        cp.split_note("o\n\n" + _SIG * (cp.MAX_SIGNATURES + 1))
    filler = cp.MAX_NOTE_CHARS - len("\n\n" + _SIG)
    longest = "x" * filler + "\n\n" + _SIG
    assert len(longest) == cp.MAX_NOTE_CHARS
    assert cp.split_note(longest)[0] == "x" * filler + "\n"
    with pytest.raises(cp.CheckpointError):
        cp.split_note("x" + longest)


def test_note_joins_several_signature_lines_as_they_are():
    assert cp.note("body\n", "— a x\n", "— b y\n") == "body\n\n— a x\n— b y\n"


def test_unknown_and_broken_keys_before_a_good_signature_do_not_hide_it():
    signed = server_note()
    _, stranger = crypto.generate_signing_keypair()
    body, _ = cp.split_note(signed)
    # lines first of a stranger (not trusted), then of a name whose trusted key is broken
    ahead = cp.sign_note(body, "stranger", crypto.generate_signing_keypair()[0])
    broken = cp.sign_note(body, "broken", crypto.generate_signing_keypair()[0])
    text = body + "\n" + ahead + broken + signed[len(body) + 1 :]
    trusted = {**TRUSTED, "broken": "not-a-key"}
    assert cp.verify_note(text, trusted) == {cp.SERVER_NAME}
    assert cp.known_signers(text, trusted) == {cp.SERVER_NAME}
    assert stranger not in trusted.values()


def test_origins_take_office_codes_in_either_case():
    assert cp.origin_for("ah", "340104") == "ah.jubao/340104"
    assert cp.origin_for("AH-1", "340104") == "AH-1.jubao/340104"
