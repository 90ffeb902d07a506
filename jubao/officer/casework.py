"""What an officer's machine does with a case: open its sealed parts, and wrap them on.

Pure functions over the API's JSON (``CaseView``, docs/officer-api.md) and the officer's
keys: the server only ever sees envelopes, and a grant is made here by re-wrapping each
part's data key to the grantee's public key (``crypto.rewrap``), so the payloads are
never decrypted to grant a case and never sealed again.

Each part is opened under its own context (content, supplement, attachment, identity),
so an envelope moved from one place to another does not open as the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from chalicelib import crypto
from jubao.officer.client import ApiClient
from jubao.officer.errors import OfficerError
from jubao.officer.keyfile import OfficerKeys

# fetches the sealed envelope of one attachment (``GET .../attachments/{id}``)
AttachmentFetch = Callable[[str], Any]


class CaseworkError(OfficerError):
    """A part that cannot be opened or wrapped; ``zh`` and ``en`` are for the officer.

    Never carries plaintext or key bytes, and no library exception is chained to it.
    """


def _no_key() -> CaseworkError:
    return CaseworkError(
        "您的密钥文件中没有能打开该内容的密钥。",
        "None of the keys in your key file opens this part.",
    )


def envelope_of(value: Any) -> crypto.Envelope:
    """An envelope from the API's JSON, checked."""
    try:
        return crypto.Envelope.model_validate(value)
    except ValidationError:
        raise CaseworkError("密文格式不正确。", "A sealed part is malformed.") from None


def private_key_for(envelope: crypto.Envelope, keys: OfficerKeys) -> str:
    """The officer's private key for one of the envelope's wrapped keys.

    An intake officer opens with the unit's content key (perhaps an old one, after a
    rotation); a grantee with their own encryption key.
    """
    for kid in envelope.keys:
        private = keys.private_for(kid)
        if private is not None:
            return private
    raise _no_key()


def _open(envelope: Any, keys: OfficerKeys, context: str) -> bytes:
    sealed = envelope_of(envelope)
    try:
        return crypto.open_envelope(sealed, private_key_for(sealed, keys), context)
    except crypto.CryptoError:
        raise CaseworkError(
            "密文无法打开（已损坏，或不属于此处）。",
            "The sealed part does not open (damaged, or not from this place).",
        ) from None


def _open_json(envelope: Any, keys: OfficerKeys, context: str) -> dict[str, Any]:
    try:
        value = json.loads(_open(envelope, keys, context))
    except (ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise CaseworkError("解密后的内容格式不正确。", "The opened part is not a JSON object.")
    return value


def case_number(view: Mapping[str, Any]) -> str:
    try:
        number = view["case"]["number"]
    except (KeyError, TypeError):
        number = None
    if not isinstance(number, str):
        raise CaseworkError("案件信息不完整。", "The case answer has no case number.")
    return number


def open_case_content(view: Mapping[str, Any], keys: OfficerKeys) -> dict[str, Any]:
    """The report's content (what the reporter wrote, except who they are)."""
    number = case_number(view)
    content = view.get("content")
    if content is None:
        raise CaseworkError(
            "您只能查看该案件的基本信息，不能查看举报内容。",
            "You may see this case's metadata only, not its content.",
        )
    return _open_json(content, keys, f"{number}/content")


def open_entry(number: str, entry: Mapping[str, Any], keys: OfficerKeys) -> dict[str, Any]:
    """A supplement the reporter added: ``{"text", "attachments"}``.

    Feedback entries are sealed to the reporter, not to the office, so only supplements
    open here.
    """
    if entry.get("kind") != "supplement" or entry.get("sealed") is None:
        raise CaseworkError(
            "该条目不是可打开的补充材料。", "This entry is not a sealed supplement."
        )
    return _open_json(entry["sealed"], keys, f"{number}/supplement")


def open_attachment(attachment_id: str, sealed: Any, keys: OfficerKeys) -> bytes:
    """An attachment's bytes (already checked and stripped of metadata at intake)."""
    return _open(sealed, keys, f"attachment/{attachment_id}")


def open_identity(number: str, identity: Any, keys: OfficerKeys) -> dict[str, Any]:
    """The reporter's identity: for the unit's custodian key only."""
    return _open_json(identity, keys, f"{number}/identity")


def supplements(view: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The entries of a view that are sealed supplements, in the server's order."""
    return [
        entry
        for entry in view.get("entries") or []
        if isinstance(entry, Mapping)
        and entry.get("kind") == "supplement"
        and entry.get("sealed") is not None
    ]


def attachment_ids(view: Mapping[str, Any]) -> list[str]:
    """Every attachment of a case, the report's and the supplements', once each."""
    listed: list[Any] = [
        a.get("id") for a in view.get("attachments") or [] if isinstance(a, Mapping)
    ]
    for entry in view.get("entries") or []:
        if isinstance(entry, Mapping):
            listed.extend(entry.get("attachments") or [])
    return list(dict.fromkeys(v for v in listed if isinstance(v, str)))


def attachment_fetcher(client: ApiClient, number: str) -> AttachmentFetch:
    """``make_wraps``'s fetch of attachment envelopes, through an officer client."""

    def fetch(attachment_id: str) -> Any:
        answer = client.get(
            f"/cases/{quote(number, safe='')}/attachments/{quote(attachment_id, safe='')}"
        )
        return answer.get("sealed")

    return fetch


def _wrap_for(
    blob: str, envelope: Any, keys: OfficerKeys, grantee_public: str, grantee_kid: str
) -> dict[str, str] | None:
    sealed = envelope_of(envelope)
    if grantee_kid in sealed.keys:
        return None  # the grantee opens it already
    try:
        rewrapped = crypto.rewrap(sealed, private_key_for(sealed, keys), [grantee_public])
    except crypto.CryptoError:
        raise CaseworkError(
            "无法为接收人员重新封装密钥（密文已损坏，或接收人员公钥无效）。",
            "The data key cannot be wrapped for the grantee (damaged part or invalid key).",
        ) from None
    return {"blob": blob, "key_id": grantee_kid, "wrapped": rewrapped.keys[grantee_kid]}


def make_wraps(
    view: Mapping[str, Any],
    keys: OfficerKeys,
    grantee_encryption_public: str,
    already: set[str],
    fetch_attachment: AttachmentFetch,
) -> list[dict[str, str]]:
    """The wraps a grant needs: each sealed part's data key, sealed to the grantee.

    Parts: ``content``, every ``entry:<id>`` holding a supplement, every
    ``attachment:<id>`` (whose envelopes are fetched one by one, since a case view does
    not carry them). Skipped: the blobs named in ``already`` and those the grantee can
    already open. Only data keys are re-wrapped; no payload is decrypted.
    """
    try:
        grantee_kid = crypto.key_id(grantee_encryption_public)
    except crypto.CryptoError:
        raise CaseworkError(
            "接收人员的加密公钥无效。", "The grantee's encryption key is not valid."
        ) from None
    content = view.get("content")
    if content is None:
        raise CaseworkError(
            "您无法打开该案件的内容，因此不能授权他人。",
            "You cannot open this case's content, so you cannot grant it.",
        )
    parts: list[tuple[str, Any]] = [("content", content)]
    parts += [(f"entry:{entry['id']}", entry["sealed"]) for entry in supplements(view)]
    wraps: list[dict[str, str]] = []
    for blob, envelope in parts:
        if blob in already:
            continue
        wrap = _wrap_for(blob, envelope, keys, grantee_encryption_public, grantee_kid)
        if wrap is not None:
            wraps.append(wrap)
    for attachment in attachment_ids(view):
        blob = f"attachment:{attachment}"
        if blob in already:
            continue
        wrap = _wrap_for(
            blob, fetch_attachment(attachment), keys, grantee_encryption_public, grantee_kid
        )
        if wrap is not None:
            wraps.append(wrap)
    return wraps


__all__ = [
    "AttachmentFetch",
    "CaseworkError",
    "attachment_fetcher",
    "attachment_ids",
    "case_number",
    "envelope_of",
    "make_wraps",
    "open_attachment",
    "open_case_content",
    "open_entry",
    "open_identity",
    "private_key_for",
    "supplements",
]
