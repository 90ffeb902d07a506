"""One report end to end on the deployed storage stack, through the functions' own code.

The public function (``functions/app.py``) and the officers' function
(``functions/officer/app.py``) run in Chalice's test client with the settings a
deployment gives them (``JUBAO_TABLE``, ``JUBAO_BUCKET``, ``JUBAO_KMS_KEY_ID`` from the
stack's outputs), against moto's HTTP server:

1. the public function issues an upload ticket; the "browser" posts the file straight to
   S3's ``staging/``;
2. the sealer (the public function's ``seal_upload``) gets the EventBridge event S3
   sends for it (infra/README.md), checks, cleans and seals the file, deletes the plain
   copy;
3. the public function takes the report claiming the file, and a supplement;
4. an intake officer reads the case and the file through the officers' function with
   signed requests; only their machine, with their development key file, decrypts;
   the unit's custodian alone opens the reporter's identity; the reads, and a refused
   read by an officer without access, are in the unit's audit log, which verifies
   against the server's checkpoint as the unit above cosigned it.

Then every item of the table and every object version of the bucket is searched for the
report's plaintext, the reporter, the receipt, the file's metadata and the uploader's
address: none of it is stored, and nothing of it was logged.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from chalice.test import Client

import app as public_function
from chalicelib import crypto, media
from chalicelib.audit import checkpoint as notes
from chalicelib.audit.entries import AuditEntry
from chalicelib.audit.verify import verify_log
from chalicelib.config.office import OfficeConfig, load_office
from jubao.devkeys import ensure_dev_keys
from jubao.officer import actions, casework
from jubao.officer.client import PREFIX, OfficerApiError, canonical_query, compact_json
from jubao.officer.devroster import ensure_dev_roster
from jubao.officer.keyfile import OfficerKeys, read_keyfile
from jubao.officer.signing import sign_request
from tests.api.client import NO_RATE_LIMITS
from tests.infra_deployed.stack import ROOT, Stack, scrub_jubao_env
from tests.store.moto_env import REGION
from tests.test_attachments import photo

officer_function = importlib.import_module("officer.app")

pytestmark = [pytest.mark.aws, pytest.mark.slow, pytest.mark.xdist_group("infra-deployed")]

UNIT = "340100"  # 合肥市: the region's own unit handles the report
ABOVE = "340000"
WITNESS = f"{ABOVE}-supervisor"  # cosigns the city's audit log
UPLOADER_ADDRESS = "203.0.113.77"  # what S3 puts in the event: never stored, never logged


# ---- the officers' side: key files on "their machine", requests to the Lambda door ------


@dataclass(frozen=True)
class Roster:
    data_dir: Path
    passphrase: bytes

    def keys(self, officer_id: str) -> OfficerKeys:
        path = self.data_dir / "keys" / "officers" / f"{officer_id}.key"
        return read_keyfile(path, self.passphrase)

    def office(self) -> OfficeConfig:
        return load_office(None, self.data_dir / "keys" / "public-keys.json")


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Roster:
    """Development keys, and a development roster of the city and the province only (12
    key files, not one set per unit of the whole office)."""
    data = tmp_path_factory.mktemp("deployed") / "data"
    keys_dir = data / "keys"
    ensure_dev_keys(load_office(), keys_dir)
    office = load_office(None, keys_dir / "public-keys.json")
    small = office.model_copy(
        update={"units": tuple(u for u in office.units if u.code in (UNIT, ABOVE))}
    )
    made = ensure_dev_roster(small, keys_dir)
    return Roster(data, made.passphrase_file.read_text().strip().encode())


@dataclass
class LambdaOfficerClient:
    """``jubao officer``'s client (``client.ApiClient``), its signed requests handed to the
    officers' function through Chalice's test client instead of over the network."""

    http: Any  # chalice.test's HTTP client
    keys: OfficerKeys

    @property
    def officer(self) -> str:
        return self.keys.officer

    def get(self, path: str, query: Mapping[str, object] | None = None) -> dict[str, Any]:
        return self._request("GET", path, canonical_query(query), b"")

    def post(self, path: str, json_body: Any) -> dict[str, Any]:
        return self._request("POST", path, "", compact_json(json_body))

    def _request(self, method: str, path: str, query: str, body: bytes) -> dict[str, Any]:
        wire_path = PREFIX + path
        headers = sign_request(
            method,
            wire_path,
            query or None,
            body,
            officer_id=self.keys.officer,
            signing_seed_b64=self.keys.signing_seed,
        )
        headers["Accept"] = "application/json"
        if method != "GET":
            headers["Content-Type"] = "application/json"
        url = wire_path + (f"?{query}" if query else "")
        answer = self.http.request(method, url, headers=headers, body=body)
        parsed: dict[str, Any] = json.loads(answer.body)
        if answer.status_code >= 300:
            error = parsed["error"]
            raise OfficerApiError(
                answer.status_code, error["code"], error["message_zh"], error["message_en"]
            )
        return parsed


# ---- the functions on the deployed stack ------------------------------------------------


@pytest.fixture
def functions_env(
    empty_stack: Stack, roster: Roster, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    """The environment both functions get from a deployment on ``empty_stack``."""
    scrub_jubao_env(monkeypatch)
    for name, value in {
        **empty_stack.jubao_env(),
        "JUBAO_DATA_DIR": str(roster.data_dir),
        **NO_RATE_LIMITS,
    }.items():
        monkeypatch.setenv(name, value)
    public_function.public.reset()
    officer_function.officers.reset()
    yield empty_stack
    public_function.public.reset()
    officer_function.officers.reset()


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether EventBridge would deliver ``event`` to a rule with ``pattern`` (the subset
    of the pattern language the functions use: values and ``prefix``)."""
    for name, wanted in pattern.items():
        if name not in event:
            return False
        value = event[name]
        if isinstance(wanted, Mapping):
            if not isinstance(value, Mapping) or not matches(wanted, value):
                return False
        elif not any(
            value == option
            or (isinstance(option, Mapping) and str(value).startswith(option["prefix"]))
            for option in wanted
        ):
            return False
    return True


def object_created(client: Client, stack: Stack, key: str) -> dict[str, Any]:
    """The event S3 sends to EventBridge for a browser's POST (EventBridge's S3 schema)."""
    head = boto3.client("s3", region_name=REGION).head_object(
        Bucket=stack.outputs["BucketName"], Key=key
    )
    event: dict[str, Any] = client.events.generate_cw_event(
        source="aws.s3",
        detail_type="Object Created",
        resources=[stack.outputs["BucketArn"]],
        region=REGION,
        detail={
            "version": "0",
            "bucket": {"name": stack.outputs["BucketName"]},
            "object": {
                "key": key,
                "size": head["ContentLength"],
                "etag": head["ETag"].strip('"'),
                "version-id": head.get("VersionId", ""),
                "sequencer": "0065A1B2C3D4E5F601",
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": UPLOADER_ADDRESS,
            "reason": "PostObject",
        },
    )
    return event


def post_json(client: Client, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A JSON POST to the public function, as API Gateway hands it over."""
    answer = client.http.post(
        path, headers={"Content-Type": "application/json"}, body=json.dumps(body).encode()
    )
    parsed: dict[str, Any] = json.loads(answer.body)
    return answer.status_code, parsed


def stored_bytes(stack: Stack) -> bytes:
    """Every item of the table and every version of every object, as stored."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    items = [
        item
        for page in ddb.get_paginator("scan").paginate(TableName=stack.outputs["TableName"])
        for item in page["Items"]
    ]
    assert len(items) > 5
    # strings unescaped, binary values as their bytes
    stored = json.dumps(
        items, ensure_ascii=False, default=lambda b: b.decode("utf-8", "replace")
    ).encode()
    s3 = boto3.client("s3", region_name=REGION)
    bucket = stack.outputs["BucketName"]
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            stored += s3.get_object(
                Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"]
            )["Body"].read()
    return stored


def test_a_report_through_the_deployed_functions_is_read_only_on_the_officers_machine(
    functions_env: Stack, roster: Roster, caplog: pytest.LogCaptureFixture
) -> None:
    stack = functions_env
    bucket, key_arn = stack.outputs["BucketName"], stack.outputs["KeyArn"]
    s3 = boto3.client("s3", region_name=REGION)
    marker = "举报标记-" + uuid.uuid4().hex
    reporter = "钱" + uuid.uuid4().hex[:6]
    original = photo(marker)
    caplog.set_level(logging.INFO)

    with Client(public_function.app, project_dir=str(ROOT / "functions")) as public:
        # 1. a ticket: a presigned POST to the stack's bucket under the stack's key
        status, ticket = post_json(
            public,
            "/api/attachments",
            {"region": UNIT, "content_type": "image/jpeg", "size": len(original)},
        )
        assert status == 201, ticket
        staged = ticket["fields"]["key"]
        assert ticket["fields"]["x-amz-server-side-encryption-aws-kms-key-id"] == key_arn
        assert ticket["url"] == f"{os.environ['AWS_ENDPOINT_URL']}/{bucket}"
        upload = requests.post(
            ticket["url"], data=ticket["fields"], files={"file": ("p.jpg", original)}, timeout=10
        )
        assert upload.status_code == 204
        head = s3.head_object(Bucket=bucket, Key=staged)
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key_arn)

        # 2. S3 -> EventBridge -> the sealer, for events its rule selects
        event = object_created(public, stack, staged)
        assert matches(public_function.STAGED_UPLOAD, event)
        public.lambda_.invoke("seal_upload", event)
        versions = s3.list_object_versions(Bucket=bucket, Prefix="staging/")
        assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []
        sealed_key = f"sealed/{ticket['attachment_id']}"
        sealed_head = s3.head_object(Bucket=bucket, Key=sealed_key)
        assert (sealed_head["ServerSideEncryption"], sealed_head["SSEKMSKeyId"]) == (
            "aws:kms",
            key_arn,
        )

        # 3. the report claiming the file, then a supplement
        report = {
            "kind": "hazard",
            "region": UNIT,
            "industry": "urban_gas",
            "unit_name": "合肥某燃气站",
            "description": f"储气罐阀门泄漏，现场无人值守。{marker}",
            "reporter": {"name": reporter, "phone": "13700000000"},
            "attachments": [ticket["attachment_id"]],
        }
        status, taken = post_json(public, "/api/reports", report)
        assert status == 201, taken
        receipt, number = taken["receipt"], taken["report_number"]
        supplement = {"receipt": receipt, "text": f"补充：夜间仍有气味。{marker}"}
        status, added = post_json(public, "/api/reports/supplement", supplement)
        assert (status, added["supplements"]) == (201, 1)

    # 4. the unit's intake officer, through the officers' function; decrypted here only
    intake_keys = roster.keys(f"{UNIT}-intake")
    with Client(officer_function.app) as door:
        intake = LambdaOfficerClient(door.http, intake_keys)
        assert number in [c["number"] for c in actions.list_cases(intake)["cases"]]
        opened = actions.show_case(intake, intake_keys, number)
        assert opened.view["access"] == "unit_key"
        assert opened.content is not None and opened.content["description"].endswith(marker)
        assert reporter not in json.dumps(opened.content, ensure_ascii=False)  # custodian's
        assert [s["text"] for s in opened.supplements] == [f"补充：夜间仍有气味。{marker}"]
        photo_bytes = actions.fetch_attachment(intake, intake_keys, number, ticket["attachment_id"])
        assert photo_bytes == media.strip_jpeg(original)
        assert f"Make{marker}".encode() not in photo_bytes
        # what the function hands out does not open without the officer's key file
        with pytest.raises(casework.CaseworkError):
            casework.open_case_content(opened.view, roster.keys(f"{UNIT}-handler"))

        # an officer without access is refused, and that is audited as well
        handler = LambdaOfficerClient(door.http, roster.keys(f"{UNIT}-handler"))
        with pytest.raises(OfficerApiError) as refused:
            actions.show_case(handler, roster.keys(f"{UNIT}-handler"), number)
        assert (refused.value.status, refused.value.code) == (403, "case_forbidden")

        # the reporter's identity: for the custodian's key file alone
        custodian_keys = roster.keys(f"{UNIT}-custodian")
        custodian = LambdaOfficerClient(door.http, custodian_keys)
        identity = actions.open_identity(custodian, custodian_keys, number)
        assert identity is not None and identity["name"] == reporter
        sealed_identity = custodian.get(f"/cases/{number}/identity")["identity"]
        with pytest.raises(casework.CaseworkError):
            casework.open_identity(number, sealed_identity, intake_keys)

        # the unit above witnesses the log's checkpoint (stored on the deployed table too)
        checkpoint = intake.get(f"/audit/{UNIT}/checkpoint")
        witness_keys = roster.keys(WITNESS)
        witness = LambdaOfficerClient(door.http, witness_keys)
        cosigned = witness.post(
            f"/audit/{UNIT}/cosign",
            {"note": notes.cosign(checkpoint["note"], WITNESS, witness_keys.signing_seed)},
        )
        log = intake.get(f"/audit/{UNIT}")["entries"]

    of_case = [
        (e["action"], e["actor"], e["outcome"], e["detail"], e["proof"]["kind"])
        for e in log
        if e["case"] == number
    ]
    assert of_case == [
        ("read_case", f"{UNIT}-intake", "ok", {"access": "unit_key"}, "request"),
        ("read_case", f"{UNIT}-intake", "ok", {"attachment": ticket["attachment_id"]}, "request"),
        ("refusal", f"{UNIT}-handler", "case_forbidden", {"attempted": "read_case"}, "server"),
        ("read_identity", f"{UNIT}-custodian", "ok", {}, "request"),
        ("read_identity", f"{UNIT}-custodian", "ok", {}, "request"),
    ]
    office = roster.office()
    result = verify_log(
        [AuditEntry.model_validate(e) for e in log][: cosigned["size"]],
        [cosigned["note"]],
        officer_keys={o.id: o.signing_key for o in office.officers},
        server_key=office.audit.server_key,
        witness_keys={WITNESS: witness_keys.signing_public},
        origin=notes.origin_for(office.office.code, UNIT),
    )
    assert result.ok, result.problems

    # nothing confidential in anything the deployed resources hold, nor in any log line
    stored = stored_bytes(stack)
    secrets = (marker, reporter, "13700000000", receipt, receipt.replace("-", ""))
    for secret in (*secrets, f"Make{marker}", UPLOADER_ADDRESS):
        assert secret.encode() not in stored, secret
    sealed = s3.get_object(Bucket=bucket, Key=sealed_key)["Body"].read()
    envelope = crypto.Envelope.from_bytes(sealed)  # the file is stored as an envelope
    assert list(envelope.keys) == [crypto.key_id(office.units_by_code[UNIT].content_key)]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged, "the functions logged nothing at all"
    for secret in (*secrets, UPLOADER_ADDRESS):
        assert secret not in logged, secret
