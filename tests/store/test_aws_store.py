"""What only the AWS store has: lazy boto3, its settings, item size, TTL and tag bookkeeping,
waiting for the sealer, purging every object version."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from chalicelib.config.settings import Settings
from chalicelib.store.aws import (
    MAX_INLINE_BYTES,
    TTL_ATTRIBUTE,
    UNCLAIMED_TAG_KEY,
    AwsStore,
    sealed_key,
    staging_key,
)
from chalicelib.store.base import AttachmentUnavailable, Entry, StoreError
from tests.store import support as s
from tests.store.moto_env import REGION

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_store_and_the_pipeline_does_not_import_boto3() -> None:
    code = (
        "import sys\n"
        "import chalicelib.store.aws, chalicelib.reports.attachments, chalicelib.media\n"
        "from chalicelib.config.settings import Settings\n"
        "chalicelib.store.aws.AwsStore(Settings(store='aws', kms_key_id='k'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "functions",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_a_kms_key_is_required() -> None:
    with pytest.raises(StoreError):
        AwsStore(Settings(store="aws"))


@pytest.mark.aws
def test_clients_use_the_configured_region_and_endpoint(
    aws_settings: Settings, aws_env: str
) -> None:
    store = AwsStore(aws_settings)
    assert store.ddb.meta.region_name == REGION == store.s3.meta.region_name
    assert store.ddb.meta.endpoint_url == aws_env  # AWS_ENDPOINT_URL, honoured by boto3


@pytest.mark.aws
def test_oversized_sealed_content_is_refused_before_writing(aws_settings: Settings) -> None:
    store = AwsStore(aws_settings)
    big = replace(s.report(), content=b"x" * (MAX_INLINE_BYTES + 1))
    with pytest.raises(StoreError):
        store.create_report(big, s.idempotency(big))
    assert store.get_report(big.number) is None


@pytest.mark.aws
def test_ttl_marks_what_may_expire_and_claims_clear_it(aws_settings: Settings) -> None:
    store = AwsStore(aws_settings)
    record = s.attachment()
    store.create_attachment(record)
    store.put_sealed_attachment(record.attachment_id, b"sealed", 6)
    report = s.report(attachments=(record.attachment_id,))
    idem = s.idempotency(report)
    ddb = boto3.client("dynamodb", region_name=REGION)

    def item(pk: str, sk: str) -> dict[str, dict[str, str]]:
        got = ddb.get_item(TableName=aws_settings.table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
        return dict(got["Item"])  # type: ignore[arg-type]

    attachment_key = (f"attachment#{record.attachment_id}", "attachment")
    ttl = int(item(*attachment_key)[TTL_ATTRIBUTE]["N"])
    assert ttl >= int(record.expires_at.timestamp())
    store.create_report(report, idem)
    assert TTL_ATTRIBUTE not in item(*attachment_key)  # a claimed file is kept
    assert int(item(f"idem#{idem.key_hash.hex()}", "idem")[TTL_ATTRIBUTE]["N"]) >= int(
        idem.expires_at.timestamp()
    )
    assert TTL_ATTRIBUTE not in item(f"report#{report.number}", "report")


def _tags(settings: Settings, key: str) -> dict[str, str]:
    s3 = boto3.client("s3", region_name=REGION)
    tags = s3.get_object_tagging(Bucket=settings.bucket, Key=key)["TagSet"]
    return {t["Key"]: t["Value"] for t in tags}


@pytest.mark.aws
def test_sealed_objects_are_tagged_unclaimed_until_a_report_or_entry_claims_them(
    aws_settings: Settings,
) -> None:
    store = AwsStore(aws_settings, seal_wait=0)
    ids = []
    for _ in range(3):
        record = s.attachment()
        store.create_attachment(record)
        store.put_sealed_attachment(record.attachment_id, b"sealed", 6)
        assert _tags(aws_settings, sealed_key(record.attachment_id)) == {UNCLAIMED_TAG_KEY: "1"}
        ids.append(record.attachment_id)
    report = s.report(attachments=(ids[0],))
    store.create_report(report)
    store.add_entry(Entry(report.number, "supplement", s.now(), b"x", (ids[1],)))
    assert _tags(aws_settings, sealed_key(ids[0])) == {}
    assert _tags(aws_settings, sealed_key(ids[1])) == {}
    # refused claims leave the tag: the lifecycle still takes the file
    with pytest.raises(AttachmentUnavailable):
        store.create_report(s.report(attachments=(ids[2], ids[0])))
    assert _tags(aws_settings, sealed_key(ids[2])) == {UNCLAIMED_TAG_KEY: "1"}


@pytest.mark.aws
def test_a_claim_waits_for_a_file_the_sealer_is_still_working_on(aws_settings: Settings) -> None:
    store = AwsStore(aws_settings, seal_wait=5)
    record = s.attachment()
    store.create_attachment(record)
    sealer = threading.Timer(
        0.6, lambda: store.put_sealed_attachment(record.attachment_id, b"sealed", 6)
    )
    started = time.monotonic()
    sealer.start()
    report = s.report(attachments=(record.attachment_id,))
    store.create_report(report)
    sealer.join()
    assert time.monotonic() - started >= 0.5
    claimed = store.get_attachment(record.attachment_id)
    assert claimed is not None and claimed.report_number == report.number
    assert _tags(aws_settings, sealed_key(record.attachment_id)) == {}


@pytest.mark.aws
def test_a_file_that_never_arrives_is_refused_after_the_wait(aws_settings: Settings) -> None:
    store = AwsStore(aws_settings, seal_wait=0.6)
    record = s.attachment()
    store.create_attachment(record)
    started = time.monotonic()
    with pytest.raises(AttachmentUnavailable):
        store.create_report(s.report(attachments=(record.attachment_id,)))
    assert 0.5 <= time.monotonic() - started < 5
    # an old pending record is refused at once: its ticket can no longer be used
    old = replace(
        s.attachment(),
        created_at=s.now() - timedelta(hours=1),
    )
    store.create_attachment(old)
    store.seal_wait = 30
    started = time.monotonic()
    with pytest.raises(AttachmentUnavailable):
        store.create_report(s.report(attachments=(old.attachment_id,)))
    assert time.monotonic() - started < 5


@pytest.mark.aws
def test_purge_deletes_every_version_and_the_staged_upload(aws_settings: Settings) -> None:
    store = AwsStore(aws_settings)
    s3 = boto3.client("s3", region_name=REGION)
    record = s.attachment(expires_in=-timedelta(minutes=1))
    store.create_attachment(record)
    store.put_sealed_attachment(record.attachment_id, b"sealed", 6)
    # a second version of the sealed object and a leftover staged upload
    for key in (sealed_key(record.attachment_id), staging_key(record.attachment_id)):
        s3.put_object(
            Bucket=aws_settings.bucket,
            Key=key,
            Body=b"again",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=aws_settings.kms_key_id,
        )
    kept = s.attachment()
    store.create_attachment(kept)
    store.put_sealed_attachment(kept.attachment_id, b"kept", 4)

    assert store.purge_uploads(s.now()) == 1
    listing = s3.list_object_versions(Bucket=aws_settings.bucket)
    left = {v["Key"] for v in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]}
    assert left == {sealed_key(kept.attachment_id)}
