"""Grants: sign for and grant, escalate, revoke, transfer, exclude; each a versioned case
change committed with its audit entry, its wraps checked to cover exactly what is needed."""

from __future__ import annotations

from collections.abc import Mapping

from ... import crypto
from ...audit.entries import AuditAction
from ...config.office import Officer
from ...errors import ApiError
from ...store.cases import (
    CaseChange,
    CaseRecord,
    CaseUnknown,
    VersionConflict,
    Wrap,
)
from ...web.http import HttpRequest, HttpResponse, json_response
from .. import access
from ..app import OfficerApp
from ..models import (
    ExcludeBody,
    GrantBody,
    RevokeBody,
    TransferBody,
    WrapIn,
    summary_json,
)
from .reading import report_of, sealed_parts
from .requests import Caller, audited, authenticate, body_of, case_or_refuse, refuse

# ---- grants -------------------------------------------------------------------------------


def _grant_wraps(
    app: OfficerApp, case: CaseRecord, grantee: Officer, wraps: tuple[WrapIn, ...]
) -> tuple[Wrap, ...]:
    """The grant's wrapped keys, if they cover exactly what the grantee cannot yet open."""
    kid = crypto.key_id(grantee.encryption_key)
    report = report_of(app, case.number)
    have = {w.blob for w in app.cases.list_wraps(case.number, grantee.id)}
    needed = set()
    for blob, kind, part in sealed_parts(app, report):
        if blob in have:
            continue
        if kind == "content":
            sealed: bytes | None = report.content
        elif kind == "entry":
            sealed = part.sealed
        else:
            sealed = app.reports.get_sealed_attachment(part)
        if sealed is not None and kid in crypto.Envelope.from_bytes(sealed).keys:
            continue  # sealed to the grantee already (a supplement after the grant)
        needed.add(blob)
    given = [w.blob for w in wraps]
    if set(given) != needed or len(given) != len(needed) or any(w.key_id != kid for w in wraps):
        raise ApiError("grant_incomplete")
    return tuple(Wrap(case.number, w.blob, grantee.id, w.key_id, w.wrapped) for w in wraps)


def _change(
    app: OfficerApp,
    caller: Caller,
    case: CaseRecord,
    change: CaseChange,
    action: AuditAction,
    detail: Mapping[str, str],
) -> HttpResponse:
    try:
        new = app.cases.apply_case_change(
            change, audited(app, caller, case.unit, action, case.number, detail)
        )
    except VersionConflict:
        refuse(app, caller.officer, case.unit, action, case.number, "version_conflict")
    except CaseUnknown:
        raise ApiError("case_unknown") from None
    return json_response(200, {"case": summary_json(new)})


def _intake_case(app: OfficerApp, caller: Caller, number: str, action: AuditAction) -> CaseRecord:
    case = case_or_refuse(app, caller, number, action)
    if not access.may_grant(caller.officer, case):
        refuse(app, caller.officer, case.unit, action, number, "grant_forbidden")
    return case


def _grantee(
    app: OfficerApp, caller: Caller, case: CaseRecord, officer_id: str, action: AuditAction
) -> Officer:
    grantee = app.office.officer(officer_id)
    if grantee is not None and grantee.id in case.excluded:
        refuse(app, caller.officer, case.unit, action, case.number, "officer_excluded")
    if grantee is None or not access.valid_grantee(grantee, case):
        refuse(app, caller.officer, case.unit, action, case.number, "grantee_invalid")
    return grantee


def grant(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    case = _intake_case(app, caller, params["number"], AuditAction.grant)
    body = body_of(request, GrantBody)
    grantee = _grantee(app, caller, case, body.to, AuditAction.grant)
    wraps = _grant_wraps(app, case, grantee, body.wraps)
    change = CaseChange(
        case.number, body.expected_version, app.clock(), grant=(grantee.id,), wraps=wraps
    )
    return _change(app, caller, case, change, AuditAction.grant, {"to": grantee.id})


def escalate(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    """Re-wrap a case upward: its content for a supervisor of a unit above, on the
    escalating officer's machine; the supervisor then holds a grant (audited here)."""
    caller = authenticate(app, request)
    case = case_or_refuse(app, caller, params["number"], AuditAction.escalate)
    if not access.may_escalate(app.office, caller.officer, case):
        refuse(
            app,
            caller.officer,
            case.unit,
            AuditAction.escalate,
            case.number,
            "escalation_forbidden",
        )
    body = body_of(request, GrantBody)
    target = app.office.officer(body.to)
    if target is None or not access.valid_escalation_target(app.office, target, case):
        refuse(
            app,
            caller.officer,
            case.unit,
            AuditAction.escalate,
            case.number,
            "escalation_target_invalid",
        )
    wraps = _grant_wraps(app, case, target, body.wraps)
    change = CaseChange(
        case.number, body.expected_version, app.clock(), grant=(target.id,), wraps=wraps
    )
    detail = {"to": target.id, "unit": target.unit}
    return _change(app, caller, case, change, AuditAction.escalate, detail)


def revoke(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    case = _intake_case(app, caller, params["number"], AuditAction.revoke)
    body = body_of(request, RevokeBody)
    if body.officer not in case.assignees:
        refuse(app, caller.officer, case.unit, AuditAction.revoke, case.number, "grantee_invalid")
    change = CaseChange(case.number, body.expected_version, app.clock(), revoke=(body.officer,))
    return _change(app, caller, case, change, AuditAction.revoke, {"from": body.officer})


def transfer(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    case = _intake_case(app, caller, params["number"], AuditAction.transfer)
    body = body_of(request, TransferBody)
    if body.from_ not in case.assignees or body.from_ == body.to:
        refuse(app, caller.officer, case.unit, AuditAction.transfer, case.number, "grantee_invalid")
    grantee = _grantee(app, caller, case, body.to, AuditAction.transfer)
    wraps = _grant_wraps(app, case, grantee, body.wraps)
    change = CaseChange(
        case.number,
        body.expected_version,
        app.clock(),
        grant=(grantee.id,),
        revoke=(body.from_,),
        wraps=wraps,
    )
    detail = {"from": body.from_, "to": grantee.id}
    return _change(app, caller, case, change, AuditAction.transfer, detail)


def exclude(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    case = _intake_case(app, caller, params["number"], AuditAction.exclude)
    body = body_of(request, ExcludeBody)
    if app.office.officer(body.officer) is None:
        refuse(app, caller.officer, case.unit, AuditAction.exclude, case.number, "grantee_invalid")
    revoked = (body.officer,) if body.officer in case.assignees else ()
    change = CaseChange(
        case.number, body.expected_version, app.clock(), exclude=(body.officer,), revoke=revoked
    )
    return _change(app, caller, case, change, AuditAction.exclude, {"officer": body.officer})
