"""The public API end to end, over HTTP, against a real `jubao serve` process."""

from __future__ import annotations

import json
import sqlite3
import uuid
from urllib.parse import urlencode

import pytest

from chalicelib import crypto, tags
from chalicelib.receipts import Receipt
from chalicelib.store.sqlite import SqliteStore

from .client import multipart, post_json, receipt_on_page, request

REPORT = {
    "kind": "hazard",
    "region": "340104",
    "industry": "hazardous_chemicals",
    "unit_name": "合肥某化工有限公司",
    "description": "储罐区可燃气体报警器长期关闭，夜间违规动火作业。",
    "address": "蜀山区某路 1 号",
    "occurred_at": "2026-11-20",
}


def test_submit_then_status(live_server):
    reply = post_json(f"{live_server.url}/api/reports", REPORT)
    assert reply.status == 201, reply.text
    body = reply.json
    receipt = Receipt.parse(body["receipt"])
    assert body["report_number"] == receipt.number
    assert body["status"] == "received"
    # the secret part carries at least 80 bits
    assert len(receipt.secret) * 5 >= 80

    status = post_json(f"{live_server.url}/api/status", {"receipt": body["receipt"]})
    assert status.status == 200, status.text
    assert status.json["report_number"] == body["report_number"]
    # no acceptance due date: the office has not confirmed a limit as its own commitment
    assert "acceptance_due" not in body and "acceptance_due" not in status.json["deadlines"]
    assert status.json["feedback"] == []
    assert "no-store" in status.headers["cache-control"]


def test_receipt_typed_loosely_still_works(live_server):
    body = post_json(f"{live_server.url}/api/reports", REPORT).json
    sloppy = body["receipt"].replace("-", " ").lower()
    assert post_json(f"{live_server.url}/api/status", {"receipt": sloppy}).status == 200


def test_wrong_and_unknown_receipts_look_the_same(live_server):
    body = post_json(f"{live_server.url}/api/reports", REPORT).json
    real = Receipt.parse(body["receipt"])
    flipped = real.secret[:-1] + ("0" if real.secret[-1] != "0" else "1")
    wrong = post_json(f"{live_server.url}/api/status", {"receipt": real.number + flipped})
    unknown = post_json(f"{live_server.url}/api/status", {"receipt": str(Receipt.new("12345678"))})
    assert wrong.status == unknown.status == 404
    assert wrong.json == unknown.json
    assert wrong.json["error"]["code"] == "receipt_invalid"


def test_idempotency_key_returns_the_same_receipt(live_server):
    key = str(uuid.uuid4())
    first = post_json(f"{live_server.url}/api/reports", REPORT, {"Idempotency-Key": key})
    again = post_json(f"{live_server.url}/api/reports", REPORT, {"Idempotency-Key": key})
    assert first.status == 201 and again.status == 200
    assert again.json["receipt"] == first.json["receipt"]
    assert again.headers.get("idempotent-replayed") == "true"
    other = post_json(
        f"{live_server.url}/api/reports",
        dict(REPORT, unit_name="另一家公司"),
        {"Idempotency-Key": key},
    )
    assert other.status == 409
    assert other.json["error"]["code"] == "idempotency_conflict"


def test_identical_resubmission_without_key_is_not_a_second_report(live_server):
    body = dict(REPORT, description="重复提交测试：同一内容连续提交两次，应只保存一份。")
    first = post_json(f"{live_server.url}/api/reports", body)
    second = post_json(f"{live_server.url}/api/reports", body)
    assert (first.status, second.status) == (201, 200)
    assert first.json["receipt"] == second.json["receipt"]


def test_feedback_is_readable_with_the_receipt_only(live_server, tmp_path):
    from chalicelib.cases.feedback import add_feedback

    body = post_json(f"{live_server.url}/api/reports", dict(REPORT, unit_name="反馈测试单位")).json
    store = SqliteStore(live_server.data_dir / "jubao.sqlite3")
    add_feedback(store, body["report_number"], "已受理，正在核查。")
    store.close()
    status = post_json(f"{live_server.url}/api/status", {"receipt": body["receipt"]}).json
    assert [item["text"] for item in status["feedback"]] == ["已受理，正在核查。"]


def test_supplement(live_server):
    body = post_json(f"{live_server.url}/api/reports", dict(REPORT, unit_name="补充测试单位")).json
    reply = post_json(
        f"{live_server.url}/api/reports/supplement",
        {"receipt": body["receipt"], "text": "补充：周末也有违规作业。"},
    )
    assert reply.status == 201, reply.text
    assert reply.json["supplements"] == 1


def test_poster_tag_arrives_with_the_report(live_server):
    key = crypto.b64d((live_server.data_dir / "keys" / "tag.key").read_text().strip())
    tag = tags.sign(tags.make_slug("340104", "community", 7), key)
    reply = post_json(
        f"{live_server.url}/api/reports", dict(REPORT, source=tag, unit_name="标识测试")
    )
    assert reply.status == 201
    assert reply.json["source_issuer"] == "合肥市蜀山区"
    store = SqliteStore(live_server.data_dir / "jubao.sqlite3")
    assert store.get_report(reply.json["report_number"]).source == "340104-c0007"
    store.close()
    verify = post_json(f"{live_server.url}/api/tags/verify", {"tag": tag})
    assert verify.json == {
        "valid": True,
        "issuer": "合肥市蜀山区",
        "issuer_en": "Shushan District, Hefei",
    }
    forged = post_json(f"{live_server.url}/api/tags/verify", {"tag": tag[:-2] + "AA"})
    assert forged.json["valid"] is False


def test_forged_tag_is_dropped_not_stored(live_server):
    forged = "340104-c0007.AAAAAAAAAAA"
    reply = post_json(
        f"{live_server.url}/api/reports", dict(REPORT, source=forged, unit_name="伪造标识")
    )
    assert reply.status == 201
    assert reply.json["source_issuer"] is None
    store = SqliteStore(live_server.data_dir / "jubao.sqlite3")
    assert store.get_report(reply.json["report_number"]).source is None
    store.close()


BAD_INPUTS = [
    ("malformed json", b"{not json", {"Content-Type": "application/json"}, 400, "malformed_json"),
    ("array body", b"[1,2]", {"Content-Type": "application/json"}, 400, "invalid_body"),
    (
        "wrong content type",
        b"kind=hazard",
        {"Content-Type": "text/plain"},
        415,
        "unsupported_media_type",
    ),
    (
        "oversized body",
        json.dumps(dict(REPORT, description="长" * 70000)).encode(),
        {"Content-Type": "application/json"},
        413,
        "body_too_large",
    ),
    (
        "unknown region",
        json.dumps(dict(REPORT, region="999999")).encode(),
        {"Content-Type": "application/json"},
        422,
        "validation_failed",
    ),
    (
        "over-long field",
        json.dumps(dict(REPORT, unit_name="厂" * 201)).encode(),
        {"Content-Type": "application/json"},
        422,
        "validation_failed",
    ),
    (
        "control characters",
        json.dumps(dict(REPORT, unit_name="某厂\u0000\u001b")).encode(),
        {"Content-Type": "application/json"},
        422,
        "validation_failed",
    ),
    (
        "script injection",
        json.dumps(dict(REPORT, description="<script>alert(1)</script>的情况很严重")).encode(),
        {"Content-Type": "application/json"},
        422,
        "validation_failed",
    ),
    (
        "unknown field",
        json.dumps(dict(REPORT, is_admin=True)).encode(),
        {"Content-Type": "application/json"},
        422,
        "validation_failed",
    ),
    (
        "honeypot filled",
        json.dumps(dict(REPORT, website="http://spam.example")).encode(),
        {"Content-Type": "application/json"},
        400,
        "bot_suspected",
    ),
    (
        "bad idempotency key",
        json.dumps(REPORT).encode(),
        {"Content-Type": "application/json", "Idempotency-Key": "short"},
        400,
        "idempotency_key_invalid",
    ),
    (
        "not utf-8",
        b'{"kind": "\xff\xfe"}',
        {"Content-Type": "application/json"},
        400,
        "malformed_json",
    ),
]


@pytest.mark.parametrize(
    ("label", "body", "headers", "status", "code"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_gets_a_clear_4xx(live_server, label, body, headers, status, code):
    reply = request("POST", f"{live_server.url}/api/reports", body, headers)
    assert reply.status == status, reply.text
    error = reply.json["error"]
    assert error["code"] == code
    assert error["message_zh"] and error["message_en"]
    assert error["message"].startswith(error["message_zh"])
    assert "Traceback" not in reply.text


def test_field_errors_name_the_field_without_echoing_it(live_server):
    reply = post_json(
        f"{live_server.url}/api/reports",
        dict(REPORT, region="999999", description="<img src=x onerror=alert(1)>"),
    )
    fields = {f["field"]: f["code"] for f in reply.json["error"]["fields"]}
    assert fields == {"region": "unknown_region", "description": "markup"}
    assert "onerror" not in reply.text


@pytest.mark.parametrize("receipt", ["", "1234", "x" * 64, "1234-5678-ABCD-EFGH-JKMN-PQR!"])
def test_malformed_receipt(live_server, receipt):
    reply = post_json(f"{live_server.url}/api/status", {"receipt": receipt})
    assert reply.status in (404, 422)
    assert reply.json["error"]["code"] in ("receipt_malformed", "validation_failed")


def test_receipt_never_needed_in_a_url(live_server):
    assert request("GET", f"{live_server.url}/api/status").status == 405


def test_unknown_route_and_method(live_server):
    assert request("GET", f"{live_server.url}/api/nothing-here").status == 404
    reply = request("DELETE", f"{live_server.url}/api/reports")
    assert reply.status == 405
    assert reply.json["error"]["code"] == "method_not_allowed"


def test_openapi_lists_every_route(live_server):
    from app import app

    doc = request("GET", f"{live_server.url}/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == set(app.routes)
    schema = doc["components"]["schemas"]["ReportSubmission"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) >= {"kind", "region", "industry", "unit_name", "description"}


# ---- the form without JavaScript ---------------------------------------------------------

FORM = {
    "lang": "zh",
    "kind": "violation",
    "region": "340100",
    "industry": "construction",
    "unit_name": "某建筑工地",
    "description": "塔吊司机无证上岗，施工现场无安全防护。",
    "reporter_name": "李四",
    "reporter_phone": "13912345678",
    "website": "",
    "source": "",
}


def test_plain_form_post_gets_an_html_receipt(live_server):
    reply = request(
        "POST",
        f"{live_server.url}/api/form/report",
        urlencode(FORM).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 201
    assert reply.headers["content-type"].startswith("text/html")
    assert "举报已收到" in reply.text
    receipt = receipt_on_page(reply.text)
    assert post_json(f"{live_server.url}/api/status", {"receipt": receipt}).status == 200
    assert "default-src 'none'" in reply.headers["content-security-policy"]


def test_plain_form_errors_keep_what_was_typed(live_server):
    bad = dict(FORM, description="太短", unit_name="保留这段文字的单位", reporter_phone="12")
    reply = request(
        "POST",
        f"{live_server.url}/api/form/report",
        urlencode(bad).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 422
    assert 'value="保留这段文字的单位"' in reply.text
    assert "内容过短" in reply.text and "电话号码格式不正确" in reply.text
    english = request(
        "POST",
        f"{live_server.url}/api/form/report",
        urlencode(dict(bad, lang="en")).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "Too short." in english.text and 'lang="en"' in english.text


def test_plain_form_takes_the_tag_from_the_referring_page(live_server):
    key = crypto.b64d((live_server.data_dir / "keys" / "tag.key").read_text().strip())
    tag = tags.sign(tags.make_slug("340100", "school", 3), key)
    form = dict(FORM, unit_name="引用页标识测试")
    reply = request(
        "POST",
        f"{live_server.url}/api/form/report",
        urlencode(form).encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{live_server.url}/report/?src={tag}",
        },
    )
    assert reply.status == 201
    assert "合肥市" in reply.text  # the issuer line


def test_plain_multipart_form_post(live_server):
    body, ctype = multipart(dict(FORM, unit_name="多部分表单测试"), [])
    reply = request("POST", f"{live_server.url}/api/form/report", body, {"Content-Type": ctype})
    assert reply.status == 201, reply.text


def test_plain_status_form(live_server):
    body = post_json(f"{live_server.url}/api/reports", dict(REPORT, unit_name="无脚本查询")).json
    reply = request(
        "POST",
        f"{live_server.url}/api/form/status",
        urlencode({"receipt": body["receipt"], "lang": "zh"}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 200 and "已接收" in reply.text
    wrong = request(
        "POST",
        f"{live_server.url}/api/form/status",
        urlencode({"receipt": "1234-5678-ABCD-EFGH-JKMN-PQRS"}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert wrong.status == 404 and "回执码不正确" in wrong.text


def test_nothing_confidential_in_store_or_log(live_server):
    marker = "MARKER-" + uuid.uuid4().hex
    name = "王" + uuid.uuid4().hex[:6]
    reply = post_json(
        f"{live_server.url}/api/reports",
        dict(
            REPORT,
            description=f"泄露检测 {marker} 的内容",
            reporter={"name": name, "phone": "13700000000"},
        ),
    )
    assert reply.status == 201
    db = live_server.data_dir / "jubao.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    raw = b"".join(p.read_bytes() for p in live_server.data_dir.rglob("*") if p.is_file())
    for secret in (marker, name, "13700000000", reply.json["receipt"].replace("-", "")):
        assert secret.encode() not in raw
    log = live_server.log.read_bytes()
    for secret in (marker, name, "13700000000", reply.json["receipt"]):
        assert secret.encode() not in log
    access_lines = [line for line in log.splitlines() if b"/api/" in line or b"route" in line]
    assert access_lines
    assert not [line for line in access_lines if b"127.0.0.1" in line]


def test_unknown_attachment_is_a_422_and_nothing_is_stored(live_server):
    reply = post_json(
        f"{live_server.url}/api/reports",
        dict(REPORT, unit_name="未知附件测试", attachments=["a" * 26]),
    )
    assert reply.status == 422, reply.text
    assert reply.json["error"]["code"] == "attachment_unknown"
    assert reply.json["error"]["fields"][0]["field"] == "attachments"
    store = SqliteStore(live_server.data_dir / "jubao.sqlite3")
    assert not [r for r in store.iter_reports() if r.attachments == ("a" * 26,)]
    store.close()


def test_plain_supplement_form(live_server):
    body = post_json(f"{live_server.url}/api/reports", dict(REPORT, unit_name="无脚本补充")).json
    status = request(
        "POST",
        f"{live_server.url}/api/form/status",
        urlencode({"receipt": body["receipt"], "lang": "zh"}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 'action="/api/form/supplement"' in status.text
    form, ctype = multipart(
        {"lang": "zh", "receipt": body["receipt"], "text": "补充：夜班也在违规动火。"}, []
    )
    reply = request("POST", f"{live_server.url}/api/form/supplement", form, {"Content-Type": ctype})
    assert reply.status == 201, reply.text
    assert "补充材料已收到" in reply.text
    assert (
        post_json(f"{live_server.url}/api/status", {"receipt": body["receipt"]}).json["supplements"]
        == 1
    )
    short, ctype = multipart({"lang": "en", "receipt": body["receipt"], "text": "x"}, [])
    again = request(
        "POST", f"{live_server.url}/api/form/supplement", short, {"Content-Type": ctype}
    )
    assert again.status == 422 and "Too short." in again.text
    wrong, ctype = multipart({"receipt": "1234-5678-ABCD-EFGH-JKMN-PQRS", "text": "补充内容"}, [])
    refused = request(
        "POST", f"{live_server.url}/api/form/supplement", wrong, {"Content-Type": ctype}
    )
    assert refused.status == 404 and "回执码不正确" in refused.text


def test_retry_of_a_report_with_a_file_gets_the_same_receipt(live_server):
    from tests.test_attachments import photo

    original = photo("Retry")
    ticket = post_json(
        f"{live_server.url}/api/attachments",
        {"region": "340104", "content_type": "image/jpeg", "size": len(original)},
    ).json
    assert ticket["url"] == f"/api/uploads/{ticket['attachment_id']}"
    form, ctype = multipart(ticket["fields"], [("file", "p.jpg", "image/jpeg", original)])
    upload = request("POST", live_server.url + ticket["url"], form, {"Content-Type": ctype})
    assert upload.status == 204, upload.text
    body = dict(REPORT, unit_name="附件重试测试", attachments=[ticket["attachment_id"]])
    key = str(uuid.uuid4())
    first = post_json(f"{live_server.url}/api/reports", body, {"Idempotency-Key": key})
    again = post_json(f"{live_server.url}/api/reports", body, {"Idempotency-Key": key})
    assert (first.status, again.status) == (201, 200), again.text
    assert again.json["receipt"] == first.json["receipt"]
    other = post_json(f"{live_server.url}/api/reports", dict(body, unit_name="另一份举报"))
    assert other.status == 422 and other.json["error"]["code"] == "attachment_unknown"
