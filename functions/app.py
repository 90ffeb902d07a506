"""Routes of the reporting function, and nothing else.

Each route adapts the Chalice request to ``chalicelib.api`` and back; all behaviour lives
in ``chalicelib`` so that it would survive a move to another framework.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from chalice.app import Chalice, CloudWatchEvent, Response
from chalicelib import api
from chalicelib.errors import ApiError

app = Chalice(app_name="jubao")
app.log.setLevel(logging.INFO)
logging.getLogger("jubao").setLevel(logging.INFO)
# form posts with files arrive base64-encoded from API Gateway
app.api.binary_types.append("multipart/form-data")

ANY = ["*/*"]  # content types are checked by chalicelib.api, with bilingual errors


def _call(route: str, handler: Callable[[api.HttpRequest], api.HttpResponse]) -> Response:
    request = app.current_request
    assert request is not None
    identity = request.context.get("identity") or {}
    http_request = api.new_request(
        request.method,
        request.path,
        dict(request.headers),
        request.raw_body,
        str(identity.get("sourceIp") or "unknown"),
    )
    result = api.guarded(route, handler)(http_request)
    headers: dict[str, str | list[str]] = {**result.headers}
    return Response(body=result.body, status_code=result.status, headers=headers)


@app.route("/api/reports", methods=["POST"], content_types=ANY)
def submit_report() -> Response:
    return _call("submit_report", api.submit_report)


@app.route("/api/status", methods=["POST"], content_types=ANY)
def report_status() -> Response:
    return _call("report_status", api.report_status)


@app.route("/api/reports/supplement", methods=["POST"], content_types=ANY)
def add_supplement() -> Response:
    return _call("add_supplement", api.add_supplement)


@app.route("/api/attachments", methods=["POST"], content_types=ANY)
def request_upload() -> Response:
    return _call("request_upload", api.request_upload)


@app.route("/api/uploads/{attachment_id}", methods=["POST"], content_types=ANY)
def receive_upload(attachment_id: str) -> Response:
    return _call("receive_upload", lambda r: api.receive_upload(r, attachment_id))


@app.route("/api/tags/verify", methods=["POST"], content_types=ANY)
def verify_tag() -> Response:
    return _call("verify_tag", api.verify_tag)


@app.route("/api/form/report", methods=["POST"], content_types=ANY)
def form_report() -> Response:
    return _call("form_report", api.form_report)


@app.route("/api/form/status", methods=["POST"], content_types=ANY)
def form_status() -> Response:
    return _call("form_status", api.form_status)


@app.route("/api/form/supplement", methods=["POST"], content_types=ANY)
def form_supplement() -> Response:
    return _call("form_supplement", api.form_supplement)


@app.route("/api/openapi.json", methods=["GET"])
def openapi() -> Response:
    from chalicelib.openapi import openapi_document  # pydantic's JSON-schema code: only here

    return _call("openapi", lambda _: api.json_response(200, openapi_document()))


@app.middleware("http")
def bilingual_framework_errors(
    event: object, get_response: Callable[[object], Response]
) -> Response:
    """Chalice answers wrong methods itself; give those answers our error shape too."""
    response = get_response(event)
    if response.status_code == 405:
        error = api.error_response(ApiError("method_not_allowed"))
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
    api.seal_staged_upload(event.detail["bucket"]["name"], event.detail["object"]["key"])
