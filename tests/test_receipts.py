"""Receipts: format for people, forgiving parsing, entropy, and the stored hash."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib import crypto
from chalicelib.receipts import ALPHABET, MAX_TEXT, MalformedReceipt, Receipt

receipts = st.builds(
    Receipt,
    number=st.integers(10_000_000, 99_999_999).map(str),
    secret=st.text(alphabet=ALPHABET, min_size=16, max_size=16),
)


@given(receipts)
def test_printed_form_parses_back(receipt):
    text = str(receipt)
    assert [len(group) for group in text.split("-")] == [4] * 6
    assert Receipt.parse(text) == receipt


@given(receipts, st.sampled_from([" ", "", "-", "  "]))
def test_parsing_forgives_case_and_separators(receipt, sep):
    groups = str(receipt).lower().split("-")
    assert Receipt.parse(sep.join(groups)) == receipt


def test_confusable_letters_are_read_as_digits():
    receipt = Receipt("12345678", "0123456789ABCDEF")
    typed = "1234 5678 O123 4567 89AB CDEF".replace("1", "I", 1)
    assert Receipt.parse(typed.replace("I", "l", 1)) == receipt


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1234",
        "1234-5678-ABCD-EFGH-JKMN-PQR",
        "ABCD5678ABCDEFGHJKMNPQRS",
        "1234-5678-ABCD-EFGH-JKMN-PQRS-TVWX",
        "1234-5678-ABCD-EFGH-JKMN-PQR!",
    ],
)
def test_malformed(text):
    with pytest.raises(MalformedReceipt):
        Receipt.parse(text)


def test_secret_has_at_least_80_bits():
    assert 16 * math.log2(len(ALPHABET)) >= 80
    secrets = {Receipt.new().secret for _ in range(2000)}
    assert len(secrets) == 2000
    assert set("".join(secrets)) == set(ALPHABET)  # every symbol is used


DRAWS = 4000


def _chi_square_limit(df: int, z: float = 5.3) -> float:
    """Wilson-Hilferty: the chi-square value a uniform source exceeds with p ~ 1e-7."""
    h = 2 / (9 * df)
    return df * (1 - h + z * math.sqrt(h)) ** 3


def test_every_secret_position_is_uniform():
    """A secret with some of its bytes fixed, or a position drawn from fewer symbols,
    still gives distinct secrets: the per-position symbol counts do not lie."""
    draws = [Receipt.new().secret for _ in range(DRAWS)]
    assert {len(secret) for secret in draws} == {16}
    expected = DRAWS / len(ALPHABET)
    limit = _chi_square_limit(len(ALPHABET) - 1)
    for position in range(16):
        counts = Counter(secret[position] for secret in draws)
        chi2 = sum((counts[symbol] - expected) ** 2 / expected for symbol in ALPHABET)
        assert chi2 < limit, f"position {position}: chi-square {chi2:.0f} (limit {limit:.0f})"


def test_the_80_secret_bits_are_balanced_and_independent():
    """Each of the 80 bits is a fair coin and no bit copies or mirrors another (which
    per-position counts alone would miss: a secret made of one 40-bit half twice)."""
    bits = len(ALPHABET).bit_length() - 1
    assert bits * 16 == 80
    values = [
        int("".join(format(ALPHABET.index(c), f"0{bits}b") for c in Receipt.new().secret), 2)
        for _ in range(DRAWS)
    ]
    # column b: bit b of every draw, one Python integer per bit position
    columns = [sum(((v >> b) & 1) << k for k, v in enumerate(values)) for b in range(80)]
    limit = 6 * math.sqrt(DRAWS) / 2  # six standard deviations of a fair count
    for b, column in enumerate(columns):
        assert abs(column.bit_count() - DRAWS / 2) < limit, f"bit {b} is biased"
    for a in range(80):
        for b in range(a + 1, 80):
            differ = (columns[a] ^ columns[b]).bit_count()
            assert abs(differ - DRAWS / 2) < limit, f"bits {a} and {b} are correlated"


def test_the_key_pair_is_derived_from_number_and_secret(monkeypatch):
    """What Receipt feeds the derivation: the whole receipt, never the public number."""
    fed: list[bytes] = []
    real = crypto.reporter_keypair

    def spy(material: bytes) -> tuple[str, str]:
        fed.append(material)
        return real(material)

    monkeypatch.setattr(crypto, "reporter_keypair", spy)
    receipt = Receipt.new()
    pair = receipt.reporter_keypair()
    assert fed == [receipt.compact.encode("ascii")]
    assert receipt.secret.encode("ascii") in fed[0]
    assert pair == real(receipt.compact.encode("ascii"))
    same_number = Receipt(receipt.number, Receipt.new().secret)
    assert same_number.reporter_keypair() != pair
    assert same_number.reporter_keypair()[1] != real(receipt.number.encode("ascii"))[1]


def test_the_key_pair_derivation_is_fixed():
    """Offices seal feedback to a key stored at submission: the derivation (personalised
    BLAKE2b of the whole receipt, then an X25519 seed) may never change silently."""
    assert crypto.reporter_keypair(b"12345678ABCDEFGHJKMNPQRS") == (
        "sUBqKkt6dVoYncjllF+lA56uiDwRetk9U6jMS5Wo+iE=",
        "rToCpN3iXeti+qHYPnMBa5i8B5/oUcTAl8drrAG9oks=",
    )


def test_report_numbers_are_eight_digits_over_the_whole_range():
    from chalicelib.receipts import new_report_number

    numbers = [int(new_report_number()) for _ in range(3000)]
    assert all(10_000_000 <= n <= 99_999_999 for n in numbers)
    assert min(numbers) < 11_000_000 and max(numbers) > 98_000_000
    assert {str(n)[0] for n in numbers} == set("123456789")
    assert len(set(numbers)) > 2990  # 9 x 10^7 of them: hardly ever the same twice


def test_mac_depends_on_key_and_whole_receipt():
    key = crypto.random_bytes(32)
    receipt = Receipt.new()
    assert receipt.mac(key) == Receipt.parse(str(receipt)).mac(key)
    assert receipt.mac(key) != receipt.mac(crypto.random_bytes(32))
    assert receipt.mac(key) != Receipt(receipt.number, Receipt.new().secret).mac(key)


def test_repr_hides_the_secret():
    receipt = Receipt.new()
    assert receipt.secret not in repr(receipt)


def test_a_receipt_padded_to_the_length_limit_still_parses():
    """Up to ``MAX_TEXT`` characters are read (pasted with spaces around); one more is not."""
    receipt = Receipt.new()
    printed = str(receipt)
    padded = printed + " " * (MAX_TEXT - len(printed))
    assert len(padded) == MAX_TEXT and Receipt.parse(padded) == receipt
    with pytest.raises(MalformedReceipt):
        Receipt.parse(padded + " ")
