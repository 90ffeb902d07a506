"""The officers' request handlers: authenticate, check the rules, audit, answer.

Every handler starts with ``authenticate`` (the RFC 9421 signature and the nonce) and ends
with an audit entry written before the answer leaves: an officer never sees content whose
reading was not recorded. Every refusal is recorded too, signed by the server, in the
log of the unit it concerns. The server only passes sealed envelopes on; it cannot open
them, and it trims each envelope to the wrapped keys meant for the officer asking.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError

from .. import crypto
from ..audit import merkle
from ..audit.entries import AuditAction
from ..config.office import Officer
from ..errors import ApiError
from ..reports.validation import field_errors
from ..store.base import EntryKind, ReportRecord
from ..store.cases import (
    CONTENT_BLOB,
    AuditAppend,
    CaseChange,
    CaseRecord,
    CaseUnknown,
    VersionConflict,
    Wrap,
    attachment_blob,
    entry_blob,
)
from ..web.http import HttpRequest, HttpResponse, json_response, read_json
from . import access
from .access import Access
from .app import OfficerApp
from .models import (
    CosignBody,
    ExcludeBody,
    GrantBody,
    KeyEventBody,
    RevokeBody,
    TransferBody,
    WrapIn,
    summary_json,
)
from .signatures import SignatureRefused, VerifiedRequest, verify_request
from .trail import CheckpointRefused

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


def _audited(
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


def _query(request: HttpRequest, allowed: set[str]) -> dict[str, str]:
    try:
        pairs = parse_qsl(request.query, keep_blank_values=True, strict_parsing=bool(request.query))
    except ValueError:
        raise ApiError("query_invalid") from None
    values = dict(pairs)
    if len(values) != len(pairs) or not set(values) <= allowed:
        raise ApiError("query_invalid")
    return values


def _int(values: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = values.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise ApiError("query_invalid")
    number = int(text)
    if not low <= number <= high:
        raise ApiError("query_invalid")
    return number


def _body[M: BaseModel](request: HttpRequest, model: type[M]) -> M:
    payload = read_json(request, MAX_BODY_BYTES)
    if not isinstance(payload, dict):
        raise ApiError("invalid_body")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ApiError("validation_failed", field_errors(exc)) from None


def _case(app: OfficerApp, caller: Caller, number: str, action: AuditAction) -> CaseRecord:
    case = app.cases.get_case(number) if number.isascii() and number.isdigit() else None
    if case is None:
        refuse(app, caller.officer, caller.officer.unit, action, None, "case_unknown")
    return case


def _unit(app: OfficerApp, caller: Caller, unit: str, action: AuditAction) -> str:
    if unit not in app.office.units_by_code:
        refuse(app, caller.officer, caller.officer.unit, action, None, "not_found")
    return unit


# ---- envelopes for one officer ----------------------------------------------------------


class _Keys:
    """Which wrapped keys of a case's envelopes the asking officer may receive."""

    def __init__(self, app: OfficerApp, caller: Caller, case: CaseRecord, how: Access) -> None:
        self.how = how
        self.wraps: dict[str, Wrap] = {}
        if how is Access.unit_key:
            unit = app.office.units_by_code[case.unit]
            self.ids = {
                crypto.key_id(k) for k in (unit.content_key, *unit.previous_content_keys) if k
            }
        elif how is Access.grant:
            self.ids = {crypto.key_id(caller.officer.encryption_key)}
            self.wraps = {w.blob: w for w in app.cases.list_wraps(case.number, caller.officer.id)}
        else:
            self.ids = set()

    def trim(self, sealed: bytes | None, blob: str) -> dict[str, Any] | None:
        """The envelope with only the officer's wrapped keys; None if none is theirs."""
        if sealed is None or self.how is Access.metadata:
            return None
        envelope = crypto.Envelope.from_bytes(sealed)
        keys = {kid: w for kid, w in envelope.keys.items() if kid in self.ids}
        wrap = self.wraps.get(blob)
        if wrap is not None and wrap.key_id in self.ids:
            keys.setdefault(wrap.key_id, wrap.wrapped)
        if not keys:
            return None
        return envelope.model_copy(update={"keys": keys}).model_dump(mode="json")


def _parts(app: OfficerApp, report: ReportRecord) -> list[tuple[str, str, Any]]:
    """Every sealed part of a case a grant must cover: (blob, kind, entry or id)."""
    parts: list[tuple[str, str, Any]] = [(CONTENT_BLOB, "content", None)]
    attachment_ids = list(report.attachments)
    for entry_id, entry in app.cases.list_entries_with_ids(report.number):
        if entry.kind is EntryKind.supplement:
            parts.append((entry_blob(entry_id), "entry", entry))
            attachment_ids += [a for a in entry.attachments if a not in attachment_ids]
    parts += [(attachment_blob(a), "attachment", a) for a in attachment_ids]
    return parts


def _report(app: OfficerApp, number: str) -> ReportRecord:
    report = app.reports.get_report(number)
    if report is None:  # a case without its report: the store is inconsistent
        raise CaseUnknown("report missing")
    return report


# ---- handlers ---------------------------------------------------------------------------


def me(app: OfficerApp, request: HttpRequest, _params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    officer = caller.officer
    unit = app.office.units_by_code[officer.unit]
    return json_response(
        200,
        {
            "officer": {
                "id": officer.id,
                "unit": officer.unit,
                "roles": [str(r) for r in officer.roles],
                "name": officer.name,
            },
            "unit": {"code": unit.code, "name": unit.name, "name_en": unit.name_en},
            "units_visible": access.visible_units(app.office, officer),
        },
    )


def list_cases(app: OfficerApp, request: HttpRequest, _params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    values = _query(request, {"unit", "after", "limit", "all"})
    unit = values.get("unit", caller.officer.unit)
    _unit(app, caller, unit, AuditAction.list_cases)
    if not access.may_list(app.office, caller.officer, unit):
        refuse(app, caller.officer, unit, AuditAction.list_cases, None, "unit_forbidden")
    limit = _int(values, "limit", 50, 1, PAGE_MAX)
    everything = _int(values, "all", 0, 0, 1) == 1
    try:
        cases, cursor = app.cases.list_cases(
            unit, open_only=not everything, limit=limit, after=values.get("after") or None
        )
    except ValueError:
        raise ApiError("query_invalid") from None
    app.cases.append_audit(
        _audited(app, caller, unit, AuditAction.list_cases, None, {"count": str(len(cases))})
    )
    return json_response(200, {"cases": [summary_json(c) for c in cases], "next": cursor})


def get_case(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    number = params["number"]
    case = _case(app, caller, number, AuditAction.read_case)
    how = access.case_access(app.office, caller.officer, case)
    if how is None:
        refuse(app, caller.officer, case.unit, AuditAction.read_case, number, "case_forbidden")
    report = _report(app, number)
    keys = _Keys(app, caller, case, how)
    entries = []
    attachments: list[str] = list(report.attachments)
    for entry_id, entry in app.cases.list_entries_with_ids(number):
        if entry.kind is not EntryKind.supplement:
            continue
        entries.append(
            {
                "id": entry_id,
                "kind": str(entry.kind),
                "at": entry.at.isoformat(),
                "sealed": keys.trim(entry.sealed, entry_blob(entry_id)),
                "attachments": list(entry.attachments),
            }
        )
        attachments += [a for a in entry.attachments if a not in attachments]
    files = []
    for attachment_id in attachments:
        record = app.reports.get_attachment(attachment_id)
        if record is not None:
            files.append(
                {"id": attachment_id, "content_type": record.content_type, "size": record.size}
            )
    # recorded before anything leaves: no read without its entry
    app.cases.append_audit(
        _audited(app, caller, case.unit, AuditAction.read_case, number, {"access": str(how)})
    )
    return json_response(
        200,
        {
            "case": summary_json(case),
            "access": str(how),
            "content": keys.trim(report.content, CONTENT_BLOB),
            "entries": entries,
            "attachments": files,
            "history": _history(app, case),
        },
    )


def _history(app: OfficerApp, case: CaseRecord) -> list[dict[str, Any]]:
    """The case's entries in its unit's log (who did what, when; never content)."""
    found: list[dict[str, Any]] = []
    for record in app.cases.case_audit(case.number, HISTORY_MAX):
        entry = json.loads(record.entry)
        entry.pop("proof", None)
        found.append(entry)
    return found


def get_attachment(
    app: OfficerApp, request: HttpRequest, params: Mapping[str, str]
) -> HttpResponse:
    caller = authenticate(app, request)
    number, attachment_id = params["number"], params["attachment_id"]
    case = _case(app, caller, number, AuditAction.read_case)
    how = access.case_access(app.office, caller.officer, case)
    if how is None or how is Access.metadata:
        refuse(app, caller.officer, case.unit, AuditAction.read_case, number, "case_forbidden")
    report = _report(app, number)
    known = {part for _, kind, part in _parts(app, report) if kind == "attachment"}
    sealed = app.reports.get_sealed_attachment(attachment_id) if attachment_id in known else None
    if sealed is None:
        raise ApiError("not_found")
    keys = _Keys(app, caller, case, how)
    app.cases.append_audit(
        _audited(
            app, caller, case.unit, AuditAction.read_case, number, {"attachment": attachment_id}
        )
    )
    return json_response(
        200, {"id": attachment_id, "sealed": keys.trim(sealed, attachment_blob(attachment_id))}
    )


def get_identity(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    number = params["number"]
    case = _case(app, caller, number, AuditAction.read_identity)
    if not access.may_read_identity(caller.officer, case):
        refuse(
            app, caller.officer, case.unit, AuditAction.read_identity, number, "identity_forbidden"
        )
    report = _report(app, number)
    app.cases.append_audit(_audited(app, caller, case.unit, AuditAction.read_identity, number))
    identity = crypto.Envelope.from_bytes(report.identity) if report.identity else None
    return json_response(
        200,
        {"number": number, "identity": identity.model_dump(mode="json") if identity else None},
    )


# ---- grants -------------------------------------------------------------------------------


def _grant_wraps(
    app: OfficerApp, case: CaseRecord, grantee: Officer, wraps: tuple[WrapIn, ...]
) -> tuple[Wrap, ...]:
    """The grant's wrapped keys, if they cover exactly what the grantee cannot yet open."""
    kid = crypto.key_id(grantee.encryption_key)
    report = _report(app, case.number)
    have = {w.blob for w in app.cases.list_wraps(case.number, grantee.id)}
    needed = set()
    for blob, kind, part in _parts(app, report):
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
            change, _audited(app, caller, case.unit, action, case.number, detail)
        )
    except VersionConflict:
        refuse(app, caller.officer, case.unit, action, case.number, "version_conflict")
    except CaseUnknown:
        raise ApiError("case_unknown") from None
    return json_response(200, {"case": summary_json(new)})


def _intake_case(app: OfficerApp, caller: Caller, number: str, action: AuditAction) -> CaseRecord:
    case = _case(app, caller, number, action)
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
    body = _body(request, GrantBody)
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
    case = _case(app, caller, params["number"], AuditAction.escalate)
    if not access.may_escalate(app.office, caller.officer, case):
        refuse(
            app,
            caller.officer,
            case.unit,
            AuditAction.escalate,
            case.number,
            "escalation_forbidden",
        )
    body = _body(request, GrantBody)
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
    body = _body(request, RevokeBody)
    if body.officer not in case.assignees:
        refuse(app, caller.officer, case.unit, AuditAction.revoke, case.number, "grantee_invalid")
    change = CaseChange(case.number, body.expected_version, app.clock(), revoke=(body.officer,))
    return _change(app, caller, case, change, AuditAction.revoke, {"from": body.officer})


def transfer(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    case = _intake_case(app, caller, params["number"], AuditAction.transfer)
    body = _body(request, TransferBody)
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
    body = _body(request, ExcludeBody)
    if app.office.officer(body.officer) is None:
        refuse(app, caller.officer, case.unit, AuditAction.exclude, case.number, "grantee_invalid")
    revoked = (body.officer,) if body.officer in case.assignees else ()
    change = CaseChange(
        case.number, body.expected_version, app.clock(), exclude=(body.officer,), revoke=revoked
    )
    return _change(app, caller, case, change, AuditAction.exclude, {"officer": body.officer})


# ---- the audit log ------------------------------------------------------------------------


def _log(app: OfficerApp, caller: Caller, unit: str) -> str:
    _unit(app, caller, unit, AuditAction.refusal)
    if not access.may_read_log(app.office, caller.officer, unit):
        refuse(app, caller.officer, unit, AuditAction.refusal, None, "audit_forbidden")
    return unit


def audit_entries(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    log = _log(app, caller, params["unit"])
    values = _query(request, {"start", "end"})
    size = app.cases.audit_size(log)
    start = _int(values, "start", 0, 0, size)
    end = _int(values, "end", size, start, size)
    records = app.cases.audit_records(log, start, end)
    return json_response(
        200, {"log": log, "size": size, "entries": [json.loads(r.entry) for r in records]}
    )


def _checkpoint_json(record: Any) -> dict[str, Any]:
    return {"log": record.log, "size": record.size, "root": record.root.hex(), "note": record.note}


def audit_checkpoint(
    app: OfficerApp, request: HttpRequest, params: Mapping[str, str]
) -> HttpResponse:
    caller = authenticate(app, request)
    log = _log(app, caller, params["unit"])
    return json_response(200, _checkpoint_json(app.trail.checkpoint(log)))


def audit_checkpoints(
    app: OfficerApp, request: HttpRequest, params: Mapping[str, str]
) -> HttpResponse:
    caller = authenticate(app, request)
    log = _log(app, caller, params["unit"])
    return json_response(
        200, {"checkpoints": [_checkpoint_json(c) for c in app.cases.list_checkpoints(log)]}
    )


def audit_consistency(
    app: OfficerApp, request: HttpRequest, params: Mapping[str, str]
) -> HttpResponse:
    caller = authenticate(app, request)
    log = _log(app, caller, params["unit"])
    values = _query(request, {"old", "new"})
    size = app.cases.audit_size(log)
    new = _int(values, "new", size, 1, size)
    old = _int(values, "old", 1, 1, new)
    proof = merkle.consistency_proof(app.trail.leaf_hashes(log, new), old)
    return json_response(200, {"old": old, "new": new, "proof": [p.hex() for p in proof]})


def audit_inclusion(
    app: OfficerApp, request: HttpRequest, params: Mapping[str, str]
) -> HttpResponse:
    caller = authenticate(app, request)
    log = _log(app, caller, params["unit"])
    values = _query(request, {"index", "size"})
    size = app.cases.audit_size(log)
    tree = _int(values, "size", size, 1, size)
    index = _int(values, "index", 0, 0, tree - 1)
    leaves = app.trail.leaf_hashes(log, tree)
    proof = merkle.inclusion_proof(leaves, index)
    return json_response(
        200,
        {
            "index": index,
            "size": tree,
            "leaf": leaves[index].hex(),
            "proof": [p.hex() for p in proof],
        },
    )


def audit_cosign(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    unit = _unit(app, caller, params["unit"], AuditAction.cosign)
    if not access.may_cosign(app.office, caller.officer, unit):
        refuse(app, caller.officer, unit, AuditAction.cosign, None, "audit_forbidden")
    body = _body(request, CosignBody)
    try:
        record = app.trail.add_cosignature(
            unit,
            body.note,
            caller.officer.id,
            caller.officer.signing_key,
            crypto.verify_key_from_seed(app.trail.server_seed),
        )
    except CheckpointRefused:
        refuse(app, caller.officer, unit, AuditAction.cosign, None, "checkpoint_invalid")
    app.cases.append_audit(
        _audited(app, caller, unit, AuditAction.cosign, None, {"size": str(record.size)})
    )
    return json_response(200, {"log": unit, "size": record.size, "note": record.note})


# ---- key events ---------------------------------------------------------------------------

_KEY_ACTIONS = {
    "enrol": AuditAction.enrol,
    "recover": AuditAction.recover,
    "rotate": AuditAction.rotate,
}


def key_event(app: OfficerApp, request: HttpRequest, _params: Mapping[str, str]) -> HttpResponse:
    """Record an enrolment, a recovery or a rotation of a unit key in the unit's log.

    The act itself happens on officers' machines (no key reaches the server); recording it
    is what lets a leak be traced to who held which key when. Only an officer of the unit,
    or a supervisor above it, may put such an event in its log.
    """
    caller = authenticate(app, request)
    body = _body(request, KeyEventBody)
    action = _KEY_ACTIONS[body.action]
    unit = _unit(app, caller, body.unit, action)
    if not access.may_read_log(app.office, caller.officer, unit):
        refuse(app, caller.officer, caller.officer.unit, action, None, "audit_forbidden")
    detail: dict[str, str] = {"event": body.action, "role": body.role}
    if body.subject:
        detail["subject"] = body.subject
    if body.key_id:
        detail["key_id"] = body.key_id
    record = app.cases.append_audit(_audited(app, caller, unit, action, None, detail))
    return json_response(201, {"log": unit, "index": record.index})
