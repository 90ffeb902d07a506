"""The attachment pipeline end to end: ticket, upload, checks, stripping, sealing, claim.

Locally the upload goes to ``receive_upload`` (what ``/api/uploads/{id}`` calls); in AWS
the presigned POST is really POSTed over HTTP to moto's S3 and the staged object is
sealed by ``seal_staged_object``. Either way the officer opens the sealed blob with the
unit's private key and gets the photo without its metadata.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from chalicelib import crypto, media
from chalicelib.config.settings import Settings
from chalicelib.errors import ApiError
from chalicelib.public.app import PublicApp
from chalicelib.reports import attachments
from chalicelib.reports.intake import Intake
from chalicelib.reports.models import UploadRequest
from chalicelib.store.aws import AwsStore
from chalicelib.store.sqlite import SqliteStore
from tests.store import support as s
from tests.store.moto_env import REGION, aws_env, aws_settings, moto_server

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

__all__ = ["aws_env", "aws_settings", "moto_server"]  # fixtures used below

GPS_IFD = 0x8825


def photo(marker: str = "Phone") -> bytes:
    """A JPEG as a phone writes it: Exif with make, model and a GPS position."""
    img = Image.new("RGB", (64, 48))
    img.putdata([(x % 251, (x * 7) % 253, (x * 13) % 255) for x in range(64 * 48)])
    exif = Image.Exif()
    exif[0x010F] = f"Make{marker}"
    exif[0x0110] = f"Model{marker}"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (31.0, 49.0, 5.0), 3: "E", 4: (117.0, 13.0, 7.0)})
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=92)
    return out.getvalue()


def opened(intake: Intake, keys: s.OfficeKeys, attachment_id: str) -> bytes:
    sealed = intake.store.get_sealed_attachment(attachment_id)
    assert sealed is not None
    return crypto.open_envelope(
        crypto.Envelope.from_bytes(sealed), keys.content_private, f"attachment/{attachment_id}"
    )


def submit_with(intake: Intake, ids: list[str]) -> str:
    result = intake.submit(
        {
            "kind": "violation",
            "region": s.REGION,
            "industry": "construction",
            "unit_name": "某建筑公司",
            "description": "夜间违规动火作业，未设置任何防护措施。",
            "attachments": ids,
        }
    )
    return result.response.report_number


def code_of(excinfo: pytest.ExceptionInfo[ApiError]) -> str:
    return excinfo.value.code


@dataclass
class Local:
    intake: Intake
    keys: s.OfficeKeys
    settings: Settings
    path: Path


@pytest.fixture
def local(tmp_path: Path) -> Local:
    office, keys = s.office_with_keys()
    path = tmp_path / "jubao.sqlite3"
    settings = Settings(max_attachment_bytes=200_000, max_attachments=3)
    intake = s.make_intake(SqliteStore(path), office, max_attachments=settings.max_attachments)
    return Local(intake, keys, settings, path)


def ticket_for(
    env: Local, data: bytes, content_type: str = "image/jpeg"
) -> tuple[str, dict[str, str]]:
    ticket = attachments.request_upload(
        env.intake,
        UploadRequest(region=s.REGION, content_type=content_type, size=len(data)),
        env.settings,
    )
    return ticket.attachment_id, ticket.fields


# ---- local flow ---------------------------------------------------------------------------


def test_local_upload_claim_and_open(local: Local) -> None:
    original = photo()
    before = datetime.now(UTC)
    ticket = attachments.request_upload(
        local.intake,
        UploadRequest(region=s.REGION, content_type="image/jpeg", size=len(original)),
        settings=local.settings,
        base_url="https://jubao.example.gov.cn/",
    )
    assert ticket.url == f"https://jubao.example.gov.cn/api/uploads/{ticket.attachment_id}"
    assert ticket.method == "POST" and ticket.max_bytes == len(original)
    assert set(ticket.fields) == {"expires", "token"}
    assert (
        before + timedelta(minutes=9)
        < ticket.expires_at
        <= datetime.now(UTC) + attachments.TICKET_TTL
    )

    record = attachments.receive_upload(local.intake, ticket.attachment_id, ticket.fields, original)
    assert record.state == "sealed" and record.unit == s.UNIT

    number = submit_with(local.intake, [ticket.attachment_id])
    claimed = local.intake.store.get_attachment(ticket.attachment_id)
    assert claimed is not None and claimed.report_number == number

    plain = opened(local.intake, local.keys, ticket.attachment_id)
    assert plain == media.strip_jpeg(original)
    assert record.size == len(plain) < len(original)
    image = Image.open(io.BytesIO(plain))
    assert dict(image.getexif()) == {} and image.size == (64, 48)

    # neither the photo nor its metadata reached the database file in the clear
    raw = b"".join(
        p.read_bytes() for p in local.path.parent.iterdir() if p.name.startswith("jubao")
    )
    assert b"MakePhone" not in raw and plain[-400:-2] not in raw


def test_relative_url_by_default(local: Local) -> None:
    attachment_id, _ = ticket_for(local, photo())
    record = local.intake.store.get_attachment(attachment_id)
    assert record is not None and record.state == "pending"
    ticket = attachments.request_upload(
        local.intake,
        UploadRequest(region=s.REGION, content_type="application/pdf", size=10),
        settings=local.settings,
    )
    assert ticket.url == f"/api/uploads/{ticket.attachment_id}"


@pytest.mark.parametrize(
    ("content_type", "size", "code"),
    [
        ("image/gif", 100, "attachment_type"),
        ("image/heic", 100, "attachment_type"),  # recognised, but its metadata cannot be removed
        ("text/html", 100, "attachment_type"),
        ("image/jpeg", 200_001, "attachment_too_large"),
    ],
)
def test_ticket_refusals(local: Local, content_type: str, size: int, code: str) -> None:
    with pytest.raises(ApiError) as refused:
        attachments.request_upload(
            local.intake,
            UploadRequest(region=s.REGION, content_type=content_type, size=size),
            settings=local.settings,
        )
    assert code_of(refused) == code


def test_ticket_for_unknown_region_is_a_field_error(local: Local) -> None:
    with pytest.raises(ApiError) as refused:
        attachments.request_upload(
            local.intake,
            UploadRequest(region="999999", content_type="image/png", size=10),
            settings=local.settings,
        )
    assert refused.value.code == "validation_failed"
    assert [f.field for f in refused.value.fields] == ["region"]


def _refused(local: Local, attachment_id: str, fields: dict[str, str], data: bytes) -> str:
    with pytest.raises(ApiError) as refused:
        attachments.receive_upload(local.intake, attachment_id, fields, data)
    return refused.value.code


def test_upload_refusals_store_nothing(local: Local) -> None:
    original = photo()
    attachment_id, fields = ticket_for(local, original)
    forged = dict(fields, token=fields["token"][:-2] + "AA")
    longer = dict(fields, expires=str(int(fields["expires"]) + 3600))
    png = Image.new("RGB", (4, 4))
    png_bytes = io.BytesIO()
    png.save(png_bytes, "PNG")
    cases = [
        (attachment_id, forged, original, "attachment_unknown"),
        (attachment_id, longer, original, "attachment_unknown"),  # the MAC binds the expiry
        (attachment_id, {}, original, "attachment_unknown"),
        ("z" * 26, fields, original, "attachment_unknown"),
        ("../../etc", fields, original, "attachment_unknown"),
        (attachment_id, fields, original + b"\0", "attachment_too_large"),
        (attachment_id, fields, png_bytes.getvalue(), "attachment_type"),  # declared JPEG
        (attachment_id, fields, b"\xff\xd8\xff" + b"\x01" * 40, "attachment_type"),  # broken
        (attachment_id, fields, b"MZ\x90\0" + b"\0" * 40, "attachment_type"),
    ]
    for target, form, data, code in cases:
        assert _refused(local, target, form, data) == code
    record = local.intake.store.get_attachment(attachment_id)
    assert record is not None and record.state == "pending"
    assert local.intake.store.get_sealed_attachment(attachment_id) is None
    # the genuine upload still works after all that, once
    attachments.receive_upload(local.intake, attachment_id, fields, original)
    assert _refused(local, attachment_id, fields, original) == "attachment_unknown"


def test_expired_ticket_is_refused(local: Local) -> None:
    original = photo()
    attachment_id, fields = ticket_for(local, original)
    later = datetime.now(UTC) + attachments.TICKET_TTL + timedelta(seconds=1)
    late = replace(local.intake, clock=lambda: later)
    with pytest.raises(ApiError) as refused:
        attachments.receive_upload(late, attachment_id, fields, original)
    assert refused.value.code == "attachment_unknown"


def test_declared_video_family_is_interchangeable(local: Local) -> None:
    mov = b"\0\0\0\x14ftypqt  \0\0\0\0qt  " + b"\0\0\0\x10mdat" + b"\x01" * 8
    attachment_id, fields = ticket_for(local, mov, "video/mp4")
    record = attachments.receive_upload(local.intake, attachment_id, fields, mov)
    assert record.state == "sealed"
    assert opened(local.intake, local.keys, attachment_id) == mov  # videos are not rewritten


@dataclass(frozen=True)
class Part:
    content_type: str
    data: bytes


def test_form_files_are_sealed_directly(local: Local) -> None:
    pdf = b"%PDF-1.4\n%%EOF\n"
    ids = attachments.accept_form_files(
        local.intake,
        [Part("image/jpeg", photo()), Part("application/pdf", pdf)],
        s.REGION,
        settings=local.settings,
    )
    assert len(ids) == 2 and all(attachments.ATTACHMENT_ID.match(i) for i in ids)
    assert opened(local.intake, local.keys, ids[1]) == pdf
    assert b"MakePhone" not in opened(local.intake, local.keys, ids[0])
    number = submit_with(local.intake, ids)
    assert all(local.intake.store.get_attachment(i).report_number == number for i in ids)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("parts", "code"),
    [
        ([Part("image/png", b"%PDF-1.4\n")], "attachment_type"),
        ([Part("image/jpeg", b"\xff\xd8\xff" + b"\0" * 200_001)], "attachment_too_large"),
        ([Part("application/pdf", b"%PDF-1.4\n")] * 4, "too_many_attachments"),
    ],
)
def test_form_file_refusals(local: Local, parts: list[Part], code: str) -> None:
    with pytest.raises(ApiError) as refused:
        attachments.accept_form_files(local.intake, parts, s.REGION, local.settings)
    assert refused.value.code == code


def test_check_claims(local: Local) -> None:
    original = photo()
    good, fields = ticket_for(local, original)
    attachments.receive_upload(local.intake, good, fields, original)
    local.intake.check_claims([good], s.REGION)
    never_uploaded, _ = ticket_for(local, original)  # a ticket only: state "pending"
    with pytest.raises(ApiError) as pending:
        local.intake.check_claims([never_uploaded], s.REGION)
    assert pending.value.code == "attachment_unknown"
    foreign = replace(s.attachment(attachments.new_attachment_id()), unit="340100")
    local.intake.store.create_attachment(foreign)
    for ids, code in (
        ([good, foreign.attachment_id], "attachment_unknown"),
        (["q" * 26], "attachment_unknown"),
        ([good] * 4, "too_many_attachments"),
    ):
        with pytest.raises(ApiError) as refused:
            local.intake.check_claims(ids, s.REGION)
        assert refused.value.code == code


@settings(max_examples=200)
@given(st.integers(0, 10))
def test_attachment_ids_have_the_model_shape(_: int) -> None:
    assert attachments.ATTACHMENT_ID.match(attachments.new_attachment_id())


# ---- AWS flow (moto's S3 over HTTP) -------------------------------------------------------


@dataclass
class Cloud:
    intake: Intake
    keys: s.OfficeKeys
    settings: Settings
    s3: S3Client


@pytest.fixture
def cloud(aws_settings: Settings) -> Cloud:
    office, keys = s.office_with_keys()
    intake = s.make_intake(AwsStore(aws_settings), office)
    return Cloud(intake, keys, aws_settings, boto3.client("s3", region_name=REGION))


def _policy(fields: dict[str, str]) -> dict[str, object]:
    policy: dict[str, object] = json.loads(base64.b64decode(fields["policy"]))
    return policy


def test_presigned_post_policy_enforces_size_type_and_encryption(cloud: Cloud) -> None:
    ticket = attachments.request_upload(
        cloud.intake,
        UploadRequest(region=s.REGION, content_type="image/jpeg", size=12345),
        settings=cloud.settings,
    )
    key = f"staging/{ticket.attachment_id}"
    assert ticket.url.startswith("http://127.0.0.1:") and ticket.url.endswith(
        f"/{cloud.settings.bucket}"
    )
    assert ticket.fields["key"] == key
    assert ticket.fields["x-amz-server-side-encryption"] == "aws:kms"
    assert ticket.fields["x-amz-server-side-encryption-aws-kms-key-id"] == cloud.settings.kms_key_id
    policy = _policy(ticket.fields)
    conditions = policy["conditions"]
    assert isinstance(conditions, list)
    assert ["content-length-range", 1, 12345] in conditions
    for exact in (
        {"bucket": cloud.settings.bucket},
        {"key": key},
        {"Content-Type": "image/jpeg"},
        {"x-amz-server-side-encryption": "aws:kms"},
        {"x-amz-server-side-encryption-aws-kms-key-id": cloud.settings.kms_key_id},
    ):
        assert exact in conditions
    expiration = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
    assert timedelta(minutes=9) < expiration - datetime.now(UTC) <= attachments.TICKET_TTL


def _post(ticket_url: str, fields: dict[str, str], data: bytes, name: str = "photo.jpg") -> None:
    response = requests.post(ticket_url, data=fields, files={"file": (name, data)}, timeout=10)
    assert response.status_code == 204, response.text


def _staged_versions(cloud: Cloud) -> list[object]:
    listing = cloud.s3.list_object_versions(Bucket=cloud.settings.bucket, Prefix="staging/")
    return [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]


@pytest.mark.aws
def test_aws_upload_is_sealed_and_the_staged_plaintext_deleted(cloud: Cloud) -> None:
    original = photo()
    ticket = attachments.request_upload(
        cloud.intake,
        UploadRequest(region=s.REGION, content_type="image/jpeg", size=len(original)),
        settings=cloud.settings,
    )
    _post(ticket.url, ticket.fields, original)
    key = ticket.fields["key"]
    head = cloud.s3.head_object(Bucket=cloud.settings.bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"

    outcome = attachments.seal_staged_object(cloud.intake, cloud.settings.bucket, key)
    assert (outcome.attachment_id, outcome.result) == (ticket.attachment_id, "sealed")
    assert _staged_versions(cloud) == []  # no plaintext version, no delete marker left

    sealed_head = cloud.s3.head_object(
        Bucket=cloud.settings.bucket, Key=f"sealed/{ticket.attachment_id}"
    )
    assert sealed_head["ServerSideEncryption"] == "aws:kms"
    assert sealed_head["SSEKMSKeyId"] == cloud.settings.kms_key_id
    assert opened(cloud.intake, cloud.keys, ticket.attachment_id) == media.strip_jpeg(original)

    number = submit_with(cloud.intake, [ticket.attachment_id])
    record = cloud.intake.store.get_attachment(ticket.attachment_id)
    assert record is not None and (record.state, record.report_number) == ("sealed", number)

    again = attachments.seal_staged_object(cloud.intake, cloud.settings.bucket, key)
    assert again.result == "rejected" and again.code == "attachment_unknown"
    assert opened(cloud.intake, cloud.keys, ticket.attachment_id) == media.strip_jpeg(original)


@pytest.mark.aws
def test_aws_report_sent_before_the_sealer_finishes_waits_for_it(cloud: Cloud) -> None:
    """On AWS the sealer runs a moment after the browser's upload; a reporter who submits
    in that moment is not refused: the claim waits for the sealing, then succeeds."""
    original = photo()
    ticket = attachments.request_upload(
        cloud.intake,
        UploadRequest(region=s.REGION, content_type="image/jpeg", size=len(original)),
        settings=cloud.settings,
    )
    _post(ticket.url, ticket.fields, original)
    record = cloud.intake.store.get_attachment(ticket.attachment_id)
    assert record is not None and record.state == "pending"
    cloud.intake.check_claims([ticket.attachment_id], s.REGION)  # may arrive

    def seal_soon() -> None:
        time.sleep(1.0)
        attachments.seal_staged_object(cloud.intake, cloud.settings.bucket, ticket.fields["key"])

    sealer = threading.Thread(target=seal_soon)
    sealer.start()
    try:
        number = submit_with(cloud.intake, [ticket.attachment_id])
    finally:
        sealer.join()
    record = cloud.intake.store.get_attachment(ticket.attachment_id)
    assert record is not None and (record.state, record.report_number) == ("sealed", number)


@pytest.mark.aws
def test_aws_ticket_never_uploaded_is_refused_after_the_wait(cloud: Cloud) -> None:
    ticket = attachments.request_upload(
        cloud.intake,
        UploadRequest(region=s.REGION, content_type="image/jpeg", size=1000),
        settings=cloud.settings,
    )
    store = cloud.intake.store
    assert isinstance(store, AwsStore)
    store.seal_wait = 0.5
    with pytest.raises(ApiError) as refused:
        submit_with(cloud.intake, [ticket.attachment_id])
    assert refused.value.status == 422
    assert cloud.intake.store.get_attachment(ticket.attachment_id).report_number is None  # type: ignore[union-attr]


@pytest.mark.aws
def test_aws_refused_upload_is_deleted_and_not_stored(cloud: Cloud) -> None:
    original = photo()
    mismatch = attachments.request_upload(
        cloud.intake,
        UploadRequest(region=s.REGION, content_type="image/png", size=len(original)),
        settings=cloud.settings,
    )
    too_big = attachments.request_upload(
        cloud.intake,
        UploadRequest(region=s.REGION, content_type="image/jpeg", size=100),
        settings=cloud.settings,
    )
    _post(mismatch.url, mismatch.fields, original)
    _post(too_big.url, too_big.fields, original)  # moto does not enforce the policy; we do
    _post(too_big.url, too_big.fields, original + b"again")  # posted twice: two versions
    outcomes = [
        attachments.seal_staged_object(cloud.intake, cloud.settings.bucket, t.fields["key"])
        for t in (mismatch, too_big)
    ]
    assert [(o.result, o.code) for o in outcomes] == [
        ("rejected", "attachment_type"),
        ("rejected", "attachment_too_large"),
    ]
    assert _staged_versions(cloud) == []
    for t in (mismatch, too_big):
        record = cloud.intake.store.get_attachment(t.attachment_id)
        assert record is not None and record.state == "pending"
        assert cloud.intake.store.get_sealed_attachment(t.attachment_id) is None


@pytest.mark.aws
def test_aws_events_for_other_objects_are_ignored(cloud: Cloud) -> None:
    for bucket, key in (
        ("another-bucket", "staging/" + "a" * 26),
        (cloud.settings.bucket, "sealed/" + "a" * 26),
        (cloud.settings.bucket, "staging/../sealed/x"),
    ):
        assert attachments.seal_staged_object(cloud.intake, bucket, key).result == "ignored"


# ---- through the API handlers (what the routes call) --------------------------------------


def _multipart(fields: dict[str, str], filename: str, data: bytes, kind: str) -> tuple[bytes, str]:
    boundary = "jubao" + crypto.random_bytes(8).hex()
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {kind}\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def test_upload_through_the_api_handlers(dev_env: Path, public_app: PublicApp) -> None:
    from chalicelib.public import json_api
    from chalicelib.web import http as api
    from chalicelib.web.guard import guarded

    original = photo("ApiPhone")
    asked = guarded("request_upload", lambda r: json_api.request_upload(public_app, r))(
        api.new_request(
            "POST",
            "/api/attachments",
            {"Content-Type": "application/json"},
            json.dumps({"region": s.REGION, "content_type": "image/jpeg", "size": len(original)}),
            "127.0.0.1",
        )
    )
    assert asked.status == 201, asked.body
    ticket = json.loads(asked.body)
    assert ticket["url"] == f"/api/uploads/{ticket['attachment_id']}"
    body, boundary = _multipart(ticket["fields"], "IMG_0001.JPG", original, "image/jpeg")
    upload = guarded(
        "receive_upload",
        lambda r: json_api.receive_upload(public_app, r, ticket["attachment_id"]),
    )
    request = api.new_request(
        "POST",
        ticket["url"],
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        body,
        "127.0.0.1",
    )
    posted = upload(request)
    assert posted.status == 204, posted.body
    replay = upload(request)
    assert replay.status == 422 and json.loads(replay.body)["error"]["code"] == "attachment_unknown"

    intake = public_app.intake
    sealed = intake.store.get_sealed_attachment(ticket["attachment_id"])
    assert sealed is not None
    private = (dev_env / "keys" / f"{s.UNIT}-content.private").read_text().strip()
    plain = crypto.open_envelope(
        crypto.Envelope.from_bytes(sealed), private, f"attachment/{ticket['attachment_id']}"
    )
    assert plain == media.strip_jpeg(original) and b"MakeApiPhone" not in plain
