"""Receipts: format for people, forgiving parsing, entropy, and the stored hash."""

from __future__ import annotations

import math

import pytest
from chalicelib import crypto
from chalicelib.receipts import ALPHABET, MalformedReceipt, Receipt
from hypothesis import given
from hypothesis import strategies as st

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


def test_mac_depends_on_key_and_whole_receipt():
    key = crypto.random_bytes(32)
    receipt = Receipt.new()
    assert receipt.mac(key) == Receipt.parse(str(receipt)).mac(key)
    assert receipt.mac(key) != receipt.mac(crypto.random_bytes(32))
    assert receipt.mac(key) != Receipt(receipt.number, Receipt.new().secret).mac(key)


def test_repr_hides_the_secret():
    receipt = Receipt.new()
    assert receipt.secret not in repr(receipt)
