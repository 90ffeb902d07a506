"""The statuses a report can have, and how the status page names them, Chinese first.

Officers move reports along (the case workflow, a later part of the platform, adds the
transitions and who may make them); the intake only creates ``received``. A status is a
``ReportStatus`` everywhere in the code; stores keep its value.
"""

from __future__ import annotations

from enum import StrEnum

from ..i18n import Text


class ReportStatus(StrEnum):
    received = "received"
    accepted = "accepted"
    not_accepted = "not_accepted"
    extended = "extended"
    forwarded = "forwarded"
    concluded = "concluded"
    rewarded = "rewarded"


LABELS: dict[ReportStatus, Text] = {
    ReportStatus.received: Text(zh="已接收，等待受理", en="Received, awaiting acceptance"),
    ReportStatus.accepted: Text(zh="已受理，正在核查", en="Accepted, under verification"),
    ReportStatus.not_accepted: Text(zh="不予受理", en="Not accepted"),
    ReportStatus.extended: Text(zh="核查已依法延期", en="Verification extended"),
    ReportStatus.forwarded: Text(
        zh="已转交有管辖权的部门办理", en="Forwarded to the competent office"
    ),
    ReportStatus.concluded: Text(zh="已办结", en="Concluded"),
    ReportStatus.rewarded: Text(zh="已办结，奖励已发放", en="Concluded, reward paid"),
}
_UNKNOWN = Text(zh="处理中", en="In progress")


def label(status: str) -> tuple[str, str]:
    """Chinese and English label; a status this version does not know is "in progress"."""
    try:
        text = LABELS[ReportStatus(status)]
    except ValueError:
        text = _UNKNOWN
    return text.zh, text.en
