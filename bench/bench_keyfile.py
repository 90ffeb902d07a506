"""Key file benchmark: how long an officer waits to unlock a key file, per Argon2id level.

Unlocking is Argon2id (the cost chosen when the file was made), then one
XChaCha20-Poly1305 open and the keys' validation; the first is all of the time. This
is what an officer pays once per session, and what a guesser pays per passphrase
tried. INTERACTIVE and MODERATE: the median of 5 unlocks; SENSITIVE (1 GiB): one.

Run: ``uv run python bench/bench_keyfile.py``.
"""

from __future__ import annotations

import statistics
import time

from chalicelib import crypto
from jubao.officer.keyfile import Limits, OfficerKeys, open_keys, seal_keys

PASSPHRASE = b"a passphrase of some length"
RUNS = {Limits.INTERACTIVE: 5, Limits.MODERATE: 5, Limits.SENSITIVE: 1}


def officer_keys() -> OfficerKeys:
    """An intake officer who holds a unit content key rotated twice (three keys)."""
    keys = OfficerKeys.new("340104-intake")
    for _ in range(3):
        keys = keys.with_unit_key("340104", "content", crypto.generate_keypair()[0])
    return keys


def unlock_seconds(limits: Limits, runs: int) -> list[float]:
    keys = officer_keys()
    raw = seal_keys(keys, PASSPHRASE, development=True, limits=limits)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        opened = open_keys(raw, PASSPHRASE)
        times.append(time.perf_counter() - start)
        assert opened == keys
    return times


def main() -> None:
    for limits, runs in RUNS.items():
        times = unlock_seconds(limits, runs)
        label = "median of 5" if runs > 1 else "one run"
        print(
            f"unlock {limits.name.lower():<11} opslimit {limits.opslimit}, "
            f"memlimit {limits.memlimit // (1 << 20)} MiB: "
            f"{statistics.median(times) * 1000:.0f} ms ({label}"
            + (
                f"; min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f} ms)"
                if runs > 1
                else ")"
            )
        )


if __name__ == "__main__":
    main()
