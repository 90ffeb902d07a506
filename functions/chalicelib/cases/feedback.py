"""What an office tells a reporter, sealed so that only the receipt holder can read it.

Feedback is sealed to the reporter's public key (derived from the receipt secret, which
the platform never keeps), so neither the store nor anyone who knows only the report
number can read it; the status page opens it with the receipt. Officers' machines call
this (the officers' front door, a later part); the public front door never does.
"""

from __future__ import annotations

from .. import crypto
from ..clock import Clock, system_clock
from ..store.base import Entry, EntryKind, ReportStore


def add_feedback(store: ReportStore, number: str, text: str, clock: Clock = system_clock) -> None:
    """Seal ``text`` to the reporter of report ``number`` and keep it with the report."""
    report = store.get_report(number)
    if report is None:
        raise KeyError(number)
    sealed = crypto.seal(text.encode("utf-8"), [report.reporter_key], f"{number}/feedback")
    store.add_entry(Entry(number, EntryKind.feedback, clock(), sealed.to_bytes()))
