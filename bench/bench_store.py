"""Store benchmark: the time of one ``create_report`` in each store.

* ``AwsStore`` against moto's HTTP server on 127.0.0.1 (one ``TransactWriteItems`` with
  the report, its idempotency record and one attachment claim). This measures our side
  plus moto, not AWS. moto deep-copies the whole table for every item of a transaction
  (``moto/dynamodb/models/__init__.py``, ``transact_write_items``), so its time grows
  with the table: the figure is given for the table growing to N reports (what was
  asked) and for a table kept near-empty (the items are deleted, untimed, after each
  call), which is closer to our own cost.
* ``SqliteStore`` on a file on disk (WAL, ``synchronous=FULL``: each commit waits for
  the disk), with the same record.

Records are sealed as the intake service seals them (a 600-character description, a
named reporter), so the item sizes are realistic. The first call of each store (client
creation, schema) is reported apart and left out of the statistics.

Run: ``uv run python bench/bench_store.py [N]`` (N reports per store, default 200).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "functions")]

from chalicelib import crypto  # noqa: E402
from chalicelib.cases.status import ReportStatus  # noqa: E402
from chalicelib.receipts import Receipt  # noqa: E402
from chalicelib.reports.models import ReportKind  # noqa: E402
from chalicelib.store.base import (  # noqa: E402
    AttachmentRecord,
    IdempotencyRecord,
    ReportRecord,
    ReportStore,
)

_, CONTENT_KEY = crypto.generate_keypair()
_, CUSTODIAN_KEY = crypto.generate_keypair()
RECEIPT_KEY = crypto.random_bytes(32)
DESCRIPTION = "脚手架立杆悬空、连墙件缺失，作业人员未系安全带，" * 24  # 600 characters


def sealed_report(store: ReportStore) -> tuple[ReportRecord, IdempotencyRecord]:
    """A report as intake builds it, with one uploaded attachment to claim."""
    now = datetime.now(UTC)
    receipt = Receipt.new()
    number = receipt.number
    attachment_id = crypto.random_bytes(16).hex()[:26]
    store.create_attachment(
        AttachmentRecord(
            attachment_id,
            "340104",
            "340000",
            "image/jpeg",
            1_000_000,
            now,
            now + timedelta(hours=24),
        )
    )
    content = json.dumps(
        {
            "kind": "hazard",
            "region": "340104",
            "industry": "construction",
            "unit_name": "合肥某建筑工地",
            "description": DESCRIPTION,
            "received_at": now.isoformat(),
        },
        ensure_ascii=False,
    ).encode()
    identity = json.dumps({"name": "张三", "phone": "13800138000"}, ensure_ascii=False).encode()
    report = ReportRecord(
        number=number,
        receipt_mac=receipt.mac(RECEIPT_KEY),
        received_at=now,
        kind=ReportKind.hazard,
        region="340104",
        industry="construction",
        unit="340000",
        source=None,
        status=ReportStatus.received,
        acceptance_due=now.date() + timedelta(days=7),
        verification_due=None,
        reporter_key=receipt.reporter_keypair()[1],
        content=crypto.seal(content, [CONTENT_KEY], f"{number}/content").to_bytes(),
        identity=crypto.seal(identity, [CUSTODIAN_KEY], f"{number}/identity").to_bytes(),
        attachments=(attachment_id,),
    )
    idempotency = IdempotencyRecord(
        key_hash=crypto.random_bytes(32),
        body_hash=crypto.random_bytes(32),
        report_number=number,
        sealed_receipt=crypto.random_bytes(64),
        expires_at=now + timedelta(hours=24),
    )
    return report, idempotency


def measure(
    store: ReportStore,
    count: int,
    cleanup: Callable[[ReportRecord, IdempotencyRecord], None] | None = None,
) -> tuple[float, list[float]]:
    """(first call, later calls) in milliseconds; preparing and cleaning up are not timed."""
    times: list[float] = []
    for _ in range(count + 1):
        report, idempotency = sealed_report(store)
        started = time.perf_counter()
        store.create_report(report, idempotency)
        times.append((time.perf_counter() - started) * 1000)
        if cleanup is not None:
            cleanup(report, idempotency)
    return times[0], times[1:]


def line(name: str, first: float, times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=100)
    return (
        f"{name:<44} median {statistics.median(times):7.2f} ms   p90 {cuts[89]:7.2f} ms   "
        f"p99 {cuts[98]:7.2f} ms   first call {first:7.1f} ms"
    )


def aws(count: int) -> list[str]:
    import logging
    import os

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    from chalicelib.store.aws import AwsStore
    from tests.store.moto_env import REGION, create_resources, environment, reset, settings_for

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        os.environ.update(environment(f"http://{host}:{port}"))
        store = AwsStore(settings_for(create_resources()))
        first, times = measure(store, count)
        growing = line(f"AwsStore, moto 127.0.0.1 {REGION}, table grows", first, times)

        def forget(report: ReportRecord, idempotency: IdempotencyRecord) -> None:
            keys = [
                (f"report#{report.number}", "report"),
                (f"idem#{idempotency.key_hash.hex()}", "idem"),
                *((f"attachment#{a}", "attachment") for a in report.attachments),
            ]
            for pk, sk in keys:
                store.ddb.delete_item(TableName=store.table, Key={"pk": {"S": pk}, "sk": {"S": sk}})

        reset(f"http://{host}:{port}")
        store = AwsStore(settings_for(create_resources()))
        first, times = measure(store, count, forget)
        small = line("AwsStore, moto, table kept near-empty", first, times)
        return [growing, small]
    finally:
        server.stop()


def sqlite(count: int) -> list[str]:
    from chalicelib.store.sqlite import SqliteStore

    build = ROOT / "build"
    build.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=build) as directory:
        store = SqliteStore(Path(directory) / "bench.sqlite3")
        try:
            first, times = measure(store, count)
        finally:
            store.close()
    return [line("SqliteStore, file on disk, synchronous=FULL", first, times)]


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(f"create_report, {count} reports per store (report + idempotency + 1 attachment claim)")
    runs: list[Callable[[int], list[str]]] = [sqlite, aws]
    for run in runs:
        for text in run(count):
            print(text, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
