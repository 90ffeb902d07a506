"""The crypto module: sealing round trips, and everything that must not open."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import crypto

OFFICE = crypto.generate_keypair()
CUSTODIAN = crypto.generate_keypair()
OTHER = crypto.generate_keypair()


@settings(max_examples=60)
@given(plaintext=st.binary(max_size=4096), context=st.text(min_size=1, max_size=40))
def test_seal_open_round_trip(plaintext, context):
    envelope = crypto.seal(plaintext, [OFFICE[1], CUSTODIAN[1]], context)
    assert crypto.open_envelope(envelope, OFFICE[0], context) == plaintext
    assert crypto.open_envelope(envelope, CUSTODIAN[0], context) == plaintext
    restored = crypto.Envelope.from_bytes(envelope.to_bytes())
    assert crypto.open_envelope(restored, OFFICE[0], context) == plaintext


@settings(max_examples=30)
@given(plaintext=st.binary(min_size=1, max_size=512))
def test_ciphertext_does_not_contain_the_plaintext(plaintext):
    marker = b"MARKER" + plaintext
    blob = crypto.seal(marker, [OFFICE[1]], "r/content").to_bytes()
    assert marker not in blob


def test_other_key_cannot_open():
    envelope = crypto.seal(b"secret", [OFFICE[1]], "1/content")
    with pytest.raises(crypto.CryptoError):
        crypto.open_envelope(envelope, OTHER[0], "1/content")


def test_context_binds_the_blob_to_its_place():
    envelope = crypto.seal(b"secret", [OFFICE[1]], "11111111/content")
    with pytest.raises(crypto.CryptoError):
        crypto.open_envelope(envelope, OFFICE[0], "22222222/content")
    with pytest.raises(crypto.CryptoError):
        crypto.open_envelope(envelope, OFFICE[0], "11111111/identity")


@given(position=st.integers(min_value=0))
def test_tampering_is_detected(position):
    envelope = crypto.seal(b"the report text", [OFFICE[1]], "c")
    raw = bytearray(crypto.b64d(envelope.ciphertext))
    raw[position % len(raw)] ^= 0x01
    tampered = envelope.model_copy(update={"ciphertext": crypto.b64e(bytes(raw))})
    with pytest.raises(crypto.CryptoError):
        crypto.open_envelope(tampered, OFFICE[0], "c")


def test_rewrap_forwards_without_reencrypting():
    envelope = crypto.seal(b"forwarded case", [OFFICE[1]], "n/content")
    forwarded = crypto.rewrap(envelope, OFFICE[0], [OTHER[1]])
    assert forwarded.ciphertext == envelope.ciphertext
    assert crypto.open_envelope(forwarded, OTHER[0], "n/content") == b"forwarded case"
    with pytest.raises(crypto.CryptoError):  # not listed again: no longer a recipient
        crypto.open_envelope(forwarded, OFFICE[0], "n/content")


def test_keyed_hash_separates_purposes_and_keys():
    key = crypto.random_bytes(32)
    a = crypto.keyed_hash(key, b"x", b"receipt")
    assert a != crypto.keyed_hash(key, b"x", b"poster-tag")
    assert a != crypto.keyed_hash(crypto.random_bytes(32), b"x", b"receipt")
    assert a == crypto.keyed_hash(key, b"x", b"receipt")


def test_secret_seal_round_trip_and_context():
    key = crypto.random_bytes(32)
    sealed = crypto.secret_seal(key, b"receipt", "idempotency")
    assert crypto.secret_open(key, sealed, "idempotency") == b"receipt"
    with pytest.raises(crypto.CryptoError):
        crypto.secret_open(key, sealed, "other")


def test_reporter_keypair_is_deterministic_and_secret_specific():
    a = crypto.reporter_keypair(b"A" * 16)
    assert a == crypto.reporter_keypair(b"A" * 16)
    assert a != crypto.reporter_keypair(b"B" * 16)
    envelope = crypto.seal(b"feedback", [a[1]], "f")
    assert crypto.open_envelope(envelope, a[0], "f") == b"feedback"


def test_malformed_keys_are_refused_without_detail():
    with pytest.raises(crypto.CryptoError):
        crypto.seal(b"x", ["not base64!"], "c")
    with pytest.raises(crypto.CryptoError):
        crypto.seal(b"x", [crypto.b64e(b"short")], "c")
    with pytest.raises(crypto.CryptoError):
        crypto.seal(b"x", [], "c")


@given(message=st.binary(max_size=200), purpose=st.binary(max_size=16))
def test_keyed_hash_is_libsodium_generichash(message, purpose):
    import nacl.encoding
    import nacl.hash

    key = b"k" * 32
    expected = nacl.hash.blake2b(
        message,
        digest_size=32,
        key=key,
        person=purpose.ljust(16, b"\0"),
        encoder=nacl.encoding.RawEncoder,
    )
    assert crypto.keyed_hash(key, message, purpose) == expected


# An envelope sealed once (fixed data key and nonce) to a test-only key: stored envelopes
# must open with every later version of the code, so the format, the associated data and
# the key ids may never change silently.
KNOWN_PRIVATE = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
KNOWN_ENVELOPE = (
    b'{"v":1,"nonce":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX","ciphertext":"srquHsZHYeh8vdP9V8B2GPInJ'
    b'+dDgDS8JnUfA8+Pug==","keys":{"c345522f29d71038":"x38+0XWoADQ22m0+lgTZItc+86v9vx5qtkp2n7Cw'
    b'2jJ3wkC6zWvtO26p6eU4t8rhMWzyrXWRvKnhse99kIrmJtzZ1shXng6ZpQNhM8uXwD0="}}'
)


def test_a_stored_envelope_still_opens():
    envelope = crypto.Envelope.from_bytes(KNOWN_ENVELOPE)
    assert set(envelope.keys) == {crypto.key_id(crypto.public_from_private(KNOWN_PRIVATE))}
    assert crypto.open_envelope(envelope, KNOWN_PRIVATE, "12345678/content") == b"known plaintext"
    assert envelope.to_bytes() == KNOWN_ENVELOPE
    with pytest.raises(crypto.CryptoError):
        crypto.open_envelope(envelope, KNOWN_PRIVATE, "12345678/identity")
    with pytest.raises(crypto.CryptoError):  # a version this code does not know
        crypto.open_envelope(
            envelope.model_copy(update={"v": 2}), KNOWN_PRIVATE, "12345678/content"
        )


def test_seal_wraps_for_exactly_the_listed_recipients():
    envelope = crypto.seal(b"x", [OFFICE[1], CUSTODIAN[1]], "c")
    assert set(envelope.keys) == {crypto.key_id(OFFICE[1]), crypto.key_id(CUSTODIAN[1])}
    assert set(crypto.seal(b"x", [OFFICE[1]], "c").keys) == {crypto.key_id(OFFICE[1])}
    forwarded = crypto.rewrap(envelope, OFFICE[0], [OTHER[1]])
    assert set(forwarded.keys) == {crypto.key_id(OTHER[1])}


def test_base64_is_strict():
    assert crypto.b64d("AAAA") == b"\0\0\0"
    for text in ("AA!A", "AAA", "AA AA", "ＡＡＡＡ"):
        with pytest.raises(crypto.CryptoError):
            crypto.b64d(text)


def test_keyed_hash_bounds():
    crypto.keyed_hash(b"k" * 16, b"m", b"p" * 16)
    crypto.keyed_hash(b"k" * 64, b"m", b"p")
    for key, purpose in ((b"k" * 15, b"p"), (b"k" * 65, b"p"), (b"k" * 32, b"p" * 17)):
        with pytest.raises(crypto.CryptoError):
            crypto.keyed_hash(key, b"m", purpose)


def test_a_derived_key_is_keyed_blake2b_of_nothing_personalised_by_its_purpose() -> None:
    """The KDF, stated independently: BLAKE2b-256 keyed by the master key, personalised
    by the purpose, over the empty message (libsodium's crypto_kdf is built the same way)."""
    import hashlib

    master = bytes(range(32))
    expected = hashlib.blake2b(b"", digest_size=32, key=master, person=b"idempotency").digest()
    assert crypto.derive_key(master, b"idempotency") == expected
    assert crypto.derive_key(master, b"upload-ticket") != expected
    assert len(crypto.derive_key(master, b"x")) == crypto.KEY_BYTES


def test_verify_says_no_to_every_wrong_signature_key_or_message():
    """crypto.verify is the yes/no every officer request and checkpoint rests on: each
    way to be wrong is a plain False (never True, never an exception)."""
    seed, public = crypto.generate_signing_keypair()
    _, other = crypto.generate_signing_keypair()
    message = b"jubao/test message"
    signature = crypto.sign(seed, message)
    assert crypto.verify(public, message, signature) is True
    assert crypto.verify(public, message + b"!", signature) is False  # another message
    assert crypto.verify(other, message, signature) is False  # another key
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert crypto.verify(public, message, flipped) is False  # a damaged signature
    assert crypto.verify(public, message, signature[:63]) is False  # too short
    assert crypto.verify(public, message, signature + b"\x00") is False  # too long
    short_key = crypto.b64e(crypto.b64d(public)[:31])
    assert crypto.verify(short_key, message, signature) is False  # a key of 31 bytes
    assert crypto.verify(short_key, message, signature[:63]) is False  # both wrong
    assert crypto.verify("not base64!", message, signature) is False
