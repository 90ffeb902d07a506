"""The OpenAPI 3.1 document of the public API, generated from the pydantic models.

Routes are listed once, here, with the models they take and give; a test checks that this
list and the routes ``app.py`` declares are the same, so the document cannot go stale.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .models import (
    ErrorResponse,
    ReceiptResponse,
    ReportSubmission,
    StatusQuery,
    StatusResponse,
    Supplement,
    UploadRequest,
    UploadTicket,
)


class TagQuery(BaseModel):
    tag: str


class TagAnswer(BaseModel):
    valid: bool
    issuer: str | None
    issuer_en: str | None


# path -> (method, summary, request model or media type, {status: response model or None})
ROUTES: dict[
    str, tuple[str, str, type[BaseModel] | str | None, dict[int, type[BaseModel] | str | None]]
] = {
    "/api/reports": (
        "post",
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
    "/api/status": (
        "post",
        "查询办理情况 / Look a report up by its receipt",
        StatusQuery,
        {200: StatusResponse, 404: ErrorResponse, 422: ErrorResponse, 429: ErrorResponse},
    ),
    "/api/reports/supplement": (
        "post",
        "补充材料 / Add information to a report",
        Supplement,
        {201: StatusResponse, 404: ErrorResponse, 422: ErrorResponse},
    ),
    "/api/attachments": (
        "post",
        "申请上传附件 / Ask for an upload ticket",
        UploadRequest,
        {201: UploadTicket, 413: ErrorResponse, 415: ErrorResponse, 422: ErrorResponse},
    ),
    "/api/uploads/{attachment_id}": (
        "post",
        "上传附件（本地）/ Upload a file (local store)",
        "multipart/form-data",
        {204: None, 404: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse},
    ),
    "/api/tags/verify": (
        "post",
        "核验海报标识 / Check a poster tag",
        TagQuery,
        {200: TagAnswer, 422: ErrorResponse},
    ),
    "/api/form/report": (
        "post",
        "无脚本表单提交 / Plain HTML form post",
        "application/x-www-form-urlencoded",
        {code: "text/html" for code in (200, 201, 400, 413, 415, 422, 429, 503)},
    ),
    "/api/form/status": (
        "post",
        "无脚本查询 / Plain HTML status look-up",
        "application/x-www-form-urlencoded",
        {code: "text/html" for code in (200, 400, 404, 413, 415, 422, 429, 503)},
    ),
    "/api/form/supplement": (
        "post",
        "无脚本补充材料 / Plain HTML form: add information",
        "multipart/form-data",
        {code: "text/html" for code in (201, 400, 404, 413, 415, 422, 429, 503)},
    ),
    "/api/openapi.json": ("get", "本文档 / This document", None, {200: "application/json"}),
}


# every route may answer these, always as JSON errors (form routes answer their own
# validation errors as HTML pages, listed per route above)
COMMON_ERRORS = (400, 404, 405, 411, 413, 415, 422, 429, 500, 503)


def _configured_choices(schemas: dict[str, Any]) -> None:
    """Regions, industries and upload types come from configuration: say so in the schema,
    so clients and fuzzers send values the API can accept."""
    from .attachments import ALLOWED
    from .settings import get_office, get_settings

    office = get_office()
    regions = [r.code for r in office.regions]
    for name in ("ReportSubmission", "UploadRequest"):
        schemas[name]["properties"]["region"]["enum"] = regions
    schemas["ReportSubmission"]["properties"]["industry"]["enum"] = [
        i.code for i in office.industries
    ]
    upload = schemas["UploadRequest"]["properties"]
    upload["content_type"]["enum"] = sorted(ALLOWED)
    upload["size"]["maximum"] = get_settings().max_attachment_bytes


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _content(spec: type[BaseModel] | str) -> dict[str, Any]:
    if isinstance(spec, str):
        return {spec: {"schema": {"type": "string"} if spec.startswith("text/") else {}}}
    return {"application/json": {"schema": _ref(spec)}}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    models: set[type[BaseModel]] = set()
    for _, _, request, responses in ROUTES.values():
        if isinstance(request, type):
            models.add(request)
        models.update(m for m in responses.values() if isinstance(m, type))
    ordered = sorted(models, key=lambda m: m.__name__)
    _, schemas = models_json_schema(
        [(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}"
    )
    components = schemas.get("$defs", {})
    _configured_choices(components)
    paths: dict[str, Any] = {}
    for path, (method, summary, request, declared) in ROUTES.items():
        responses = dict(declared)
        for status in COMMON_ERRORS:
            responses.setdefault(status, ErrorResponse)
        operation: dict[str, Any] = {
            "summary": summary,
            "operationId": path.strip("/").replace("/", "_").replace("{", "").replace("}", ""),
            "responses": {
                str(status): {"description": str(status), **({"content": _content(m)} if m else {})}
                for status, m in responses.items()
            },
        }
        if request is not None:
            operation["requestBody"] = {"required": True, "content": _content(request)}
        if path == "/api/reports":
            operation["parameters"] = [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]{16,64}$"},
                }
            ]
        if "{attachment_id}" in path:
            operation.setdefault("parameters", []).append(
                {
                    "name": "attachment_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[a-z0-9]{26}$"},
                }
            )
        paths[path] = {method: operation}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "安全生产举报平台 API / Work-safety reporting API",
            "version": "1.0.0",
            "description": "Reports are sealed to the offices' public keys before storage.",
        },
        "paths": paths,
        "components": {"schemas": components},
    }
