"""The public API's routes, listed once: name, method, path and handler.

Both front doors of the public API read this table: ``app.py`` registers each route with
Chalice (the Lambda entry), and the local server's WSGI adapter (``jubao.wsgi``) matches
requests against it. So a route added here is served the same way in both places, and
``chalicelib.openapi`` is checked against the same list by the tests.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import api
from .api import HttpRequest, HttpResponse

Handler = Callable[[HttpRequest, Mapping[str, str]], HttpResponse]


def _openapi(_request: HttpRequest, _params: Mapping[str, str]) -> HttpResponse:
    from .openapi import openapi_document  # pydantic's JSON-schema code: only here

    return api.json_response(200, openapi_document())


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # Chalice's template syntax: /api/uploads/{attachment_id}
    handler: Handler

    @property
    def pattern(self) -> re.Pattern[str]:
        """The path as a regular expression; a parameter is one non-empty path segment."""
        return _pattern(self.path)


@functools.cache
def _pattern(path: str) -> re.Pattern[str]:
    """Compiled once per template (routes are matched on every request)."""
    parts = re.split(r"\{(\w+)\}", path)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


def _simple(handler: Callable[[HttpRequest], HttpResponse]) -> Handler:
    return lambda request, _params: handler(request)


ROUTES: tuple[Route, ...] = (
    Route("submit_report", "POST", "/api/reports", _simple(api.submit_report)),
    Route("report_status", "POST", "/api/status", _simple(api.report_status)),
    Route("add_supplement", "POST", "/api/reports/supplement", _simple(api.add_supplement)),
    Route("request_upload", "POST", "/api/attachments", _simple(api.request_upload)),
    Route(
        "receive_upload",
        "POST",
        "/api/uploads/{attachment_id}",
        lambda request, params: api.receive_upload(request, params["attachment_id"]),
    ),
    Route("verify_tag", "POST", "/api/tags/verify", _simple(api.verify_tag)),
    Route("form_report", "POST", "/api/form/report", _simple(api.form_report)),
    Route("form_status", "POST", "/api/form/status", _simple(api.form_status)),
    Route("form_supplement", "POST", "/api/form/supplement", _simple(api.form_supplement)),
    Route("openapi", "GET", "/api/openapi.json", _openapi),
)


@dataclass(frozen=True)
class Match:
    route: Route | None  # None: the path exists but not with this method
    params: Mapping[str, str]
    allowed: tuple[str, ...]  # the methods the path takes (for 405's Allow header)


def match(method: str, path: str, routes: tuple[Route, ...] = ROUTES) -> Match | None:
    """The route for ``method`` and ``path``; None when no route has this path at all."""
    allowed: list[str] = []
    found: Match | None = None
    for route in routes:
        m = route.pattern.match(path)
        if m is None:
            continue
        allowed.append(route.method)
        if route.method == method:
            found = Match(route, m.groupdict(), ())
    if found is not None:
        return Match(found.route, found.params, tuple(allowed))
    return Match(None, {}, tuple(allowed)) if allowed else None
