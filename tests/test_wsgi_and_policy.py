"""The local server's WSGI layer and the one header policy, in process (no sockets).

The end-to-end behaviour over real sockets is in tests/api/; here the pieces are checked
one at a time: the route table matches what Chalice registers, every kind of answer gets
its complete header set, and the log says route, status and time and nothing else.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.public import routes
from chalicelib.public.app import LazyApp
from chalicelib.web.http_policy import SITE_CSP, Kind, headers_for, kind_for
from jubao import quietlog
from jubao.wsgi import create_app
from tests.api.client import REPORT


def call(
    app: Any, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "REMOTE_ADDR": "127.0.77.77",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE",) else f"HTTP_{key}"] = value
    setup_testing_defaults(environ)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"] = int(status.split()[0])
        seen["headers"] = {k.lower(): v for k, v in headers}
        return lambda _data: None

    chunks = app(environ, start_response)
    body_out = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return seen["status"], seen["headers"], body_out


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "report").mkdir(parents=True)
    (root / "assets").mkdir()
    (root / "index.html").write_text("<!doctype html><title>首页</title>", encoding="utf-8")
    (root / "report" / "index.html").write_text("<!doctype html><title>举报</title>")
    (root / "404.html").write_text("<!doctype html><title>页面不存在</title>", encoding="utf-8")
    (root / "assets" / "bundle.0123abcd.min.js").write_text("console.log(1)")
    (root / "assets" / "site.css").write_text("body{}")
    return root


# ---- the header policy --------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_has_the_whole_policy(kind: Kind) -> None:
    headers = headers_for(kind)
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[-1].split(";", 1)[0]
    assert "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert headers["Cache-Control"]


def test_receipts_and_statuses_are_never_stored() -> None:
    for kind in (Kind.api, Kind.form_page, Kind.private_page):
        assert headers_for(kind)["Cache-Control"] == "no-store"
    assert headers_for(Kind.page)["Cache-Control"] == "no-cache"
    assert "immutable" in headers_for(Kind.fingerprinted_asset)["Cache-Control"]


def test_site_scripts_only_from_our_origin() -> None:
    directives = dict(part.strip().split(" ", 1) for part in SITE_CSP.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["form-action"] == "'self'"


@pytest.mark.parametrize(
    ("path", "content_type", "kind"),
    [
        ("/", "text/html", Kind.page),
        ("/rewards/", "text/html", Kind.page),
        ("/report/", "text/html", Kind.private_page),
        ("/status/", "text/html", Kind.private_page),
        ("/en/report/", "text/html", Kind.private_page),
        ("/en/status/index.html", "text/html", Kind.private_page),
        ("/assets/javascripts/bundle.f55a23d4.min.js", "text/javascript", Kind.fingerprinted_asset),
        ("/assets/css/jubao.css", "text/css", Kind.asset),
        ("/api/reports", "application/json", Kind.api),
        ("/api/form/report", "text/html; charset=utf-8", Kind.form_page),
        ("/api/nothing-here", "", Kind.api),
    ],
)
def test_kind_for(path: str, content_type: str, kind: Kind) -> None:
    assert kind_for(path, content_type) is kind


@given(st.text(max_size=60), st.text(max_size=30))
def test_kind_for_any_path_is_a_kind_and_api_paths_never_cache(
    path: str, content_type: str
) -> None:
    kind = kind_for("/" + path, content_type)
    assert kind in Kind
    if ("/" + path).startswith("/api/"):
        assert headers_for(kind)["Cache-Control"] == "no-store"


# ---- the route table ----------------------------------------------------------------------


def test_route_table_is_what_chalice_registers() -> None:
    from app import app

    chalice_routes = {(path, method) for path, entries in app.routes.items() for method in entries}
    assert chalice_routes == {(r.path, r.method) for r in routes.ROUTES}
    assert len({r.name for r in routes.ROUTES}) == len(routes.ROUTES)


def test_match_paths_methods_and_parameters() -> None:
    found = routes.match("POST", "/api/uploads/abc123")
    assert found is not None and found.route is not None
    assert found.route.name == "receive_upload" and found.params == {"attachment_id": "abc123"}
    wrong = routes.match("GET", "/api/reports")
    assert wrong is not None and wrong.route is None and wrong.allowed == ("POST",)
    assert routes.match("POST", "/api/uploads/") is None
    assert routes.match("POST", "/api/uploads/a/b") is None
    assert routes.match("POST", "/api/reportsX") is None


# ---- the WSGI application -------------------------------------------------------------------


def lambda_services() -> LazyApp:
    """The services ``dev_env`` set up (the Lambda's, which it resets before and after)."""
    import app as function

    return function.public


def test_site_pages_assets_and_404_carry_the_policy(site: Path, dev_env: Path) -> None:
    app = create_app(site, lambda_services())
    status, headers, body = call(app, "GET", "/")
    assert status == 200 and "首页" in body.decode()
    assert headers["content-security-policy"] == SITE_CSP
    assert headers["cache-control"] == "no-cache"
    assert "access-control-allow-origin" not in headers
    status, headers, _ = call(app, "GET", "/report/")
    assert status == 200 and headers["cache-control"] == "no-store"
    status, headers, _ = call(app, "GET", "/assets/bundle.0123abcd.min.js")
    assert status == 200 and "immutable" in headers["cache-control"]
    status, headers, body = call(app, "GET", "/no/such/page")
    assert status == 404 and "页面不存在" in body.decode()
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    status, headers, body = call(app, "HEAD", "/")
    assert status == 200 and body == b""


def test_writes_to_site_paths_are_our_405(site: Path, dev_env: Path) -> None:
    app = create_app(site, lambda_services())
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "TRACE", "FOO"):
        status, headers, body = call(app, method, "/index.html")
        assert status == 405, method
        error = json.loads(body)["error"]
        assert error["code"] == "method_not_allowed" and error["message_zh"]
        assert headers["allow"] == "GET, HEAD"
        assert headers["cache-control"] == "no-store"


def test_api_through_the_adapter(site: Path, dev_env: Path) -> None:
    app = create_app(site, lambda_services())
    status, headers, body = call(
        app,
        "POST",
        "/api/reports",
        json.dumps(REPORT).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 201, body
    assert json.loads(body)["receipt"]
    assert headers["cache-control"] == "no-store"
    assert headers["content-security-policy"].startswith("default-src 'none'")
    status, headers, body = call(app, "GET", "/api/reports")
    assert status == 405 and headers["allow"] == "POST"
    assert json.loads(body)["error"]["code"] == "method_not_allowed"
    status, _, body = call(app, "GET", "/api/nope")
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
    status, _, body = call(app, "GET", "/api/openapi.json", headers={"Content-Type": "text/plain"})
    assert status == 200 and "openapi" in json.loads(body)


def test_api_without_a_built_site(dev_env: Path) -> None:
    app = create_app(None, lambda_services())
    status, headers, body = call(app, "GET", "/")
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


# ---- the log --------------------------------------------------------------------------------


def _capture() -> tuple[io.StringIO, Any]:
    stream = io.StringIO()
    saved = (
        sys.excepthook,
        threading.excepthook,
        sys.unraisablehook,
        logging.getLogger().handlers[:],
    )
    quietlog.install(stream)
    return stream, saved


def _restore(saved: Any) -> None:
    sys.excepthook, threading.excepthook, sys.unraisablehook, handlers = saved
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)


def test_library_messages_and_tracebacks_never_reach_the_log() -> None:
    stream, saved = _capture()
    secret = "举报人张三 13800138000"
    try:
        try:
            raise ValueError(f"bad value {secret}")
        except ValueError:
            logging.getLogger("waitress").exception(
                "Exception while serving /api/status?receipt=%s from %s", secret, "127.0.77.77"
            )
        logging.getLogger("socketserver").error(
            "Exception occurred during processing of request from ('127.0.77.77', 42833)"
        )
        logging.getLogger("jubao.api").info(json.dumps({"event": "request", "status": 201}))
        logging.getLogger("jubao.api").info("receipt %s", secret)  # args: never formatted

        def boom() -> None:
            raise RuntimeError(f"thread died holding {secret}")

        thread = threading.Thread(target=boom)
        thread.start()
        thread.join()
    finally:
        _restore(saved)
    text = stream.getvalue()
    assert secret not in text and "13800138000" not in text
    assert "127.0.77.77" not in text and "42833" not in text
    assert "Traceback" not in text and "bad value" not in text and "receipt=" not in text
    rest = [line.split(" ", 2)[2] for line in text.splitlines() if line.strip()]
    assert rest[3] == "-"  # one of ours logged with arguments: the arguments are not written
    lines = [json.loads(r) for r in rest[:3] + rest[4:]]
    assert {"event": "library", "logger": "waitress", "level": "ERROR"}.items() <= lines[0].items()
    assert lines[0]["error"] == "ValueError"
    assert lines[2] == {"event": "request", "status": 201}
    assert lines[-1]["event"] == "uncaught_in_thread" and lines[-1]["error"] == "RuntimeError"
    assert all(":" in where for where in lines[-1]["where"])


def test_lambda_answers_carry_the_policy_and_never_chalices_own_shape(dev_env: Path) -> None:
    from chalice.test import Client

    from app import app

    with Client(app, project_dir=str(Path(__file__).resolve().parents[1] / "functions")) as client:
        reply = client.http.get("/api/openapi.json", headers={"Content-Type": "text/plain"})
        assert reply.status_code == 200 and b'"openapi"' in reply.body
        reply = client.http.get("/api/reports", headers={"Content-Type": "text/plain"})
        assert reply.status_code == 405
        assert json.loads(reply.body)["error"]["code"] == "method_not_allowed"
        assert reply.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
