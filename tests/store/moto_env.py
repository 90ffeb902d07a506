"""moto's real HTTP server on 127.0.0.1 for the AWS tests, and the resources per test.

One ``ThreadedMotoServer`` per test process (port 0, so xdist workers do not collide),
started by the session fixture ``moto_server``; each test that asks for ``aws_settings``
gets a clean slate (``POST /moto-api/reset``) and a freshly created KMS key, versioned
SSE-KMS bucket and table (schema from ``chalicelib.store.aws.layout.table_schema``). The
environment points boto3 at the server through ``AWS_ENDPOINT_URL`` with fake
credentials, so no request can reach real AWS.

``ThreadedMotoServer`` answers requests on parallel threads and moto's DynamoDB takes no
lock, so *there* two conditional writes racing on one item can both succeed (DynamoDB
itself makes each conditional write atomic). Tests of concurrent writers use
``serial_moto`` instead: a second endpoint onto the same moto state (same process)
that handles one request at a time, so each write is atomic as in DynamoDB.

Other test modules use these fixtures by importing them:
``from tests.store.moto_env import aws_settings, moto_server  # noqa: F401``.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any, Final

import boto3
import pytest

from chalicelib.config.settings import Settings
from chalicelib.store.aws.layout import TTL_ATTRIBUTE, table_schema

REGION: Final = "cn-north-1"  # the default of settings.aws_region: the aws-cn partition
TABLE = "jubao-test-reports"
BUCKET = "jubao-test-reports"

_lock = threading.Lock()
_server: Any = None
_users = 0


def _start() -> str:
    global _server, _users
    with _lock:
        if _server is None:
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            from moto.server import ThreadedMotoServer

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            _server = server
        _users += 1
        host, port = _server.get_host_and_port()
        return f"http://{host}:{port}"


def _stop() -> None:
    global _server, _users
    with _lock:
        _users -= 1
        if _users == 0 and _server is not None:
            _server.stop()
            _server = None


def environment(url: str) -> dict[str, str]:
    """What boto3 needs to talk to moto and nothing else."""
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def reset(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def create_resources(table: str = TABLE, bucket: str = BUCKET) -> str:
    """Key, bucket and table as the store expects them; returns the key ARN."""
    kms = boto3.client("kms", region_name=REGION)
    key_arn = kms.create_key(Description="jubao test key")["KeyMetadata"]["Arn"]
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST", **table_schema())
    ddb.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
    return key_arn


def settings_for(key_arn: str, table: str = TABLE, bucket: str = BUCKET) -> Settings:
    return Settings(store="aws", table=table, bucket=bucket, kms_key_id=key_arn, aws_region=REGION)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    url = _start()
    yield url
    _stop()


@pytest.fixture(scope="session")
def serial_moto(moto_server: str) -> Iterator[str]:
    """One request at a time, onto the same moto backends as ``moto_server``."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    server = make_server(
        "127.0.0.1",
        0,
        DomainDispatcherApplication(create_backend_app),
        threaded=False,
        request_handler=MotoRequestHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def aws_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Fake credentials and the endpoint in the environment; moto's state wiped."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in environment(moto_server).items():
        monkeypatch.setenv(name, value)
    reset(moto_server)
    return moto_server


@pytest.fixture
def aws_settings(aws_env: str) -> Settings:
    return settings_for(create_resources())
