"""The HTTP behaviour of the public API, independent of any web framework.

``app.py`` turns a Chalice request into an ``HttpRequest``, calls one handler here and
turns the ``HttpResponse`` back; moving to another framework means rewriting only that
adapter. Every refusal is an ``ApiError`` rendered the same way (JSON or, for plain form
posts, an HTML page), every unexpected failure becomes a bilingual error without a stack
trace, and nothing a reporter typed is ever logged.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from . import tags
from .errors import ApiError, FieldError
from .http_policy import Kind, headers_for
from .intake import Intake
from .multipart import media_type
from .ratelimit import RateLimiter
from .settings import SettingsError, get_office, get_settings
from .store import open_store
from .store.base import StoreError

log = logging.getLogger("jubao.api")


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    client: str = "unknown"  # the source address; only ever hashed

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass
class HttpResponse:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


# ---- services, built once per process (Lambda container) --------------------------------


@dataclass
class Services:
    intake: Intake
    submit_limiter: RateLimiter
    status_limiter: RateLimiter


@lru_cache(maxsize=1)
def services() -> Services:
    settings = get_settings()
    intake = Intake(
        office=get_office(),
        store=open_store(),
        receipt_key=settings.receipt_key_bytes(),
        tag_key=settings.tag_key_bytes(),
    )
    return Services(
        intake=intake,
        submit_limiter=RateLimiter(settings.submit_rate_per_minute),
        status_limiter=RateLimiter(settings.status_rate_per_minute),
    )


def reset() -> None:
    """Forget built services (tests; the local server after making development keys)."""
    if services.cache_info().currsize:
        services().intake.store.close()
    services.cache_clear()


# ---- responses ----------------------------------------------------------------------------


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


def _log_failure(route: str, exc: BaseException) -> None:
    # only where it happened, never the message: messages can carry user input
    frames = traceback.extract_tb(exc.__traceback__)
    where = [f"{PurePath(f.filename).name}:{f.lineno}:{f.name}" for f in frames[-5:]]
    log.error(
        json.dumps(
            {"event": "unhandled", "route": route, "error": type(exc).__name__, "where": where}
        )
    )


def guarded(
    route: str, handler: Callable[[HttpRequest], HttpResponse]
) -> Callable[[HttpRequest], HttpResponse]:
    """Run a handler so that nothing escapes as a stack trace, and log one line without data."""

    def run(request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        try:
            response = handler(request)
        except ApiError as error:
            response = error_response(error)
        except (StoreError, SettingsError) as exc:  # nothing was stored: say so, retryable
            _log_failure(route, exc)
            response = error_response(ApiError("service_unavailable"))
        except Exception as exc:
            _log_failure(route, exc)
            response = internal_error()
        log.info(
            json.dumps(
                {
                    "event": "request",
                    "route": route,
                    "status": response.status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                }
            )
        )
        return response

    return run


# ---- request reading ----------------------------------------------------------------------


def _limit(limiter: RateLimiter, request: HttpRequest) -> None:
    wait = limiter.allow(request.client)
    if wait > 0:
        raise ApiError("rate_limited", headers={"Retry-After": str(max(1, round(wait)))})


def _check_size(request: HttpRequest, limit: int) -> None:
    if len(request.body) > limit:
        raise ApiError("body_too_large")


def read_json(request: HttpRequest) -> Any:
    if media_type(request.header("content-type") or "application/json") != "application/json":
        raise ApiError("unsupported_media_type")
    _check_size(request, get_settings().max_body_bytes)
    from .intake import load_json  # strict UTF-8, bounded depth, no lone surrogates

    return load_json(request.body)


# ---- JSON API -----------------------------------------------------------------------------


def submit_report(request: HttpRequest) -> HttpResponse:
    svc = services()
    _limit(svc.submit_limiter, request)
    payload = read_json(request)
    key = request.header("idempotency-key") or None
    result = svc.intake.submit(payload, key, client=request.client)
    if result.replayed:
        return json_response(200, result.response, **{"Idempotent-Replayed": "true"})
    return json_response(201, result.response)


def report_status(request: HttpRequest) -> HttpResponse:
    svc = services()
    _limit(svc.status_limiter, request)
    return json_response(200, svc.intake.status(read_json(request)))


def add_supplement(request: HttpRequest) -> HttpResponse:
    svc = services()
    _limit(svc.submit_limiter, request)
    return json_response(201, svc.intake.supplement(read_json(request)))


def verify_tag(request: HttpRequest) -> HttpResponse:
    svc = services()
    _limit(svc.status_limiter, request)
    payload = read_json(request)
    tag = payload.get("tag") if isinstance(payload, dict) else None
    if not isinstance(tag, str) or len(tag) > 80:
        raise ApiError("validation_failed", [FieldError("tag", "invalid_tag")])
    info = tags.verify(tag, svc.intake.tag_key)
    region = svc.intake.office.regions_by_code.get(info.region) if info else None
    return json_response(
        200,
        {
            "valid": region is not None,
            "issuer": region.name if region else None,
            "issuer_en": region.name_en if region else None,
        },
    )


# ---- plain HTML form posts (chalicelib.forms, imported when first needed) -------------------


def form_report(request: HttpRequest) -> HttpResponse:
    from . import forms

    return forms.form_report(request)


def form_status(request: HttpRequest) -> HttpResponse:
    from . import forms

    return forms.form_status(request)


def form_supplement(request: HttpRequest) -> HttpResponse:
    from . import forms

    return forms.form_supplement(request)


def new_request(
    method: str, path: str, headers: dict[str, str], body: bytes | str | None, client: str
) -> HttpRequest:
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    return HttpRequest(method, path, {k.lower(): v for k, v in headers.items()}, raw, client)


# ---- attachments (the pipeline lives in chalicelib.attachments) ---------------------------


def request_upload(request: HttpRequest) -> HttpResponse:
    from . import attachments
    from .intake import parse
    from .models import UploadRequest

    svc = services()
    _limit(svc.submit_limiter, request)
    upload = parse(UploadRequest, read_json(request), svc.intake.office)
    return json_response(201, attachments.request_upload(svc.intake, upload))


def receive_upload(request: HttpRequest, attachment_id: str) -> HttpResponse:
    from . import attachments

    svc = services()
    _limit(svc.submit_limiter, request)
    _check_size(request, get_settings().max_attachment_bytes + 64 * 1024)
    from .forms import read_form

    form = read_form(request)
    file = next((part for part in form.files if part.name == "file"), None)
    if file is None:
        raise ApiError("validation_failed", [FieldError("file", "required")])
    attachments.receive_upload(svc.intake, attachment_id, form.flat(), file.data, file.content_type)
    return HttpResponse(204, "", headers_for(Kind.api))


def seal_staged_upload(bucket: str, key: str) -> None:
    from . import attachments

    outcome = attachments.seal_staged_object(services().intake, bucket, key)
    # the outcome names the attachment and what happened, never its content
    log.info(
        json.dumps(
            {
                "event": "seal_upload",
                "attachment": outcome.attachment_id,
                "result": outcome.result,
                "code": outcome.code,
            }
        )
    )
