"""How many refusals of unsigned requests reach the audit log: a bounded number.

A refusal of a request that carries no valid signature names no officer, so anyone on
the internet can cause one. Writing each to the top unit's log would let a stranger grow
that log without limit (storage, and the auditors' time to verify it). So these are
written at most ``per_minute`` a minute per process, and each written one says how many
were refused, unwritten, since the one before it: the log still accounts for every
refusal, in number. Refusals of signed requests name their officer and are always
written in full.
"""

from __future__ import annotations

import threading

from ..web.ratelimit import RateLimiter

UNSIGNED = "unsigned"


class RefusalSampler:
    def __init__(self, per_minute: int) -> None:
        self._limit = RateLimiter(per_minute, burst=per_minute, max_clients=1)
        self._unwritten = 0
        self._lock = threading.Lock()

    def admit(self, now: float | None = None) -> int | None:
        """None: count this refusal without writing it; else write it, noting the count
        of those left unwritten since the last written one (then reset)."""
        with self._lock:
            if self._limit.allow(UNSIGNED, now) > 0:
                self._unwritten += 1
                return None
            unwritten, self._unwritten = self._unwritten, 0
            return unwritten


__all__ = ["RefusalSampler"]
