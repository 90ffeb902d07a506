"""Hostile input through the real Chalice app, in process: never a 5xx, always our error shape."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import app

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=20,
)
FIELDS = [
    "kind",
    "region",
    "industry",
    "unit_name",
    "description",
    "address",
    "occurred_at",
    "reporter",
    "source",
    "attachments",
    "website",
    "location",
]
report_like = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=len(FIELDS))


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    import os

    import app as function
    from chalicelib.config.office import load_office
    from jubao.devkeys import ensure_dev_keys

    data = tmp_path_factory.mktemp("fuzz")
    saved = {
        k: os.environ.get(k)
        for k in (
            "JUBAO_DATA_DIR",
            "JUBAO_SUBMIT_RATE_PER_MINUTE",
            "JUBAO_STATUS_RATE_PER_MINUTE",
            "JUBAO_STORE",
        )
    }
    os.environ.update(
        {
            "JUBAO_DATA_DIR": str(data),
            "JUBAO_STORE": "sqlite",
            "JUBAO_SUBMIT_RATE_PER_MINUTE": "1000000",
            "JUBAO_STATUS_RATE_PER_MINUTE": "1000000",
        }
    )
    ensure_dev_keys(load_office(), data / "keys")
    function.public.reset()
    with Client(app, project_dir="functions") as c:
        yield c
    function.public.reset()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _assert_clean(response):
    assert response.status_code < 500, response.body
    if response.status_code >= 400:
        error = json.loads(response.body)["error"]
        assert error["code"] and error["message_zh"] and error["message_en"]


@settings(
    max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(body=report_like)
def test_any_report_shaped_json_is_201_or_4xx(client, body):
    response = client.http.post(
        "/api/reports", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )
    _assert_clean(response)


@settings(
    max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    raw=st.binary(max_size=300),
    ctype=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "multipart/form-data",
            "application/xml",
            "",
        ]
    ),
    path=st.sampled_from(
        [
            "/api/reports",
            "/api/status",
            "/api/reports/supplement",
            "/api/attachments",
            "/api/tags/verify",
            "/api/form/report",
            "/api/form/status",
        ]
    ),
)
def test_any_bytes_to_any_route_is_never_5xx(client, raw, ctype, path):
    response = client.http.post(path, headers={"Content-Type": ctype}, body=raw)
    assert response.status_code < 500, (path, response.body)


@settings(
    max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(receipt=st.one_of(st.text(max_size=70), json_values))
def test_any_receipt_is_4xx_not_5xx(client, receipt):
    response = client.http.post(
        "/api/status",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"receipt": receipt}),
    )
    assert response.status_code in (404, 422), response.body
    _assert_clean(response)
