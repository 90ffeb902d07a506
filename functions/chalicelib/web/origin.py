"""Requests that came through the office's own front door, and the viewer behind it.

In AWS the APIs sit behind CloudFront, which adds one header to every request it sends
to them (``X-Jubao-Origin``, its value a secret of the stage; CloudFront overwrites any
copy a viewer sends). API Gateway's own ``execute-api`` names stay reachable on the
internet, so each function refuses a request without that secret: nobody reaches the
functions past CloudFront, its response-headers policy and whatever protects the edge.
The comparison is of two digests in constant time (``hmac.compare_digest``). Without a
configured secret (``jubao serve``, the tests) every request passes, as before.

Behind CloudFront the connection's source address (API Gateway's ``sourceIp``) is an edge
node's, shared by everyone who comes through it. Only when the secret verified, so the
request provably came from CloudFront, is ``CloudFront-Viewer-Address`` believed
(``198.51.100.10:46532``; IPv6 unbracketed, ``2001:db8::1:46532``, though the bracketed
``[2001:db8::1]:46532`` is read too). The port is dropped (it changes with every
connection), an IPv6 viewer is known by its /64 (one subscriber's prefix, whose addresses
rotate freely) and an IPv4-mapped one by its IPv4 address. A missing or malformed value
falls back to the source address; it is never an error. The address exists only in the
request, in memory: rate limiters and the implicit replay key hash it, nothing logs it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from ..errors import ApiError
from .http import HttpRequest, HttpResponse

ORIGIN_HEADER = "X-Jubao-Origin"
VIEWER_ADDRESS_HEADER = "CloudFront-Viewer-Address"
_LONGEST_ADDRESS = 64  # "[" + 45 characters of IPv6 text + "]:" + 5 digits, with room


def _digest(value: str) -> bytes:
    # any text (non-ASCII, lone surrogates) hashes; nothing about it can raise
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def viewer_address(value: str) -> str | None:
    """The viewer's address in a ``CloudFront-Viewer-Address`` value, or None.

    IPv4 as written, IPv6 as its /64 network, IPv4-mapped IPv6 as the IPv4 address;
    None for anything that is not an address followed by a port.
    """
    text = value.strip()
    if not text or len(text) > _LONGEST_ADDRESS or not text.isascii():
        return None
    if text.startswith("["):
        host, bracket, port = text[1:].partition("]:")
        if not bracket:
            return None
    else:
        host, colon, port = text.rpartition(":")
        if not colon:
            return None
    if not (port.isdigit() and len(port) <= 5 and int(port) <= 65535):
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return None  # a link-local zone is nobody's address on the internet
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(frozen=True)
class OriginCheck:
    """The one front door's check: ``secret`` empty means none is configured.

    ``viewer_addresses``: whether a verified request's client becomes the viewer's
    address (the public function's rate limits); the officers' function keeps none.
    """

    secret: str = ""
    viewer_addresses: bool = True

    @property
    def configured(self) -> bool:
        return bool(self.secret)

    def verified(self, request: HttpRequest) -> bool:
        """Whether ``request`` carries the secret (False when none is configured)."""
        if not self.secret:
            return False
        return hmac.compare_digest(_digest(request.header(ORIGIN_HEADER)), _digest(self.secret))

    def admit(self, request: HttpRequest) -> HttpRequest:
        """``request`` as the handlers should see it, or a 403 ``origin_forbidden``.

        Without a configured secret it is returned unchanged. With one, a request that
        lacks it is refused; one that has it gets the viewer's address as its client
        when CloudFront sent a well-formed one, else keeps its source address.
        """
        if not self.secret:
            return request
        if not self.verified(request):
            raise ApiError("origin_forbidden")
        if not self.viewer_addresses:
            return request
        viewer = viewer_address(request.header(VIEWER_ADDRESS_HEADER))
        return replace(request, client=viewer) if viewer is not None else request


class Guarded(Protocol):
    """A front door's services: ``PublicApp`` or ``OfficerApp``."""

    @property
    def origin(self) -> OriginCheck: ...


def through_origin[T: Guarded](
    services: Callable[[], T], handler: Callable[[T, HttpRequest], HttpResponse]
) -> Callable[[HttpRequest], HttpResponse]:
    """``handler`` behind its app's origin check, for an adapter to run in ``guarded``:
    the services are built (or reused) first, then the request is admitted or refused
    before the handler, so a refusal costs no signature check and no store call."""

    def run(request: HttpRequest) -> HttpResponse:
        app = services()
        return handler(app, app.origin.admit(request))

    return run


__all__ = [
    "ORIGIN_HEADER",
    "VIEWER_ADDRESS_HEADER",
    "OriginCheck",
    "through_origin",
    "viewer_address",
]
