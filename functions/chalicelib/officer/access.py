"""Who may do what: the server's half of the officers' access rules, as pure functions.

The other half is the keys: a unit that was never given a key cannot decrypt whatever
the server returns. These rules keep the circle small (严格控制举报信息的知悉范围): a case's
content reaches the handling unit's intake officers (who hold its content key) and the
officers a case is granted to; the identity reaches the unit's custodian only; the units
above see metadata, for supervision; an officer excluded from a case (conflict of
interest) sees nothing of it, whatever their role.
"""

from __future__ import annotations

from enum import StrEnum

from ..config.office import OfficeConfig, Officer, Role
from ..store.cases import CaseRecord


class Access(StrEnum):
    unit_key = "unit_key"  # an intake officer of the handling unit: the unit's content key
    grant = "grant"  # an officer the case was granted to: their own key
    metadata = "metadata"  # a supervisor above: state, deadlines, region, industry


def supervises(office: OfficeConfig, officer: Officer, unit: str) -> bool:
    """Whether ``officer`` is a supervisor of a unit above ``unit`` (any level)."""
    if not officer.has(Role.supervisor):
        return False
    return any(u.code == unit for u in office.units_below(officer.unit))


def visible_units(office: OfficeConfig, officer: Officer) -> list[str]:
    """The units whose case metadata ``officer`` may list: their own, and those below
    them if they supervise."""
    units = [officer.unit]
    if officer.has(Role.supervisor):
        units += [u.code for u in office.units_below(officer.unit)]
    return units


def may_list(office: OfficeConfig, officer: Officer, unit: str) -> bool:
    return unit == officer.unit or supervises(office, officer, unit)


def case_access(office: OfficeConfig, officer: Officer, case: CaseRecord) -> Access | None:
    """How ``officer`` may see ``case``; None means not at all."""
    if officer.id in case.excluded:
        return None
    if officer.unit == case.unit and officer.has(Role.intake):
        return Access.unit_key
    if officer.id in case.assignees:
        return Access.grant
    if supervises(office, officer, case.unit):
        return Access.metadata
    return None


def may_read_identity(officer: Officer, case: CaseRecord) -> bool:
    return (
        officer.unit == case.unit
        and officer.has(Role.custodian)
        and officer.id not in case.excluded
    )


def may_grant(officer: Officer, case: CaseRecord) -> bool:
    """Signing for, granting, revoking, transferring, excluding: the unit's intake."""
    return (
        officer.unit == case.unit and officer.has(Role.intake) and officer.id not in case.excluded
    )


def valid_grantee(grantee: Officer | None, case: CaseRecord) -> bool:
    """A case goes to an active handler (or intake officer) of its own unit."""
    return (
        grantee is not None
        and grantee.active
        and grantee.unit == case.unit
        and (grantee.has(Role.handler) or grantee.has(Role.intake))
    )


def may_escalate(office: OfficeConfig, officer: Officer, case: CaseRecord) -> bool:
    """Escalating (re-wrapping a case upward) is for those who can open it themselves."""
    return case_access(office, officer, case) in (Access.unit_key, Access.grant)


def valid_escalation_target(office: OfficeConfig, target: Officer | None, case: CaseRecord) -> bool:
    """A case is escalated to an active supervisor of a unit above its own (any level);
    from then on they hold a grant like a handler's, and can be revoked like one."""
    return (
        target is not None
        and target.active
        and target.id not in case.excluded
        and supervises(office, target, case.unit)
    )


def may_read_log(office: OfficeConfig, officer: Officer, log: str) -> bool:
    """A unit's own officers read its log; the supervisors above read it as witnesses."""
    return officer.unit == log or supervises(office, officer, log)


def may_cosign(office: OfficeConfig, officer: Officer, log: str) -> bool:
    """Only a supervisor of the unit directly above witnesses a unit's log."""
    above = office.unit_above(log)
    return above is not None and officer.unit == above.code and officer.has(Role.supervisor)
