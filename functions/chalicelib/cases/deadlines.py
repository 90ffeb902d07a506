"""Deadlines of a report, counted in calendar days in China from the time it arrived.

Only the acceptance deadline exists today; the verification deadline, its one extension
and the clocks of forwarding and escalation (the case workflow) belong here too. The
current time always comes in as an argument (``chalicelib.clock``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from ..config.office import Deadlines

CHINA = timezone(timedelta(hours=8))


def local_date(moment: datetime) -> date:
    """The calendar date in China, which is what deadlines count from."""
    return moment.astimezone(CHINA).date()


def acceptance_promised(deadlines: Deadlines) -> bool:
    """Whether the public may be told an acceptance due date: only when the office
    confirmed the acceptance limit as its own commitment (no regulation found sets one).
    The case clock counts it either way; pages and the API's answers state it only then."""
    return deadlines.acceptance_days_confirmed


def acceptance_due(received_at: datetime, deadlines: Deadlines) -> date:
    return local_date(received_at) + timedelta(days=deadlines.acceptance_days)
