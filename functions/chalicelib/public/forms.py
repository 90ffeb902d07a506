"""Plain HTML form posts, for people without JavaScript.

The same models validate these as the JSON API; the answers are whole HTML pages
(``chalicelib.public.pages``): a receipt, or the form again with what was typed and what to fix.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..config.publishable import banner_for
from ..errors import ApiError
from ..i18n import Lang, Text
from ..receipts import Receipt
from ..reports import attachments
from ..reports.attachments import UploadLimits
from ..reports.intake import PostedFiles
from ..store.base import ReportRecord
from ..web.http import HttpRequest, HttpResponse, check_size, html_response, limit, read_form
from ..web.multipart import Form
from .app import PublicApp
from .pages import receipt_page, report_error_page, status_error_page, status_page
from .pages import t as pages_text

_FORM_FIELD_OF = {  # model error locations -> form field names
    "reporter.name": "reporter_name",
    "reporter.phone": "reporter_phone",
    "reporter.email": "reporter_email",
    "reporter": "reporter_name",
    "attachments": "files",
}


def _lang(form: Form) -> Lang:
    return "en" if form.first("lang") == "en" else "zh"


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
    if source:  # the model drops a damaged tag, the intake a forged one: never an error
        payload["source"] = source  # the reporter cannot fix (a hidden field)
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


def _read_form_with_files(app: PublicApp, request: HttpRequest) -> Form:
    """A form that may carry files: the submission rate limit, then the size, then parsing."""
    settings = app.settings
    limit(app.submit_limiter, request)
    check_size(
        request, settings.max_body_bytes + settings.max_attachments * settings.max_attachment_bytes
    )
    return read_form(request)


def _message(error: ApiError, lang: Lang) -> str:
    zh, en = error.messages()
    return zh if lang == "zh" else en


def _banner(app: PublicApp) -> Text | None:
    return banner_for(app.settings)


def _limits(app: PublicApp) -> UploadLimits:
    return UploadLimits.of(app.settings)


def _posted_files(app: PublicApp, form: Form) -> PostedFiles | None:
    """The post's files, stored by the intake only once the rest was accepted."""
    return attachments.posted_files(app.intake, form.files, app.settings)


def form_report(app: PublicApp, request: HttpRequest) -> HttpResponse:
    """Every answer is a page: a receipt, or the form again with what to fix.

    Files are stored only for a report that is accepted; a refused post's files are not
    kept, and the page says so (the browser cannot refill a file input).
    """
    office = app.intake.office
    lang: Lang = "zh"
    values: dict[str, str] = {}
    files_lost = False
    try:
        form = _read_form_with_files(app, request)
        lang = _lang(form)
        values = form.flat()
        files_lost = bool(form.files)
        payload = form_payload(form, request)
        result = app.intake.submit(payload, client=request.client, files=_posted_files(app, form))
    except ApiError as error:
        errors: dict[str, str] = {}
        summary: list[str] = []
        for item in error.fields:
            detail = item.as_dict()
            message = detail["message_zh"] if lang == "zh" else detail["message_en"]
            errors.setdefault(_FORM_FIELD_OF.get(item.field, item.field.split(".")[0]), message)
            summary.append(message)
        page = report_error_page(
            office,
            lang,
            values,
            errors,
            summary or [_message(error, lang)],
            files_lost=files_lost,
            limits=_limits(app),
            banner=_banner(app),
        )
        return html_response(error.status, page)
    status = 200 if result.replayed else 201
    return html_response(status, receipt_page(office, lang, result.response, _banner(app)))


def form_status(app: PublicApp, request: HttpRequest) -> HttpResponse:
    """The status page; a wrong or malformed receipt is never echoed back into it."""
    lang: Lang = "zh"
    try:
        limit(app.status_limiter, request)
        check_size(request, app.settings.max_body_bytes)
        form = read_form(request)
        lang = _lang(form)
        receipt, result = app.intake.lookup({"receipt": form.first("receipt")})
    except ApiError as error:
        page = status_error_page(
            app.intake.office, lang, {"receipt": ""}, _message(error, lang), _banner(app)
        )
        return html_response(error.status, page)
    # the hidden field carries the receipt in its printed form, not as it was typed
    page = status_page(
        app.intake.office,
        lang,
        result,
        receipt=str(receipt),
        limits=_limits(app),
        banner=_banner(app),
    )
    return html_response(200, page)


def form_supplement(app: PublicApp, request: HttpRequest) -> HttpResponse:
    """Add information without JavaScript: text and files, sealed like the report.

    Files are stored only for a supplement that is accepted. Only a receipt that opened
    the report is shown again (in its printed form); a wrong one never is.
    """
    office = app.intake.office
    lang: Lang = "zh"
    opened: tuple[Receipt, ReportRecord] | None = None
    files_lost = False
    try:
        form = _read_form_with_files(app, request)
        lang = _lang(form)
        files_lost = bool(form.files)
        typed = form.first("receipt")
        opened = app.intake.authenticate(typed)
        payload = {"receipt": typed, "text": form.first("text")}
        result = app.intake.supplement(payload, files=_posted_files(app, form))
    except ApiError as error:
        if opened is None:
            page = status_error_page(
                office, lang, {"receipt": ""}, _message(error, lang), _banner(app)
            )
            return html_response(error.status, page)
        receipt, report = opened
        fields = {
            _FORM_FIELD_OF.get(item.field, item.field): item.as_dict()[f"message_{lang}"]
            for item in error.fields
        } or {"text": _message(error, lang)}
        page = status_page(
            office,
            lang,
            app.intake.status_of(receipt, report),
            receipt=str(receipt),
            errors=fields,
            files_lost=files_lost,
            limits=_limits(app),
            banner=_banner(app),
        )
        return html_response(error.status, page)
    notice = pages_text("supplement_received", lang)
    receipt = opened[0]
    page = status_page(
        office,
        lang,
        result,
        receipt=str(receipt),
        notice=notice,
        limits=_limits(app),
        banner=_banner(app),
    )
    return html_response(201, page)
