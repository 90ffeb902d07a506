"""Officers' requests are HTTP Message Signatures (RFC 9421) made with the officer's Ed25519 key.

Decision: the signature base is built here on PyNaCl (``crypto.sign``/``crypto.verify``)
and the two structured fields are parsed with ``http-sf`` (pure Python, about 100 kB),
rather than using ``http-message-signatures``: that library needs ``cryptography`` (a 15 MB
native wheel) in the officer Lambda for the one algorithm libsodium already gives us, and a
request object with an absolute URL, while our profile is a single fixed list of four
components, a few lines to build. The library stays in the dev group as the test oracle:
requests it signs verify here, and requests signed here verify with it.

The profile, identical on both sides (``jubao/officer/signing.py`` signs with these
functions, so there is one implementation of the base):

* label ``jubao``; covered components ``"@method" "@path" "@query" "content-digest"``, in
  that order, none with parameters, nothing more and nothing less;
* parameters ``created`` (integer Unix seconds), ``nonce`` (22 to 64 base64url characters),
  ``keyid`` (the officer id) and optionally ``alg="ed25519"``; no others (``expires`` and
  ``tag`` are not implemented, so a signature that relies on them is refused, not
  half-understood);
* ``Content-Digest: sha-256=:<base64>:`` (RFC 9530) of the body as sent, the empty body
  included, so the signature covers the body through the digest.

Replay is the caller's check: ``verify_request`` returns the nonce and until when it must be
remembered (``created`` plus the window), and the store refuses a nonce it has seen with
``signature_replayed``. Refusals carry a catalogue code only: no header value, body or key
ever reaches an exception message (a header could carry anything a client typed).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import http_sf

from .. import crypto
from ..errors import ApiError

LABEL = "jubao"
ALGORITHM = "ed25519"
COMPONENTS = ("@method", "@path", "@query", "content-digest")
WINDOW_SECONDS = 300
# an officer's PC clock a little ahead of the server's is normal; half a minute is the limit
FUTURE_SKEW_SECONDS = 30
NONCE_MIN, NONCE_MAX = 22, 64
KEYID_MAX = 64
# far above what the profile produces (about 200 characters); bounds the parser's work
FIELD_MAX = 1024

SIGNATURE_CODES = frozenset(
    {
        "signature_missing",
        "signature_malformed",
        "signature_unknown_key",
        "signature_invalid",
        "signature_expired",
        "digest_mismatch",
        "signature_replayed",
    }
)

_REQUIRED_PARAMS = frozenset({"created", "nonce", "keyid"})
_ALLOWED_PARAMS = _REQUIRED_PARAMS | {"alg"}
_NONCE = re.compile(rf"[A-Za-z0-9_-]{{{NONCE_MIN},{NONCE_MAX}}}")
_SF_KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")
_SF_INTEGER_MAX = 999_999_999_999_999
_DIGESTS: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}
FIELDS = ("signature-input", "signature", "content-digest")  # the signed request's fields

Params = Mapping[str, int | str]


@dataclass
class SignatureRefused(ApiError):
    """A request whose signature does not hold; ``code`` is one of ``SIGNATURE_CODES``.

    An ``ApiError``, so the route guard answers it like any refusal (401, both languages).
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.code not in SIGNATURE_CODES:
            raise KeyError(self.code)


@dataclass(frozen=True)
class VerifiedRequest:
    """What a valid signature establishes, and what the replay check needs.

    ``expires`` is ``created + window``: after it the signature is refused as expired
    anyway, so the nonce need not be remembered longer.
    """

    officer: str
    created: int
    nonce: str
    expires: int
    base: str
    signature_b64: str


def content_digest(body: bytes) -> str:
    """The ``Content-Digest`` field value of a body (RFC 9530, SHA-256)."""
    return f"sha-256=:{crypto.b64e(hashlib.sha256(body).digest())}:"


def signing_params(*, keyid: str, created: int, nonce: str) -> dict[str, int | str]:
    """The parameters a signer puts in ``Signature-Input``, in the order it sends them.

    Checked here so a signer cannot produce what the server would refuse as malformed.
    """
    params: dict[str, int | str] = {
        "created": created,
        "keyid": keyid,
        "alg": ALGORITHM,
        "nonce": nonce,
    }
    if not _params_ok(params):
        raise ValueError("signature parameters outside the profile")
    return params


def serialise_params(components: Sequence[str], params: Params) -> str:
    """The inner list with parameters (RFC 8941 §4.1.1.1), as in ``@signature-params``."""
    items = " ".join(_sf_string(name) for name in components)
    return f"({items})" + "".join(
        f";{_sf_key(name)}={_sf_bare(value)}" for name, value in params.items()
    )


def base_from_components(components: Sequence[tuple[str, str]], params: Params) -> str:
    """The signature base of RFC 9421 §2.5 for component (name, value) pairs.

    Each line is ``"<name>": <value>``; the last is ``"@signature-params"`` with the
    serialised component list and parameters. There is no trailing newline.
    """
    lines = []
    for name, value in components:
        if not _printable(value) or value.startswith(" ") or value.endswith(" "):
            raise ValueError("component value not allowed in a signature base")
        lines.append(f"{_sf_string(name)}: {value}")
    covered = serialise_params([name for name, _ in components], params)
    lines.append(f'"@signature-params": {covered}')
    return "\n".join(lines)


def signature_base(
    method: str, path: str, query: str | None, content_digest: str, params: Params
) -> str:
    """The signature base of an officer request, the bytes (as ASCII) that are signed.

    ``path`` and ``query`` are as on the wire (still percent-encoded); ``query`` is the
    raw query string without its ``?``, empty or None for none (``@query`` is then ``?``,
    RFC 9421 §2.2.7).
    """
    if not path.startswith("/"):
        raise ValueError("@path must be an absolute path")
    components = [
        ("@method", method),
        ("@path", path),
        ("@query", "?" + (query or "")),
        ("content-digest", content_digest),
    ]
    return base_from_components(components, params)


def signature_fields(params: Params, signature: bytes) -> tuple[str, str]:
    """The ``Signature-Input`` and ``Signature`` field values for one signature."""
    return (
        f"{LABEL}={serialise_params(COMPONENTS, params)}",
        f"{LABEL}=:{crypto.b64e(signature)}:",
    )


def verify_request(
    method: str,
    path: str,
    query: str | None,
    headers: Mapping[str, str],
    body: bytes,
    *,
    keys: Callable[[str], str | None],
    now: datetime | float,
    window_seconds: int = WINDOW_SECONDS,
) -> VerifiedRequest:
    """Check an officer request's signature; raise ``SignatureRefused`` if it does not hold.

    ``keys`` maps an officer id to the officer's Ed25519 verify key (base64), None for an
    unknown or inactive officer. ``headers`` may spell names in any case. The cheap
    checks (syntax, time) come before the key look-up and the signature; the body's
    digest is checked last, against a signed ``Content-Digest``, so a tampered digest
    field reads as an invalid signature and a tampered body as a digest mismatch.
    Replay is not checked here: the caller remembers ``nonce`` until ``expires``.
    """
    fields = _fields(headers)
    if fields["signature-input"] is None and fields["signature"] is None:
        raise SignatureRefused("signature_missing")
    params, signature = _parse_signature(fields["signature-input"], fields["signature"])
    created = int(params["created"])
    instant = _seconds(now)
    if instant - created > window_seconds or created - instant > FUTURE_SKEW_SECONDS:
        raise SignatureRefused("signature_expired")
    officer = str(params["keyid"])
    verify_key = keys(officer)
    if verify_key is None:
        raise SignatureRefused("signature_unknown_key")
    digest_field = fields["content-digest"]
    if digest_field is None:
        raise SignatureRefused("digest_mismatch")
    try:
        base = signature_base(method, path, query, digest_field, params)
    except ValueError:
        raise SignatureRefused("signature_malformed") from None
    if not crypto.verify(verify_key, base.encode(), signature):  # ASCII, checked
        raise SignatureRefused("signature_invalid")
    if not _digest_matches(digest_field, body):
        raise SignatureRefused("digest_mismatch")
    return VerifiedRequest(
        officer=officer,
        created=created,
        nonce=str(params["nonce"]),
        expires=created + window_seconds,
        base=base,
        signature_b64=crypto.b64e(signature),
    )


# ---- parsing -----------------------------------------------------------------------------


def _fields(headers: Mapping[str, str]) -> dict[str, str | None]:
    """The three fields, found whatever the case of their names; trimmed (RFC 9421 §2.1).

    A field given twice under differently cased names is ambiguous (which one did the
    signer mean?), so it is refused rather than one of them picked.
    """
    found: dict[str, str | None] = dict.fromkeys(FIELDS)
    for name, value in headers.items():
        lower = name.lower()
        if lower in found:
            if found[lower] is not None:
                raise SignatureRefused("signature_malformed")
            found[lower] = value.strip(" \t")
    return found


def _parse_signature(signature_input: str | None, signature: str | None) -> tuple[Params, bytes]:
    """Our label's parameters and signature bytes; anything else about them is refused."""
    if signature_input is None or signature is None:
        raise SignatureRefused("signature_malformed")
    inputs = _dictionary(signature_input)
    signatures = _dictionary(signature)
    if LABEL not in inputs and LABEL not in signatures:
        # signatures by others (a proxy's, say) may be present; ours is not
        raise SignatureRefused("signature_missing")
    if LABEL not in inputs or LABEL not in signatures:
        raise SignatureRefused("signature_malformed")
    # http_sf gives every dictionary member and inner-list item as (value, parameters)
    member, params = inputs[LABEL]
    if not isinstance(member, list) or not _params_ok(params):
        raise SignatureRefused("signature_malformed")
    if [name for name, _ in member] != list(COMPONENTS) or any(p for _, p in member):
        raise SignatureRefused("signature_malformed")
    raw, signature_params = signatures[LABEL]
    if not isinstance(raw, bytes) or signature_params or len(raw) != 64:
        raise SignatureRefused("signature_malformed")
    return params, raw


def _dictionary(value: str) -> dict[str, Any]:
    """A Signature-Input or Signature field as parsed by http_sf: label -> (value, params)."""
    if len(value) > FIELD_MAX or not value.isascii():
        raise SignatureRefused("signature_malformed")

    def refuse_duplicate(_key: str, _context: str) -> None:
        # RFC 8941 keeps the last of duplicate keys; for a signature that hides a choice
        raise ValueError("duplicate key")

    try:
        parsed = http_sf.parse(
            value.encode(), tltype="dictionary", on_duplicate_key=refuse_duplicate
        )
    except (ValueError, TypeError, KeyError, IndexError):
        raise SignatureRefused("signature_malformed") from None
    # asked for a dictionary, http_sf returns a dict (its return type spans all three kinds)
    return parsed  # type: ignore[return-value]


def _params_ok(params: Mapping[str, Any]) -> bool:
    """Whether signature parameters are within the profile (types exact: a bool is no int)."""
    names = set(params)
    if not (_REQUIRED_PARAMS.issubset(names) and names.issubset(_ALLOWED_PARAMS)):
        return False
    created, keyid, nonce = params["created"], params["keyid"], params["nonce"]
    alg = params.get("alg", ALGORITHM)
    return (
        type(created) is int
        and 0 <= created <= _SF_INTEGER_MAX
        and type(keyid) is str
        and 0 < len(keyid) <= KEYID_MAX
        and _printable(keyid)
        and type(nonce) is str
        and _NONCE.fullmatch(nonce) is not None
        # an unquoted alg parses as a Token, which compares equal to the str: type first
        and type(alg) is str
        and alg == ALGORITHM
    )


def _digest_matches(field: str, body: bytes) -> bool:
    """Whether ``Content-Digest`` holds SHA-256 of the body, and any other digest matches too.

    The common case, the field exactly as ``content_digest`` writes it, needs no parsing
    (and no constant-time comparison: the sender knows both the body and the digest).
    """
    if field == content_digest(body):
        return True
    try:
        parsed = http_sf.parse(field.encode(), tltype="dictionary")
    except (ValueError, TypeError, KeyError, IndexError):
        return False
    if not isinstance(parsed, dict) or "sha-256" not in parsed:
        return False
    members: Mapping[str, Any] = parsed  # each member is (value, parameters)
    for algorithm, (digest, _) in members.items():
        hasher = _DIGESTS.get(algorithm)
        # a digest that is no byte sequence is unequal to every hash: no type check needed
        if hasher is None or digest != hasher(body).digest():
            return False
    return True


# ---- serialising (RFC 8941 §4.1) ---------------------------------------------------------


def _printable(text: str) -> bool:
    # ASCII and printable is exactly 0x20-0x7E (both checks run in C)
    return text.isascii() and text.isprintable()


def _sf_string(text: str) -> str:
    if not _printable(text):
        raise ValueError("a structured-field string is printable ASCII")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sf_key(name: str) -> str:
    if _SF_KEY.fullmatch(name) is None:
        raise ValueError("not a structured-field key")
    return name


def _sf_bare(value: int | str) -> str:
    if type(value) is int:
        if not -_SF_INTEGER_MAX <= value <= _SF_INTEGER_MAX:
            raise ValueError("a structured-field integer has at most 15 digits")
        return str(value)
    if type(value) is str:
        return _sf_string(value)
    raise ValueError("only integers and strings are signature parameters here")


def _seconds(now: datetime | float) -> float:
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        return now.timestamp()
    return float(now)
