"""Signing an officer's request on the officer's own machine (RFC 9421, Ed25519).

The seed never leaves this machine; the server only holds the verify key. The signature
base comes from ``chalicelib.officer.signatures``, the module the server verifies with, so
the two sides cannot drift apart: this file adds only what the signer alone has (the seed,
the clock, a fresh nonce).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from chalicelib import crypto
from chalicelib.officer import signatures

# 16 random bytes: 22 base64url characters, the profile's shortest nonce, 128 bits
_NONCE_BYTES = 16


def new_nonce() -> str:
    """A fresh nonce: the server remembers it for the window, so a copy is refused."""
    return base64.urlsafe_b64encode(crypto.random_bytes(_NONCE_BYTES)).decode("ascii").rstrip("=")


def sign_request(
    method: str,
    path: str,
    query: str | None,
    body: bytes,
    *,
    officer_id: str,
    signing_seed_b64: str,
    now: datetime | float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers to add to a request: ``Content-Digest``, ``Signature-Input``, ``Signature``.

    ``path`` and ``query`` must be exactly what goes on the wire (percent-encoded, the
    query without its ``?``); ``body`` the bytes sent. ``now`` and ``nonce`` are for tests
    and replays of a fixed vector; by default they are the current time and a fresh nonce.
    """
    created = _created(now)
    params = signatures.signing_params(
        keyid=officer_id, created=created, nonce=new_nonce() if nonce is None else nonce
    )
    digest = signatures.content_digest(body)
    base = signatures.signature_base(method, path, query, digest, params)
    signature_input, signature = signatures.signature_fields(
        params, crypto.sign(signing_seed_b64, base.encode("ascii"))
    )
    return {"Content-Digest": digest, "Signature-Input": signature_input, "Signature": signature}


def _created(now: datetime | float | None) -> int:
    if now is None:
        return int(datetime.now(UTC).timestamp())
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        return int(now.timestamp())
    return int(now)
