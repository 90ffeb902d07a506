"""The JSON routes of the public API: submit, status, supplement, uploads, tag checks.

Each handler takes the ``PublicApp`` (the services, built once per process) and one
``HttpRequest``, and returns an ``HttpResponse``; refusals are ``ApiError`` and become
answers in ``web.guard``. The no-JavaScript forms are ``public.forms``.
"""

from __future__ import annotations

from .. import tags
from ..errors import ApiError, FieldError
from ..reports import attachments
from ..reports.models import UploadRequest
from ..reports.validation import parse
from ..web.http import (
    HttpRequest,
    HttpResponse,
    check_size,
    json_response,
    limit,
    read_form,
    read_json,
)
from ..web.http_policy import Kind, headers_for
from .app import PublicApp

_UPLOAD_FRAMING = 64 * 1024  # multipart framing around one uploaded file


def _body(app: PublicApp, request: HttpRequest) -> object:
    return read_json(request, app.settings.max_body_bytes)


def submit_report(app: PublicApp, request: HttpRequest) -> HttpResponse:
    limit(app.submit_limiter, request)
    payload = _body(app, request)
    key = request.header("idempotency-key") or None
    result = app.intake.submit(payload, key, client=request.client)
    if result.replayed:
        return json_response(200, result.response, **{"Idempotent-Replayed": "true"})
    return json_response(201, result.response)


def report_status(app: PublicApp, request: HttpRequest) -> HttpResponse:
    limit(app.status_limiter, request)
    return json_response(200, app.intake.status(_body(app, request)))


def add_supplement(app: PublicApp, request: HttpRequest) -> HttpResponse:
    limit(app.submit_limiter, request)
    return json_response(201, app.intake.supplement(_body(app, request)))


def verify_tag(app: PublicApp, request: HttpRequest) -> HttpResponse:
    limit(app.status_limiter, request)
    payload = _body(app, request)
    tag = payload.get("tag") if isinstance(payload, dict) else None
    if not isinstance(tag, str) or len(tag) > tags.MAX_TAG:
        raise ApiError("validation_failed", [FieldError("tag", "invalid_tag")])
    info = tags.verify(tag, app.intake.tag_key)
    region = app.office.regions_by_code.get(info.region) if info else None
    return json_response(
        200,
        {
            "valid": region is not None,
            "issuer": region.name if region else None,
            "issuer_en": region.name_en if region else None,
        },
    )


# ---- attachments (the pipeline is chalicelib.reports.attachments) ---------------------------


def request_upload(app: PublicApp, request: HttpRequest) -> HttpResponse:
    limit(app.submit_limiter, request)
    upload = parse(UploadRequest, _body(app, request), app.office)
    return json_response(201, attachments.request_upload(app.intake, upload, app.settings))


def receive_upload(app: PublicApp, request: HttpRequest, attachment_id: str) -> HttpResponse:
    limit(app.submit_limiter, request)
    check_size(request, app.settings.max_attachment_bytes + _UPLOAD_FRAMING)
    form = read_form(request)
    file = next((part for part in form.files if part.name == "file"), None)
    if file is None:
        raise ApiError("validation_failed", [FieldError("file", "required")])
    attachments.receive_upload(app.intake, attachment_id, form.flat(), file.data, file.content_type)
    return HttpResponse(204, "", headers_for(Kind.api))
