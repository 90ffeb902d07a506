"""All cryptography of the platform, in one place, on libsodium (PyNaCl).

Nothing else in the code base calls a cipher, a MAC or a random generator for secrets;
it calls this module. The constructions are libsodium's own, combined the way GlobaLeaks
does it:

* ``seal`` encrypts a payload once with a fresh 256-bit data key (XChaCha20-Poly1305,
  the *context* as associated data so a blob cannot be moved to another report or field)
  and wraps that data key for each recipient with a sealed box (X25519, anonymous sender).
  The sealing side needs only public keys, so the intake function cannot read what it
  stored.
* ``rewrap`` lets an office that can open an envelope hand it on (forwarding) without
  re-encrypting the payload.
* ``keyed_hash`` is keyed BLAKE2b (libsodium's generichash; computed with hashlib) with a
  personalisation string per purpose: receipts,
  poster tags, rate-limit buckets and idempotency keys never share a key domain.
* ``sign``/``verify`` are Ed25519 detached signatures (officers' requests, the audit
  log's checkpoints and cosignatures). Officers sign on their own machines; the server
  signs only with its own log key, never with an officer's.
* ``reporter_keypair`` derives a box key pair from a receipt secret, so an office can
  seal feedback that only the holder of the receipt can read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

import nacl.bindings as sodium
import nacl.exceptions
import nacl.public
import nacl.signing
import nacl.utils
from pydantic import BaseModel, ConfigDict

KEY_BYTES = 32
_AEAD_NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
ENVELOPE_VERSION = 1


class CryptoError(Exception):
    """Raised when a key or envelope is unusable. Never carries plaintext or key bytes."""


class Envelope(BaseModel):
    """A sealed payload: one ciphertext, and its data key wrapped per recipient key id."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    v: int = ENVELOPE_VERSION
    nonce: str
    ciphertext: str
    keys: dict[str, str]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("ascii")

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)


def b64e(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def b64d(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise CryptoError("invalid base64") from exc


def random_bytes(size: int) -> bytes:
    return nacl.utils.random(size)


def generate_keypair() -> tuple[str, str]:
    """A new X25519 key pair as (private, public), both base64."""
    private = nacl.public.PrivateKey.generate()
    return b64e(bytes(private)), b64e(bytes(private.public_key))


def public_from_private(private_b64: str) -> str:
    return b64e(bytes(_private_key(private_b64).public_key))


def key_id(public_b64: str) -> str:
    """A short stable name for a public key, used to find one's wrapped data key."""
    return _key_id(public_b64)


@lru_cache(maxsize=256)
def _key_id(public_b64: str) -> str:
    return hashlib.blake2b(bytes(_public_key(public_b64)), digest_size=8).hexdigest()


def _public_key(public_b64: str) -> nacl.public.PublicKey:
    raw = b64d(public_b64)
    if len(raw) != KEY_BYTES:
        raise CryptoError("public key must be 32 bytes")
    return nacl.public.PublicKey(raw)


def _private_key(private_b64: str) -> nacl.public.PrivateKey:
    raw = b64d(private_b64)
    if len(raw) != KEY_BYTES:
        raise CryptoError("private key must be 32 bytes")
    return nacl.public.PrivateKey(raw)


def _aad(context: str) -> bytes:
    return b"jubao/v1/" + context.encode("utf-8")


def seal(plaintext: bytes, recipients: list[str], context: str) -> Envelope:
    """Encrypt ``plaintext`` so that each recipient public key (base64) can open it."""
    if not recipients:
        raise CryptoError("no recipient key")
    data_key = random_bytes(sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    nonce = random_bytes(_AEAD_NONCE_BYTES)
    ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, _aad(context), nonce, data_key
    )
    return Envelope(
        nonce=b64e(nonce),
        ciphertext=b64e(ciphertext),
        keys=_wrap(data_key, recipients),
    )


def _wrap(data_key: bytes, recipients: list[str]) -> dict[str, str]:
    return {
        key_id(pub): b64e(nacl.public.SealedBox(_public_key(pub)).encrypt(data_key))
        for pub in recipients
    }


def _unwrap(envelope: Envelope, private_b64: str) -> bytes:
    private = _private_key(private_b64)
    wrapped = envelope.keys.get(key_id(b64e(bytes(private.public_key))))
    if wrapped is None:
        raise CryptoError("envelope is not sealed to this key")
    try:
        return bytes(nacl.public.SealedBox(private).decrypt(b64d(wrapped)))
    except nacl.exceptions.CryptoError as exc:
        raise CryptoError("wrapped key does not open") from exc


def open_envelope(envelope: Envelope, private_b64: str, context: str) -> bytes:
    """Decrypt an envelope with one recipient's private key; the context must match."""
    if envelope.v != ENVELOPE_VERSION:
        raise CryptoError("unknown envelope version")
    data_key = _unwrap(envelope, private_b64)
    try:
        return bytes(
            sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
                b64d(envelope.ciphertext), _aad(context), b64d(envelope.nonce), data_key
            )
        )
    except nacl.exceptions.CryptoError as exc:
        raise CryptoError("envelope does not open (wrong context or tampered)") from exc


def rewrap(envelope: Envelope, private_b64: str, recipients: list[str]) -> Envelope:
    """Give other recipients access without touching the ciphertext (forwarding a case).

    The new envelope is wrapped for ``recipients`` only: the forwarding office keeps
    access only if it lists itself.
    """
    data_key = _unwrap(envelope, private_b64)
    return envelope.model_copy(update={"keys": _wrap(data_key, recipients)})


def generate_signing_keypair() -> tuple[str, str]:
    """A new Ed25519 key pair as (seed, verify key), both base64 (32 bytes each)."""
    key = nacl.signing.SigningKey.generate()
    return b64e(bytes(key)), b64e(bytes(key.verify_key))


def verify_key_from_seed(seed_b64: str) -> str:
    return b64e(bytes(_signing_key(seed_b64).verify_key))


def _signing_key(seed_b64: str) -> nacl.signing.SigningKey:
    raw = b64d(seed_b64)
    if len(raw) != KEY_BYTES:
        raise CryptoError("signing seed must be 32 bytes")
    return nacl.signing.SigningKey(raw)


def sign(seed_b64: str, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``message``."""
    return bytes(_signing_key(seed_b64).sign(message).signature)


def verify(verify_key_b64: str, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature of ``message`` by that key.

    False for any malformed key or signature too: a caller refusing a request needs a
    yes or no, not an exception to map.
    """
    try:
        raw = b64d(verify_key_b64)
        if len(raw) != KEY_BYTES or len(signature) != 64:
            return False
        nacl.signing.VerifyKey(raw).verify(message, signature)
    except (CryptoError, nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
        return False
    except nacl.exceptions.CryptoError:
        return False
    return True


def keyed_hash(key: bytes, message: bytes, purpose: bytes, size: int = 32) -> bytes:
    """Keyed BLAKE2b; ``purpose`` (max 16 bytes) separates the uses of one key."""
    if len(purpose) > 16:
        raise CryptoError("purpose is at most 16 bytes")
    if not 16 <= len(key) <= 64:
        raise CryptoError("hash key must be 16 to 64 bytes")
    # hashlib's BLAKE2b is the same function as libsodium's generichash, without PyNaCl's
    # per-call argument checking in Python (a third of a submission's CPU time)
    return hashlib.blake2b(message, digest_size=size, key=key, person=purpose).digest()


def derive_key(master: bytes, purpose: bytes) -> bytes:
    """A key of its own for one purpose, from a master key (keyed BLAKE2b as a KDF).

    One configured secret serves several uses (receipt hashes, idempotency records,
    upload tickets); each use gets an independent key, so a value made for one can
    never be passed off as another's, whatever its format.
    """
    return keyed_hash(master, b"", purpose, size=KEY_BYTES)


def equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a, b)


def reporter_keypair(receipt_secret: bytes) -> tuple[str, str]:
    """The box key pair that only a receipt holder can rebuild: (private, public) base64.

    The seed is an unkeyed, personalised hash of the secret (at least 80 bits), so
    offices can seal feedback to the public half and the status endpoint can open it
    when, and only when, the reporter presents the receipt.
    """
    seed = hashlib.blake2b(receipt_secret, digest_size=KEY_BYTES, person=b"jubao-reporter").digest()
    private = nacl.public.PrivateKey.from_seed(seed)
    return b64e(bytes(private)), b64e(bytes(private.public_key))


def secret_seal(key: bytes, plaintext: bytes, context: str) -> bytes:
    """Symmetric authenticated encryption (XChaCha20-Poly1305): nonce || ciphertext."""
    nonce = random_bytes(_AEAD_NONCE_BYTES)
    return nonce + sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, _aad(context), nonce, key
    )


def secret_open(key: bytes, sealed: bytes, context: str) -> bytes:
    nonce, ciphertext = sealed[:_AEAD_NONCE_BYTES], sealed[_AEAD_NONCE_BYTES:]
    try:
        return bytes(
            sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, _aad(context), nonce, key)
        )
    except nacl.exceptions.CryptoError as exc:
        raise CryptoError("sealed value does not open") from exc
