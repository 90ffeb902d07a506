"""Plain HTML form posts, for people without JavaScript.

The same models validate these as the JSON API; the answers are whole HTML pages
(``chalicelib.pages``): a receipt, or the form again with what was typed and what to fix.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from .api import (
    HttpRequest,
    HttpResponse,
    _check_size,
    _limit,
    html_response,
    services,
)
from .errors import CATALOGUE, ApiError
from .models import StatusResponse
from .multipart import Form, FormError, media_type
from .multipart import parse as parse_form
from .pages import Lang, receipt_page, report_error_page, status_error_page, status_page
from .pages import t as pages_text
from .settings import get_settings

_FORM_FIELD_OF = {  # model error locations -> form field names
    "reporter.name": "reporter_name",
    "reporter.phone": "reporter_phone",
    "reporter.email": "reporter_email",
    "reporter": "reporter_name",
    "attachments": "files",
}


def _lang(form: Form) -> Lang:
    return "en" if form.first("lang") == "en" else "zh"


def read_form(request: HttpRequest) -> Form:
    content_type = request.header("content-type")
    kind = media_type(content_type)
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise ApiError("unsupported_media_type")
    try:
        return parse_form(request.body, content_type)
    except FormError:
        raise ApiError("malformed_form") from None


def _source_from_referer(request: HttpRequest) -> str:
    """Without JavaScript the poster tag cannot reach the hidden field, but the browser
    sends the form page's own address (same origin) as the Referer."""
    query = urlsplit(request.header("referer")).query
    values = parse_qs(query).get("src", [])
    return values[0] if values else ""


def form_payload(form: Form, request: HttpRequest) -> dict[str, Any]:
    """Map the no-JS form's flat fields onto the JSON model (same validation after)."""
    f = form.first
    payload: dict[str, Any] = {
        key: f(key) for key in ("kind", "region", "industry", "unit_name", "description", "website")
    }
    for key in ("address", "occurred_at"):
        if f(key).strip():
            payload[key] = f(key)
    source = f("source") or _source_from_referer(request)
    if source:
        payload["source"] = source
    anonymous = f("anonymous") in ("1", "on")
    employee = f("reporter_employee") in ("1", "on")
    contact = any(f(k).strip() for k in ("reporter_name", "reporter_phone", "reporter_email"))
    if not anonymous and (contact or employee):
        payload["reporter"] = {
            "name": f("reporter_name"),
            "phone": f("reporter_phone"),
            "email": f("reporter_email"),
            "employee": employee,
        }
    return payload


def _read_form_with_files(request: HttpRequest) -> Form:
    """A form that may carry files: the submission rate limit, then the size, then parsing."""
    settings = get_settings()
    _limit(services().submit_limiter, request)
    _check_size(
        request, settings.max_body_bytes + settings.max_attachments * settings.max_attachment_bytes
    )
    return read_form(request)


def _message(error: ApiError, lang: Lang) -> str:
    _, zh, en = CATALOGUE[error.code]
    return zh if lang == "zh" else en


def form_report(request: HttpRequest) -> HttpResponse:
    """Every answer is a page: a receipt, or the form again with what to fix."""
    svc = services()
    office = svc.intake.office
    lang: Lang = "zh"
    values: dict[str, str] = {}
    try:
        form = _read_form_with_files(request)
        lang = _lang(form)
        values = form.flat()
        payload = form_payload(form, request)
        payload["attachments"] = _attach_form_files(form, payload.get("region", ""))
        result = svc.intake.submit(payload)
    except ApiError as error:
        if error.code != "validation_failed":
            page = report_error_page(office, lang, values, {}, [_message(error, lang)])
            return html_response(error.status, page)
        errors: dict[str, str] = {}
        summary: list[str] = []
        for item in error.fields:
            detail = item.as_dict()
            message = detail["message_zh"] if lang == "zh" else detail["message_en"]
            errors.setdefault(_FORM_FIELD_OF.get(item.field, item.field.split(".")[0]), message)
            summary.append(message)
        return html_response(422, report_error_page(office, lang, values, errors, summary))
    status = 200 if result.replayed else 201
    return html_response(status, receipt_page(office, lang, result.response))


def _attach_form_files(form: Form, region: str) -> list[str]:
    """Files posted with a no-JS form go through the same sealing as uploads.

    Without a valid region there is no office to seal them to; the report's own
    validation then says what to fix, and the files are not kept.
    """
    if not form.files or region not in services().intake.office.regions_by_code:
        return []
    from . import attachments  # the attachment pipeline (sealing, metadata removal)

    return attachments.accept_form_files(services().intake, form.files, region)


def form_status(request: HttpRequest) -> HttpResponse:
    svc = services()
    lang: Lang = "zh"
    try:
        _limit(svc.status_limiter, request)
        _check_size(request, get_settings().max_body_bytes)
        form = read_form(request)
        lang = _lang(form)
        result: StatusResponse = svc.intake.status({"receipt": form.first("receipt")})
    except ApiError as error:
        # the receipt is not echoed back into the page
        page = status_error_page(svc.intake.office, lang, {"receipt": ""}, _message(error, lang))
        return html_response(error.status, page)
    receipt = form.first("receipt").strip()
    return html_response(200, status_page(svc.intake.office, lang, result, receipt=receipt))


def form_supplement(request: HttpRequest) -> HttpResponse:
    """Add information without JavaScript: text and files, sealed like the report."""
    svc = services()
    office = svc.intake.office
    lang: Lang = "zh"
    receipt = ""
    try:
        form = _read_form_with_files(request)
        lang = _lang(form)
        receipt = form.first("receipt").strip()
        _, report = svc.intake.authenticate(receipt)
        payload = {
            "receipt": receipt,
            "text": form.first("text"),
            "attachments": _attach_form_files(form, report.region),
        }
        result = svc.intake.supplement(payload)
    except ApiError as error:
        if error.code in ("receipt_invalid", "receipt_malformed") or not receipt:
            page = status_error_page(office, lang, {"receipt": ""}, _message(error, lang))
            return html_response(error.status, page)
        status = svc.intake.status({"receipt": receipt})
        fields = {
            _FORM_FIELD_OF.get(item.field, item.field): item.as_dict()[f"message_{lang}"]
            for item in error.fields
        } or {"text": _message(error, lang)}
        page = status_page(office, lang, status, receipt=receipt, errors=fields)
        return html_response(error.status, page)
    notice = pages_text("supplement_received", lang)
    return html_response(201, status_page(office, lang, result, receipt=receipt, notice=notice))
