"""The time, as a dependency: what decides deadlines is passed in, never read ad hoc.

Every service takes a ``Clock`` (tests pass a fixed one; deadlines of the case workflow
will be computed from it), and only ``system_clock`` reads the real time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC (aware)."""
    return datetime.now(UTC)
