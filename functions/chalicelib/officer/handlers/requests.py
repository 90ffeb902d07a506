"""What every officers' handler starts with: the signed request checked (and its nonce
remembered), refusals recorded in the audit log, and the request's parts read strictly."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NoReturn
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError

from ...audit.entries import AuditAction
from ...config.office import Officer
from ...errors import ApiError
from ...reports.validation import field_errors
from ...store.cases import (
    AuditAppend,
    CaseRecord,
)
from ...web.http import HttpRequest, read_json
from ..app import OfficerApp
from ..signatures import SignatureRefused, VerifiedRequest, verify_request

MAX_BODY_BYTES = 64 * 1024
PAGE_MAX = 200
HISTORY_MAX = 500


class Caller:
    """An authenticated officer and the signed request that proves it."""

    def __init__(self, officer: Officer, request: VerifiedRequest) -> None:
        self.officer = officer
        self.request = request


# ---- authentication and refusals --------------------------------------------------------


def authenticate(app: OfficerApp, request: HttpRequest) -> Caller:
    """The officer who signed ``request``, or a refusal (401), recorded in the audit log."""

    def signing_key(officer_id: str) -> str | None:
        officer = app.office.officer(officer_id)
        return officer.signing_key if officer is not None else None

    now = app.clock()
    try:
        verified = verify_request(
            request.method,
            request.path,
            request.query,
            request.headers,
            request.body,
            keys=signing_key,
            now=now,
            window_seconds=app.settings.signature_window_seconds,
        )
    except SignatureRefused as refusal:
        unwritten = app.unsigned_refusals.admit(now.timestamp())
        if unwritten is not None:
            app.trail.refusal(
                log=app.root_unit,
                actor=None,
                action=AuditAction.refusal,
                case=None,
                code=refusal.code,
                detail={"unwritten_before": str(unwritten)} if unwritten else None,
            )
        raise
    officer = app.office.officer(verified.officer)
    assert officer is not None  # verify_request found its key in the roster
    nonce = hashlib.sha256(f"{verified.officer}\n{verified.nonce}".encode()).digest()
    expires = datetime.fromtimestamp(verified.expires, UTC)
    if not app.cases.remember_nonce(nonce, expires, now):
        refuse(app, officer, officer.unit, AuditAction.refusal, None, "signature_replayed")
    return Caller(officer, verified)


def refuse(
    app: OfficerApp,
    officer: Officer,
    log: str,
    action: AuditAction,
    case: str | None,
    code: str,
) -> NoReturn:
    """Record a refusal in ``log`` (signed by the server) and raise it."""
    app.trail.refusal(log=log, actor=officer.id, action=action, case=case, code=code)
    raise ApiError(code)


def audited(
    app: OfficerApp,
    caller: Caller,
    log: str,
    action: AuditAction,
    case: str | None,
    detail: Mapping[str, str] | None = None,
) -> AuditAppend:
    return app.trail.entry(
        log=log,
        actor=caller.officer.id,
        action=action,
        case=case,
        outcome="ok",
        detail=detail,
        request=caller.request,
    )


# ---- reading requests -------------------------------------------------------------------


def query_params(request: HttpRequest, allowed: set[str]) -> dict[str, str]:
    try:
        pairs = parse_qsl(request.query, keep_blank_values=True, strict_parsing=bool(request.query))
    except ValueError:
        raise ApiError("query_invalid") from None
    values = dict(pairs)
    if len(values) != len(pairs) or not set(values) <= allowed:
        raise ApiError("query_invalid")
    return values


def int_param(values: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = values.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise ApiError("query_invalid")
    number = int(text)
    if not low <= number <= high:
        raise ApiError("query_invalid")
    return number


def body_of[M: BaseModel](request: HttpRequest, model: type[M]) -> M:
    payload = read_json(request, MAX_BODY_BYTES)
    if not isinstance(payload, dict):
        raise ApiError("invalid_body")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ApiError("validation_failed", field_errors(exc)) from None


def case_or_refuse(app: OfficerApp, caller: Caller, number: str, action: AuditAction) -> CaseRecord:
    case = app.cases.get_case(number) if number.isascii() and number.isdigit() else None
    if case is None:
        refuse(app, caller.officer, caller.officer.unit, action, None, "case_unknown")
    return case


def unit_or_refuse(app: OfficerApp, caller: Caller, unit: str, action: AuditAction) -> str:
    if unit not in app.office.units_by_code:
        refuse(app, caller.officer, caller.officer.unit, action, None, "not_found")
    return unit
