"""The whole chain on the AWS store: `jubao serve` with JUBAO_STORE=aws against moto's HTTP
server, the browser-style presigned upload straight to S3, and the app's own EventBridge
handler sealing the upload, then a search of every stored byte for what must not be there."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from chalice.test import Client

from chalicelib import crypto, media
from chalicelib.config.settings import Settings
from tests.conftest import start_server
from tests.store.moto_env import REGION, aws_env, aws_settings, environment, moto_server
from tests.test_attachments import photo

from .client import post_json

__all__ = ["aws_env", "aws_settings", "moto_server"]  # fixtures used by name

REPORT = {
    "kind": "hazard",
    "region": "340100",
    "industry": "urban_gas",
    "unit_name": "合肥某燃气站",
    "description": "储气罐阀门泄漏，现场无人值守。",
}


def _jubao_env(settings: Settings, data: Path) -> dict[str, str]:
    return {
        "JUBAO_STORE": "aws",
        "JUBAO_TABLE": settings.table,
        "JUBAO_BUCKET": settings.bucket,
        "JUBAO_KMS_KEY_ID": settings.kms_key_id,
        "JUBAO_DATA_DIR": str(data),
        "JUBAO_SUBMIT_RATE_PER_MINUTE": "100000",
        "JUBAO_STATUS_RATE_PER_MINUTE": "100000",
    }


@pytest.mark.aws
@pytest.mark.slow
def test_report_upload_and_status_through_http_on_the_aws_store(
    aws_settings: Settings, aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    env = {**environment(aws_env), **_jubao_env(aws_settings, data)}
    server = start_server(data, env=env)
    marker = "MARKER-" + uuid.uuid4().hex
    reporter = "赵" + uuid.uuid4().hex[:6]
    try:
        # a file first: the ticket is a presigned POST straight to S3 (never through the API)
        original = photo(marker)
        ticket = post_json(
            f"{server.url}/api/attachments",
            {"region": "340100", "content_type": "image/jpeg", "size": len(original)},
        ).json
        assert ticket["url"].startswith(aws_env)
        upload = requests.post(
            ticket["url"], data=ticket["fields"], files={"file": ("p.jpg", original)}, timeout=10
        )
        assert upload.status_code == 204

        # S3 -> EventBridge -> the app's seal_upload function (invoked as Lambda would)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        import app as function

        function.public.reset()  # the services of this environment
        app = function.app

        with Client(app, project_dir="functions") as client:
            event = client.events.generate_cw_event(
                source="aws.s3",
                detail_type="Object Created",
                resources=[],
                region=REGION,
                detail={
                    "bucket": {"name": aws_settings.bucket},
                    "object": {"key": ticket["fields"]["key"]},
                },
            )
            client.lambda_.invoke("seal_upload", event)
        function.public.reset()

        key = str(uuid.uuid4())
        body = dict(
            REPORT,
            description=f"{REPORT['description']} {marker}",
            reporter={"name": reporter, "phone": "13600000000"},
            attachments=[ticket["attachment_id"]],
        )
        first = post_json(f"{server.url}/api/reports", body, {"Idempotency-Key": key})
        assert first.status == 201, first.text
        replay = post_json(f"{server.url}/api/reports", body, {"Idempotency-Key": key})
        assert replay.status == 200 and replay.json["receipt"] == first.json["receipt"]
        receipt = first.json["receipt"]
        supplement = post_json(
            f"{server.url}/api/reports/supplement", {"receipt": receipt, "text": f"补充 {marker}"}
        )
        assert supplement.status == 201 and supplement.json["supplements"] == 1
        status = post_json(f"{server.url}/api/status", {"receipt": receipt})
        assert status.status == 200 and status.json["status"] == "received"
    finally:
        server.stop()

    # the handling office (Hefei, the region's own unit) opens the file with its private key:
    # the stripped photo, nothing else
    s3 = boto3.client("s3", region_name=REGION)
    sealed = s3.get_object(Bucket=aws_settings.bucket, Key=f"sealed/{ticket['attachment_id']}")
    office_key = (data / "keys" / f"{REPORT['region']}-content.private").read_text().strip()
    opened = crypto.open_envelope(
        crypto.Envelope.from_bytes(sealed["Body"].read()),
        office_key,
        f"attachment/{ticket['attachment_id']}",
    )
    assert opened == media.strip_jpeg(original)

    # nothing confidential anywhere in the table or in any object version of the bucket
    stored = b""
    ddb = boto3.client("dynamodb", region_name=REGION)
    for page in ddb.get_paginator("scan").paginate(TableName=aws_settings.table):
        stored += json.dumps(page["Items"], default=str, ensure_ascii=False).encode()
    versions = s3.list_object_versions(Bucket=aws_settings.bucket).get("Versions", [])
    assert [v["Key"] for v in versions if v["Key"].startswith("staging/")] == []
    for version in versions:
        stored += s3.get_object(
            Bucket=aws_settings.bucket, Key=version["Key"], VersionId=version["VersionId"]
        )["Body"].read()
    assert stored  # the search had something to search
    for secret in (marker, reporter, "13600000000", receipt.replace("-", "")):
        assert secret.encode() not in stored
    assert b"Make" + marker.encode() not in stored
