"""The audit log: entries, checkpoints, proofs and cosignatures; and the key events done on
officers' machines, entered in their unit's log."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ... import crypto
from ...audit import merkle
from ...audit.entries import AuditAction
from ...web.http import HttpRequest, HttpResponse, json_response
from .. import access
from ..app import OfficerApp
from ..models import (
    CosignBody,
    KeyEventBody,
)
from ..trail import CheckpointRefused
from .requests import (
    Caller,
    audited,
    authenticate,
    body_of,
    int_param,
    query_params,
    refuse,
    unit_or_refuse,
)

# ---- the audit log ------------------------------------------------------------------------


def _log(app: OfficerApp, caller: Caller, unit: str) -> str:
    unit_or_refuse(app, caller, unit, AuditAction.refusal)
    if not access.may_read_log(app.office, caller.officer, unit):
        refuse(app, caller.officer, unit, AuditAction.refusal, None, "audit_forbidden")
    return unit


def audit_entries(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    log = _log(app, caller, params["unit"])
    values = query_params(request, {"start", "end"})
    size = app.cases.audit_size(log)
    start = int_param(values, "start", 0, 0, size)
    end = int_param(values, "end", size, start, size)
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
    values = query_params(request, {"old", "new"})
    size = app.cases.audit_size(log)
    new = int_param(values, "new", size, 1, size)
    old = int_param(values, "old", 1, 1, new)
    proof = merkle.consistency_proof(app.trail.leaf_hashes(log, new), old)
    return json_response(200, {"old": old, "new": new, "proof": [p.hex() for p in proof]})


def audit_inclusion(
    app: OfficerApp, request: HttpRequest, params: Mapping[str, str]
) -> HttpResponse:
    caller = authenticate(app, request)
    log = _log(app, caller, params["unit"])
    values = query_params(request, {"index", "size"})
    size = app.cases.audit_size(log)
    tree = int_param(values, "size", size, 1, size)
    index = int_param(values, "index", 0, 0, tree - 1)
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
    unit = unit_or_refuse(app, caller, params["unit"], AuditAction.cosign)
    if not access.may_cosign(app.office, caller.officer, unit):
        refuse(app, caller.officer, unit, AuditAction.cosign, None, "audit_forbidden")
    body = body_of(request, CosignBody)
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
        audited(app, caller, unit, AuditAction.cosign, None, {"size": str(record.size)})
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
    body = body_of(request, KeyEventBody)
    action = _KEY_ACTIONS[body.action]
    unit = unit_or_refuse(app, caller, body.unit, action)
    if not access.may_read_log(app.office, caller.officer, unit):
        refuse(app, caller.officer, caller.officer.unit, action, None, "audit_forbidden")
    detail: dict[str, str] = {"event": body.action, "role": body.role}
    if body.subject:
        detail["subject"] = body.subject
    if body.key_id:
        detail["key_id"] = body.key_id
    record = app.cases.append_audit(audited(app, caller, unit, action, None, detail))
    return json_response(201, {"log": unit, "index": record.index})
