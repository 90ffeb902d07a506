"""Officer request signatures: what signing and verifying one request costs.

Every officer request is signed on the officer's PC (``sign_request``) and verified in the
officer function (``verify_request``) before anything else runs, so the verify figure is a
fixed cost added to every officer call. The baseline is what an unsigned call would spend
on the same request anyway in the most generous reading: hashing its body once
(``content_digest``); the Ed25519 check alone (``crypto.verify`` of a ready base) shows how
much of the total is libsodium and how much is parsing and building the base in Python.
Refusals are timed too: an expired signature is refused before any Ed25519 work, a forged
one only after it.

The request is a 1 KiB JSON body on a case path with a short query. Each figure is the
median over many single calls (after a warm-up, the figures taking turns), in
microseconds.

Run: ``make bench`` (all benchmarks) or ``uv run python bench/bench_signatures.py [N]``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable

from chalicelib import crypto
from chalicelib.officer.signatures import (
    SignatureRefused,
    content_digest,
    signature_base,
    verify_request,
)
from jubao.officer.signing import sign_request

OFFICER = "340104-007"
SEED, VERIFY = crypto.generate_signing_keypair()
KEYS = {OFFICER: VERIFY}
METHOD, PATH, QUERY = "POST", "/api/officer/cases/12345678/feedback", "v=2"
BODY = json.dumps(
    {"text": "已责令停工整改，复查时间另行通知。" * 20, "status": "verified"}
).encode()
BODY = (BODY + b" " * 1024)[:1024]


def medians_us(calls: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """The median single-call time of each, in µs; the calls take turns in rounds of 100.

    On a shared machine the load changes over seconds: taking turns spreads it evenly over
    all figures, so their ratios hold even when the absolute values drift.
    """
    samples: dict[str, list[int]] = {name: [] for name in calls}
    for call in calls.values():  # warm-up
        for _ in range(200):
            call()
    for _ in range(max(1, runs // 100)):
        for name, call in calls.items():
            for _ in range(100):
                start = time.perf_counter_ns()
                call()
                samples[name].append(time.perf_counter_ns() - start)
    return {name: statistics.median(times) / 1000 for name, times in samples.items()}


def refused(call: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            call()
        except SignatureRefused:
            return
        raise AssertionError("expected a refusal")

    return run


def main(runs: int = 5000) -> None:
    now = time.time()
    headers = sign_request(
        METHOD, PATH, QUERY, BODY, officer_id=OFFICER, signing_seed_b64=SEED, now=now
    )
    # one base64 character of the signature changed: still 64 bytes, no longer valid
    field, at = headers["Signature"], len("jubao=:") + 10
    forged = {
        **headers,
        "Signature": field[:at] + ("B" if field[at] == "A" else "A") + field[at + 1 :],
    }
    verified = verify_request(METHOD, PATH, QUERY, headers, BODY, keys=KEYS.get, now=now)
    base = verified.base.encode("ascii")
    signature = crypto.b64d(verified.signature_b64)
    params: dict[str, int | str] = {
        "created": int(now),
        "keyid": OFFICER,
        "alg": "ed25519",
        "nonce": verified.nonce,
    }

    def verify(h: dict[str, str] = headers, at: float = now) -> object:
        return verify_request(METHOD, PATH, QUERY, h, BODY, keys=KEYS.get, now=at)

    figures = {
        "baseline: content_digest(body) (unsigned call)": lambda: content_digest(BODY),
        "crypto.verify of a ready base (Ed25519 alone)": lambda: crypto.verify(
            VERIFY, base, signature
        ),
        "signature_base (building the base)": lambda: signature_base(
            METHOD, PATH, QUERY, headers["Content-Digest"], params
        ),
        "verify_request, valid": verify,
        "verify_request, expired (refused before Ed25519)": refused(lambda: verify(at=now + 3600)),
        "verify_request, forged (refused after Ed25519)": refused(lambda: verify(forged)),
        "sign_request (officer's PC)": lambda: sign_request(
            METHOD, PATH, QUERY, BODY, officer_id=OFFICER, signing_seed_b64=SEED, now=now
        ),
    }
    print(f"officer request signatures: {len(BODY)} B body, median of {runs} calls")
    results = medians_us(figures, runs)
    baseline = results["baseline: content_digest(body) (unsigned call)"]
    for name, us in results.items():
        print(f"  {name:50} {us:8.1f} µs   {us / baseline:6.1f}× baseline")
    extra = results["verify_request, valid"] - baseline
    print(f"  verify_request adds {extra:.1f} µs per officer call over the unsigned baseline")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
