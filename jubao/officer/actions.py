"""What an officer does, as functions over a signed client, their keys and the office file.

The ``jubao officer`` command line prints what these return; the local officer console
(part 4) is meant to call the same functions. Nothing here prints, reads a terminal or
exits: each function returns plain data, or raises ``ActionError`` (a refusal decided on
this machine) or ``OfficerApiError`` (the server's).

Who may receive a case, and with which public key, is read from the *local* office
configuration, never from the server: a server that could name the key a case is
wrapped to could have it wrapped to itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib import crypto
from chalicelib.config.office import OfficeConfig, Officer, Role
from chalicelib.officer.access import supervises
from jubao.officer import casework
from jubao.officer.client import ApiClient, segment
from jubao.officer.errors import OfficerError
from jubao.officer.keyfile import OfficerKeys, UnitRole
from jubao.officer.recovery import open_unit_key, recover_key, seal_unit_key_for, split_key


class ActionError(OfficerError):
    """A command this machine refuses before asking the server; bilingual, no secrets."""


def _case_path(number: str, tail: str = "") -> str:
    return f"/cases/{segment(number)}{tail}"


def roster_officer(office: OfficeConfig, officer_id: str) -> Officer:
    """An active officer of the local roster, or a refusal naming the id."""
    officer = office.officer(officer_id)
    if officer is None or not officer.active:
        raise ActionError(
            f"本地配置的人员名册中没有在职人员 {officer_id}。",
            f"No active officer {officer_id} in the local roster.",
        )
    return officer


# ---- reading -------------------------------------------------------------------------------


def whoami(client: ApiClient) -> dict[str, Any]:
    return client.get("/me")


def list_cases(
    client: ApiClient,
    *,
    unit: str | None = None,
    after: str | None = None,
    limit: int | None = None,
    every: bool = False,
) -> dict[str, Any]:
    """A page of a unit's cases by next deadline: ``{"cases": [...], "next": cursor}``."""
    query: dict[str, object] = {"unit": unit, "after": after, "limit": limit}
    if every:
        query["all"] = 1
    return client.get("/cases", query)


@dataclass(frozen=True)
class OpenedCase:
    """A case as its officer sees it: the server's view with its sealed parts opened."""

    view: dict[str, Any]
    content: dict[str, Any] | None  # None: metadata only (a unit above)
    supplements: list[dict[str, Any]]

    @property
    def summary(self) -> dict[str, Any]:
        case: dict[str, Any] = self.view["case"]
        return case

    def as_json(self) -> dict[str, Any]:
        """The machine-readable form (``show --json``): metadata, then what was opened."""
        case = self.summary
        return {
            "number": case.get("number"),
            "state": case.get("state"),
            "unit": case.get("unit"),
            "kind": case.get("kind"),
            "region": case.get("region"),
            "industry": case.get("industry"),
            "version": case.get("version"),
            "received_at": case.get("received_at"),
            "next_deadline": case.get("next_deadline"),
            "assignees": case.get("assignees", []),
            "excluded": case.get("excluded", []),
            "access": self.view.get("access"),
            "description": (self.content or {}).get("description"),
            "content": self.content,
            "supplements": self.supplements,
            "attachments": self.view.get("attachments", []),
            "history": self.view.get("history", []),
        }


def show_case(client: ApiClient, keys: OfficerKeys, number: str) -> OpenedCase:
    """Fetch a case and open, on this machine, every part the officer's keys open."""
    view = client.get(_case_path(number))
    if view.get("content") is None:
        return OpenedCase(view, None, [])
    content = casework.open_case_content(view, keys)
    opened = []
    for entry in casework.supplements(view):
        supplement = casework.open_entry(number, entry, keys)
        opened.append({"id": entry.get("id"), "at": entry.get("at"), **supplement})
    return OpenedCase(view, content, opened)


def fetch_attachment(client: ApiClient, keys: OfficerKeys, number: str, attachment: str) -> bytes:
    answer = client.get(_case_path(number, f"/attachments/{segment(attachment)}"))
    return casework.open_attachment(attachment, answer.get("sealed"), keys)


def open_identity(client: ApiClient, keys: OfficerKeys, number: str) -> dict[str, Any] | None:
    """The reporter's identity (custodian only); None for an anonymous report."""
    answer = client.get(_case_path(number, "/identity"))
    if answer.get("identity") is None:
        return None
    return casework.open_identity(number, answer["identity"], keys)


# ---- granting ------------------------------------------------------------------------------


def _grantee(office: OfficeConfig, view: Mapping[str, Any], officer_id: str) -> Officer:
    grantee = roster_officer(office, officer_id)
    case = view["case"]
    if grantee.unit != case.get("unit"):
        raise ActionError(
            f"{officer_id} 不属于承办单位 {case.get('unit')}，不能受理该案件。",
            f"{officer_id} is not of the handling unit {case.get('unit')}.",
        )
    if officer_id in (case.get("excluded") or []):
        raise ActionError(
            f"{officer_id} 已因利害关系被回避，不能受理该案件。",
            f"{officer_id} is excluded from this case (conflict of interest).",
        )
    return grantee


def _grant_body(
    client: ApiClient, keys: OfficerKeys, view: Mapping[str, Any], grantee: Officer
) -> dict[str, Any]:
    """The case's version as seen and every data key re-wrapped, here, for ``grantee``."""
    number = casework.case_number(view)
    wraps = casework.make_wraps(
        view, keys, grantee.encryption_key, set(), casework.attachment_fetcher(client, number)
    )
    return {"to": grantee.id, "expected_version": view["case"]["version"], "wraps": wraps}


def assign(
    client: ApiClient, office: OfficeConfig, keys: OfficerKeys, number: str, to: str
) -> dict[str, Any]:
    """Sign for a case and grant it to ``to``: its data keys re-wrapped on this machine."""
    view = client.get(_case_path(number))
    body = _grant_body(client, keys, view, _grantee(office, view, to))
    return client.post(_case_path(number, "/grant"), body)


def transfer(
    client: ApiClient, office: OfficeConfig, keys: OfficerKeys, number: str, old: str, new: str
) -> dict[str, Any]:
    view = client.get(_case_path(number))
    body = _grant_body(client, keys, view, _grantee(office, view, new))
    return client.post(_case_path(number, "/transfer"), {"from": old, **body})


def escalate(
    client: ApiClient, office: OfficeConfig, keys: OfficerKeys, number: str, to: str
) -> dict[str, Any]:
    """Re-wrap a case, on this machine, for a supervisor of a unit above (audited there).

    The supervisor's public key comes from the local roster, and the rule is the
    server's own (``access.supervises``), so a case cannot be escalated sideways.
    """
    view = client.get(_case_path(number))
    target = roster_officer(office, to)
    unit = str(view["case"].get("unit"))
    if not supervises(office, target, unit):
        raise ActionError(
            f"{to} 不是承办单位 {unit} 上级单位的监督人员。",
            f"{to} is not a supervisor of a unit above {unit}.",
        )
    if to in (view["case"].get("excluded") or []):
        raise ActionError(
            f"{to} 已因利害关系被回避。", f"{to} is excluded from this case (conflict of interest)."
        )
    return client.post(_case_path(number, "/escalate"), _grant_body(client, keys, view, target))


def _versioned(client: ApiClient, number: str, action: str, officer_id: str) -> dict[str, Any]:
    view = client.get(_case_path(number))
    return client.post(
        _case_path(number, f"/{action}"),
        {"officer": officer_id, "expected_version": view["case"]["version"]},
    )


def revoke(client: ApiClient, number: str, officer_id: str) -> dict[str, Any]:
    return _versioned(client, number, "revoke", officer_id)


def exclude(client: ApiClient, number: str, officer_id: str) -> dict[str, Any]:
    return _versioned(client, number, "exclude", officer_id)


# ---- unit keys -----------------------------------------------------------------------------


def unit_key(keys: OfficerKeys, unit: str, role: UnitRole) -> str:
    """The current unit key of ``role`` this officer holds, or a refusal."""
    held = keys.unit_keys.get(unit)
    current = getattr(held, role) if held is not None else ()
    if not current:
        raise ActionError(
            f"您的密钥文件中没有单位 {unit} 的{_ROLE_ZH[role]}密钥。",
            f"Your key file holds no {role} key of unit {unit}.",
        )
    return str(current[0])


_ROLE_ZH: dict[str, str] = {"content": "内容", "custodian": "身份信息保管"}


def record_key_event(
    client: ApiClient,
    action: str,
    unit: str,
    role: UnitRole,
    *,
    subject: str | None = None,
    key_id: str | None = None,
) -> dict[str, Any]:
    """Enter a key event done on this machine in the unit's audit log."""
    event: dict[str, Any] = {"action": action, "unit": unit, "role": role}
    if subject is not None:
        event["subject"] = subject
    if key_id is not None:
        event["key_id"] = key_id
    return client.post("/keys/events", event)


def enrol_package(
    office: OfficeConfig, keys: OfficerKeys, unit: str, role: UnitRole, to: str
) -> bytes:
    """The unit key, sealed on this machine to a newly enrolled officer's public key."""
    recipient = roster_officer(office, to)
    needed = Role.intake if role == "content" else Role.custodian
    if recipient.unit != unit or not recipient.has(needed):
        raise ActionError(
            f"{to} 不是单位 {unit} 的{'受理' if role == 'content' else '保管'}人员。",
            f"{to} is not an {needed.value} officer of unit {unit}.",
        )
    return seal_unit_key_for(recipient.encryption_key, unit, role, unit_key(keys, unit, role))


def import_package(keys: OfficerKeys, package: bytes, unit: str, role: UnitRole) -> OfficerKeys:
    return open_unit_key(package, keys, unit, role)


def import_private(keys: OfficerKeys, unit: str, role: UnitRole, private: str) -> OfficerKeys:
    return keys.with_unit_key(unit, role, private)


def rotate(keys: OfficerKeys, unit: str, role: UnitRole) -> tuple[OfficerKeys, str]:
    """A new unit key pair: the private half current in ``keys``; returns the public half."""
    unit_key(keys, unit, role)  # only a holder of the unit's key rotates it
    private, public = crypto.generate_keypair()
    return keys.with_unit_key(unit, role, private), public


def split(
    keys: OfficerKeys, unit: str, role: UnitRole, threshold: int, holders: Sequence[str]
) -> dict[str, str]:
    return split_key(unit_key(keys, unit, role), threshold, holders)


def recover(keys: OfficerKeys, unit: str, role: UnitRole, shares: Sequence[str]) -> OfficerKeys:
    return keys.with_unit_key(unit, role, recover_key(shares))


def public_entry(keys: OfficerKeys) -> dict[str, Any]:
    """What the office puts in its roster for this officer: public keys only."""
    return {
        "id": keys.officer,
        "signing_key": keys.signing_public,
        "encryption_key": keys.encryption_public,
        "encryption_key_id": crypto.key_id(keys.encryption_public),
        "unit_keys": {
            unit: {
                role: [crypto.key_id(crypto.public_from_private(k)) for k in getattr(held, role)]
                for role in ("content", "custodian")
                if getattr(held, role)
            }
            for unit, held in keys.unit_keys.items()
        },
    }


__all__ = [
    "ActionError",
    "ApiClient",
    "OpenedCase",
    "assign",
    "enrol_package",
    "escalate",
    "exclude",
    "fetch_attachment",
    "import_package",
    "import_private",
    "list_cases",
    "open_identity",
    "public_entry",
    "record_key_event",
    "recover",
    "revoke",
    "roster_officer",
    "rotate",
    "show_case",
    "split",
    "transfer",
    "unit_key",
    "whoami",
]
