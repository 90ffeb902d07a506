"""Officer request signatures (RFC 9421, Ed25519): the profile, the RFC's vector, interop
with http-message-signatures both ways, and every way a request can fail to be signed."""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import http_sf
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chalicelib import crypto
from chalicelib.errors import CATALOGUE
from chalicelib.officer import signatures
from chalicelib.officer.signatures import (
    COMPONENTS,
    SignatureRefused,
    VerifiedRequest,
    base_from_components,
    content_digest,
    serialise_params,
    signature_base,
    signature_fields,
    verify_request,
)
from jubao.officer.signing import new_nonce, sign_request

OFFICER = "340104-007"
OTHER_OFFICER = "340104-008"
SEED, VERIFY = crypto.generate_signing_keypair()
OTHER_SEED, OTHER_VERIFY = crypto.generate_signing_keypair()
KEYS = {OFFICER: VERIFY, OTHER_OFFICER: OTHER_VERIFY}
NOW = 1_800_000_000
NONCE = "AAAAAAAAAAAAAAAAAAAAAA"  # 22 characters, the shortest allowed

METHOD, PATH, QUERY, BODY = "POST", "/api/officer/cases/12345678/status", "v=2", b'{"to":"x"}'


def signed(
    method: str = METHOD,
    path: str = PATH,
    query: str | None = QUERY,
    body: bytes = BODY,
    *,
    officer: str = OFFICER,
    seed: str = SEED,
    created: int = NOW,
    nonce: str = NONCE,
) -> dict[str, str]:
    return sign_request(
        method,
        path,
        query,
        body,
        officer_id=officer,
        signing_seed_b64=seed,
        now=created,
        nonce=nonce,
    )


def verify(
    headers: dict[str, str],
    method: str = METHOD,
    path: str = PATH,
    query: str | None = QUERY,
    body: bytes = BODY,
    *,
    now: float | datetime = NOW,
    keys: dict[str, str] = KEYS,
) -> VerifiedRequest:
    return verify_request(method, path, query, headers, body, keys=keys.get, now=now)


def refused(headers: dict[str, str], **kwargs: object) -> str:
    with pytest.raises(SignatureRefused) as caught:
        verify(headers, **kwargs)  # type: ignore[arg-type]
    return caught.value.code


def hand_signed(
    params: dict[str, int | str],
    *,
    components: tuple[str, ...] = COMPONENTS,
    digest: str | None = None,
    seed: str = SEED,
) -> dict[str, str]:
    """Headers signed over any component list and parameters (what a wrong client sends)."""
    digest = content_digest(BODY) if digest is None else digest
    values = {"@method": METHOD, "@path": PATH, "@query": "?" + QUERY, "content-digest": digest}
    base = base_from_components([(name, values[name]) for name in components], params)
    signature = crypto.sign(seed, base.encode("ascii"))
    covered = serialise_params(components, params)
    return {
        "Content-Digest": digest,
        "Signature-Input": f"jubao={covered}",
        "Signature": f"jubao=:{crypto.b64e(signature)}:",
    }


def params(**changes: object) -> dict[str, int | str]:
    base: dict[str, int | str] = {
        "created": NOW,
        "keyid": OFFICER,
        "alg": "ed25519",
        "nonce": NONCE,
    }
    base.update(changes)  # type: ignore[arg-type]
    return {k: v for k, v in base.items() if v is not None}


# ---- round trip -----------------------------------------------------------------------------


def test_round_trip():
    headers = signed()
    result = verify(headers)
    assert result.officer == OFFICER
    assert result.created == NOW
    assert result.nonce == NONCE
    assert result.expires == NOW + signatures.WINDOW_SECONDS
    assert result.signature_b64 == headers["Signature"].removeprefix("jubao=:").removesuffix(":")
    assert result.base == (
        '"@method": POST\n'
        '"@path": /api/officer/cases/12345678/status\n'
        '"@query": ?v=2\n'
        f'"content-digest": {content_digest(BODY)}\n'
        '"@signature-params": ("@method" "@path" "@query" "content-digest")'
        f';created={NOW};keyid="{OFFICER}";alg="ed25519";nonce="{NONCE}"'
    )
    assert set(headers) == {"Content-Digest", "Signature-Input", "Signature"}


def test_window_is_the_callers_choice():
    headers = signed()
    assert verify_request(
        METHOD, PATH, QUERY, headers, BODY, keys=KEYS.get, now=NOW + 50, window_seconds=60
    ).expires == (NOW + 60)
    with pytest.raises(SignatureRefused) as caught:
        verify_request(
            METHOD, PATH, QUERY, headers, BODY, keys=KEYS.get, now=NOW + 61, window_seconds=60
        )
    assert caught.value.code == "signature_expired"


def test_now_may_be_an_aware_datetime_but_not_a_naive_one():
    headers = signed()
    assert verify(headers, now=datetime.fromtimestamp(NOW, UTC)).officer == OFFICER
    with pytest.raises(ValueError):
        verify(headers, now=datetime.fromtimestamp(NOW, UTC).replace(tzinfo=None))
    assert signed(created=datetime.fromtimestamp(NOW, UTC)) == signed()  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        signed(created=datetime.fromtimestamp(NOW, UTC).replace(tzinfo=None))  # type: ignore[arg-type]


def test_default_time_and_nonce_are_now_and_fresh():
    first = sign_request(METHOD, PATH, QUERY, BODY, officer_id=OFFICER, signing_seed_b64=SEED)
    second = sign_request(METHOD, PATH, QUERY, BODY, officer_id=OFFICER, signing_seed_b64=SEED)
    a, b = verify(first, now=time.time()), verify(second, now=time.time())
    assert a.nonce != b.nonce
    assert abs(a.created - time.time()) < 5


def test_nonces_are_22_base64url_characters_and_differ():
    nonces = {new_nonce() for _ in range(200)}
    assert len(nonces) == 200
    for nonce in nonces:
        assert len(nonce) == 22
        assert set(nonce) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@settings(max_examples=40, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    path=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60),
    query=st.none() | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60),
    body=st.binary(max_size=512),
)
def test_round_trip_of_any_request(method, path, query, body):
    path = "/" + path
    headers = signed(method, path, query, body)
    assert verify(headers, method, path, query, body).officer == OFFICER


# ---- content digest (RFC 9530) --------------------------------------------------------------


def test_content_digest_matches_the_rfc_values():
    # RFC 9530 §2 (the body with its newline) and RFC 9421's examples (without)
    assert content_digest(b'{"hello": "world"}\n') == (
        "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
    )
    assert content_digest(b'{"hello": "world"}') == (
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    )
    assert content_digest(b"") == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"


def test_an_empty_body_is_digested_and_bound_too():
    headers = signed(body=b"")
    assert verify(headers, body=b"").officer == OFFICER
    assert refused(headers, body=b"x") == "digest_mismatch"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_other_digest_spellings_are_checked_by_parsing():
    sha256, sha512 = hashlib.sha256(BODY).digest(), hashlib.sha512(BODY).digest()
    both = f"sha-512=:{_b64(sha512)}:,  sha-256=:{_b64(sha256)}:"
    assert verify(hand_signed(params(), digest=both)).officer == OFFICER
    wrong_512 = f"sha-256=:{_b64(sha256)}:, sha-512=:{_b64(sha512[::-1])}:"
    assert refused(hand_signed(params(), digest=wrong_512)) == "digest_mismatch"
    only_512 = f"sha-512=:{_b64(sha512)}:"
    assert refused(hand_signed(params(), digest=only_512)) == "digest_mismatch"
    unknown = f"sha-256=:{_b64(sha256)}:, md5=:{_b64(hashlib.md5(BODY).digest())}:"
    assert refused(hand_signed(params(), digest=unknown)) == "digest_mismatch"
    not_bytes = f"sha-256=:{_b64(sha256)}:, sha-512=1"
    assert refused(hand_signed(params(), digest=not_bytes)) == "digest_mismatch"
    assert refused(hand_signed(params(), digest="sha-256=:AAAA")) == "digest_mismatch"
    assert refused(hand_signed(params(), digest="sha-256")) == "digest_mismatch"


def test_a_missing_content_digest_is_a_digest_mismatch():
    headers = signed()
    del headers["Content-Digest"]
    assert refused(headers) == "digest_mismatch"


# ---- RFC 9421 Appendix B.2.6 ----------------------------------------------------------------

# Appendix B.1.4, test-key-ed25519 (the JWK's d and x, base64url)
RFC_SEED = crypto.b64e(base64.urlsafe_b64decode("n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU="))
RFC_VERIFY = crypto.b64e(base64.urlsafe_b64decode("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs="))
RFC_B26_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_B26_SIGNATURE = (
    "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
)
RFC_B26_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
    '"content-length");created=1618884473;keyid="test-key-ed25519"'
)


def test_rfc_9421_b_2_6_ed25519_vector():
    # the request of Appendix B.2: POST /foo?param=Value&Pet=dog on example.com
    components = [
        ("date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("@method", "POST"),
        ("@path", "/foo"),
        ("@authority", "example.com"),
        ("content-type", "application/json"),
        ("content-length", "18"),
    ]
    rfc_params = {"created": 1618884473, "keyid": "test-key-ed25519"}
    base = base_from_components(components, rfc_params)
    assert base == RFC_B26_BASE
    assert crypto.verify_key_from_seed(RFC_SEED) == RFC_VERIFY
    # Ed25519 is deterministic: the RFC's signature, byte for byte
    assert crypto.b64e(crypto.sign(RFC_SEED, base.encode("ascii"))) == RFC_B26_SIGNATURE
    assert crypto.verify(RFC_VERIFY, base.encode("ascii"), crypto.b64d(RFC_B26_SIGNATURE))
    # and the parsed Signature-Input serialises back to the RFC's bytes
    items, parsed_params = http_sf.parse(RFC_B26_INPUT.encode(), tltype="dictionary")["sig-b26"]
    names = [name for name, _ in items]
    assert "sig-b26=" + serialise_params(names, parsed_params) == RFC_B26_INPUT
    # B.2's own Content-Digest is SHA-512 only: the profile wants SHA-256 beside it
    body = b'{"hello": "world"}'
    assert _b64(hashlib.sha512(body).digest()) == (
        "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew=="
    )


def test_query_component_per_rfc_9421_2_2_7():
    base = signature_base("GET", "/path", "param=value&foo=bar&baz=bat%2Dman", "d", params())
    assert '\n"@query": ?param=value&foo=bar&baz=bat%2Dman\n' in base
    for none in (None, ""):
        assert '\n"@query": ?\n' in signature_base("GET", "/path", none, "d", params())


def test_signature_base_refuses_what_cannot_be_in_a_base():
    for bad_path in ("", "relative", "/a\nb", "/caf\u00e9", "/tab\there"):
        with pytest.raises(ValueError):
            signature_base("GET", bad_path, None, "d", params())
    with pytest.raises(ValueError):
        signature_base("GET", "/", "a=1\r\n", "d", params())
    with pytest.raises(ValueError):
        signature_base("GET", "/", None, " d", params())
    with pytest.raises(ValueError):
        signature_base("GET", "/", None, "d ", params())
    with pytest.raises(ValueError):
        base_from_components([("caf\u00e9", "x")], params())
    with pytest.raises(ValueError):
        serialise_params(COMPONENTS, {"Created": 1})
    with pytest.raises(ValueError):
        serialise_params(COMPONENTS, {"created": 10**15})
    with pytest.raises(ValueError):
        serialise_params(COMPONENTS, {"created": True})  # type: ignore[dict-item]
    assert serialise_params((), {"created": -(10**15 - 1)}) == "();created=-999999999999999"


@settings(max_examples=80)
@given(
    keyid=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
    created=st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
)
def test_serialisation_agrees_with_http_sf(keyid, created):
    serialised = "x=" + serialise_params(COMPONENTS, {"created": created, "keyid": keyid})
    (items, parsed) = http_sf.parse(serialised.encode(), tltype="dictionary")["x"]
    assert [name for name, _ in items] == list(COMPONENTS)
    assert parsed == {"created": created, "keyid": keyid}
    assert http_sf.ser({"x": (items, parsed)}) == serialised


def test_signing_params_refuse_what_the_server_would():
    for bad in (
        {"keyid": "", "created": NOW, "nonce": NONCE},
        {"keyid": "x" * 65, "created": NOW, "nonce": NONCE},
        {"keyid": "caf\u00e9", "created": NOW, "nonce": NONCE},
        {"keyid": OFFICER, "created": -1, "nonce": NONCE},
        {"keyid": OFFICER, "created": NOW, "nonce": "short"},
        {"keyid": OFFICER, "created": NOW, "nonce": "A" * 65},
        {"keyid": OFFICER, "created": NOW, "nonce": "A" * 21 + "="},
    ):
        with pytest.raises(ValueError):
            signatures.signing_params(**bad)  # type: ignore[arg-type]
    assert signatures.signing_params(keyid="x" * 64, created=0, nonce="A" * 64)


# ---- interop with http-message-signatures ---------------------------------------------------


@dataclass
class OracleRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def oracle_keys() -> MappingKeyResolver:
    return MappingKeyResolver(
        public_keys={OFFICER: Ed25519PublicKey.from_public_bytes(crypto.b64d(VERIFY))},
        private_keys={OFFICER: Ed25519PrivateKey.from_private_bytes(crypto.b64d(SEED))},
    )


def url(path: str, query: str | None) -> str:
    return "https://officer.example" + path + ("" if query is None else "?" + query)


URL_CHARS = st.sampled_from(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/"
)
ORACLE_REQUESTS = {
    "method": st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    "path": st.lists(URL_CHARS, max_size=40).map(lambda c: "/" + "".join(c)),
    "query": st.none() | st.lists(URL_CHARS | st.just("?"), max_size=40).map("".join),
    "body": st.binary(max_size=256),
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**ORACLE_REQUESTS, include_alg=st.booleans())
def test_signed_by_the_oracle_verifies_here(method, path, query, body, include_alg):
    request = OracleRequest(method, url(path, query))
    now = time.time()
    HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=oracle_keys()).sign(
        request,
        key_id=OFFICER,
        created=datetime.fromtimestamp(now, UTC),
        nonce=new_nonce(),
        label="jubao",
        include_alg=include_alg,
        covered_component_ids=COMPONENTS,
        body=body,
    )
    result = verify(request.headers, method, path, query, body, now=now)
    assert result.officer == OFFICER


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**ORACLE_REQUESTS)
def test_signed_here_verifies_with_the_oracle(method, path, query, body):
    headers = sign_request(
        method, path, query, body, officer_id=OFFICER, signing_seed_b64=SEED, now=time.time()
    )
    request = OracleRequest(method, url(path, query), dict(headers))
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519, key_resolver=oracle_keys()
    )
    (result,) = verifier.verify(request, body=body, require_components=COMPONENTS)
    assert result.parameters["keyid"] == OFFICER
    assert result.body == body
    # and the oracle refuses a tampered body, as we do
    with pytest.raises(InvalidSignature):
        verifier.verify(request, body=body + b"x", require_components=COMPONENTS)


def test_oracle_signatures_outside_the_profile_are_refused():
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=oracle_keys())
    now = time.time()
    created = datetime.fromtimestamp(now, UTC)

    def headers_of(**options: object) -> dict[str, str]:
        request = OracleRequest(METHOD, url(PATH, QUERY))
        signer.sign(request, key_id=OFFICER, created=created, body=BODY, **options)  # type: ignore[arg-type]
        return request.headers

    profile = {"label": "jubao", "covered_component_ids": COMPONENTS, "nonce": NONCE}
    assert verify(headers_of(**profile), now=now).officer == OFFICER
    assert refused(headers_of(**{**profile, "label": "pyhms"}), now=now) == "signature_missing"
    # the library's default components, with the digest it appends
    assert refused(headers_of(label="jubao", nonce=NONCE), now=now) == "signature_malformed"
    assert refused(headers_of(**{**profile, "nonce": None}), now=now) == "signature_malformed"
    assert refused(headers_of(**profile, tag="x"), now=now) == "signature_malformed"
    assert refused(headers_of(**profile, expires=created), now=now) == "signature_malformed"


# ---- every signed part is bound -------------------------------------------------------------


def _flip(signature_field: str, index: int) -> str:
    raw = bytearray(crypto.b64d(signature_field.removeprefix("jubao=:").removesuffix(":")))
    raw[index % 64] ^= 1 << (index % 8)
    return f"jubao=:{crypto.b64e(bytes(raw))}:"


def _with_params(headers: dict[str, str], **changes: object) -> dict[str, str]:
    """The same signature under changed parameters (what a forger would try)."""
    signature = crypto.b64d(headers["Signature"].removeprefix("jubao=:").removesuffix(":"))
    signature_input, _ = signature_fields(params(**changes), signature)
    return {**headers, "Signature-Input": signature_input}


other_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_changing_any_signed_part_fails_with_its_code(data):
    headers = signed()
    change = data.draw(
        st.sampled_from(
            [
                "method",
                "path",
                "query",
                "body",
                "digest_field",
                "created",
                "nonce",
                "keyid_known",
                "keyid_unknown",
                "alg_dropped",
                "signature",
            ]
        )
    )
    args: dict[str, object] = {}
    if change == "method":
        method = data.draw(st.sampled_from(["GET", "PUT", "DELETE", "post", "PATCH"]))
        args["method"] = method
        expected = "signature_invalid"
    elif change == "path":
        path = "/" + data.draw(other_text)
        assume(path != PATH)
        args["path"] = path
        expected = "signature_invalid"
    elif change == "query":
        query = data.draw(st.none() | other_text)
        assume(query != QUERY)
        args["query"] = query
        expected = "signature_invalid"
    elif change == "body":
        body = data.draw(st.binary(max_size=64))
        assume(body != BODY)
        args["body"] = body
        expected = "digest_mismatch"
    elif change == "digest_field":
        other = data.draw(st.binary(max_size=64))
        assume(other != BODY)
        headers["Content-Digest"] = content_digest(other)
        expected = "signature_invalid"
    elif change == "created":
        shift = data.draw(st.integers(min_value=-1000, max_value=1000).filter(bool))
        headers = _with_params(headers, created=NOW + shift)
        in_window = -signatures.FUTURE_SKEW_SECONDS <= -shift <= signatures.WINDOW_SECONDS
        expected = "signature_invalid" if in_window else "signature_expired"
    elif change == "nonce":
        nonce = data.draw(st.from_regex(r"[A-Za-z0-9_-]{22,64}", fullmatch=True))
        assume(nonce != NONCE)
        headers = _with_params(headers, nonce=nonce)
        expected = "signature_invalid"
    elif change == "keyid_known":
        headers = _with_params(headers, keyid=OTHER_OFFICER)
        expected = "signature_invalid"
    elif change == "keyid_unknown":
        keyid = data.draw(
            st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=64)
        )
        assume(keyid not in KEYS)
        headers = _with_params(headers, keyid=keyid)
        expected = "signature_unknown_key"
    elif change == "alg_dropped":
        headers = _with_params(headers, alg=None)
        expected = "signature_invalid"
    else:
        headers["Signature"] = _flip(headers["Signature"], data.draw(st.integers(0, 511)))
        expected = "signature_invalid"
    assert refused(headers, **args) == expected


def test_a_key_of_another_officer_does_not_verify():
    headers = signed(seed=OTHER_SEED)  # signed by the other officer, claiming to be OFFICER
    assert refused(headers) == "signature_invalid"
    assert verify(signed(officer=OTHER_OFFICER, seed=OTHER_SEED)).officer == OTHER_OFFICER


def test_an_unusable_registered_key_reads_as_an_invalid_signature():
    assert refused(signed(), keys={OFFICER: "not base64!"}) == "signature_invalid"


# ---- time -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "code"),
    [
        (0, None),
        (300, None),
        (301, "signature_expired"),
        (10**6, "signature_expired"),
        (-30, None),
        (-31, "signature_expired"),
        (-(10**6), "signature_expired"),
    ],
)
def test_created_must_be_within_the_window(age, code):
    headers = signed(created=NOW - age)
    if code is None:
        assert verify(headers).created == NOW - age
    else:
        assert refused(headers) == code


def test_expiry_is_checked_before_the_key_is_looked_up():
    looked_up: list[str] = []

    def keys(officer: str) -> str | None:
        looked_up.append(officer)
        return VERIFY

    with pytest.raises(SignatureRefused) as caught:
        verify_request(METHOD, PATH, QUERY, signed(), BODY, keys=keys, now=NOW + 301)
    assert caught.value.code == "signature_expired"
    assert looked_up == []


def test_unknown_key():
    assert refused(signed(officer="340104-999")) == "signature_unknown_key"
    assert refused(signed(), keys={}) == "signature_unknown_key"


# ---- missing and malformed ------------------------------------------------------------------


def test_missing_signature():
    assert refused({}) == "signature_missing"
    assert refused({"Content-Digest": content_digest(BODY)}) == "signature_missing"
    headers = signed()
    other_label = {
        "Signature-Input": headers["Signature-Input"].replace("jubao=", "proxy=", 1),
        "Signature": headers["Signature"].replace("jubao=", "proxy=", 1),
        "Content-Digest": headers["Content-Digest"],
    }
    assert refused(other_label) == "signature_missing"
    # ours beside another signature is found
    both = {
        **headers,
        "Signature-Input": other_label["Signature-Input"] + ", " + headers["Signature-Input"],
        "Signature": headers["Signature"] + ", " + other_label["Signature"],
    }
    assert verify(both).officer == OFFICER


def test_half_a_signature_is_malformed():
    headers = signed()
    for name in ("Signature", "Signature-Input"):
        assert refused({k: v for k, v in headers.items() if k != name}) == "signature_malformed"
    only_input = {**headers, "Signature": headers["Signature"].replace("jubao=", "proxy=", 1)}
    assert refused(only_input) == "signature_malformed"
    only_signature = {
        **headers,
        "Signature-Input": headers["Signature-Input"].replace("jubao=", "proxy=", 1),
    }
    assert refused(only_signature) == "signature_malformed"


@pytest.mark.parametrize(
    "components",
    [
        ("@method", "@path", "@query"),  # the digest (so the body) left out
        ("@method", "@path", "content-digest"),  # the query left out
        ("@path", "@method", "@query", "content-digest"),  # another order
        (*COMPONENTS, "content-digest"),  # twice
        (),
    ],
)
def test_signatures_that_do_not_cover_exactly_the_profile_are_malformed(components):
    assert refused(hand_signed(params(), components=components)) == "signature_malformed"


def _input(inner: str) -> dict[str, str]:
    headers = signed()
    return {**headers, "Signature-Input": "jubao=" + inner}


LIST = '("@method" "@path" "@query" "content-digest")'
ID, NC = f'keyid="{OFFICER}"', f'nonce="{NONCE}"'


@pytest.mark.parametrize(
    "inner",
    [
        f'("@method" "@path" "@query" "content-digest";sf);created={NOW};{ID};{NC}',
        f"{LIST};created={NOW};{ID};{NC};alg=ed25519",  # a Token, not a String
        f'{LIST};created={NOW};{ID};{NC};alg="rsa-pss-sha512"',
        f"{LIST};created={NOW};{ID};{NC};expires={NOW + 60}",
        f'{LIST};created={NOW};{ID};{NC};tag="jubao"',
        f'{LIST};created="{NOW}";{ID};{NC}',
        f"{LIST};created=?1;{ID};{NC}",
        f"{LIST};created={NOW}.5;{ID};{NC}",
        f"{LIST};created=-1;{ID};{NC}",
        f"{LIST};{ID};{NC}",
        f"{LIST};created={NOW};{NC}",
        f"{LIST};created={NOW};{ID}",
        f'{LIST};created={NOW};keyid="";{NC}',
        f'{LIST};created={NOW};keyid="{"x" * 65}";{NC}',
        f"{LIST};created={NOW};keyid=officer;{NC}",
        f'{LIST};created={NOW};{ID};nonce="{NONCE[:21]}"',
        f'{LIST};created={NOW};{ID};nonce="{"A" * 65}"',
        f'{LIST};created={NOW};{ID};nonce="{NONCE[:21]}+"',
        f"{LIST};created={NOW};{ID};nonce=:{NONCE}:",
        f"(@method @path @query content-digest);created={NOW};{ID};{NC}",
        '"@method"',
        ":AAAA:",
        "(",
        "",
    ],
)
def test_malformed_signature_input(inner):
    assert refused(_input(inner)) == "signature_malformed"
    # the syntax is judged before the time: malformed even when also expired
    assert refused(_input(inner), now=NOW + 10**6) == "signature_malformed"


def test_the_largest_created_is_still_well_formed():
    assert refused(signed(created=10**15 - 1)) == "signature_expired"
    assert refused(_input(f"{LIST};created={10**15};{ID};{NC}")) == "signature_malformed"


def test_malformed_signature_field():
    headers = signed()
    raw = headers["Signature"].removeprefix("jubao=")
    short = crypto.b64e(crypto.b64d(raw.strip(":"))[:63])
    for bad in (
        f"jubao=:{short}:",
        f"jubao=:{crypto.b64e(bytes(65))}:",
        f'jubao="{raw.strip(":")}"',
        f"jubao={raw};p=1",
        f"jubao=({raw})",
        f"jubao={raw}, jubao={raw}",
        "jubao=:not base64:",
        "jubao",
    ):
        assert refused({**headers, "Signature": bad}) == "signature_malformed", bad


def test_duplicates_are_malformed_not_last_wins():
    headers = signed()
    twice = headers["Signature-Input"] + ", " + headers["Signature-Input"]
    assert refused({**headers, "Signature-Input": twice}) == "signature_malformed"
    param_twice = headers["Signature-Input"] + f";created={NOW}"
    assert refused({**headers, "Signature-Input": param_twice}) == "signature_malformed"


def test_oversized_or_non_ascii_fields_are_malformed():
    headers = signed()
    for name in ("Signature-Input", "Signature"):
        room = signatures.FIELD_MAX - len(headers[name]) - len(', p=""')
        exactly = {**headers, name: headers[name] + f', p="{"x" * room}"'}
        assert len(exactly[name]) == signatures.FIELD_MAX
        assert verify(exactly).officer == OFFICER
        one_more = {**headers, name: headers[name] + f', p="{"x" * (room + 1)}"'}
        assert refused(one_more) == "signature_malformed"
    padding = ", " + ", ".join(f"p{i}=1" for i in range(200))
    assert len(headers["Signature-Input"] + padding) > signatures.FIELD_MAX
    assert refused({**headers, "Signature-Input": headers["Signature-Input"] + padding}) == (
        "signature_malformed"
    )
    assert refused({**headers, "Signature": headers["Signature"] + ', x="caf\u00e9"'}) == (
        "signature_malformed"
    )


def test_a_request_whose_own_path_cannot_be_in_a_base_is_malformed():
    headers = signed()
    assert refused(headers, path="/a\nb") == "signature_malformed"
    assert refused(headers, path="no-slash") == "signature_malformed"


# ---- header names in any case ---------------------------------------------------------------


@settings(max_examples=40)
@given(data=st.data())
def test_header_names_in_any_case(data):
    headers = signed()
    recased = {}
    for name, value in headers.items():
        flips = data.draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
        recased["".join(c.swapcase() if f else c for c, f in zip(name, flips, strict=True))] = value
    recased["x-other"] = "1"
    assert verify(recased).officer == OFFICER


def test_one_field_under_two_spellings_is_malformed():
    headers = signed()
    for name in ("signature-input", "SIGNATURE", "content-digest"):
        original = next(k for k in headers if k.lower() == name.lower())
        assert refused({**headers, name: headers[original]}) == "signature_malformed"


def test_surrounding_whitespace_of_field_values_is_not_signed():
    headers = {name: f" \t{value}\t " for name, value in signed().items()}
    assert verify(headers).officer == OFFICER
    # only SP and HTAB are trimmed (RFC 9421 §2.1), nothing else
    headers = signed()
    with_token = {**headers, "Signature-Input": headers["Signature-Input"] + ", proxy=X"}
    assert verify(with_token).officer == OFFICER
    for other in ("\x0c", "\n", "\u3000"):
        assert refused({**headers, "Signature": headers["Signature"] + other}) == (
            "signature_malformed"
        )


# ---- hostile headers ------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "jubao",
        "=",
        "(",
        ")",
        '"@method"',
        '"@path"',
        '"@query"',
        '"content-digest"',
        ";created=",
        ";keyid=",
        ";nonce=",
        ";alg=",
        str(NOW),
        f'"{OFFICER}"',
        f'"{NONCE}"',
        '"ed25519"',
        ":",
        "AAAA",
        ",",
        " ",
        "?1",
        "1.5",
        "%",
        "\\",
        '"',
        "sha-256=",
        "sha-512=",
        "\u00e9",
        "\x00",
        "\n",
        "*",
        "@",
    ]
)
hostile_text = st.one_of(st.text(max_size=80), st.lists(FRAGMENTS, max_size=30).map("".join))
hostile_name = st.sampled_from(
    ["Signature-Input", "signature-input", "Signature", "SIGNATURE", "Content-Digest", "x-y"]
)


@settings(max_examples=400, deadline=None)
@given(
    headers=st.dictionaries(hostile_name, hostile_text, max_size=5),
    keep=st.sampled_from([None, "Signature-Input", "Signature", "Content-Digest"]),
    body=st.binary(max_size=32),
)
def test_random_header_text_is_only_ever_refused(headers, keep, body):
    if keep is not None:
        headers = {keep: signed()[keep], **headers}
    try:
        verify(headers, body=body)
    except SignatureRefused as refusal:
        assert refusal.code in signatures.SIGNATURE_CODES
    else:  # only a genuine signature passes; random text is never one
        pytest.fail("random headers verified")


# ---- refusals say nothing of what was sent --------------------------------------------------

MARKER = "MARKER-4711"


def test_refusals_carry_the_code_only():
    headers = signed(officer=MARKER, path="/" + MARKER, query=MARKER, body=MARKER.encode())
    cases = [
        dict(headers=headers, path="/" + MARKER, query=MARKER, body=MARKER.encode()),
        dict(headers={**headers, "Signature": f"jubao=:{MARKER}:"}),
        dict(headers={**headers, "Signature-Input": f"jubao={MARKER}"}),
        dict(headers={**headers, "Content-Digest": MARKER}, keys={MARKER: VERIFY}),
    ]
    for case in cases:
        keys = case.pop("keys", KEYS)
        with pytest.raises(SignatureRefused) as caught:
            verify(**case, keys=keys)  # type: ignore[arg-type]
        refusal = caught.value
        assert MARKER not in str(refusal) + repr(refusal) + repr(refusal.args)
        assert refusal.__cause__ is None
        assert str(refusal) == refusal.code


def test_refusal_codes_are_in_the_catalogue_as_401():
    for code in signatures.SIGNATURE_CODES:
        status, zh, en = CATALOGUE[code]
        assert status == 401
        assert zh.endswith("。") and en.endswith(".")
        refusal = SignatureRefused(code)
        assert refusal.status == 401
        assert refusal.as_dict()["error"]["code"] == code
    with pytest.raises(KeyError, match="not_found"):
        SignatureRefused("not_found")
    with pytest.raises(KeyError, match="no_such_code"):
        SignatureRefused("no_such_code")
