"""Officers' key files: what opens, what must not, and what the clear header says.

Argon2id at MODERATE costs about a second a call, so these files are made with
INTERACTIVE limits and the development mark, except the one test that checks a real
file gets MODERATE.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import sys

import nacl.pwhash.argon2id as argon2id
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import crypto
from jubao.officer import keyfile
from jubao.officer.keyfile import KeyFileError, Limits, OfficerKeys


def exactly(message: str) -> str:
    """The whole message, as pytest's ``match`` pattern: a changed word is a failure."""
    return f"^{re.escape(message)}$"


PASS = b"correct horse battery staple"
WRONG = "wrong passphrase or damaged key file"
HEADER = "key file's header is not valid"
LIMITS = "key file's Argon2id limits are outside the allowed range"
DEV = {"development": True, "limits": Limits.INTERACTIVE}


def unit_key() -> str:
    return crypto.generate_keypair()[0]


def officer_keys(officer: str = "340104-intake") -> OfficerKeys:
    keys = OfficerKeys.new(officer)
    keys = keys.with_unit_key("340104", "content", unit_key())
    return keys.with_unit_key("340104", "custodian", unit_key())


KEYS = officer_keys()
SEALED = keyfile.seal_keys(KEYS, PASS, **DEV)


def edited(raw: bytes, **changes: object) -> bytes:
    data = json.loads(raw)
    data.update(changes)
    return json.dumps(data).encode()


def low_limit_file(opslimit: int, memlimit: int) -> bytes:
    """A file that *would* open (sealed under those limits), as a weakened copy would be."""
    salt = crypto.random_bytes(argon2id.SALTBYTES)
    key = argon2id.kdf(32, PASS, salt, opslimit=opslimit, memlimit=memlimit)
    sealed = crypto.secret_seal(key, KEYS.model_dump_json().encode(), f"keyfile/{KEYS.officer}")
    kdf = {"alg": "argon2id13", "opslimit": opslimit, "memlimit": memlimit}
    return edited(SEALED, kdf={**kdf, "salt": crypto.b64e(salt)}, sealed=crypto.b64e(sealed))


def test_round_trip_through_a_file(tmp_path):
    path = tmp_path / "officer.key"
    keyfile.write_keyfile(path, KEYS, PASS, **DEV)
    assert keyfile.read_keyfile(path, PASS) == KEYS
    header = keyfile.inspect_keyfile(path)
    assert header.officer == "340104-intake"
    assert header.development is True
    clear = json.loads(path.read_bytes())
    assert clear["format"] == "jubao-officer-key"
    assert clear["version"] == 1
    assert clear["aead"] == "xchacha20poly1305-ietf"
    assert clear["kdf"]["alg"] == "argon2id13"
    assert len(base64.b64decode(clear["kdf"]["salt"])) == 16
    # nothing secret is in the clear, in any encoding
    text = path.read_text()
    for secret in (KEYS.signing_seed, KEYS.encryption_key, *KEYS.unit_keys["340104"].content):
        assert secret not in text
        assert base64.b64decode(secret).hex() not in text


def test_the_file_is_indented_json_for_people_to_read():
    assert (json.dumps(json.loads(SEALED), indent=2) + "\n").encode() == SEALED


def test_a_file_of_exactly_the_size_limit_is_read():
    padded = SEALED.rstrip(b"\n") + b" " * ((1 << 20) - len(SEALED.rstrip(b"\n")))
    assert len(padded) == 1 << 20
    assert keyfile.open_keys(padded, PASS) == KEYS


def test_two_files_of_the_same_keys_differ():
    again = keyfile.seal_keys(KEYS, PASS, **DEV)
    assert json.loads(again)["kdf"]["salt"] != json.loads(SEALED)["kdf"]["salt"]
    assert json.loads(again)["sealed"] != json.loads(SEALED)["sealed"]


def test_wrong_passphrase():
    with pytest.raises(KeyFileError) as caught:
        keyfile.open_keys(SEALED, b"correct horse battery stapl")
    assert str(caught.value) == WRONG
    assert caught.value.__cause__ is None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_flipped_byte_of_sealed_fails(data):
    sealed = bytearray(base64.b64decode(json.loads(SEALED)["sealed"]))
    index = data.draw(st.integers(0, len(sealed) - 1))
    sealed[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(KeyFileError, match=exactly(WRONG)):
        keyfile.open_keys(edited(SEALED, sealed=crypto.b64e(bytes(sealed))), PASS)


def test_truncated_or_salted_file_fails():
    sealed = base64.b64decode(json.loads(SEALED)["sealed"])
    with pytest.raises(KeyFileError, match=exactly(WRONG)):
        keyfile.open_keys(edited(SEALED, sealed=crypto.b64e(sealed[:-1])), PASS)
    with pytest.raises(KeyFileError, match=exactly(WRONG)):
        keyfile.open_keys(edited(SEALED, sealed="not base64!"), PASS)
    other_salt = crypto.b64e(crypto.random_bytes(16))
    kdf = {**json.loads(SEALED)["kdf"], "salt": other_salt}
    with pytest.raises(KeyFileError, match=exactly(WRONG)):
        keyfile.open_keys(edited(SEALED, kdf=kdf), PASS)


def test_a_renamed_file_does_not_open():
    """The officer id is the AEAD's context: a file relabelled to another officer fails."""
    with pytest.raises(KeyFileError, match=exactly(WRONG)):
        keyfile.open_keys(edited(SEALED, officer="340104-custodian"), PASS)


def test_keys_of_another_officer_inside_are_refused():
    other = officer_keys("340104-other")
    salt = crypto.random_bytes(16)
    key = argon2id.kdf(32, PASS, salt, opslimit=2, memlimit=argon2id.MEMLIMIT_INTERACTIVE)
    sealed = crypto.secret_seal(key, other.model_dump_json().encode(), f"keyfile/{KEYS.officer}")
    kdf = {**json.loads(SEALED)["kdf"], "salt": crypto.b64e(salt)}
    raw = edited(SEALED, kdf=kdf, sealed=crypto.b64e(sealed))
    with pytest.raises(KeyFileError, match=exactly("key file's officer does not match its keys")):
        keyfile.open_keys(raw, PASS)


def test_invalid_keys_inside_are_refused_without_quoting_them():
    salt = crypto.random_bytes(16)
    key = argon2id.kdf(32, PASS, salt, opslimit=2, memlimit=argon2id.MEMLIMIT_INTERACTIVE)
    content = KEYS.model_dump()
    content["signing_seed"] = crypto.b64e(b"S" * 31)
    plain = json.dumps(content).encode()
    sealed = crypto.secret_seal(key, plain, f"keyfile/{KEYS.officer}")
    kdf = {**json.loads(SEALED)["kdf"], "salt": crypto.b64e(salt)}
    with pytest.raises(KeyFileError, match=exactly("key file's keys are not valid")) as caught:
        keyfile.open_keys(edited(SEALED, kdf=kdf, sealed=crypto.b64e(sealed)), PASS)
    assert KEYS.encryption_key not in str(caught.value)
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("opslimit", "memlimit"),
    [
        (1, argon2id.MEMLIMIT_INTERACTIVE),
        (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE // 2),
        (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_MIN),
    ],
)
def test_limits_below_interactive_are_refused(opslimit, memlimit):
    raw = low_limit_file(opslimit, memlimit)
    with pytest.raises(KeyFileError, match=exactly(LIMITS)):
        keyfile.open_keys(raw, PASS)


def test_the_limits_allowed_are_interactive_to_sensitive_inclusive():
    low = (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE)
    high = (argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_SENSITIVE)
    for opslimit, memlimit in (low, high, (low[0], high[1]), (high[0], low[1])):
        keyfile.check_limits(opslimit, memlimit)
    for opslimit, memlimit in (
        (low[0] - 1, low[1]),
        (low[0], low[1] - 1),
        (high[0] + 1, high[1]),
        (high[0], high[1] + 1),
    ):
        with pytest.raises(KeyFileError, match=exactly(LIMITS)):
            keyfile.check_limits(opslimit, memlimit)


def test_the_interactive_floor_itself_opens():
    assert keyfile.open_keys(low_limit_file(2, argon2id.MEMLIMIT_INTERACTIVE), PASS) == KEYS


@pytest.mark.parametrize(
    ("opslimit", "memlimit"),
    [
        (argon2id.OPSLIMIT_SENSITIVE + 1, argon2id.MEMLIMIT_INTERACTIVE),
        (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_SENSITIVE + 1024),
    ],
)
def test_limits_above_sensitive_are_refused_before_any_work(opslimit, memlimit):
    kdf = {**json.loads(SEALED)["kdf"], "opslimit": opslimit, "memlimit": memlimit}
    with pytest.raises(KeyFileError, match=exactly(LIMITS)):
        keyfile.open_keys(edited(SEALED, kdf=kdf), PASS)


@pytest.mark.parametrize("salt", ["", "c2hvcnQ=", "not base64!"])
def test_a_bad_salt_is_refused(salt):
    kdf = {**json.loads(SEALED)["kdf"], "salt": salt}
    with pytest.raises(KeyFileError, match=exactly("key file's salt is not valid")):
        keyfile.open_keys(edited(SEALED, kdf=kdf), PASS)


def test_interactive_limits_need_the_development_mark():
    with pytest.raises(
        KeyFileError,
        match=exactly("interactive Argon2id limits are for development key files only"),
    ):
        keyfile.seal_keys(KEYS, PASS, limits=Limits.INTERACTIVE)


def test_the_development_mark_is_in_the_clear_only_when_true():
    assert json.loads(SEALED)["development"] is True
    assert keyfile.parse_header(SEALED).development is True


def test_a_real_file_gets_moderate_limits_and_no_development_mark(tmp_path):
    """The one MODERATE round trip (about a second each way)."""
    path = tmp_path / "officer.key"
    keyfile.write_keyfile(path, KEYS, PASS)
    clear = json.loads(path.read_bytes())
    assert "development" not in clear
    assert clear["kdf"]["opslimit"] == argon2id.OPSLIMIT_MODERATE
    assert clear["kdf"]["memlimit"] == argon2id.MEMLIMIT_MODERATE
    assert keyfile.inspect_keyfile(path).development is False
    assert keyfile.read_keyfile(path, PASS) == KEYS


def test_an_empty_passphrase_is_refused():
    with pytest.raises(KeyFileError, match=exactly("the passphrase is empty")):
        keyfile.seal_keys(KEYS, b"", **DEV)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_the_file_is_its_owners_alone_and_no_temporary_file_is_left(tmp_path):
    old = os.umask(0)  # the mode must not depend on the umask
    try:
        path = tmp_path / "officer.key"
        keyfile.write_keyfile(path, KEYS, PASS, **DEV)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["officer.key"]


def test_an_existing_file_is_replaced_only_when_asked(tmp_path):
    path = tmp_path / "officer.key"
    keyfile.write_keyfile(path, KEYS, PASS, **DEV)
    other = officer_keys()
    with pytest.raises(KeyFileError, match=exactly("a key file already exists there")):
        keyfile.write_keyfile(path, other, PASS, **DEV)
    assert keyfile.read_keyfile(path, PASS) == KEYS
    keyfile.write_keyfile(path, other, PASS, replace=True, **DEV)
    assert keyfile.read_keyfile(path, PASS) == other


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "officer.key"
    keyfile.write_keyfile(path, KEYS, PASS, **DEV)
    before = path.read_bytes()

    seen = []

    def broken(fd: int) -> None:
        seen.extend(p.name for p in tmp_path.iterdir())
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        keyfile.write_keyfile(path, officer_keys(), PASS, replace=True, **DEV)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["officer.key"]
    # the temporary file was beside the key file (same file system: the rename is atomic)
    (temporary,) = set(seen) - {"officer.key"}
    assert temporary.startswith(".officer.key.")
    assert temporary.endswith(".tmp")


def test_change_passphrase_keeps_keys_limits_and_mark(tmp_path):
    path = tmp_path / "officer.key"
    keyfile.write_keyfile(path, KEYS, PASS, **DEV)
    keyfile.change_passphrase(path, PASS, b"a new passphrase")
    with pytest.raises(KeyFileError, match=exactly(WRONG)):
        keyfile.read_keyfile(path, PASS)
    assert keyfile.read_keyfile(path, b"a new passphrase") == KEYS
    header = keyfile.inspect_keyfile(path)
    assert header.development is True
    assert (header.kdf.opslimit, header.kdf.memlimit) == Limits.INTERACTIVE.value


def test_change_passphrase_needs_the_old_one(tmp_path):
    path = tmp_path / "officer.key"
    keyfile.write_keyfile(path, KEYS, PASS, **DEV)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match=exactly(WRONG)):
        keyfile.change_passphrase(path, b"guess", b"mine now")
    assert path.read_bytes() == before


def test_limits_of_a_file_by_name():
    assert Limits.of(argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE) is (
        Limits.INTERACTIVE
    )
    assert Limits.of(argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE) is Limits.MODERATE
    assert Limits.of(argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_SENSITIVE) is Limits.SENSITIVE
    # a pair of no named level gets a real file's default
    assert Limits.of(argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_MODERATE) is Limits.MODERATE
    assert Limits.of(argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_INTERACTIVE) is (
        Limits.MODERATE
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe", "not a jubao officer key file (not JSON)"),
        (b"[]", "not a jubao officer key file"),
        (b'{"format": "something-else"}', "not a jubao officer key file"),
        (edited(SEALED, version=2), "unsupported key file version"),
        (edited(SEALED, extra="x"), HEADER),
        (edited(SEALED, aead="aes-256-gcm"), HEADER),
        (edited(SEALED, officer="../etc"), HEADER),
        (edited(SEALED, kdf={"alg": "scrypt", "opslimit": 2, "memlimit": 2, "salt": ""}), HEADER),
        (b" " * (1 << 20) + SEALED, "not a jubao officer key file (too large)"),
    ],
)
def test_what_is_not_a_key_file(raw, message):
    with pytest.raises(KeyFileError, match=exactly(message)):
        keyfile.open_keys(raw, PASS)


def test_a_missing_file_is_a_key_file_error(tmp_path):
    with pytest.raises(KeyFileError, match=exactly("cannot read the key file")):
        keyfile.read_keyfile(tmp_path / "absent.key", PASS)


def test_messages_never_carry_the_passphrase(tmp_path):
    secret = b"my very secret passphrase"
    for attempt in (
        lambda: keyfile.open_keys(SEALED, secret),
        lambda: keyfile.open_keys(edited(SEALED, version=9), secret),
        lambda: keyfile.read_keyfile(tmp_path / "none", secret),
    ):
        with pytest.raises(KeyFileError) as caught:
            attempt()
        assert secret.decode() not in str(caught.value)


# the keys themselves


def test_public_halves_match_the_private_keys():
    seed, verify_key = crypto.generate_signing_keypair()
    private, public = crypto.generate_keypair()
    keys = OfficerKeys(officer="340104-intake", signing_seed=seed, encryption_key=private)
    assert keys.signing_public == verify_key
    assert keys.encryption_public == public
    fresh = OfficerKeys.new("340104-h1")
    signature = crypto.sign(fresh.signing_seed, b"request")
    assert crypto.verify(fresh.signing_public, b"request", signature)
    envelope = crypto.seal(b"case", [fresh.encryption_public], "c")
    assert crypto.open_envelope(envelope, fresh.encryption_key, "c") == b"case"
    assert fresh.unit_keys == {}


def test_new_keys_are_fresh():
    a, b = OfficerKeys.new("340104-a1"), OfficerKeys.new("340104-a1")
    assert a.signing_seed != b.signing_seed
    assert a.encryption_key != b.encryption_key


def test_repr_shows_no_key():
    text = repr(KEYS) + str(KEYS) + repr(KEYS.unit_keys["340104"])
    for secret in (KEYS.signing_seed, KEYS.encryption_key, *KEYS.unit_keys["340104"].content):
        assert secret not in text


def test_private_for_finds_own_current_and_previous_keys():
    old_content, new_content, custodian = unit_key(), unit_key(), unit_key()
    other_unit = unit_key()
    keys = (
        OfficerKeys.new("340104-intake")
        .with_unit_key("340104", "content", old_content)
        .with_unit_key("340104", "content", new_content)
        .with_unit_key("340104", "custodian", custodian)
        .with_unit_key("340100", "content", other_unit)
    )
    for private in (keys.encryption_key, old_content, new_content, custodian, other_unit):
        assert keys.private_for(crypto.key_id(crypto.public_from_private(private))) == private
    stranger = crypto.generate_keypair()[1]
    assert keys.private_for(crypto.key_id(stranger)) is None
    assert keys.private_for("") is None


def test_an_envelope_finds_its_key_by_its_wrapped_key_id():
    old = unit_key()
    keys = OfficerKeys.new("340104-intake").with_unit_key("340104", "content", old)
    envelope = crypto.seal(b"report", [crypto.public_from_private(old)], "r/1/content")
    keys = keys.with_unit_key("340104", "content", unit_key())  # rotated since
    (wrapped_id,) = envelope.keys
    private = keys.private_for(wrapped_id)
    assert private is not None
    assert crypto.open_envelope(envelope, private, "r/1/content") == b"report"


def test_rotation_keeps_old_keys_current_first():
    first, second, third = unit_key(), unit_key(), unit_key()
    keys = OfficerKeys.new("340104-intake")
    keys = keys.with_unit_key("340104", "content", first)
    keys = keys.with_unit_key("340104", "content", second)
    keys = keys.with_unit_key("340104", "content", third)
    assert keys.unit_keys["340104"].content == (third, second, first)
    assert keys.unit_keys["340104"].custodian == ()
    # a key held already moves to the front, once
    keys = keys.with_unit_key("340104", "content", first)
    assert keys.unit_keys["340104"].content == (first, third, second)
    # the other role and the other units are untouched
    keys = keys.with_unit_key("340104", "custodian", second)
    assert keys.unit_keys["340104"].content == (first, third, second)
    assert keys.unit_keys["340104"].custodian == (second,)


def test_with_unit_key_leaves_the_original_alone():
    before = KEYS.unit_keys["340104"].content
    KEYS.with_unit_key("340104", "content", unit_key())
    KEYS.with_unit_key("340100", "content", unit_key())
    assert KEYS.unit_keys["340104"].content == before
    assert set(KEYS.unit_keys) == {"340104"}


def test_rotated_keys_survive_the_file(tmp_path):
    keys = KEYS.with_unit_key("340104", "content", unit_key())
    path = tmp_path / "officer.key"
    keyfile.write_keyfile(path, keys, PASS, **DEV)
    assert keyfile.read_keyfile(path, PASS).unit_keys["340104"].content == (
        keys.unit_keys["340104"].content
    )
    assert len(keys.unit_keys["340104"].content) == 2


@pytest.mark.parametrize(
    ("unit", "role", "private"),
    [
        ("34010", "content", None),
        ("340104", "owner", None),
        ("340104", "content", crypto.b64e(b"k" * 31)),
        ("340104", "content", "not base64!"),
    ],
)
def test_with_unit_key_refuses_bad_units_roles_and_keys(unit, role, private):
    message = (
        "a unit key's role is content or custodian"
        if role == "owner"
        else "not a unit code, or not a 32-byte base64 key"
    )
    with pytest.raises(KeyFileError, match=exactly(message)) as caught:
        KEYS.with_unit_key(unit, role, private or unit_key())
    assert caught.value.__cause__ is None
    if private:
        assert private not in str(caught.value)


def test_the_model_refuses_bad_fields():
    good = KEYS.model_dump()
    for change in (
        {"officer": "Intake!"},
        {"signing_seed": crypto.b64e(b"s" * 33)},
        {"encryption_key": "@@@@"},
        {"unit_keys": {"340104": {"content": ["x"]}}},
        {"unit_keys": {"abc": {}}},
        {"extra": 1},
    ):
        with pytest.raises(ValueError):
            OfficerKeys.model_validate({**good, **change})


# passphrase sources


def test_passphrase_from_a_file_loses_one_trailing_newline(tmp_path):
    path = tmp_path / "pass"
    path.write_bytes(b"  spaced phrase \n")
    assert keyfile.read_passphrase(path, env={}) == b"  spaced phrase "
    path.write_bytes(b"windows\r\n")
    assert keyfile.read_passphrase(path, env={}) == b"windows"
    path.write_bytes(b"two\n\n")
    assert keyfile.read_passphrase(path, env={}) == b"two\n"
    path.write_bytes(b"none")
    assert keyfile.read_passphrase(path, env={}) == b"none"


def test_passphrase_file_from_the_environment(tmp_path):
    named, env_file = tmp_path / "named", tmp_path / "env"
    named.write_bytes(b"named\n")
    env_file.write_bytes(b"from env\n")
    env = {"JUBAO_PASSPHRASE_FILE": str(env_file)}
    assert keyfile.read_passphrase(None, env=env) == b"from env"
    assert keyfile.read_passphrase(named, env=env) == b"named"


def test_passphrase_prompt_without_a_file(monkeypatch):
    prompts = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return "typed ünïcode"

    monkeypatch.setattr(keyfile.getpass, "getpass", fake_getpass)
    assert keyfile.read_passphrase(None, env={}) == "typed ünïcode".encode()
    assert keyfile.read_passphrase(None, env={"JUBAO_PASSPHRASE_FILE": ""}) == (
        "typed ünïcode".encode()
    )
    assert prompts == ["Key file passphrase: "] * 2


def test_passphrase_file_problems(tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"\n")
    with pytest.raises(KeyFileError, match=exactly("the passphrase file is empty")):
        keyfile.read_passphrase(empty, env={})
    with pytest.raises(KeyFileError, match=exactly("cannot read the passphrase file")):
        keyfile.read_passphrase(tmp_path / "absent", env={})
    with pytest.raises(KeyFileError, match=exactly("cannot read the passphrase file")):
        keyfile.read_passphrase(None, env={"JUBAO_PASSPHRASE_FILE": str(tmp_path / "absent")})


def test_interactive_and_sensitive_are_libsodiums_levels():
    assert Limits.INTERACTIVE.opslimit == argon2id.OPSLIMIT_INTERACTIVE
    assert Limits.INTERACTIVE.memlimit == argon2id.MEMLIMIT_INTERACTIVE
    assert Limits.MODERATE.opslimit == argon2id.OPSLIMIT_MODERATE
    assert Limits.MODERATE.memlimit == argon2id.MEMLIMIT_MODERATE
    assert Limits.SENSITIVE.opslimit == argon2id.OPSLIMIT_SENSITIVE
    assert Limits.SENSITIVE.memlimit == argon2id.MEMLIMIT_SENSITIVE
