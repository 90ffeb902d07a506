"""Nothing a reporter typed or uploaded reaches storage in the clear.

A report is submitted through the real intake service with a marker planted in the
description, the address, the reporter's name and an attached file; then every byte
the store wrote is searched for it: the SQLite file with its WAL, or every S3 object
version and every DynamoDB item. A positive control proves each search can see stored
data (the clear region code is found), and the officer's private keys prove the marker
really was submitted (the sealed content opens and contains it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from chalicelib import attachments, crypto
from chalicelib.intake import Intake
from chalicelib.models import UploadRequest
from chalicelib.settings import Settings
from chalicelib.store.aws import AwsStore
from chalicelib.store.sqlite import SqliteStore

from tests.store import support as s
from tests.store.moto_env import REGION


def _markers() -> tuple[str, str]:
    tag = crypto.random_bytes(6).hex()
    return f"MARKER{tag}", f"危险标记{tag}"


def _forms(text: str) -> list[bytes]:
    """How a leaked string could look on disk: UTF-8, or JSON with escaped non-ASCII."""
    return [text.encode("utf-8"), json.dumps(text).strip('"').encode("ascii")]


def _pdf_with(marker: str) -> bytes:
    return b"%PDF-1.4\n1 0 obj\n<< /Title (" + marker.encode() + b") >>\nendobj\n%%EOF\n"


def _submit(intake: Intake, attachment_id: str, ascii_marker: str, cjk_marker: str) -> str:
    payload = {
        "kind": "hazard",
        "region": s.REGION,
        "industry": "construction",
        "unit_name": "某建筑工地",
        "description": f"脚手架严重变形，{cjk_marker} {ascii_marker}，随时可能坍塌。",
        "address": f"合肥市 {ascii_marker} 路",
        "reporter": {"name": f"张{cjk_marker}", "phone": "13800000000"},
        "attachments": [attachment_id],
    }
    result = intake.submit(payload, "sealing-test-key-0001")
    return result.response.report_number


def _assert_opens_with_marker(
    intake: Intake, keys: s.OfficeKeys, number: str, attachment_id: str, markers: tuple[str, str]
) -> None:
    ascii_marker, cjk_marker = markers
    stored = intake.store.get_report(number)
    assert stored is not None and stored.identity is not None
    content = crypto.open_envelope(
        crypto.Envelope.from_bytes(stored.content), keys.content_private, f"{number}/content"
    )
    identity = crypto.open_envelope(
        crypto.Envelope.from_bytes(stored.identity), keys.custodian_private, f"{number}/identity"
    )
    sealed_file = intake.store.get_sealed_attachment(attachment_id)
    assert sealed_file is not None
    file = crypto.open_envelope(
        crypto.Envelope.from_bytes(sealed_file), keys.content_private, f"attachment/{attachment_id}"
    )
    assert ascii_marker.encode() in content and cjk_marker.encode() in content
    assert cjk_marker.encode() in identity
    assert ascii_marker.encode() in file


def _absent(blob: bytes, *texts: str) -> list[str]:
    return [t for t in texts if any(form in blob for form in _forms(t))]


def test_sqlite_file_holds_no_plaintext(tmp_path: Path) -> None:
    office, keys = s.office_with_keys()
    path = tmp_path / "jubao.sqlite3"
    store = SqliteStore(path)
    intake = s.make_intake(store, office)
    ascii_marker, cjk_marker = _markers()
    pdf = _pdf_with(ascii_marker)
    ticket = attachments.request_upload(
        intake,
        UploadRequest(region=s.REGION, content_type="application/pdf", size=len(pdf)),
        settings=Settings(),
    )
    attachments.receive_upload(intake, ticket.attachment_id, ticket.fields, pdf)
    number = _submit(intake, ticket.attachment_id, ascii_marker, cjk_marker)
    _assert_opens_with_marker(
        intake, keys, number, ticket.attachment_id, (ascii_marker, cjk_marker)
    )

    files = [p for p in tmp_path.iterdir() if p.name.startswith("jubao.sqlite3")]
    assert {p.name for p in files} >= {"jubao.sqlite3", "jubao.sqlite3-wal"}
    raw = b"".join(p.read_bytes() for p in files)
    assert number.encode() in raw and s.REGION.encode() in raw  # the search sees data
    assert _absent(raw, ascii_marker, cjk_marker) == []
    store.close()


def _leaves(value: Any) -> Iterator[bytes]:
    """Every stored scalar of a DynamoDB item, as bytes."""
    if isinstance(value, dict):
        for kind, inner in value.items():
            if kind == "B":
                yield bytes(inner)
            elif kind in ("S", "N"):
                yield str(inner).encode("utf-8")
            else:
                yield from _leaves(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(inner)


@pytest.mark.aws
def test_aws_objects_and_items_hold_no_plaintext(aws_settings: Settings) -> None:
    office, keys = s.office_with_keys()
    store = AwsStore(aws_settings)
    intake = s.make_intake(store, office)
    ascii_marker, cjk_marker = _markers()
    pdf = _pdf_with(ascii_marker)
    ticket = attachments.request_upload(
        intake,
        UploadRequest(region=s.REGION, content_type="application/pdf", size=len(pdf)),
        settings=aws_settings,
    )
    posted = requests.post(
        ticket.url,
        data=ticket.fields,
        files={"file": ("evidence.pdf", pdf, "application/pdf")},
        timeout=10,
    )
    assert posted.status_code in (200, 201, 204)
    outcome = attachments.seal_staged_object(
        intake, aws_settings.bucket, f"staging/{ticket.attachment_id}"
    )
    assert outcome.result == "sealed"
    number = _submit(intake, ticket.attachment_id, ascii_marker, cjk_marker)
    _assert_opens_with_marker(
        intake, keys, number, ticket.attachment_id, (ascii_marker, cjk_marker)
    )

    s3 = boto3.client("s3", region_name=REGION)
    versions = s3.list_object_versions(Bucket=aws_settings.bucket)
    stored = versions.get("Versions", [])
    assert [v["Key"] for v in stored] == [f"sealed/{ticket.attachment_id}"]  # staging is gone
    assert versions.get("DeleteMarkers", []) == []
    for version in stored:
        obj = s3.get_object(
            Bucket=aws_settings.bucket, Key=version["Key"], VersionId=version["VersionId"]
        )
        assert obj["ServerSideEncryption"] == "aws:kms"
        assert obj["SSEKMSKeyId"] == aws_settings.kms_key_id
        body = obj["Body"].read()
        assert b'"ciphertext"' in body  # a sealed envelope
        assert _absent(body, ascii_marker, cjk_marker) == []

    ddb = boto3.client("dynamodb", region_name=REGION)
    items = ddb.scan(TableName=aws_settings.table)["Items"]
    raw = b"\n".join(b for item in items for b in _leaves(item))
    assert number.encode() in raw and s.REGION.encode() in raw  # the search sees data
    assert _absent(raw, ascii_marker, cjk_marker) == []
    # the wire form too (binary values travel base64-encoded)
    assert (
        _absent(
            json.dumps(items, default=lambda b: crypto.b64e(bytes(b))).encode(),
            ascii_marker,
            cjk_marker,
        )
        == []
    )
