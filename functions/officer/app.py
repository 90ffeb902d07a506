"""The officers' front door on Chalice: the routes of chalicelib/officer/routes.py, nothing else.

A Chalice app of its own, so that it is its own Lambda function under its own IAM role:
the public intake function never carries an officer route, and this one never carries
the public ones. Every route adapts the Chalice request to ``chalicelib.web.http`` and
calls the framework-free handler with the container's one ``OfficerApp``.

Officers sign the query string (RFC 9421 ``@query``). API Gateway hands Chalice the
parameters decoded, so the adapter rebuilds the canonical form the officers' client
sends (``urlencode(sorted(...), quote_via=quote)``); a client that sent another form
fails the signature check, which is the safe direction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from chalice.app import Chalice, CloudWatchEvent, Rate, Response

from chalicelib.lazy import LazyApp
from chalicelib.officer import housekeeping
from chalicelib.officer.app import from_environment
from chalicelib.officer.routes import ROUTES
from chalicelib.web.guard import guarded
from chalicelib.web.http import new_request
from chalicelib.web.origin import through_origin
from chalicelib.web.routing import Route

app = Chalice(app_name="jubao-officer")
app.log.setLevel(logging.INFO)
logging.getLogger("jubao").setLevel(logging.INFO)

ANY = ["*/*"]  # content types are checked by the handlers, with bilingual errors
officers = LazyApp(from_environment)


def canonical_query(params: Mapping[str, str] | None) -> str:
    return urlencode(sorted((params or {}).items()), quote_via=quote)


def signed_path(event: Mapping[str, Any], template: str) -> str:
    """The path as the officer sent and signed it (RFC 9421 ``@path``).

    Chalice's ``request.path`` is the route's template (``/api/officer/cases/{number}``,
    API Gateway's ``resourcePath``), which no client signs. API Gateway puts the path
    itself in the event's ``path`` (below the stage); Chalice's local server and test
    client put it in ``requestContext.path``. Without either the template stays, and the
    signature check refuses: the safe direction.
    """
    context = event.get("requestContext")
    for path in (event.get("path"), context.get("path") if isinstance(context, Mapping) else None):
        if isinstance(path, str) and path:
            return path
    return template


def _call(route: Route, params: Mapping[str, str]) -> Response:
    request = app.current_request
    assert request is not None
    http_request = new_request(
        request.method,
        signed_path(request.to_original_event(), request.path),
        dict(request.headers),
        request.raw_body,
        "unknown",  # officers are known by their signatures; no address is kept
        canonical_query(request.query_params),
    )
    handler = route.handler
    # CloudFront's secret checked before the signature (chalicelib/web/origin.py)
    served = through_origin(officers.get, lambda services, r: handler(services, r, params))
    result = guarded(route.name, served)(http_request)
    headers: dict[str, str | list[str]] = {**result.headers}
    return Response(body=result.body, status_code=result.status, headers=headers)


def _register(route: Route) -> None:
    def view(**params: str) -> Response:
        return _call(route, params)

    view.__name__ = route.name
    app.route(route.path, methods=[route.method], content_types=ANY, name=route.name)(view)


for _route in ROUTES:
    _register(_route)


@app.schedule(Rate(1, unit=Rate.HOURS), name="officer_housekeeping")
def officer_housekeeping(event: CloudWatchEvent) -> None:
    """Checkpoints at least daily (for the witnesses above), and expired nonces removed."""
    housekeeping.run(officers.get(), datetime.now(UTC))
