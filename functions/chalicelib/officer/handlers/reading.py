"""Reading cases: the list by deadline, one case with its envelopes trimmed to the asking
officer's keys, attachments, the identity (custodian only); every read recorded."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ... import crypto
from ...audit.entries import AuditAction
from ...errors import ApiError
from ...store.base import EntryKind, ReportRecord
from ...store.cases import (
    CONTENT_BLOB,
    CaseRecord,
    CaseUnknown,
    Wrap,
    attachment_blob,
    entry_blob,
)
from ...web.http import HttpRequest, HttpResponse, json_response
from .. import access
from ..access import Access
from ..app import OfficerApp
from ..models import (
    summary_json,
)
from .requests import (
    HISTORY_MAX,
    PAGE_MAX,
    Caller,
    audited,
    authenticate,
    case_or_refuse,
    int_param,
    query_params,
    refuse,
    unit_or_refuse,
)

# ---- envelopes for one officer ----------------------------------------------------------


class EnvelopeKeys:
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


def sealed_parts(app: OfficerApp, report: ReportRecord) -> list[tuple[str, str, Any]]:
    """Every sealed part of a case a grant must cover: (blob, kind, entry or id)."""
    parts: list[tuple[str, str, Any]] = [(CONTENT_BLOB, "content", None)]
    attachment_ids = list(report.attachments)
    for entry_id, entry in app.cases.list_entries_with_ids(report.number):
        if entry.kind is EntryKind.supplement:
            parts.append((entry_blob(entry_id), "entry", entry))
            attachment_ids += [a for a in entry.attachments if a not in attachment_ids]
    parts += [(attachment_blob(a), "attachment", a) for a in attachment_ids]
    return parts


def report_of(app: OfficerApp, number: str) -> ReportRecord:
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
    values = query_params(request, {"unit", "after", "limit", "all"})
    unit = values.get("unit", caller.officer.unit)
    unit_or_refuse(app, caller, unit, AuditAction.list_cases)
    if not access.may_list(app.office, caller.officer, unit):
        refuse(app, caller.officer, unit, AuditAction.list_cases, None, "unit_forbidden")
    limit = int_param(values, "limit", 50, 1, PAGE_MAX)
    everything = int_param(values, "all", 0, 0, 1) == 1
    try:
        cases, cursor = app.cases.list_cases(
            unit, open_only=not everything, limit=limit, after=values.get("after") or None
        )
    except ValueError:
        raise ApiError("query_invalid") from None
    app.cases.append_audit(
        audited(app, caller, unit, AuditAction.list_cases, None, {"count": str(len(cases))})
    )
    return json_response(200, {"cases": [summary_json(c) for c in cases], "next": cursor})


def get_case(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    number = params["number"]
    case = case_or_refuse(app, caller, number, AuditAction.read_case)
    how = access.case_access(app.office, caller.officer, case)
    if how is None:
        refuse(app, caller.officer, case.unit, AuditAction.read_case, number, "case_forbidden")
    report = report_of(app, number)
    keys = EnvelopeKeys(app, caller, case, how)
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
        audited(app, caller, case.unit, AuditAction.read_case, number, {"access": str(how)})
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
    case = case_or_refuse(app, caller, number, AuditAction.read_case)
    how = access.case_access(app.office, caller.officer, case)
    if how is None or how is Access.metadata:
        refuse(app, caller.officer, case.unit, AuditAction.read_case, number, "case_forbidden")
    report = report_of(app, number)
    known = {part for _, kind, part in sealed_parts(app, report) if kind == "attachment"}
    sealed = app.reports.get_sealed_attachment(attachment_id) if attachment_id in known else None
    if sealed is None:
        raise ApiError("not_found")
    keys = EnvelopeKeys(app, caller, case, how)
    app.cases.append_audit(
        audited(
            app, caller, case.unit, AuditAction.read_case, number, {"attachment": attachment_id}
        )
    )
    return json_response(
        200, {"id": attachment_id, "sealed": keys.trim(sealed, attachment_blob(attachment_id))}
    )


def get_identity(app: OfficerApp, request: HttpRequest, params: Mapping[str, str]) -> HttpResponse:
    caller = authenticate(app, request)
    number = params["number"]
    case = case_or_refuse(app, caller, number, AuditAction.read_identity)
    if not access.may_read_identity(caller.officer, case):
        refuse(
            app, caller.officer, case.unit, AuditAction.read_identity, number, "identity_forbidden"
        )
    report = report_of(app, number)
    app.cases.append_audit(audited(app, caller, case.unit, AuditAction.read_identity, number))
    identity = crypto.Envelope.from_bytes(report.identity) if report.identity else None
    return json_response(
        200,
        {"number": number, "identity": identity.model_dump(mode="json") if identity else None},
    )
