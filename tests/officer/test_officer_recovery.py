"""Unit keys split k-of-n as SLIP-39 shares, and enrolment packages between officers."""

from __future__ import annotations

import dataclasses
import itertools
import re

import pytest
import shamir_mnemonic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shamir_mnemonic import Share
from shamir_mnemonic.wordlist import WORDLIST

from chalicelib import crypto
from jubao.officer.keyfile import OfficerKeys
from jubao.officer.recovery import (
    RecoveryError,
    open_unit_key,
    recover_key,
    seal_unit_key_for,
    split_key,
)


def exactly(message: str) -> str:
    """The whole message, as pytest's ``match`` pattern: a changed word is a failure."""
    return f"^{re.escape(message)}$"


UNIT_KEY = crypto.generate_keypair()[0]
HOLDERS = ["340104-intake", "340104-custodian", "340100-supervisor", "340104-h1", "340104-h2"]
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def splits(draw: st.DrawFn) -> tuple[int, list[str]]:
    count = draw(st.integers(1, 6))
    threshold = draw(st.integers(1, min(count, 5)))
    return threshold, [f"officer-{i}" for i in range(count)]


@SLOW
@given(split=splits(), data=st.data())
def test_any_k_shares_recover_and_any_k_minus_one_do_not(split, data):
    threshold, holders = split
    key = crypto.generate_keypair()[0]
    shares = split_key(key, threshold, holders)
    assert list(shares) == holders
    assert len(set(shares.values())) == len(holders)
    words = list(shares.values())
    enough = data.draw(st.lists(st.sampled_from(words), min_size=threshold, unique=True))
    assert recover_key(data.draw(st.permutations(enough))) == key
    if threshold > 1:
        few = data.draw(
            st.lists(st.sampled_from(words), min_size=1, max_size=threshold - 1, unique=True)
        )
        with pytest.raises(
            RecoveryError, match=r"^too few shares: \d+ different shares are needed, \d+ given$"
        ):
            recover_key(few)


def test_every_subset_of_three_of_five_and_none_of_two():
    shares = list(split_key(UNIT_KEY, 3, HOLDERS).values())
    for subset in itertools.combinations(shares, 3):
        assert recover_key(subset) == UNIT_KEY
    for subset in itertools.combinations(shares, 2):
        with pytest.raises(
            RecoveryError, match=exactly("too few shares: 3 different shares are needed, 2 given")
        ):
            recover_key(subset)


def test_the_same_share_twice_counts_once():
    shares = list(split_key(UNIT_KEY, 2, HOLDERS).values())
    with pytest.raises(
        RecoveryError, match=exactly("too few shares: 2 different shares are needed, 1 given")
    ):
        recover_key([shares[0], shares[0]])
    assert recover_key([shares[0], shares[0], shares[1]]) == UNIT_KEY


def test_one_of_n_each_alone_and_all_together():
    shares = list(split_key(UNIT_KEY, 1, HOLDERS[:3]).values())
    for share in shares:
        assert recover_key([share]) == UNIT_KEY
    assert recover_key(shares) == UNIT_KEY
    assert recover_key(list(split_key(UNIT_KEY, 1, ["only"]).values())) == UNIT_KEY


def test_two_splits_are_unrelated():
    first = list(split_key(UNIT_KEY, 2, HOLDERS).values())
    second = list(split_key(UNIT_KEY, 2, HOLDERS).values())
    assert not set(first) & set(second)
    with pytest.raises(RecoveryError, match=exactly("the shares are not all from the same split")):
        recover_key([first[0], second[1]])
    with pytest.raises(RecoveryError, match=exactly("the shares are not all from the same split")):
        recover_key([first[0], first[1], second[2]])


def test_shares_of_different_thresholds_are_mixed_sets():
    two = list(split_key(UNIT_KEY, 2, HOLDERS).values())
    three = list(split_key(UNIT_KEY, 3, HOLDERS).values())
    with pytest.raises(RecoveryError, match=exactly("the shares are not all from the same split")):
        recover_key([two[0], three[0], three[1]])


@SLOW
@given(data=st.data())
def test_a_changed_word_fails_the_checksum(data):
    shares = list(split_key(UNIT_KEY, 2, HOLDERS).values())
    words = shares[1].split()
    position = data.draw(st.integers(0, len(words) - 1))
    words[position] = data.draw(st.sampled_from(WORDLIST).filter(lambda w: w != words[position]))
    with pytest.raises(
        RecoveryError, match=exactly("share 2 has a wrong word or fails its checksum")
    ) as caught:
        recover_key([shares[0], " ".join(words)])
    for word in words:
        assert f" {word} " not in f" {caught.value} "
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.replace(s.split()[4], "notaword", 1),
        lambda s: " ".join(s.split()[:-1]),
        lambda s: " ".join(s.split()[:10]),
        lambda s: "",
        lambda s: s + " " + s.split()[-1],
    ],
)
def test_damaged_shares_are_refused_by_number(damage):
    shares = list(split_key(UNIT_KEY, 2, HOLDERS).values())
    with pytest.raises(
        RecoveryError, match=exactly("share 1 has a wrong word or fails its checksum")
    ):
        recover_key([damage(shares[0]), shares[1]])


def test_shares_that_check_but_do_not_combine():
    """A share re-encoded with another value passes its checksum; the digest catches it."""
    first, second = list(split_key(UNIT_KEY, 2, HOLDERS).values())[:2]
    share = Share.from_mnemonic(second)
    forged = dataclasses.replace(share, value=bytes(b ^ 1 for b in share.value)).mnemonic()
    with pytest.raises(
        RecoveryError,
        match=exactly("the shares do not combine (damaged or from different splits)"),
    ) as caught:
        recover_key([first, forged])
    assert caught.value.__cause__ is None


def test_the_split_is_extendable_and_has_no_passphrase():
    shares = list(split_key(UNIT_KEY, 2, HOLDERS).values())
    assert all(Share.from_mnemonic(s).extendable for s in shares)
    assert shamir_mnemonic.combine_mnemonics(shares[:2], b"") == crypto.b64d(UNIT_KEY)


def test_no_shares():
    with pytest.raises(RecoveryError, match=exactly("no shares given")):
        recover_key([])


def test_a_secret_of_another_length_is_not_a_unit_key():
    (group,) = shamir_mnemonic.generate_mnemonics(1, [(2, 3)], b"sixteen byte key")
    with pytest.raises(RecoveryError, match=exactly("the shares do not hold a unit key")):
        recover_key(group[:2])


def test_shares_of_a_two_group_split_recover_from_complete_groups_only():
    """A foreign but valid SLIP-39 layout: two of three groups, each 2-of-3."""
    groups = shamir_mnemonic.generate_mnemonics(2, [(2, 3)] * 3, crypto.b64d(UNIT_KEY))
    assert recover_key([*groups[0][:2], *groups[2][:2]]) == UNIT_KEY
    assert recover_key([*groups[0], *groups[1][:2], groups[2][0]]) == UNIT_KEY
    with pytest.raises(
        RecoveryError, match=r"^too few shares: \d+ different shares are needed, \d+ given$"
    ):
        recover_key([*groups[0][:2], groups[1][0]])


@pytest.mark.parametrize(
    ("threshold", "holders", "message"),
    [
        (0, HOLDERS, "the threshold must be between 1 and the number of holders"),
        (6, HOLDERS, "the threshold must be between 1 and the number of holders"),
        (-1, HOLDERS, "the threshold must be between 1 and the number of holders"),
        (1, [], "holders must be named, each once"),
        (2, ["a", "a", "b"], "holders must be named, each once"),
        (1, ["a", ""], "holders must be named, each once"),
        (2, [f"o{i}" for i in range(17)], "at most 16 holders"),
    ],
)
def test_split_refuses_bad_arguments(threshold, holders, message):
    with pytest.raises(RecoveryError, match=exactly(message)):
        split_key(UNIT_KEY, threshold, holders)


def test_sixteen_holders_is_the_most():
    shares = split_key(UNIT_KEY, 16, [f"o{i}" for i in range(16)])
    assert recover_key(list(shares.values())) == UNIT_KEY


@pytest.mark.parametrize("key", ["not base64!", crypto.b64e(b"k" * 31), ""])
def test_split_refuses_what_is_not_a_key(key):
    with pytest.raises(RecoveryError, match=exactly("not a 32-byte base64 private key")) as caught:
        split_key(key, 2, HOLDERS)
    assert caught.value.__cause__ is None


# enrolment packages


def newcomer() -> OfficerKeys:
    return OfficerKeys.new("340104-custodian2")


def test_an_enrolment_package_opens_for_its_officer_unit_and_role():
    keys = newcomer()
    package = seal_unit_key_for(keys.encryption_public, "340104", "custodian", UNIT_KEY)
    assert UNIT_KEY.encode() not in package
    assert crypto.b64d(UNIT_KEY).hex().encode() not in package
    enrolled = open_unit_key(package, keys, "340104", "custodian")
    assert enrolled.unit_keys["340104"].custodian == (UNIT_KEY,)
    assert enrolled.unit_keys["340104"].content == ()
    assert enrolled.private_for(crypto.key_id(crypto.public_from_private(UNIT_KEY))) == UNIT_KEY
    assert enrolled.signing_seed == keys.signing_seed


def test_an_enrolment_package_keeps_the_previous_key():
    old = crypto.generate_keypair()[0]
    keys = newcomer().with_unit_key("340104", "content", old)
    package = seal_unit_key_for(keys.encryption_public, "340104", "content", UNIT_KEY)
    assert open_unit_key(package, keys, "340104", "content").unit_keys["340104"].content == (
        UNIT_KEY,
        old,
    )


def test_an_enrolment_package_opens_for_no_one_else():
    keys = newcomer()
    package = seal_unit_key_for(keys.encryption_public, "340104", "content", UNIT_KEY)
    for officer, unit, role in (
        (OfficerKeys.new("340104-intake"), "340104", "content"),
        (keys, "340100", "content"),
        (keys, "340104", "custodian"),
    ):
        with pytest.raises(
            RecoveryError,
            match=exactly("this package is not for this officer, unit and role, or it is damaged"),
        ) as caught:
            open_unit_key(package, officer, unit, role)  # type: ignore[arg-type]
        assert caught.value.__cause__ is None


def test_a_tampered_package_does_not_open():
    keys = newcomer()
    package = seal_unit_key_for(keys.encryption_public, "340104", "content", UNIT_KEY)
    envelope = crypto.Envelope.from_bytes(package)
    cipher = bytearray(crypto.b64d(envelope.ciphertext))
    cipher[0] ^= 1
    tampered = envelope.model_copy(update={"ciphertext": crypto.b64e(bytes(cipher))})
    with pytest.raises(
        RecoveryError,
        match=exactly("this package is not for this officer, unit and role, or it is damaged"),
    ):
        open_unit_key(tampered.to_bytes(), keys, "340104", "content")
    with pytest.raises(RecoveryError, match=exactly("not an enrolment package")):
        open_unit_key(b"{}", keys, "340104", "content")
    with pytest.raises(RecoveryError, match=exactly("not an enrolment package")):
        open_unit_key(b"\x00garbage", keys, "340104", "content")


def test_a_package_holding_something_else_is_refused():
    keys = newcomer()
    short = crypto.seal(b"k" * 31, [keys.encryption_public], "enrol/340104/content").to_bytes()
    with pytest.raises(RecoveryError, match=exactly("the package does not hold a unit key")):
        open_unit_key(short, keys, "340104", "content")


def test_a_package_for_a_bad_unit_code_is_refused():
    keys = newcomer()
    package = seal_unit_key_for(keys.encryption_public, "34", "content", UNIT_KEY)
    with pytest.raises(
        RecoveryError, match=exactly("not a unit code, or not a 32-byte base64 key")
    ) as caught:
        open_unit_key(package, keys, "34", "content")
    assert UNIT_KEY not in str(caught.value)


@pytest.mark.parametrize("public", ["not base64!", crypto.b64e(b"p" * 31)])
def test_seal_refuses_a_bad_public_key(public):
    with pytest.raises(RecoveryError, match=exactly("not a 32-byte base64 public key")):
        seal_unit_key_for(public, "340104", "content", UNIT_KEY)


def test_seal_refuses_a_bad_private_key():
    with pytest.raises(RecoveryError, match=exactly("not a 32-byte base64 private key")):
        seal_unit_key_for(newcomer().encryption_public, "340104", "content", "x")
