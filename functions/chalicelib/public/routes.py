"""The public API's routes, listed once: name, method, path, handler and what it takes.

Both adapters serve this table: ``functions/app.py`` registers each route with Chalice
(the Lambda), and the local server's WSGI adapter (``jubao.wsgi``) matches requests
against it. The OpenAPI document (``public.openapi``) is generated from the same rows,
so a route added here is served and documented the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..reports.models import (
    ErrorResponse,
    ReceiptResponse,
    ReportSubmission,
    StatusQuery,
    StatusResponse,
    Supplement,
    TagAnswer,
    TagQuery,
    UploadRequest,
    UploadTicket,
)
from ..web.http import HttpRequest, HttpResponse, json_response
from ..web.routing import Body, Handler, Match, Route, RouteDoc
from ..web.routing import match as match_route
from . import forms, json_api
from .app import PublicApp


def _simple(handler: Callable[[PublicApp, HttpRequest], HttpResponse]) -> Handler:
    return lambda app, request, _params: handler(app, request)


def _openapi(app: PublicApp, _request: HttpRequest, _params: Mapping[str, str]) -> HttpResponse:
    from .openapi import openapi_document  # pydantic's JSON-schema code: only here

    if app.openapi is None:  # two first requests at once both make it: the same document
        app.openapi = openapi_document(ROUTES, app.office, app.settings)
    return json_response(200, app.openapi)


def _receive_upload(
    app: PublicApp, request: HttpRequest, params: Mapping[str, str]
) -> HttpResponse:
    return json_api.receive_upload(app, request, params["attachment_id"])


def _html(*codes: int) -> dict[int, Body]:
    return dict.fromkeys(codes, "text/html")


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

ROUTES: tuple[Route, ...] = (
    Route(
        "submit_report",
        "POST",
        "/api/reports",
        _simple(json_api.submit_report),
        RouteDoc(
            "提交举报 / Submit a report",
            ReportSubmission,
            {
                201: ReceiptResponse,
                200: ReceiptResponse,
                409: ErrorResponse,
                413: ErrorResponse,
                415: ErrorResponse,
                422: ErrorResponse,
                429: ErrorResponse,
            },
        ),
    ),
    Route(
        "report_status",
        "POST",
        "/api/status",
        _simple(json_api.report_status),
        RouteDoc(
            "查询办理情况 / Look a report up by its receipt",
            StatusQuery,
            {200: StatusResponse, 404: ErrorResponse, 422: ErrorResponse, 429: ErrorResponse},
        ),
    ),
    Route(
        "add_supplement",
        "POST",
        "/api/reports/supplement",
        _simple(json_api.add_supplement),
        RouteDoc(
            "补充材料 / Add information to a report",
            Supplement,
            {201: StatusResponse, 404: ErrorResponse, 422: ErrorResponse},
        ),
    ),
    Route(
        "request_upload",
        "POST",
        "/api/attachments",
        _simple(json_api.request_upload),
        RouteDoc(
            "申请上传附件 / Ask for an upload ticket",
            UploadRequest,
            {201: UploadTicket, 413: ErrorResponse, 415: ErrorResponse, 422: ErrorResponse},
        ),
    ),
    Route(
        "receive_upload",
        "POST",
        "/api/uploads/{attachment_id}",
        _receive_upload,
        RouteDoc(
            "上传附件（本地）/ Upload a file (local store)",
            MULTIPART,
            {204: None, 404: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse},
        ),
    ),
    Route(
        "verify_tag",
        "POST",
        "/api/tags/verify",
        _simple(json_api.verify_tag),
        RouteDoc(
            "核验海报标识 / Check a poster tag", TagQuery, {200: TagAnswer, 422: ErrorResponse}
        ),
    ),
    Route(
        "form_report",
        "POST",
        "/api/form/report",
        _simple(forms.form_report),
        RouteDoc(
            "无脚本表单提交 / Plain HTML form post",
            FORM,
            _html(200, 201, 400, 413, 415, 422, 429, 503),
        ),
    ),
    Route(
        "form_status",
        "POST",
        "/api/form/status",
        _simple(forms.form_status),
        RouteDoc(
            "无脚本查询 / Plain HTML status look-up",
            FORM,
            _html(200, 400, 404, 413, 415, 422, 429, 503),
        ),
    ),
    Route(
        "form_supplement",
        "POST",
        "/api/form/supplement",
        _simple(forms.form_supplement),
        RouteDoc(
            "无脚本补充材料 / Plain HTML form: add information",
            MULTIPART,
            _html(201, 400, 404, 413, 415, 422, 429, 503),
        ),
    ),
    Route(
        "openapi",
        "GET",
        "/api/openapi.json",
        _openapi,
        RouteDoc("本文档 / This document", None, {200: "application/json"}),
    ),
)


def match(method: str, path: str) -> Match | None:
    """The public route for ``method`` and ``path`` (see ``web.routing.match``)."""
    return match_route(method, path, ROUTES)
