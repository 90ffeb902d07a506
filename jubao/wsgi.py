"""The local server's WSGI application: the built site and the public API on one origin.

Three small layers, outermost first:

* ``policy``: every answer, whatever produced it, leaves with the one header set of
  ``chalicelib.web.http_policy`` for its kind, and one log line that names the route, the
  status and the time, never a path typed by a client, a query string or an address;
* WhiteNoise serves the files of the built site (a kept library: ETags, ranges, index
  files, no directory listings, nothing outside the site folder);
* ``dispatch`` matches ``/api/officer/...`` against ``chalicelib.officer.routes`` and the
  rest of ``/api/...`` against ``chalicelib.public.routes`` (the same tables the two
  Lambdas' Chalice apps are built from) and calls the framework-free handler with the
  process's ``OfficerApp`` or ``PublicApp``; anything else is the site's own 404 page, or
  our bilingual 405.

The application is framework-neutral WSGI, so waitress serves it here and any other WSGI
server could; nothing in it knows which.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whitenoise import WhiteNoise

from chalicelib.errors import ApiError
from chalicelib.lazy import LazyApp
from chalicelib.officer import routes as officer_routes
from chalicelib.officer.app import OfficerApp
from chalicelib.public import routes
from chalicelib.public.app import PublicApp
from chalicelib.web.guard import guarded
from chalicelib.web.http import HttpResponse, error_response, new_request
from chalicelib.web.http_policy import Kind, headers_for, kind_for
from chalicelib.web.origin import through_origin

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("jubao.http")

# headers the policy owns: whatever a lower layer set for them is replaced
_POLICY_HEADERS = frozenset(
    name.lower() for kind in Kind for name in headers_for(kind)
) | frozenset({"access-control-allow-origin"})

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _status_line(status: int) -> str:
    return f"{status} {_STATUS_TEXT.get(status, 'Status')}"


def _request_headers(environ: WSGIEnvironment) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def _read_body(environ: WSGIEnvironment) -> bytes:
    """The whole body: the server has already received it and enforced its size limit."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b""
    if length <= 0:
        return b""
    body: bytes = environ["wsgi.input"].read(length)
    return body


class Dispatch:
    """``/api/...`` through the route table; other paths: the site's 404 page or a 405."""

    def __init__(
        self,
        site_dir: Path | None,
        public: LazyApp[PublicApp],
        officer: LazyApp[OfficerApp] | None = None,
    ) -> None:
        self.public = public
        self.officer = officer
        page = site_dir / "404.html" if site_dir is not None else None
        self.not_found_page = page.read_bytes() if page is not None and page.is_file() else None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "") or "/")
        if path == "/api" or path.startswith("/api/"):
            response, route = self._api(method, path, environ)
        else:
            response, route = self._site(method)
        environ["jubao.route"] = route
        body = response.body.encode("utf-8", "replace")
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(_status_line(response.status), headers)
        return [] if method == "HEAD" else [body]

    def _api(self, method: str, path: str, environ: WSGIEnvironment) -> tuple[HttpResponse, str]:
        officers = path.startswith("/api/officer/") and self.officer is not None
        found = officer_routes.match(method, path) if officers else routes.match(method, path)
        if found is None:
            return error_response(ApiError("not_found")), "not_found"
        if found.route is None:
            error = ApiError("method_not_allowed", headers={"Allow": ", ".join(found.allowed)})
            return error_response(error), "method_not_allowed"
        route, params = found.route, found.params
        request = new_request(
            method,
            path,
            _request_headers(environ),
            _read_body(environ),
            str(environ.get("REMOTE_ADDR") or "unknown"),
            # raw, as the client sent it: officers sign the query string
            str(environ.get("QUERY_STRING") or ""),
        )
        services: LazyApp[Any] = self.officer if officers and self.officer else self.public
        # an origin secret, if one is set, is checked as in Lambda (chalicelib/web/origin.py)
        served = through_origin(services.get, lambda app, r: route.handler(app, r, params))
        handler = guarded(route.name, served)
        return handler(request), route.name

    def _site(self, method: str) -> tuple[HttpResponse, str]:
        if method not in ("GET", "HEAD"):
            error = ApiError("method_not_allowed", headers={"Allow": "GET, HEAD"})
            return error_response(error), "method_not_allowed"
        if self.not_found_page is None:
            return error_response(ApiError("not_found")), "not_found"
        page = self.not_found_page.decode("utf-8", "replace")
        return HttpResponse(404, page, {"Content-Type": "text/html; charset=utf-8"}), ("not_found")


def policy(app: WSGIApplication) -> WSGIApplication:
    """Apply the one header policy to every answer and log one line without client data."""

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        path = str(environ.get("PATH_INFO", "") or "/")
        seen: dict[str, Any] = {}

        def start(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
            kept = [(k, v) for k, v in headers if k.lower() not in _POLICY_HEADERS]
            kept.extend(headers_for(kind_for(path, content_type)).items())
            seen["status"] = status.split(" ", 1)[0]
            return start_response(status, kept, exc_info)

        result = app(environ, start)
        route = environ.get("jubao.route", "site")
        # API routes already logged their own line (chalicelib.web.guard.guarded)
        if route in ("site", "not_found", "method_not_allowed"):
            log.info(
                json.dumps(
                    {
                        "event": "request",
                        "route": route,
                        "status": int(seen.get("status", 0) or 0),
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                )
            )
        return result

    return wrapped


def create_app(
    site_dir: Path | None,
    public: LazyApp[PublicApp],
    officer: LazyApp[OfficerApp] | None = None,
) -> WSGIApplication:
    """The site (if built), the public API (``public``) and, if given, the officers' API
    (``officer``, under ``/api/officer/``) behind one header policy."""
    dispatch = Dispatch(site_dir, public, officer)
    if site_dir is None or not site_dir.is_dir():
        return policy(dispatch)
    static = WhiteNoise(
        dispatch,
        root=str(site_dir),
        index_file=True,
        autorefresh=False,
        allow_all_origins=False,
        max_age=None,  # Cache-Control comes from the policy
    )

    def route(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", "") or "/")
        is_read = str(environ.get("REQUEST_METHOD", "")).upper() in ("GET", "HEAD")
        if is_read and not (path == "/api" or path.startswith("/api/")):
            served: Iterable[bytes] = static(environ, start_response)
            return served
        return dispatch(environ, start_response)  # the API, and our bilingual 405

    return policy(route)
