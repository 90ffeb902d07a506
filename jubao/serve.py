"""The local server of ``make run``: the built site and the API on one origin.

Paths under ``/api/`` go through Chalice's own local gateway into the real ``app.py`` (the
same routes and event shape as API Gateway), everything else is a file of the built site.
The access log has no client addresses and no query strings: a poster tag or a receipt
must not end up in a log file.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MAX_REQUEST_BYTES = (
    120 * 1024 * 1024
)  # above the largest form with files; the API checks exact limits

_client = threading.local()


def _gateway() -> Any:
    """Chalice's local gateway around the real app, told each request's client address."""
    from app import app  # functions/app.py
    from chalice.config import Config
    from chalice.local import LocalGateway

    class Gateway(LocalGateway):
        def _generate_lambda_event(self, *args: Any, **kwargs: Any) -> Any:
            event = super()._generate_lambda_event(*args, **kwargs)
            event["requestContext"]["identity"]["sourceIp"] = getattr(_client, "ip", "unknown")
            return event

    return Gateway(app, Config.create(app_name="jubao", lambda_timeout=60, lambda_memory_size=512))


def _error(code: str) -> dict[str, Any]:
    from chalicelib.errors import ApiError

    return ApiError(code).as_dict()


class Handler(SimpleHTTPRequestHandler):
    gateway: Any = None
    server_version = "jubao"
    protocol_version = "HTTP/1.1"  # keep-alive: every response has a Content-Length
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    sys_version = ""

    # -- API -------------------------------------------------------------------------------

    def _api(self) -> None:
        length_header = self.headers.get("Content-Length")
        if self.command in ("POST", "PUT", "PATCH") and length_header is None:
            self._plain(411, _error("length_required"))
            return
        length = int(length_header or 0)
        if length > MAX_REQUEST_BYTES:
            self._plain(413, _error("body_too_large"))
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else None
        _client.ip = self.client_address[0]
        headers = {k: v for k, v in self.headers.items()}
        try:
            response = self.gateway.handle_request(self.command, self.path, headers, body)
        except Exception as exc:  # Chalice's gateway raises for unknown routes
            code = getattr(exc, "CODE", 0)
            if code:
                self._plain(404, _error("not_found"))
                return
            raise
        self._write(response)

    def _write(self, response: Mapping[str, Any]) -> None:
        body = response.get("body") or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        if response.get("isBase64Encoded"):
            import base64

            body = base64.b64decode(body)
        self.send_response(int(response["statusCode"]))
        for name, value in (response.get("headers") or {}).items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        for name, values in (response.get("multiValueHeaders") or {}).items():
            for value in values:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _plain(self, status: int, payload: dict[str, Any]) -> None:
        self._write(
            {
                "statusCode": status,
                "body": json.dumps(payload, ensure_ascii=False),
                "headers": {"Content-Type": "application/json; charset=utf-8"},
            }
        )

    # -- dispatch --------------------------------------------------------------------------

    def _is_api(self) -> bool:
        return self.path == "/api" or self.path.startswith("/api/")

    def do_POST(self) -> None:
        if self._is_api():
            self._api()
        else:
            self._plain(
                405,
                {
                    "error": {
                        "code": "method_not_allowed",
                        "message": "不支持该请求方法。 / Method not allowed.",
                    }
                },
            )

    def do_GET(self) -> None:
        if self._is_api():
            self._api()
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        if self._is_api():
            self._api()
        else:
            super().do_HEAD()

    def do_PUT(self) -> None:
        self.do_POST()

    do_DELETE = do_PATCH = do_PUT  # noqa: N815

    def __getattr__(self, name: str) -> Any:
        # any other method (TRACE, OPTIONS, made-up ones) is a 405 in our shape, not
        # http.server's 501 HTML page
        if name.startswith("do_"):
            return self._method_not_allowed
        raise AttributeError(name)

    def _method_not_allowed(self) -> None:
        if self._is_api():
            self._api()
        else:
            self._plain(405, _error("method_not_allowed"))

    def list_directory(self, path: str | os.PathLike[str]) -> None:  # no directory listings
        self.send_error(404)
        return None

    def end_headers(self) -> None:
        if not self._is_api():
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "same-origin")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        # no client address, no query string
        path = self.path.split("?", 1)[0] if hasattr(self, "path") else "-"
        status = args[1] if len(args) > 1 else ""
        sys.stderr.write(f"{self.log_date_time_string()} {self.command} {path} {status}\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def make_server(host: str, port: int, site_dir: Path) -> Server:
    handler = partial(Handler, directory=str(site_dir))
    Handler.gateway = _gateway()
    return Server((host, port), handler)
