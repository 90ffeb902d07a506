"""Requests and answers without a framework, and the reading every route shares.

An adapter (``functions/app.py`` for Chalice, ``jubao.wsgi`` for the local server) turns
its framework's request into an ``HttpRequest`` and an ``HttpResponse`` back; moving to
another framework means rewriting only that adapter. Every refusal is an ``ApiError``
rendered the same way, with the header set of ``http_policy`` for its kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ..errors import ApiError
from .http_policy import Kind, headers_for
from .json_body import load_json
from .multipart import Form, FormError, media_type
from .multipart import parse as parse_form
from .ratelimit import RateLimiter


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    client: str = "unknown"  # the source address; only ever hashed
    query: str = ""  # the raw query string, without "?" (officers sign it)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass
class HttpResponse:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def new_request(
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | str | None,
    client: str,
    query: str = "",
) -> HttpRequest:
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    lowered = {k.lower(): v for k, v in headers.items()}
    return HttpRequest(method, path, lowered, raw, client, query)


# ---- answers ------------------------------------------------------------------------------


def json_response(status: int, payload: BaseModel | dict[str, Any], **headers: str) -> HttpResponse:
    body = (
        payload.model_dump_json()
        if isinstance(payload, BaseModel)
        else json.dumps(payload, ensure_ascii=False)
    )
    return HttpResponse(
        status,
        body,
        {"Content-Type": "application/json; charset=utf-8", **headers_for(Kind.api), **headers},
    )


def html_response(status: int, html: str) -> HttpResponse:
    return HttpResponse(
        status,
        html,
        {"Content-Type": "text/html; charset=utf-8", **headers_for(Kind.form_page)},
    )


def error_response(error: ApiError) -> HttpResponse:
    return json_response(error.status, error.as_dict(), **error.headers)


def internal_error() -> HttpResponse:
    return error_response(ApiError("internal_error"))


# ---- reading ------------------------------------------------------------------------------


def limit(limiter: RateLimiter, request: HttpRequest) -> None:
    """Refuse a client over its rate, saying when to come back."""
    wait = limiter.allow(request.client)
    if wait > 0:
        raise ApiError("rate_limited", headers={"Retry-After": str(max(1, round(wait)))})


def check_size(request: HttpRequest, max_bytes: int) -> None:
    if len(request.body) > max_bytes:
        raise ApiError("body_too_large")


def read_json(request: HttpRequest, max_bytes: int) -> Any:
    """The body as JSON: the right media type, within ``max_bytes``, strictly decoded."""
    if media_type(request.header("content-type") or "application/json") != "application/json":
        raise ApiError("unsupported_media_type")
    check_size(request, max_bytes)
    return load_json(request.body)


def read_form(request: HttpRequest) -> Form:
    """The body as an HTML form (URL-encoded or multipart, with files)."""
    content_type = request.header("content-type")
    kind = media_type(content_type)
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise ApiError("unsupported_media_type")
    try:
        return parse_form(request.body, content_type)
    except FormError:
        raise ApiError("malformed_form") from None
