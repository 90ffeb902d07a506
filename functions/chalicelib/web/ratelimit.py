"""Per-client rate limits that never store an IP address.

A client is known only by a keyed hash of its address under a key each limiter makes
when it is created and keeps in memory, so the buckets cannot be turned back into
addresses and vanish with the process. In AWS this is a second line: API Gateway stage
throttling (set in the deployment template) limits the whole API, and Lambda reserved
concurrency caps cost; this limiter then stops one client from using up a container's
share.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from .. import crypto


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per (action, client), bounded in memory (least recently used go)."""

    def __init__(self, per_minute: int, burst: int | None = None, max_clients: int = 50_000):
        self._key = crypto.random_bytes(crypto.KEY_BYTES)
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(per_minute // 2, 1))
        self.max_clients = max_clients
        self._buckets: OrderedDict[bytes, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def client_key(self, client: str) -> bytes:
        return crypto.keyed_hash(self._key, client.encode("utf-8"), b"ratelimit", size=16)

    def allow(self, client: str, now: float | None = None) -> float:
        """0 if the request may go ahead, else the seconds to wait."""
        key = self.client_key(client)
        moment = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(self.capacity, moment)
            bucket.tokens = min(
                self.capacity, bucket.tokens + (moment - bucket.updated) * self.rate
            )
            bucket.updated = moment
            self._buckets[key] = bucket
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate
