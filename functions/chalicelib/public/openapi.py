"""The OpenAPI 3.1 document of the public API, generated from the route table.

Each route of ``public.routes`` says what it takes and gives (its ``RouteDoc``); this
module turns that table and the pydantic models into the document, with the office's
regions and industries as the allowed values. Nothing is listed twice, so the document
cannot go stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..config.office import OfficeConfig
from ..config.settings import Settings
from ..reports.attachments import ALLOWED
from ..reports.models import ErrorResponse
from ..web.routing import Route

# every route may answer these, always as JSON errors (form routes answer their own
# validation errors as HTML pages, listed per route above)
COMMON_ERRORS = (400, 404, 405, 411, 413, 415, 422, 429, 500, 503)


def _configured_choices(schemas: dict[str, Any], office: OfficeConfig, settings: Settings) -> None:
    """Regions, industries and upload types come from configuration: say so in the schema,
    so clients and fuzzers send values the API can accept."""
    regions = [r.code for r in office.regions]
    for name in ("ReportSubmission", "UploadRequest"):
        schemas[name]["properties"]["region"]["enum"] = regions
    schemas["ReportSubmission"]["properties"]["industry"]["enum"] = [
        i.code for i in office.industries
    ]
    upload = schemas["UploadRequest"]["properties"]
    upload["content_type"]["enum"] = sorted(ALLOWED)
    upload["size"]["maximum"] = settings.max_attachment_bytes


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _content(spec: type[BaseModel] | str) -> dict[str, Any]:
    if isinstance(spec, str):
        return {spec: {"schema": {"type": "string"} if spec.startswith("text/") else {}}}
    return {"application/json": {"schema": _ref(spec)}}


def openapi_document(
    routes: Iterable[Route], office: OfficeConfig, settings: Settings
) -> dict[str, Any]:
    """The document of ``routes`` as this office and these settings configure them."""
    routes = tuple(routes)
    models: set[type[BaseModel]] = set()
    for route in routes:
        if isinstance(route.doc.body, type):
            models.add(route.doc.body)
        models.update(m for m in route.doc.responses.values() if isinstance(m, type))
    ordered = sorted(models, key=lambda m: m.__name__)
    _, schemas = models_json_schema(
        [(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}"
    )
    components = schemas.get("$defs", {})
    _configured_choices(components, office, settings)
    paths: dict[str, Any] = {}
    for route in routes:
        path, method, summary, request = (
            route.path,
            route.method.lower(),
            route.doc.summary,
            route.doc.body,
        )
        responses = dict(route.doc.responses)
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
