"""The officers' HTTP client: every request signed on this machine, every answer JSON.

Why the standard library only: the officers' tools run on office PCs (often Windows)
next to a key file, and each dependency is one more thing to keep patched there; the
API needs nothing ``urllib.request`` lacks. The client never follows a redirect: the
signature covers the path it was made for, and a redirect to another host would hand
that host a signed request.

Paths are those of the officers' API below ``/api/officer`` (``"/me"``,
``"/cases/12345678"``); the prefix is added here, so one client serves the local server
(``jubao serve``) and the deployed front door alike.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, Final, Protocol

from jubao.officer.keyfile import OfficerKeys
from jubao.officer.signing import sign_request

PREFIX: Final = "/api/officer"
DEFAULT_TIMEOUT: Final = 30.0
# an attachment (20 MB by default) sealed and base64-encoded, with room to spare
MAX_ANSWER_BYTES: Final = 64 * 1024 * 1024
# a refusal is a few hundred bytes; anything larger is not one of ours
_MAX_ERROR_BYTES: Final = 64 * 1024


class OfficerApiError(Exception):
    """A refusal by the server, or no usable answer at all.

    ``status`` is the HTTP status (0 when nothing answered); ``code`` the catalogue code
    (``chalicelib/errors.py``) or one of the client's own: ``unreachable``,
    ``bad_answer``, ``http_error``. The messages are safe to print: they come from the
    catalogue, never from what was sent.
    """

    def __init__(self, status: int, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    @property
    def refused(self) -> bool:
        """Whether the server answered and said no (a 4xx), rather than failing."""
        return 400 <= self.status < 500

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def canonical_query(params: Mapping[str, object] | None) -> str:
    """The query string as the API expects it signed: sorted, percent-encoded, no ``?``.

    ``None`` values are left out, so callers can pass optional parameters as they are.
    """
    if not params:
        return ""
    items = sorted((str(k), str(v)) for k, v in params.items() if v is not None)
    return urllib.parse.urlencode(items, quote_via=urllib.parse.quote)


def segment(value: str) -> str:
    """One path segment, percent-encoded (case numbers, unit codes, attachment ids)."""
    return urllib.parse.quote(value, safe="")


def compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class ApiClient(Protocol):
    """What casework, auditing and the commands need of a client: ``OfficerClient``, or a
    stand-in that answers the same calls (a test's, the console's)."""

    @property
    def officer(self) -> str: ...

    def get(self, path: str, query: Mapping[str, object] | None = None) -> dict[str, Any]: ...

    def post(self, path: str, json_body: Any) -> dict[str, Any]: ...


class OfficerClient:
    """Signed requests to one officers' API as the officer whose keys are given."""

    def __init__(
        self, api_url: str, keys: OfficerKeys, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        parsed = urllib.parse.urlsplit(api_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise OfficerApiError(
                0,
                "unreachable",
                "接口地址应以 http:// 或 https:// 开头。",
                "The API address must start with http:// or https://.",
            )
        if parsed.query or parsed.fragment:
            raise OfficerApiError(
                0,
                "unreachable",
                "接口地址不能包含查询参数。",
                "The API address must not carry a query.",
            )
        self._origin = f"{parsed.scheme}://{parsed.netloc}"
        self._base_path = parsed.path.rstrip("/") + PREFIX
        self._keys = keys
        self._timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect())

    @property
    def officer(self) -> str:
        return self._keys.officer

    def get(self, path: str, query: Mapping[str, object] | None = None) -> dict[str, Any]:
        return self._request("GET", path, canonical_query(query), b"")

    def post(self, path: str, json_body: Any) -> dict[str, Any]:
        return self._request("POST", path, "", compact_json(json_body))

    def _request(self, method: str, path: str, query: str, body: bytes) -> dict[str, Any]:
        if not path.startswith("/"):
            raise ValueError("paths start with /")
        wire_path = self._base_path + path
        headers = sign_request(
            method,
            wire_path,
            query or None,
            body,
            officer_id=self._keys.officer,
            signing_seed_b64=self._keys.signing_seed,
        )
        headers["Accept"] = "application/json"
        if method != "GET":
            headers["Content-Type"] = "application/json"
        url = self._origin + wire_path + ("?" + query if query else "")
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            url, data=body if method != "GET" else None, headers=headers, method=method
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as answer:
                status = int(answer.status)
                raw = answer.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise _refusal(exc) from None
        except (urllib.error.URLError, OSError, ValueError):
            # from None: the reason may quote the address or a proxy's text
            raise OfficerApiError(
                0,
                "unreachable",
                "无法连接到接口服务器，请检查网络和接口地址。",
                "The API server cannot be reached; check the network and the address.",
            ) from None
        if len(raw) > MAX_ANSWER_BYTES:
            raise _bad_answer(status)
        if status >= 300:
            raise _bad_answer(status)
        return _json_object(raw, status)


def _json_object(raw: bytes, status: int) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _bad_answer(status) from None
    if not isinstance(value, dict):
        raise _bad_answer(status)
    return value


def _bad_answer(status: int) -> OfficerApiError:
    return OfficerApiError(
        status,
        "bad_answer",
        "接口服务器的应答无法识别。",
        "The API server's answer is not understood.",
    )


def _refusal(exc: urllib.error.HTTPError) -> OfficerApiError:
    status = int(exc.code)
    try:
        raw = exc.read(_MAX_ERROR_BYTES)
    except OSError:
        raw = b""
    finally:
        exc.close()
    try:
        error = json.loads(raw).get("error")
        code, zh, en = error["code"], error["message_zh"], error["message_en"]
        if all(isinstance(v, str) for v in (code, zh, en)):
            return OfficerApiError(status, code, zh, en)
    except (ValueError, UnicodeDecodeError, AttributeError, KeyError, TypeError):
        pass
    return OfficerApiError(
        status,
        "http_error",
        f"接口服务器拒绝了请求（HTTP {status}）。",
        f"The API server refused the request (HTTP {status}).",
    )


__all__ = [
    "PREFIX",
    "ApiClient",
    "OfficerApiError",
    "OfficerClient",
    "canonical_query",
    "compact_json",
    "segment",
]
