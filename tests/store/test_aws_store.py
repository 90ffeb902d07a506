"""What only the AWS store has: lazy boto3, its settings, item size, TTL bookkeeping."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from chalicelib.settings import Settings
from chalicelib.store.aws import MAX_INLINE_BYTES, TTL_ATTRIBUTE, AwsStore
from chalicelib.store.base import StoreError

from tests.store import support as s
from tests.store.moto_env import REGION

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_store_and_the_pipeline_does_not_import_boto3() -> None:
    code = (
        "import sys\n"
        "import chalicelib.store.aws, chalicelib.attachments, chalicelib.media\n"
        "from chalicelib.settings import Settings\n"
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
