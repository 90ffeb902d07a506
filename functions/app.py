"""The public front door on Chalice: routes of the reporting function, and nothing else.

Each route adapts the Chalice request to ``chalicelib.web.http`` and back and calls the
handler of ``chalicelib.public.routes`` with the process's one ``PublicApp`` (built on
first use, from the environment Lambda gives the function); all behaviour lives in
``chalicelib`` so that it would survive a move to another framework. The officers'
front door will be a Chalice app of its own (own Lambda, own IAM role), never routes
here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from chalice.app import Chalice, CloudWatchEvent, Response

from chalicelib.errors import ApiError
from chalicelib.public.app import LazyApp, from_environment
from chalicelib.public.routes import ROUTES
from chalicelib.public.sealer import seal_staged_upload
from chalicelib.web.guard import guarded
from chalicelib.web.http import error_response, new_request
from chalicelib.web.origin import through_origin
from chalicelib.web.routing import Route

app = Chalice(app_name="jubao")
app.log.setLevel(logging.INFO)
logging.getLogger("jubao").setLevel(logging.INFO)
# form posts with files arrive base64-encoded from API Gateway
app.api.binary_types.append("multipart/form-data")

ANY = ["*/*"]  # content types are checked by the handlers, with bilingual errors
# the services of this Lambda container: built on the first request, reused after
public = LazyApp(from_environment)


def _call(route: Route, params: Mapping[str, str]) -> Response:
    request = app.current_request
    assert request is not None
    identity = request.context.get("identity") or {}
    http_request = new_request(
        request.method,
        request.path,
        dict(request.headers),
        request.raw_body,
        str(identity.get("sourceIp") or "unknown"),
    )
    handler = route.handler
    # CloudFront's secret checked first (chalicelib/web/origin.py), then the route
    served = through_origin(public.get, lambda services, r: handler(services, r, params))
    result = guarded(route.name, served)(http_request)
    headers: dict[str, str | list[str]] = {**result.headers}
    return Response(body=result.body, status_code=result.status, headers=headers)


def _register(route: Route) -> None:
    def view(**params: str) -> Response:
        return _call(route, params)

    view.__name__ = route.name
    app.route(route.path, methods=[route.method], content_types=ANY, name=route.name)(view)


# one table of routes (chalicelib.public.routes) serves this Lambda and the local server alike
for _route in ROUTES:
    _register(_route)


@app.middleware("http")
def bilingual_framework_errors(
    event: object, get_response: Callable[[object], Response]
) -> Response:
    """Chalice answers wrong methods itself; give those answers our error shape too."""
    response = get_response(event)
    if response.status_code == 405:
        error = error_response(ApiError("method_not_allowed"))
        return Response(
            body=error.body,
            status_code=405,
            headers={
                **error.headers,
                **{k: v for k, v in response.headers.items() if k.lower() == "allow"},
            },
        )
    return response


# S3 -> EventBridge -> here (an S3 bucket notification cannot be packaged by CloudFormation
# for a bucket owned by another stack; EventBridge rules can)
STAGED_UPLOAD = {
    "source": ["aws.s3"],
    "detail-type": ["Object Created"],
    "detail": {"object": {"key": [{"prefix": "staging/"}]}},
}


@app.on_cw_event(STAGED_UPLOAD, name="seal_upload")
def seal_upload(event: CloudWatchEvent) -> None:
    """In AWS an upload lands in staging/ and is sealed here, then the plain copy is deleted."""
    seal_staged_upload(public.get(), event.detail["bucket"]["name"], event.detail["object"]["key"])
