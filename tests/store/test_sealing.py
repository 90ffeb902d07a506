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

from chalicelib import crypto
from chalicelib.config.settings import Settings
from chalicelib.errors import ApiError
from chalicelib.reports import attachments
from chalicelib.reports.intake import Intake
from chalicelib.reports.models import UploadRequest
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


# ---- who can open what: the exact recipients of every envelope ------------------------------


def _envelope(raw: bytes | None) -> crypto.Envelope:
    assert raw is not None
    return crypto.Envelope.from_bytes(raw)


def _cannot_open(envelope: crypto.Envelope, private: str, context: str) -> bool:
    try:
        crypto.open_envelope(envelope, private, context)
    except crypto.CryptoError:
        return True
    return False


def _public(private: str) -> str:
    return crypto.public_from_private(private)


def test_content_is_sealed_to_the_content_key_only_and_identity_to_the_custodian_only(
    tmp_path: Path,
) -> None:
    office, keys = s.office_with_keys()
    store = SqliteStore(tmp_path / "jubao.sqlite3")
    intake = s.make_intake(store, office)
    pdf = _pdf_with("evidence")
    ticket = attachments.request_upload(
        intake,
        UploadRequest(region=s.REGION, content_type="application/pdf", size=len(pdf)),
        settings=Settings(),
    )
    attachments.receive_upload(intake, ticket.attachment_id, ticket.fields, pdf)
    ascii_marker, cjk_marker = _markers()
    number = _submit(intake, ticket.attachment_id, ascii_marker, cjk_marker)
    stored = store.get_report(number)
    assert stored is not None
    content_id = crypto.key_id(_public(keys.content_private))
    custodian_id = crypto.key_id(_public(keys.custodian_private))
    assert content_id != custodian_id

    content = _envelope(stored.content)
    identity = _envelope(stored.identity)
    sealed_file = _envelope(store.get_sealed_attachment(ticket.attachment_id))
    assert set(content.keys) == {content_id}
    assert set(identity.keys) == {custodian_id}
    assert set(sealed_file.keys) == {content_id}
    # the custodian cannot read the report, the office cannot read who sent it
    assert _cannot_open(content, keys.custodian_private, f"{number}/content")
    assert _cannot_open(sealed_file, keys.custodian_private, f"attachment/{ticket.attachment_id}")
    assert _cannot_open(identity, keys.content_private, f"{number}/identity")
    # even a wrapped key listed under the other key's id would not open with it
    forged = content.model_copy(update={"keys": {custodian_id: content.keys[content_id]}})
    assert _cannot_open(forged, keys.custodian_private, f"{number}/content")
    store.close()


PLAIN_REPORT = {
    "kind": "hazard",
    "region": s.REGION,
    "industry": "construction",
    "unit_name": "某建筑工地",
    "description": "脚手架严重变形，随时可能坍塌，请尽快处理。",
}


def test_supplements_are_sealed_to_the_content_key_only(tmp_path: Path) -> None:
    office, keys = s.office_with_keys()
    store = SqliteStore(tmp_path / "jubao.sqlite3")
    intake = s.make_intake(store, office)
    ascii_marker, cjk_marker = _markers()
    receipt = intake.submit(PLAIN_REPORT).response.receipt
    intake.supplement({"receipt": receipt, "text": f"补充 {cjk_marker} {ascii_marker}"})
    number = receipt.replace("-", "")[:8]
    (entry,) = store.list_entries(number, "supplement")
    sealed = _envelope(entry.sealed)
    assert set(sealed.keys) == {crypto.key_id(_public(keys.content_private))}
    assert _cannot_open(sealed, keys.custodian_private, f"{number}/supplement")
    text = crypto.open_envelope(sealed, keys.content_private, f"{number}/supplement")
    assert ascii_marker.encode() in text
    store.close()


def test_feedback_opens_only_with_the_receipt_secret(tmp_path: Path) -> None:
    """The reporter's key pair comes from the whole receipt: the public report number
    alone (or with another secret) rebuilds a key that does not open the feedback."""
    from chalicelib.cases.feedback import add_feedback
    from chalicelib.receipts import Receipt

    office, keys = s.office_with_keys()
    store = SqliteStore(tmp_path / "jubao.sqlite3")
    intake = s.make_intake(store, office)
    printed = intake.submit(PLAIN_REPORT).response.receipt
    receipt = Receipt.parse(printed)
    add_feedback(store, receipt.number, "已受理，正在核查。")
    stored = store.get_report(receipt.number)
    assert stored is not None
    assert stored.reporter_key == receipt.reporter_keypair()[1]
    (entry,) = store.list_entries(receipt.number, "feedback")
    feedback = _envelope(entry.sealed)
    assert set(feedback.keys) == {crypto.key_id(stored.reporter_key)}  # the reporter only
    context = f"{receipt.number}/feedback"

    # what someone who knows only the report number could derive
    other = Receipt(receipt.number, "0" * 16 if receipt.secret != "0" * 16 else "1" * 16)
    for private in (
        crypto.reporter_keypair(receipt.number.encode("ascii"))[0],
        other.reporter_keypair()[0],
        keys.content_private,
        keys.custodian_private,
    ):
        assert _cannot_open(feedback, private, context)
    assert crypto.open_envelope(feedback, receipt.reporter_keypair()[0], context) == (
        "已受理，正在核查。".encode()
    )
    # and through the status look-up: the receipt shows it, a wrong secret is refused
    shown = intake.status({"receipt": printed})
    assert [item.text for item in shown.feedback] == ["已受理，正在核查。"]
    with pytest.raises(ApiError) as refused:
        intake.status({"receipt": str(other)})
    assert refused.value.code == "receipt_invalid"
    store.close()
