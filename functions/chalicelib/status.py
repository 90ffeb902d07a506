"""The public life of a report: statuses the reporter sees, and the deadlines they imply.

Officers move reports along (a later part of the platform); the intake side only creates
``received``. Labels are what the status page shows, Chinese first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from .office import Deadlines

CHINA = timezone(timedelta(hours=8))

STATUSES: dict[str, tuple[str, str]] = {
    "received": ("已接收，等待受理", "Received, awaiting acceptance"),
    "accepted": ("已受理，正在核查", "Accepted, under verification"),
    "not_accepted": ("不予受理", "Not accepted"),
    "extended": ("核查已依法延期", "Verification extended"),
    "forwarded": ("已转交有管辖权的部门办理", "Forwarded to the competent office"),
    "concluded": ("已办结", "Concluded"),
    "rewarded": ("已办结，奖励已发放", "Concluded, reward paid"),
}


def label(status: str) -> tuple[str, str]:
    return STATUSES.get(status, ("处理中", "In progress"))


def local_date(moment: datetime) -> date:
    """The calendar date in China, which is what deadlines count from."""
    return moment.astimezone(CHINA).date()


def acceptance_due(received_at: datetime, deadlines: Deadlines) -> date:
    return local_date(received_at) + timedelta(days=deadlines.acceptance_days)


def now_utc() -> datetime:
    return datetime.now(UTC)
