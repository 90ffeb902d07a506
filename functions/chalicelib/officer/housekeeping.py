"""What the officers' side does on a timer: checkpoints at least daily, old nonces gone.

A unit's log gets a new signed checkpoint when it has grown and its latest checkpoint is
older than ``max_age`` (a day by default), so the witnesses above always have a recent
head to cosign even when nobody asks for one. The local server runs this with its upload
purge; in AWS a scheduled event of the officers' function does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .app import OfficerApp

DAY = timedelta(days=1)


def sign_due_checkpoints(app: OfficerApp, now: datetime, max_age: timedelta = DAY) -> int:
    """Sign a checkpoint of every unit log that grew since one older than ``max_age``."""
    signed = 0
    for unit in app.office.units:
        size = app.cases.audit_size(unit.code)
        if size == 0:
            continue
        latest = app.cases.latest_checkpoint(unit.code)
        if latest is not None and (latest.size >= size or now - latest.created_at < max_age):
            continue
        app.trail.checkpoint(unit.code)
        signed += 1
    return signed


def run(app: OfficerApp, now: datetime) -> dict[str, int]:
    return {
        "checkpoints": sign_due_checkpoints(app, now),
        "nonces_purged": app.cases.purge_nonces(now),
    }
