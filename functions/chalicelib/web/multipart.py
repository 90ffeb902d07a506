"""Parsing plain HTML form posts (urlencoded and multipart) with the standard library.

Chalice has no multipart parser (aws/chalice#796) and ``cgi`` is gone from Python 3.13,
so form bodies are parsed here with ``email``'s MIME parser, within explicit limits on
the number of parts and the size of text fields.

Text is UTF-8 and nothing else. Browsers send form fields in the page's encoding (ours is
UTF-8) and never label a part with a charset; a part that declares another one
(``charset=utf-7``, ``unicode_escape``, ``latin-1`` ...) is refused, not decoded: those
codecs can produce lone surrogates, which no page or store could encode again. Strict
UTF-8 decoding cannot produce them, and names are checked the same way. Urlencoded
bodies are decoded strictly too (an invalid percent-escape is an error, not U+FFFD).
"""

from __future__ import annotations

import email.errors
from dataclasses import dataclass, field
from urllib.parse import parse_qs

# what a part may declare as its charset: UTF-8 under its names, and ASCII (a subset)
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


class FormError(ValueError):
    """The body is not a well-formed form of the declared type (no user data inside)."""


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass
class Form:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)

    def first(self, name: str) -> str:
        values = self.fields.get(name)
        return values[0] if values else ""

    def flat(self) -> dict[str, str]:
        return {name: values[0] for name, values in self.fields.items() if values}


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def parse(
    body: bytes, content_type: str, *, max_parts: int = 64, max_field_bytes: int = 16 * 1024
) -> Form:
    kind = media_type(content_type)
    if kind == "application/x-www-form-urlencoded":
        return _urlencoded(body, max_parts)
    if kind == "multipart/form-data":
        return _multipart(body, content_type, max_parts, max_field_bytes)
    raise FormError("not a form content type")


def _urlencoded(body: bytes, max_parts: int) -> Form:
    try:
        text = body.decode("utf-8")
        parsed = parse_qs(text, keep_blank_values=True, max_num_fields=max_parts, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormError("malformed urlencoded body") from exc
    return Form(fields=parsed)


def _multipart(body: bytes, content_type: str, max_parts: int, max_field_bytes: int) -> Form:
    if "boundary=" not in content_type:
        raise FormError("multipart body without boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    try:
        return _parts(head + body, max_parts, max_field_bytes)
    except (ValueError, LookupError, TypeError, IndexError, email.errors.MessageError) as exc:
        # the MIME parser meeting hostile headers (odd RFC 2231 parameters ...): a form
        # error, never a crash; UnicodeError and FormError are ValueErrors
        if isinstance(exc, FormError):
            raise
        raise FormError("malformed multipart body") from None


def _text(value: str | None) -> str | None:
    """``value`` if it is encodable text; header bytes that are not ASCII become lone
    surrogates in ``email`` (surrogateescape), which is not text."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FormError("header parameter is not text") from None
    return value


def _parts(raw: bytes, max_parts: int, max_field_bytes: int) -> Form:
    import email.parser  # only form posts need it; keeps the JSON path's cold start short
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    if not message.is_multipart():
        raise FormError("malformed multipart body")
    form = Form()
    parts = list(message.iter_parts())
    if len(parts) > max_parts:
        raise FormError("too many parts")
    for part in parts:
        if part.get_content_disposition() != "form-data":
            raise FormError("part without form-data disposition")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name or len(name) > 200:
            raise FormError("part without a name")
        _text(name)
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            # never used, only its presence: an old browser's GBK name is not refused
            filename = filename.encode("utf-8", "replace").decode("utf-8")
            if data:  # an empty file input sends a part with no content
                form.files.append(FilePart(name, filename, part.get_content_type(), data))
            continue
        if len(data) > max_field_bytes:
            raise FormError("text field too large")
        charset = part.get_content_charset()
        if charset is not None and charset not in _UTF8_NAMES:
            raise FormError("text field declares a charset other than UTF-8")
        try:
            value = data.decode("utf-8")  # strict: never a lone surrogate
        except UnicodeDecodeError as exc:
            raise FormError("text field is not UTF-8") from exc
        form.fields.setdefault(name, []).append(value)
    return form
